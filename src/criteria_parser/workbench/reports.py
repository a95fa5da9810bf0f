"""Self-contained HTML pages to look at rather than read: a parsed listing, and an evaluation.

``criteria-parser parse FILE --format html`` and ``criteria-parser eval --html``
write one file with the workbench's stylesheet inlined and no script at all
(its Content-Security-Policy forbids any), to open in a browser or attach to
a ticket. Listing text is escaped like everywhere in the workbench.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable

from markupsafe import Markup

from ..evaluate import CorpusEval, Disagreement
from ..model import Constraint, ConstraintKind, Listing
from ..source import read_source
from .app import HERE, TEMPLATES
from .highlight import Mark, Segment, marks, segments

_CONTEXT = 80


def describe(constraint: Constraint) -> str:
    """A constraint in a few words: ``threshold · total bilirubin <= 51 umol/L``."""
    value = constraint.category if constraint.value is None else f"{constraint.value:g}"
    if constraint.value_high is not None:
        value += f"-{constraint.value_high:g}"
    parts = [constraint.subject or "?", constraint.comparator, value, constraint.unit or "",
             f"x {constraint.relative_to}" if constraint.relative_to else "",
             f"{constraint.direction} {constraint.anchor}" if constraint.anchor else ""]
    return f"{constraint.kind.replace('_', ' ')} · " + " ".join(p for p in parts if p)


@lru_cache(maxsize=1)
def _stylesheet() -> Markup:
    return Markup((HERE / "static" / "workbench.css").read_text(encoding="utf-8").replace("</", "<\\/"))


def _text(path: str) -> str:
    return read_source(Path(path)).text


def listing_page(listings: Iterable[Listing]) -> str:
    """One page showing every listing's criteria text with its constraints highlighted and labelled."""
    shown = []
    for listing in listings:
        text = _text(listing.source)
        start, end = (listing.sections[0].start, listing.sections[-1].end) if listing.sections else (0, len(text))
        shown.append({"listing": listing, "segments": segments(text, start, end, marks(listing, describe)),
                      "criteria": [(s, c) for s, c in listing.walk()], "describe": describe})
    return TEMPLATES.get_template("report_listing.html").render(
        style=_stylesheet(), listings=shown, kinds=[k.value for k in ConstraintKind])


def _in_context(d: Disagreement) -> list[Segment]:
    if not d.listing or d.end <= d.start:
        return []
    text = _text(d.listing)
    lo, hi = max(0, d.start - _CONTEXT), min(len(text), d.end + _CONTEXT)
    return segments(text, lo, hi, [Mark("d", "threshold", d.start, d.end, d.start, d.end)])


def eval_page(report: CorpusEval) -> str:
    """The evaluation as a page: per-field precision, recall and F1 as bars, every disagreement in its text."""
    disagreements = [(d, _in_context(d)) for d in report.disagreements]
    return TEMPLATES.get_template("report_eval.html").render(
        style=_stylesheet(), report=report, disagreements=disagreements)
