"""Where an amount of time is placed: the relation and the event written after it ("4 weeks prior to starting
capmatinib", "within 28 days of randomization"), or the relation and anchor of an ancestor criterion.

Used by :class:`.readings.ComparisonReader`, whose module docstring says what a window's event may be. Reads the
cues of ``doc._.cp_cues`` and the ancestors' texts of ``doc._.cp_context``; the anchors of ``anchors.jsonl``, the
``event_end`` and ``event_head`` cues of ``cues.jsonl`` and its clause breaks.
"""

from __future__ import annotations

import re
from typing import Optional

from ..grammar.clauses import clause_around
from ..grammar.loader import Grammars
from ..grammar.phrases import normalize
from ..model import Comparator, Flag, FlagKind
from .comparators import CueFinder, postfix_cue
from .types import Cue, Mention

#: What may stand between a window's amount and the relation placing it: a note in brackets ("72 hours (or 96
#: hours for cIAI) prior to"), another amount it is an alternative to ("14 days or 5 drug elimination half-lives
#: (whichever is longer) prior to"), a comma ("in past 3 months, before Cycle 1 Day 1").
_WINDOW_NOTE = re.compile(r"[\s)]*(?:\([^()]*\)\s*)?(?:or\s+\d+(?:\.\d+)?\s+[^\W\d][\w-]*(?:\s+[^\W\d][\w-]*){0,3}\s*"
                          r"(?:\([^()]*\)\s*)?(?:,\s*whichever\s+is\s+\w+\s*)?)?,?\s*(?:the\s+)?", re.IGNORECASE)
_NEXT_TO = re.compile(r"[\s)]*(?:the\s+)?", re.IGNORECASE)
#: Between a relation and its event, another relation to the same event: "prior to and/or during study enrollment",
#: "prior to and up to 4 weeks after study treatment".
_SHARED_EVENT = re.compile(r"\s+and(?:/or)?\s+(?:up\s+to\s+\d+\s+[^\W\d]+\s+)?(?:during|after|following|throughout)(?=\s)",
                           re.IGNORECASE)
#: The words of an event named after a relation: a bracketed note ("(VL)") is passed over.
_EVENT_TOKEN = re.compile(r"\([^()]*\)|[^\s(),;:\[\]]+|[(),;:\[\]]")
#: A line break before a capital, a digit or a bullet starts the next item of a list: the event ended before it.
_NEXT_ITEM = re.compile(r"\n[ \t]*[A-Z\d*•-]")
_EVENT_WORDS = 6


class WindowPlacer:
    """Places amounts of time with the rules of one grammar set."""

    def __init__(self, grammars: Grammars) -> None:
        self.grammars = grammars
        self.cue_finder = CueFinder(grammars)
        self.event_ends = {normalize(p) for p in grammars.cue_phrases("event_end")}
        self.event_heads = {normalize(p) for p in grammars.cue_phrases("event_head")}
        #: the articles that may open an event ("the", subjects.jsonl), passed over
        self.articles = tuple(p.lower() for p in grammars.subject_phrases("article"))
        self.article_gap = re.compile(r"\s*(?:(?:" + "|".join(re.escape(a) for a in self.articles) + r")\s+)?",
                                      re.IGNORECASE)

    def placed(self, text: str, cues: list[Cue], position: int, direction: Optional[str], comparator: str,
               mentions: list[Mention], is_time: bool) -> Optional[tuple[str, str, int]]:
        """The direction, anchor and end of what places the amount ending at ``position`` (its own
        ``direction`` and ``comparator``, if it has them): a relation and its
        event ("4 weeks prior to starting capmatinib"), or a link after a "within" ("of randomization") whose
        event is not a subject the lexicon knows ("of major surgery" names what happened, not when). Another
        quantity ("Hb >= 9 g/dL prior to enrollment") only takes a known anchor right after its relation."""
        gap = _WINDOW_NOTE if is_time else _NEXT_TO
        relation = None
        for cue in cues:
            if (cue.kind == "time_relation" and cue.start >= position and gap.fullmatch(text, position, cue.start)
                    and (relation is None or cue.end - cue.start > relation.end - relation.start)):
                relation = cue
        if relation is None:
            return None
        link = relation.position == "link"
        if link and not (direction and comparator == Comparator.LE.value):
            return None  # "during the 12 weeks of treatment" is a period, not a window before an event
        if not (link or relation.direction) or (link and not is_time):
            return None
        after = relation.end
        shared = None if link or not is_time else _SHARED_EVENT.match(text, after)
        if shared is not None:
            after = shared.end()
        anchor = self._event_after(text, cues, after, link, is_time and relation.position != "prefix")
        event_start = self.article_gap.match(text, after).end()
        if anchor is None or (link and any(m.start <= event_start < m.end for m in mentions)):
            return None
        return direction if link else relation.direction, *anchor

    def _event_after(self, text: str, cues: list[Cue], position: int, link: bool,
                     written: bool) -> Optional[tuple[str, int]]:
        """The event named at ``position`` (after a relation) and where it ends: an anchor of ``anchors.jsonl``,
        else, when ``written`` (after "prior to", "after", a link: not after a prefix word such as "prior
        medication"), the words as written (see the module's docstring), or None."""
        known = postfix_cue(text, cues, position, "anchor")
        if known is not None:
            return known.value, known.end
        if not written:
            return None
        words: list[str] = []
        end = position
        end_of_clause = clause_around(self.grammars, text, position)[1]
        next_item = _NEXT_ITEM.search(text, position, end_of_clause)
        for token in _EVENT_TOKEN.finditer(text, position, next_item.start() if next_item else end_of_clause):
            word, last = token.group(), False
            if word.startswith("(") and word.endswith(")"):
                continue
            if word.endswith(".") and normalize(word) not in self.event_ends:  # "... of study treatment."
                word, last = word[:-1], True
            if normalize(word) in self.event_ends:
                break
            if words or word.lower() not in self.articles:
                words.append(word)
                end = token.start() + len(word)
            if len(words) > _EVENT_WORDS:
                return None  # a sentence goes on, not an event
            if last:
                break
        if not words or not re.match(r"[^\W\d_]", words[0]) or words[-1].lower() in ("of", *self.articles):
            return None  # "prior to the start of" at a line's end: the event is cut off
        if link and not (_gerund(words[0]) or normalize(words[-1]) in self.event_heads):
            return None
        return " ".join(" ".join(words).split()), end

    def inherited(self, context: list[tuple[str, int]]) -> Optional[tuple[str, str, Flag]]:
        """Direction and anchor stated by an ancestor criterion ("... before infusion, ... any one ...")."""
        for ancestor_text, offset in context:
            cues = self.cue_finder.find(ancestor_text)
            for relation in cues:
                if relation.kind != "time_relation" or not relation.direction:
                    continue
                anchor = postfix_cue(ancestor_text, cues, relation.end, "anchor")
                if anchor is not None:
                    read = ancestor_text[relation.start:anchor.end]
                    # offsets may be negative here (the ancestor comes before this doc); the parser shifts them
                    flag = Flag.model_construct(kind=FlagKind.INHERITED.value, read=read,
                                understood=f"{relation.direction} {anchor.value} (from the parent criterion)",
                                start=relation.start + offset, end=anchor.end + offset, rule=anchor.rule)
                    return relation.direction, anchor.value, flag
        return None


def _gerund(word: str) -> bool:
    """Whether ``word`` reads as a verb's -ing form opening an event ("starting venetoclax")."""
    return len(word) > 5 and word.lower().endswith("ing")
