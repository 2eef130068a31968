"""Pages to browse what a campaign is made of: contacts (search), audiences,
audio files (listen), flows (drawn as graphs), the number speaker's preview
(a number read in ar / fr / en with the built-in dictionaries, as a call would),
and every call, outbound and inbound (filtered by direction, searched by number)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from ringcast.api.deps import SessionDep, StateDep
from ringcast.audiences import service as audiences
from ringcast.audio.clip import Clip
from ringcast.audio.errors import SpeakerError
from ringcast.audio.requests import SayNumber
from ringcast.audio.resolve import resolve_play
from ringcast.audio.speaker import LANGUAGES, normalize_language
from ringcast.audio.wav import write_wav
from ringcast.audiofiles import service as audio
from ringcast.calls import service as calls
from ringcast.calls.repository import CallFilters
from ringcast.calls.schemas import Direction
from ringcast.contacts import service as contacts
from ringcast.dashboard import flowgraph
from ringcast.dashboard.render import page
from ringcast.dashboard.route import DashboardRoute
from ringcast.dashboard.viewer import ViewerDep
from ringcast.errors import ValidationFailedError
from ringcast.flows import service as flows
from ringcast.kit.pagination import PageParams, page_params

router = APIRouter(route_class=DashboardRoute)
PageQuery = Annotated[str | None, Query(alias="page", max_length=10)]
SearchQuery = Annotated[str | None, Query(alias="q", max_length=200)]


def _params(raw: str | None, limit: int, search: str | None = None) -> PageParams:
    if raw is not None and not (raw.isascii() and raw.isdigit()):
        raise ValidationFailedError.single("page", "not_integer", "page must be a whole number")
    return page_params(page=int(raw or 1), limit=limit, search=(search or "").strip() or None)


@router.get("/contacts")
async def contact_list(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    page_no: PageQuery = None,
    q: SearchQuery = None,
) -> Response:
    params = _params(page_no, 50, q)
    rows, total = await contacts.list_contacts(session, viewer.principal.organization_id, params)
    return page(request, "contacts.html", contacts=rows, total=total, params=params, q=q or "")


@router.get("/audiences")
async def audience_list(
    request: Request, viewer: ViewerDep, session: SessionDep, page_no: PageQuery = None
) -> Response:
    params = _params(page_no, 50)
    rows, total = await audiences.list_page(session, viewer.principal.organization_id, params)
    shown = await audiences.to_schemas(session, rows)
    return page(request, "audiences.html", audiences=shown, total=total, params=params)


@router.get("/audiences/{audience_id}")
async def audience_page(
    request: Request,
    audience_id: str,
    viewer: ViewerDep,
    session: SessionDep,
    page_no: PageQuery = None,
) -> Response:
    org = viewer.principal.organization_id
    [audience] = await audiences.to_schemas(
        session, [await audiences.get(session, org, audience_id)]
    )
    params = _params(page_no, 50)
    rows, total = await contacts.list_contacts(session, org, params, audience_id=audience.id)
    return page(
        request, "audience.html", audience=audience, contacts=rows, total=total, params=params
    )


@router.get("/audio")
async def audio_list(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    page_no: PageQuery = None,
    number: Annotated[str | None, Query(max_length=40)] = None,
    language: Annotated[str, Query(max_length=10)] = "fr",
    mode: Annotated[str, Query(max_length=10)] = "full",
) -> Response:
    params = _params(page_no, 50)
    rows, total = await audio.page(session, viewer.principal.organization_id, params)
    return page(request, "audio.html", files=rows, total=total, params=params,
                speak_number=(number or "").strip(), speak_language=language,
                speak_mode=mode)  # fmt: skip


@router.get("/speak")
async def speak(
    viewer: ViewerDep,
    number: Annotated[str, Query(min_length=1, max_length=40)],
    language: Annotated[str, Query(max_length=10)] = "fr",
    mode: Annotated[str, Query(max_length=10)] = "full",
) -> Response:
    """The number as the number speaker reads it on a call (8 kHz WAV)."""
    if mode not in ("full", "digits"):
        raise ValidationFailedError.single("mode", "invalid", "mode is full or digits")
    try:
        normalize_language(language)
    except SpeakerError:
        raise ValidationFailedError.single(
            "language", "invalid", f"language is one of {', '.join(sorted(LANGUAGES))}"
        ) from None
    request = SayNumber(value=number.strip(), mode="digits" if mode == "digits" else "full",
                        language=language)  # fmt: skip
    try:
        clip = resolve_play([request], audio_files=_no_files)
    except SpeakerError as exc:
        raise ValidationFailedError.single("number", "unspeakable", str(exc)) from None
    return Response(write_wav(clip.pcm), media_type="audio/wav")


def _no_files(audio_id: str) -> Clip:
    raise KeyError(audio_id)  # a preview reads a number only, never an uploaded file


@router.get("/audio/{audio_id}/listen")
async def audio_listen(
    audio_id: str, viewer: ViewerDep, session: SessionDep, state: StateDep
) -> Response:
    row = await audio.get(session, viewer.principal.organization_id, audio_id)
    path = state.storage.path_for(row.telephony_key)
    if path is not None:
        return FileResponse(path, media_type="audio/wav")
    return Response(state.storage.get(row.telephony_key), media_type="audio/wav")


@router.get("/flows")
async def flow_list(
    request: Request, viewer: ViewerDep, session: SessionDep, page_no: PageQuery = None
) -> Response:
    params = _params(page_no, 50)
    rows, total, latest = await flows.page(session, viewer.principal.organization_id, params)
    return page(request, "flows.html", flows=rows, total=total, params=params, latest=latest)


@router.get("/flows/{flow_id}")
async def flow_page(
    request: Request, flow_id: str, viewer: ViewerDep, session: SessionDep
) -> Response:
    flow, version = await flows.get_version(session, viewer.principal.organization_id, flow_id)
    svg = await flowgraph.render(version.graph)
    nodes = flowgraph.nodes_of(version.graph)
    return page(request, "flow.html", flow=flow, version=version, svg=svg, nodes=nodes)


@router.get("/calls")
async def call_list(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    page_no: PageQuery = None,
    q: SearchQuery = None,
    direction: Annotated[Direction | None, Query()] = None,
) -> Response:
    params = _params(page_no, 50, q)
    org = viewer.principal.organization_id
    rows, total = await calls.list_calls(session, org, params, CallFilters(direction))
    kept = {k: v for k, v in (("direction", direction), ("q", q)) if v}
    query = f"{urlencode(kept)}&" if kept else ""  # the pager's links keep the filter
    return page(
        request,
        "calls.html",
        calls=rows,
        total=total,
        params=params,
        q=q or "",
        direction=direction,
        query=query,
    )
