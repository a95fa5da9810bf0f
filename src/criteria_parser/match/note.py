"""The text form of a match result: a screening note a coordinator can check line by line."""

from __future__ import annotations

from .screen import MatchResult

MARKS = {"met": "[met]", "not met": "[not met]", "unknown": "[unknown]"}


def _decisive(result: MatchResult) -> list[str]:
    """Why the status is what it is: the failing, excluding or open top-level criteria."""
    out = []
    for c in result.criteria:
        if not c.top_level:
            continue
        if c.section == "inclusion" and c.result == "not met":
            out.append(f"inclusion {c.label} not met")
        elif c.section == "exclusion" and c.result == "met":
            out.append(f"exclusion {c.label} met")
    if out:
        return out
    return [f"{c.section} {c.label} unknown" for c in result.criteria if c.top_level and c.result == "unknown"]


def render_note(result: MatchResult) -> str:
    """A plain-text screening note for ``result``."""
    lines = [
        f"Screening note: patient {result.patient} for {result.nct_id or result.listing}",
        f"Screening date: {result.screening_date}",
        f"Result: {result.status.upper()}",
    ]
    decisive = _decisive(result)
    if decisive:
        lines.append("Because: " + "; ".join(decisive))
    for warning in result.warnings:
        lines.append(f"Input problem: {warning}")
    for section in ("inclusion", "exclusion"):
        lines += ["", f"{section.capitalize()} criteria"]
        for criterion in result.criteria:
            if criterion.section != section:
                continue
            depth = criterion.label.count(".")
            indent = "  " * (depth + 1)
            text = criterion.text if len(criterion.text) <= 90 else criterion.text[:87] + "..."
            lines.append(f"{indent}{criterion.label}. {MARKS[criterion.result]} {text}")
            if any(c.section == section and c.label.startswith(criterion.label + ".") for c in result.criteria):
                continue  # the children below give the reasons
            for reason in criterion.reasons:
                lines.append(f"{indent}    - {reason}")
    lines += ["", "met / not met / unknown are per criterion; unknown items need a person to confirm them."]
    return "\n".join(lines) + "\n"
