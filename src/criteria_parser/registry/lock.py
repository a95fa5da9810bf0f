"""The lock that keeps two imports from writing to the same store or output file at once."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ..errors import CriteriaParserError


class ImportLocked(CriteriaParserError):
    """Another import holds the lock of this target."""


def take_import_lock(target: Path, what: str, advice: str) -> int:
    """Lock ``<target>.lock`` for this process (released when the handle closes or the process dies).

    Args:
        target: the store or output file.
        what: how the refusal names the target ("store", "output file").
        advice: what the refusal tells the user to do instead.

    Returns:
        The lock file's handle; close it to release the lock.

    Raises:
        ImportLocked: another import holds the lock; the message names its pid.
    """
    handle = os.open(f"{target}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(handle, 32).decode(errors="replace").strip() or "unknown"
        os.close(handle)
        raise ImportLocked(f"{target}: another import (pid {holder}) is writing to this {what}; {advice}") from None
    os.ftruncate(handle, 0)
    os.pwrite(handle, str(os.getpid()).encode(), 0)
    return handle
