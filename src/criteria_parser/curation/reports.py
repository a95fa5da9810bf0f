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


def eval_page(report: CorpusEval) -> str:
    """The evaluation as a page: per-field precision, recall and F1 as bars, every disagreement in its text."""
    disagreements = [(d, _in_context(d)) for d in report.disagreements]
    return TEMPLATES.get_template("report_eval.html").render(
        style=stylesheet(), report=report, disagreements=disagreements)
