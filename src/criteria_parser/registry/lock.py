"""The lock that keeps two imports from writing to the same store or output file at once.

An import holds ``<target>.lock`` with ``flock`` and writes its pid in it. The system releases the lock when the
process dies, so only the file can outlive an import (one killed with SIGKILL): the next import takes such a stale
lock over and says so. A clean end, or an interrupted one, removes the file.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Optional

from ..errors import CriteriaParserError


class ImportLocked(CriteriaParserError):
    """Another import holds the lock of this target."""


class ImportLock:
    """This process's hold on the lock file of a store or output file; :meth:`release` removes it."""

    def __init__(self, path: Path, handle: int, stale: Optional[str]) -> None:
        self.path = path
        self._handle: Optional[int] = handle
        self.stale = stale
        """What to tell the user when the lock was left by an import that is no longer running, else None."""

    def release(self) -> None:
        """Remove the lock file and let go of it (again: nothing)."""
        if self._handle is None:
            return
        # removed while still held: an import that opened the old file meanwhile sees it is gone and retries
        self.path.unlink(missing_ok=True)
        os.close(self._handle)
        self._handle = None


def take_import_lock(target: Path, what: str, advice: str) -> ImportLock:
    """Lock ``<target>.lock`` for this process.

    Args:
        target: the store or output file.
        what: how the refusal names the target ("store", "output file").
        advice: what the refusal tells the user to do instead.

    Returns:
        The held lock; release it when the import ends.

    Raises:
        ImportLocked: another import holds the lock; the message names its pid.
    """
    path = Path(f"{target}.lock")
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _pid_in(handle) or "unknown"
            os.close(handle)
            raise ImportLocked(f"{target}: another import (pid {holder}) is writing to this {what}; {advice}") from None
        if _same_file(handle, path):
            break
        os.close(handle)  # the holder released (removed) it between our open and our lock: take the new one
    previous = _pid_in(handle)
    stale = None
    if previous:
        stale = f"{path}: a stale lock left by import pid {previous}, which is no longer running; taking it over"
    os.ftruncate(handle, 0)
    os.pwrite(handle, str(os.getpid()).encode(), 0)
    return ImportLock(path, handle, stale)


def _pid_in(handle: int) -> str:
    return os.pread(handle, 32, 0).decode(errors="replace").strip()


def _same_file(handle: int, path: Path) -> bool:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(handle)
    return (held.st_dev, held.st_ino) == (found.st_dev, found.st_ino)
