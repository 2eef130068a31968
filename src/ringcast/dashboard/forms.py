"""Posted forms: read with a size cap, same-origin only, CSRF checked.

Forms are `application/x-www-form-urlencoded` and small, so the body is read
here (at most `MAX_FORM_BYTES`) rather than by a multipart parser.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from fastapi import Request

from ringcast.dashboard.viewer import Viewer, dashboard_state
from ringcast.errors import BadRequestError, ForbiddenError, PayloadTooLargeError

MAX_FORM_BYTES = 16 * 1024


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields (first value of each); 400/403/413 on a bad post."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise ForbiddenError("This form was posted from another site.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise PayloadTooLargeError(f"The form is larger than {MAX_FORM_BYTES} bytes.")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and content_type != "application/x-www-form-urlencoded":
        raise BadRequestError("Send the form as application/x-www-form-urlencoded.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise BadRequestError("The form is not valid UTF-8.") from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        if "\x00" in value:
            raise BadRequestError("Form values must not contain NUL characters.")
        fields.setdefault(name, value)
    return fields


def check_csrf(request: Request, viewer: Viewer, fields: dict[str, str]) -> None:
    if not dashboard_state(request).signer.csrf_ok(viewer.session, fields.get("csrf")):
        raise ForbiddenError(
            "This form has expired or did not come from your session. Reload the page and try again.",
            code="CSRF_FAILED",
        )
