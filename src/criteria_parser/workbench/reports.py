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
from ..model import ConstraintKind, Listing
from ..source import read_source
from .app import HERE, TEMPLATES
from .highlight import Mark, Segment, describe, marks, segments

_CONTEXT = 80


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
        shown.append({"listing": listing, "segments": segments(text, start, end, marks(listing, labelled=True)),
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
