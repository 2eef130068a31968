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
from ringcast.errors import FieldIssue, ValidationFailedError
from ringcast.flow.simulate import simulate
from ringcast.flow.validation import FlowValidationError
from ringcast.flows import service
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


async def execute(
    session: AsyncSession, library: ClipLibrary, organization_id: str, body: ExecuteRequest
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
        flow, version = await service.get_version(
            session, organization_id, body.flow_id, body.version
        )
        graph, flow_name, flow_version = version.graph, flow.name, version.version
    else:
        graph = body.graph or {}
    result = await service.validate(session, organization_id, graph)
    service.raise_if_invalid(result)
    contact = await _contact(session, organization_id, body)
    await library.preload(session, organization_id, result.audio_refs, result.dictionary_refs)
    try:
        return await simulate(
            graph,
            contact,
            body.simulate,
            library.resolve,
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
