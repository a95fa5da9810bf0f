"""The evaluation as a self-contained HTML page (``criteria-parser eval --html``).

Per-field precision, recall and F1 as bars, every disagreement shown in its text,
with the templates and stylesheet of :mod:`criteria_parser.export.html`.
"""

from __future__ import annotations

from ..export.highlight import Mark, Segment, segments
from ..export.html import TEMPLATES, listing_text, stylesheet
from .scoring import CorpusEval, Disagreement

_CONTEXT = 80


def _in_context(d: Disagreement) -> list[Segment]:
    if not d.listing or d.end <= d.start:
        return []
    text = listing_text(d.listing)
    lo, hi = max(0, d.start - _CONTEXT), min(len(text), d.end + _CONTEXT)
    return segments(text, lo, hi, [Mark("d", "threshold", d.start, d.end, d.start, d.end)])


def _by_place(disagreements: list[Disagreement]) -> list[list[Disagreement]]:
    """Disagreements about the same text (a constraint only one side has differs in every field it fills),
    together, in their order."""
    places: dict[tuple, list[Disagreement]] = {}
    for d in disagreements:
        places.setdefault((d.listing, d.section, d.criterion, d.start, d.end), []).append(d)
    return list(places.values())


def eval_page(report: CorpusEval) -> str:
    """The evaluation as a page: per-field precision, recall and F1 as bars, every disagreement in its text
    (once per place, with each field that differs there)."""
    places = [(group, _in_context(group[0])) for group in _by_place(report.disagreements)]
    return TEMPLATES.get_template("report_eval.html").render(
        style=stylesheet(), report=report, places=places, disagreements=report.disagreements)
