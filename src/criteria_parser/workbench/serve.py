"""``criteria-parser review``: start the workbench on one corpus and print its address."""

from __future__ import annotations

import secrets
import socket
from pathlib import Path
from typing import Optional

from ..errors import CriteriaParserError
from .security import is_loopback


def serve(corpus: Path, host: str, port: int, token: Optional[str], curator: str) -> None:
    """Serve the workbench until interrupted.

    Raises:
        CriteriaParserError: a non-loopback address without ``--token`` (on loopback one is made), a corpus that is not a
            directory, or a port that cannot be bound.
    """
    import uvicorn

    from .app import create_app

    if not is_loopback(host) and not token:
        raise CriteriaParserError(f"--host {host} is reachable from other machines: give --token SECRET "
                                  "(every request must then carry it)")
    token = token or secrets.token_urlsafe(24)  # on loopback too: another user of this machine could save
    app = create_app(corpus, curator, token, allowed_hosts=None if is_loopback(host) else ["*"])
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise CriteriaParserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    # listen before the address is printed, so a browser opened on it at once is answered (uvicorn serves the
    # connections waiting by then as soon as it has started)
    sock.listen(2048)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{bound}/?token={token}"
    print(f"criteria-parser review: {corpus} for curator {curator} at {address}  (Ctrl+C stops)", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])
