"""The console's routes (`node.console`), included in the node's app by `node.api.app`.

Static files are served from node/console/static/ by name: a path is resolved and must stay
inside that folder (``..`` and links out are 404), and only the kinds in `MEDIA_TYPES` are
served. Answers say ``Cache-Control: no-cache`` (a browser revalidates by ETag, so an upgraded
node's console is seen at once) and carry `CONTENT_SECURITY_POLICY`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from node.api.deps import Serving
from node.api.errors import ApiError
from node.console.page import STATIC, language_of, render

# Every source is the node itself; nothing of another origin is loaded, framed, posted or fetched.
# 'unsafe-inline' for styles only: the contract documents shown in an iframe srcdoc (which inherits
# this policy) carry their style sheet inline, and styles run no code.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; connect-src 'self'; frame-src 'self'; form-action 'self'; "
                           "base-uri 'none'; frame-ancestors 'none'")
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
               ".json": "application/json", ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8"}
_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get("/console")
async def console(request: Request) -> HTMLResponse:
    """The console's page (a login page until the modules find a session)."""
    serving: Serving = request.app.state.serving
    page = render(serving.runtime.name, serving.runtime.org, language_of(request.headers.get("accept-language")))
    return HTMLResponse(page, headers=_HEADERS)


@router.get("/console/")
async def console_slash() -> RedirectResponse:
    return RedirectResponse("/console", status_code=308)


@router.get("/console/static/{name:path}")
async def static(name: str) -> FileResponse:
    """A file of node/console/static/ (see the module docstring)."""
    path = (STATIC / name).resolve()
    kind = MEDIA_TYPES.get(path.suffix)
    if kind is None or not path.is_relative_to(STATIC) or not path.is_file():
        raise ApiError(404, "not-found", f"the console has no file {name[:200]!r}")
    return FileResponse(path, media_type=kind, headers=_HEADERS)
