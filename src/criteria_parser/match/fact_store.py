"""Facts: the variables' values as the checks read them, where each came from, and the input's problems.

Also how the readers show a number or a day in a note, and the date of an anchor, which the treatment and the
condition readers both measure from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from ..grammar.matching import MatchingGrammar
from .patients import Patient
from .plan import slug

DAY_SECONDS = 86400.0


@dataclass
class Facts:
    """The variables' values (``data``), where each came from (``notes``) and input problems (``warnings``)."""

    data: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def get(self, path: str) -> Any:
        """The value at a dotted path, or None."""
        node: Any = self.data
        for part in path.split("."):
            if not isinstance(node, dict):
                return None
            node = node.get(part)
        return node

    def put(self, path: str, value: Any, note: str) -> None:
        """Set the value at a dotted path and say where it came from."""
        *parents, last = path.split(".")
        node = self.data
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
        self.notes[path] = note


def day_text(when: Optional[datetime]) -> str:
    """A date as shown in notes: its day, or "undated"."""
    return when.date().isoformat() if when else "undated"


def number_text(value: float) -> str:
    """A number as shown in reasons: whole numbers whole, others to four significant digits."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e12:
        return str(int(value))
    return f"{value:.4g}"


def anchor_date(patient: Patient, anchor: str, today: datetime, matching: MatchingGrammar) -> Optional[datetime]:
    """The date of an anchor: the patient's, or the screening date for the screening anchor."""
    when = patient.anchors.get(anchor.replace("_", " "))
    if when is None and anchor == slug(matching.screening_anchor):
        return today
    return when
