"""A check's outcome over one patient's facts: its truth, why, the values compared, and its parts' outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from .plan import TRUTH_WORDS


@dataclass
class Outcome:
    """A check's truth and why."""

    truth: float
    reason: str = ""
    parts: list["Outcome"] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    def findings(self) -> list["Finding"]:
        """The leaves' (and combinations') reasons with the values compared, in order."""
        out = [finding for part in self.parts for finding in part.findings()]
        if self.reason:
            out.append(Finding(result=TRUTH_WORDS[self.truth], reason=self.reason, values=self.values))
        return out


class Finding(BaseModel):
    """One reason: its answer, in words, and the values it compared (canonical units)."""

    result: str
    reason: str
    values: dict[str, Any]


def when_text(days: float, anchor: str) -> str:
    """'12 days before the infusion', 'on the day of the infusion' or 'after the infusion'."""
    if days > 0:
        return f"{days:g} days before the {anchor}"
    return f"after the {anchor}" if days < 0 else f"on the day of the {anchor}"
