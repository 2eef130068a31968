from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from ringcast.kit.schemas import InputSchema, Schema


class FlowCreate(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    graph: dict[str, Any]


class FlowUpdate(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    graph: dict[str, Any] | None = None


class GraphIssue(Schema):
    path: str
    code: str
    message: str
    params: dict[str, Any] = Field(default_factory=dict)


class Flow(Schema):
    id: str
    organization_id: str
    name: str
    description: str | None
    version: int
    graph: dict[str, Any]
    warnings: list[GraphIssue]
    created_at: datetime
    updated_at: datetime


class FlowVersion(Schema):
    flow_id: str
    version: int
    graph: dict[str, Any]
    warnings: list[GraphIssue]
    created_at: datetime


class FlowVersionList(Schema):
    versions: list[FlowVersion]


class ExecuteRequest(InputSchema):
    """`POST /api/flows/execute`: a saved flow or an inline graph, for a test contact."""

    flow_id: str | None = None
    version: int | None = Field(default=None, ge=1)
    graph: dict[str, Any] | None = None
    contact_id: str | None = None
    contact: dict[str, Any] | None = None
    mode: Literal["simulate", "live"] = "simulate"
    simulate: dict[str, Any] | None = None
    variables: dict[str, Any] | None = None
    from_number: str | None = None
