"""`POST /api/flows/execute`: test a flow before launching it.

`simulate` runs the flow engine at once against a scripted callee, with the
organization's real clips (so a missing dictionary key or audio file shows up
here, not on a live call) and returns the whole trace. `live` places one real
call through the dialer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.audiofiles.library import ClipLibrary
from ringcast.calls import service as calls
from ringcast.contacts import service as contacts
from ringcast.errors import FieldIssue, NotFoundError, ValidationFailedError
from ringcast.flow.compiled import CompiledFlow
from ringcast.flow.simulate import simulate
from ringcast.flow.validation import FlowValidationError
from ringcast.flows import service
from ringcast.flows.compiled_versions import CompiledVersions, FlowHead
from ringcast.flows.repository import FlowRepository
from ringcast.flows.schemas import ExecuteRequest


def _issues(exc: FlowValidationError) -> list[FieldIssue]:
    return [FieldIssue(i.path, i.code, i.message, i.params) for i in exc.result.errors]


async def _contact(
    session: AsyncSession, organization_id: str, body: ExecuteRequest
) -> dict[str, Any]:
    if (body.contact_id is None) == (body.contact is None):
        raise ValidationFailedError.single(
            "contactId", "one_of", "Give exactly one of contactId or contact"
        )
    if body.contact is not None:
        contact = dict(body.contact)
        contact.setdefault("customAttributes", {})
        return contact
    row = await contacts.get_contact(session, organization_id, body.contact_id or "")
    names = set((await contacts.attribute_types(session, organization_id)).keys())
    return contacts.to_schema(row, names).model_dump(mode="json", by_alias=True)


async def _live(
    session: AsyncSession, organization_id: str, body: ExecuteRequest
) -> dict[str, Any]:
    """One real call through the dialer: a saved flow and a stored contact."""
    issues = []
    if body.flow_id is None:
        issues.append(FieldIssue("flowId", "required", "Live mode calls a saved flow: give flowId"))
    if body.contact_id is None:
        issues.append(
            FieldIssue("contactId", "required", "Live mode calls a stored contact: give contactId")
        )
    if issues:
        raise ValidationFailedError("Live mode needs a saved flow and contact", issues=issues)
    job = await calls.create_call_request(
        session,
        organization_id,
        contact_id=body.contact_id or "",
        flow_id=body.flow_id or "",
        from_number=body.from_number,
    )
    return {"jobId": str(job.id), "status": "queued"}


async def _saved(
    session: AsyncSession,
    organization_id: str,
    body: ExecuteRequest,
    compiled: CompiledVersions,
) -> tuple[CompiledFlow, str, int]:
    """A saved flow's version, compiled; the latest one from the cache when it is there."""
    flow = compiled.head(organization_id, body.flow_id or "")
    if flow is None:
        row = await service.get(session, organization_id, body.flow_id or "")
        flow = FlowHead(row.id, row.name, row.latest_version)
        compiled.put_head(organization_id, flow)
    number = body.version or flow.latest_version
    if number == flow.latest_version and (hit := compiled.get(flow.id, number)) is not None:
        return hit, flow.name, number
    version = await FlowRepository(session).get_version(flow.id, number)
    if version is None:
        raise NotFoundError(
            f"Flow {flow.id} has no version {number}", code="FLOW_VERSION_NOT_FOUND"
        )
    result = await service.validate(session, organization_id, version.graph)
    service.raise_if_invalid(result)
    assert result.graph is not None
    ready = CompiledFlow.of(result.graph)
    if number == flow.latest_version:
        compiled.put(flow.id, number, ready)
    return ready, flow.name, number


async def execute(
    session: AsyncSession,
    library: ClipLibrary,
    organization_id: str,
    body: ExecuteRequest,
    compiled: CompiledVersions | None = None,
) -> dict[str, Any]:
    if (body.flow_id is None) == (body.graph is None):
        raise ValidationFailedError.single(
            "flowId", "one_of", "Give exactly one of flowId or graph"
        )
    if body.mode == "live":
        return await _live(session, organization_id, body)
    flow_name: str | None = None
    flow_version: int | None = None
    if body.flow_id is not None:
        flow, flow_name, flow_version = await _saved(
            session, organization_id, body, compiled or CompiledVersions(0)
        )
    else:
        result = await service.validate(session, organization_id, body.graph or {})
        service.raise_if_invalid(result)
        assert result.graph is not None
        flow = CompiledFlow.of(result.graph)
    contact = await _contact(session, organization_id, body)
    await library.preload(session, organization_id, flow.audio_ids, flow.dictionary_ids)
    try:
        trace = await simulate(
            flow,
            contact,
            body.simulate,
            library.resolve_silent,
            organization_id=organization_id,
            flow_id=body.flow_id,
            flow_name=flow_name,
            flow_version=flow_version,
            variables=body.variables,
            from_number=body.from_number or "+10000000000",
        )
    except FlowValidationError as exc:
        raise ValidationFailedError(
            "The simulation request is invalid", issues=_issues(exc)
        ) from exc
    # the call report's shape: nodeExecutionCount a number, the per-node map beside it
    return calls.report_flow_execution(trace) or trace
