"""The clauses of a criterion's text, split at the ``clause_break`` cues of ``cues.jsonl``.

One splitter for every reader that asks which clause a word stands in (the
matcher's negation scope, an age limit's event, ...). The breaks are phrases of
the one phrase matcher (:mod:`.phrases`): ";" and ". " (a full stop before a
space), never a comma, which joins listed values ("ASA I, II").
"""

from __future__ import annotations

import re
from functools import lru_cache

from .loader import Grammars
from .phrases import compile_phrases


def clause_around(grammars: Grammars, text: str, at: int) -> tuple[int, int]:
    """Where the clause of ``text`` holding position ``at`` starts and ends.

    Args:
        grammars: the grammars whose ``clause_break`` cues end a clause.
        text: a criterion's text.
        at: a position in ``text``.

    Returns:
        The clause's start (after the break before ``at``) and end (where the break after ``at`` begins).
    """
    breaks = [m.span() for m in _breaks(grammars.phrases_by_cue.get("clause_break", ())).finditer(text)]
    start = max((end for begin, end in breaks if end <= at), default=0)
    return start, min((begin for begin, _ in breaks if begin >= at), default=len(text))


@lru_cache(maxsize=8)
def _breaks(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return compile_phrases(phrases)
