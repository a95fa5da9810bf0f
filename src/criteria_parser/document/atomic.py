"""Write files whole or not at all: a temporary file in the same directory, then a rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replacing_mode(path: Path) -> int:
    """The permissions a file replacing ``path`` gets: those of ``path``, or rw-r--r-- for a new file (a temporary
    file is made private, and a file a curator or a data team writes is meant to be read by others)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return 0o644


def write_atomic(path: Path, content: str | bytes) -> None:
    """Replace ``path`` with ``content``; a crash leaves the old file or none, never half of the new one."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        os.fchmod(handle, replacing_mode(path))
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
