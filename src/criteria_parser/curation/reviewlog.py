"""The append-only review log beside each gold file: what changed, when, by whom.

One JSON object a line in ``<name>.review.jsonl``. Lines are only ever
appended (``O_APPEND``, one ``write`` per entry), never rewritten, so the log
merges in git like any text file and tells the history of a gold file.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from ..errors import CriteriaParserError

CURATED = "curated"
IN_PROGRESS = "in progress"
NOT_REVIEWED = "not reviewed"


def append(path: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Append ``entry`` (stamped with the current UTC time) to the log at ``path``; returns the stamped entry."""
    stamped = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), **entry}
    line = (json.dumps(stamped, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
    handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(handle, line)
        os.fsync(handle)
    finally:
        os.close(handle)
    return stamped


def entries(path: Path) -> list[dict[str, Any]]:
    """Every entry of the log, oldest first; none when there is no log.

    Raises:
        CriteriaParserError: a line is not a JSON object (``file:line: ...``).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    found = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CriteriaParserError(f"not a JSON line ({exc.msg})", path.name, number) from None
        if not isinstance(entry, dict):
            raise CriteriaParserError("not a JSON object", path.name, number)
        found.append(entry)
    return found


def last_save(path: Path, gold_fingerprint: str) -> Optional[dict[str, Any]]:
    """The latest entry that wrote the gold file as it is now (fingerprint ``gold_fingerprint``), if any."""
    for entry in reversed(entries(path)):
        if entry.get("gold") == gold_fingerprint:
            return entry
    return None


def status(has_gold: bool, saved: Optional[dict[str, Any]]) -> str:
    """Review status of a listing: not reviewed (no gold), in progress (rows left unaccepted at the last
    save) or curated (every row accepted, or a gold file written outside the workbench)."""
    if not has_gold:
        return NOT_REVIEWED
    if saved is not None and saved.get("status") == IN_PROGRESS:
        return IN_PROGRESS
    return CURATED


def gold_status(gold: Path) -> str:
    """Review status of the gold file ``<name>.gold.json``, from the review log beside it."""
    from .corpus import fingerprint

    if not gold.is_file():
        return NOT_REVIEWED
    log = gold.with_name(gold.name.removesuffix(".gold.json") + ".review.jsonl")
    return status(True, last_save(log, fingerprint(gold)))
