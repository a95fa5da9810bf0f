"""Guards of the workbench: access token, cross-site request protection, safe response headers.

* With a token (``review`` makes one unless given ``--token``), every request
  must carry it: ``?token=`` once (it is then kept in an HttpOnly, SameSite=Strict
  cookie and dropped from the address), the cookie, or ``Authorization: Bearer``.
* State-changing requests (anything but GET/HEAD) must send the page's CSRF
  token in ``X-CSRF-Token`` and a JSON body, and an ``Origin``, when sent, must be
  the workbench's own: a page of another site can neither read the token nor
  send such a request without a CORS preflight we never answer.
* Every response, errors included, forbids inline script, framing and MIME sniffing.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from typing import Optional
from urllib.parse import urlencode

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOG = logging.getLogger(__name__)
TOKEN_COOKIE = "cp_review_token"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = {"GET", "HEAD"}
_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _same(given: Optional[str], expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class SafeHeaders:
    """Adds the safety headers to every response, errors included, and turns an unexpected exception into a
    plain 500 page (logged) that carries them too. Outermost of the app's middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_safely(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_safely)
        except Exception:  # noqa: BLE001 - the ASGI boundary: any crash of a request is logged and answered 500
            LOG.exception("workbench: %s %s failed", scope.get("method"), scope.get("path"))
            if started:
                raise
            await PlainTextResponse("500: the workbench failed on this request (its log says why)",
                                    status_code=500)(scope, receive, send_safely)


class Guard(BaseHTTPMiddleware):
    """Checks the token and the CSRF token."""

    def __init__(self, app, csrf: str, token: Optional[str]) -> None:
        super().__init__(app)
        self.csrf = csrf
        self.token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if self.token is not None:
            offered = request.query_params.get("token")
            if _same(offered, self.token) and request.method in _SAFE_METHODS:
                rest = {k: v for k, v in request.query_params.items() if k != "token"}
                # one leading slash: "//evil.example/x" (or "/\\evil.example") would leave the site
                target = "/" + request.url.path.lstrip("/\\") + ("?" + urlencode(rest) if rest else "")
                response = RedirectResponse(target, status_code=303)
                response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict", path="/")
                return response
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip() or None
            if not (_same(request.cookies.get(TOKEN_COOKIE), self.token) or _same(bearer, self.token)):
                return PlainTextResponse("401: this workbench needs its access token (open the address "
                                         "'criteria-parser review' printed, with ?token=...)", status_code=401)
        if request.method not in _SAFE_METHODS:
            origin = request.headers.get("origin")
            if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
                return JSONResponse({"error": "cross-site request refused (foreign Origin)"}, status_code=403)
            if not _same(request.headers.get(CSRF_HEADER), self.csrf):
                return JSONResponse({"error": "cross-site request refused (missing or wrong CSRF token); "
                                              "reload the page"}, status_code=403)
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                return JSONResponse({"error": "send JSON (Content-Type: application/json)"}, status_code=415)
        return await call_next(request)
