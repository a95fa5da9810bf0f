"""ConText over a criterion's text: which words a cue negates, makes conditional, permits, dates or gives a relative.

Reads the rules of ``grammars/context.jsonl`` (medspaCy's ConText rule format: literal, category, direction,
optional pattern and max_scope; Harkema et al., "ConText: an algorithm for determining negation, experiencer, and
temporal status from clinical reports", J Biomed Inform 2009) and the ``clause_break`` cues of ``cues.jsonl``.

The algorithm, as medspaCy's ``ConText`` component runs it: find every cue (the literals by the one phrase
matcher, longest first; the patterns as regular expressions); drop a cue that a pseudo cue overlaps ("does *not
exceed*", "*prior to*"); give each remaining cue a scope, the words after it (``forward``), before it
(``backward``) or both, up to the end of its clause, the first cue of a category in its rule's ``terminated_by``
("no fever *but* cough"), or ``max_scope`` words. A target span is asserted by every cue whose scope it overlaps
and that it does not hold itself. Given the mentions of the text (the pipeline's entities and constraints, the
annotators' targets), a forward negation or exception bears on its first mention, what that mention's "of"
takes and what is listed with it, and ends before a ``circumstance`` word of ``cues.jsonl`` after it ("unable to
perform [pace mapping] *during* {ablation procedure}", "no allergy to ...", "other than [CABG] *with* ..."), as LCT
and Chia mark it; a negation passes over the words of the other cues in its scope ("no {history} of [stroke]",
"not {scheduled} to undergo [ultrasound]"). A negation whose first stop is the colon after a ``list_intro`` cue
("no history of the following: [stroke], [epilepsy]") reaches the list, past its ``max_scope``. No spaCy here: the pipeline component (``pipeline/context.py``) and the
matcher share this one reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable, Optional, Sequence

from .clauses import clause_around
from .loader import ContextRule, Grammars
from .phrases import compile_phrases, compile_source, normalize

_WORD = re.compile(r"\w+")
#: The forward cues that bear on their first mention and end at a circumstance after it (module docstring).
BEARING = ("NEGATED_EXISTENCE", "EXCEPTED")
#: An alternative limit ends a condition only after a limit it is the alternative of ("HbA1c ≤ 9% if on triple
#: therapy | or ≤ 10%"; "If the curvature is less than 10 degrees or more than 40 degrees" is one condition).
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Modifier:
    """A cue found in a text: what it asserts, its words, the words it reaches, and the rule that found it.

    Offsets are into the text given to :meth:`ContextReader.modifiers`.
    """

    category: str  # NEGATED_EXISTENCE, HYPOTHETICAL, PERMITTED, HISTORICAL, FAMILY
    rule: str
    start: int
    end: int
    scope_start: int
    scope_end: int
    text: str
    #: the words of other cues in the scope, which this cue passes over ("no | history of | stroke")
    passes: tuple[tuple[int, int], ...] = ()

    def covers(self, start: int, end: int) -> bool:
        """Whether the words ``start``-``end`` lie (in part) in this cue's scope and do not hold the cue (a name
        that holds it, "Lack of contracture", "non-small cell lung cancer", is not what the cue asserts), nor lie
        within the words of another cue it passes ("No *history* of GI pathology": the history is what the
        negation is of, not what it negates)."""
        inside = start < self.scope_end and self.scope_start < end
        passed = any(low <= start and end <= high for low, high in self.passes)
        return inside and not passed and not (start < self.end and self.start < end)


@dataclass(frozen=True)
class _Cue:
    start: int
    end: int
    rule: ContextRule


class ContextReader:
    """Finds ConText cues and their scopes in criterion texts (one reader per grammar directory)."""

    def __init__(self, grammars: Grammars) -> None:
        self.grammars = grammars
        rules = [*grammars.context, *exception_rules(grammars), *example_rules(grammars)]
        self._literal_rules = {normalize(r.literal): r for r in rules if r.pattern is None and r.direction != "pseudo"}
        self._literals = compile_phrases(r.literal for r in rules if r.pattern is None and r.direction != "pseudo")
        self._pseudo = compile_phrases(r.literal for r in rules if r.direction == "pseudo")
        self._patterns = [(re.compile(r.pattern, re.IGNORECASE), r) for r in rules if r.pattern is not None]
        self._circumstance = compile_phrases(p for r in grammars.cues if r.cue == "circumstance" for p in r.phrases)
        self._list_intro = compile_phrases(grammars.cue_phrases("list_intro"))
        #: the words that join listed things (``alternative``, ``conjunction``, ``list_separator`` cues): after one,
        #: a cue's own last word lists a second thing it bears on ("inability to understand the protocol *or to*
        #: give informed consent")
        self._joining = compile_source(p for kind in ("alternative", "conjunction", "list_separator")
                                       for p in grammars.cue_phrases(kind))

    def modifiers(self, text: str, exclusion: bool = False, mentions: Sequence[tuple[int, int]] = (),
                  scoped: Optional[Sequence[Modifier]] = None) -> list[Modifier]:
        """Every asserting cue of ``text`` with its scope, in text order; in an ``exclusion`` criterion a cue
        that restates the exclusion ("pregnant women | are excluded"; ``metadata`` ``restates``) asserts
        nothing; with the text's ``mentions`` a forward negation ends at a circumstance after its first one
        (module docstring). ``scoped``: what :meth:`scoped` gave for the same text and flag, if the caller has it
        (the pipeline finds the cues once for ``criteria_context`` and the clause reader: issue 14)."""
        found = self.scoped(text, exclusion) if scoped is None else scoped
        if not mentions:
            return list(found)
        passing = [self._passing(m, found) for m in found]
        return [self._bearing(text, m, mentions) for m in passing]

    def scoped(self, text: str, exclusion: bool = False) -> tuple[Modifier, ...]:
        """The asserting cues of ``text`` with their scopes, before any mention cuts one (:meth:`modifiers`)."""
        cues = self._cues(text)
        found = []
        for cue in cues:
            rule = cue.rule
            if rule.direction in ("terminate", "pseudo") or (exclusion and rule.metadata.get("restates")):
                continue
            clause_start, clause_end = _inside_brackets(text, cue.start, *clause_around(self.grammars, text, cue.start))
            stops = [c for c in cues if c is not cue and c.rule.category in rule.terminated_by
                     and (c.rule.category != "ALTERNATIVE" or _DIGIT.search(text, clause_start, cue.start))]
            scope_start, scope_end = cue.end, cue.start
            if rule.direction in ("forward", "bidirectional"):
                after = [c for c in stops if c.start >= cue.end]
                first = min(after, key=lambda c: c.start, default=None)
                if first is not None and self._introduces(text, cue, first):  # "no history of the following: A, B"
                    scope_end = min([c.start for c in after if c.start > first.start] + [clause_end])
                else:
                    scope_end = min([c.start for c in after] + [clause_end])
                    scope_end = _words_after(text, cue.end, scope_end, rule.max_scope)
            if rule.direction in ("backward", "bidirectional"):
                scope_start = max([c.end for c in stops if c.end <= cue.start] + [clause_start])
                scope_start = _words_before(text, scope_start, cue.start, rule.max_scope)
            found.append(Modifier(rule.category, rule.id, cue.start, cue.end, scope_start, scope_end,
                                  text[cue.start:cue.end]))
        return tuple(found)

    @staticmethod
    def _passing(modifier: Modifier, found: Sequence[Modifier]) -> Modifier:
        """A forward negation that passes over the words of the other asserting cues in its scope ("no | history
        of | GI pathology", "not | scheduled | to undergo ultrasound"): a mention they hold is none it negates, nor
        one its circumstance cut counts (:meth:`_bearing`)."""
        if modifier.category != "NEGATED_EXISTENCE" or modifier.scope_start < modifier.end:
            return modifier
        passes = tuple((m.start, m.end) for m in found if m.category not in BEARING
                       and modifier.scope_start <= m.start and m.end <= modifier.scope_end)
        return replace(modifier, passes=passes) if passes else modifier

    def _introduces(self, text: str, cue: _Cue, stop: _Cue) -> bool:
        """Whether a negation's first stop is a colon after a ``list_intro`` cue of cues.jsonl (within the rule's
        ``max_scope``) and at most two words ("no history of any of the following conditions: A, B"): the list is
        what it negates, to its own stop or the end of the clause, however many words it has."""
        if cue.rule.category != "NEGATED_EXISTENCE" or stop.rule.category != "COLON":
            return False
        reach = _words_after(text, cue.end, stop.start, cue.rule.max_scope)  # "non-surgical biopsies of the ..."
        return any(m.start() < reach and re.fullmatch(r"\s*(?:[\w-]+\s*){0,2}", text[m.end():stop.start])
                   for m in self._list_intro.finditer(text, cue.end, stop.start))

    def _bearing(self, text: str, modifier: Modifier, mentions: Sequence[tuple[int, int]]) -> Modifier:
        """A forward negation cut before the first circumstance word between two mentions it holds ("pace
        mapping | during | ablation procedure"), unless a joiner and the cue's own last word open the gap
        ("inability to understand the protocol *or to* give informed consent" lists what it negates)."""
        if modifier.category not in BEARING or modifier.scope_start < modifier.end:
            return modifier
        held = sorted(span for span in mentions if modifier.covers(*span))  # none a cue it passes holds
        repeated = re.compile(rf"[\s,]*(?:(?:{self._joining})\s+)?" + re.escape(modifier.text.split()[-1]) + r"\b",
                              re.IGNORECASE)
        for (_, before), (after, _) in zip(held, held[1:]):
            word = self._circumstance.search(text, before, after) if before < after else None
            if word is not None and not repeated.match(text, before, after):
                return replace(modifier, scope_end=word.start())
        return modifier

    def _cues(self, text: str) -> list[_Cue]:
        """The cues of ``text`` that no pseudo cue overlaps; of overlapping cues the earlier, then the longer."""
        found = [_Cue(m.start(), m.end(), rule) for pattern, rule in self._patterns for m in pattern.finditer(text)]
        found.extend(_Cue(m.start(), m.end(), self._literal_rules[normalize(m.group())])
                     for m in self._literals.finditer(text))
        pseudo = [m.span() for m in self._pseudo.finditer(text)]
        kept: list[_Cue] = []
        for cue in sorted(found, key=lambda c: (c.start, c.start - c.end)):  # stable: a pattern before a literal
            if any(start < cue.end and cue.start < end for start, end in pseudo):
                continue
            if kept and cue.start < kept[-1].end:
                continue
            kept.append(cue)
        return kept


def exception_rules(grammars: Grammars) -> list[ContextRule]:
    """The ``exception`` cues of cues.jsonl ("except", "other than", "unless") as EXCEPTED ConText rules: what
    follows is excepted from the criterion, and no negation before reaches it."""
    return [ContextRule(id=f"{rule.id}.{index}", literal=phrase, category="EXCEPTED", direction="forward",
                        terminated_by=["CONJ", "PURPOSE", "COLON", "THEN"], example=rule.example)
            for rule in grammars.cues if rule.cue == "exception" for index, phrase in enumerate(rule.phrases)]


def example_rules(grammars: Grammars) -> list[ContextRule]:
    """The ``example`` cues of cues.jsonl ("such as", "e.g.", "including") as CONJ terminators: the examples after
    them are not what a cue before bears on ("no [autoimmune disease] such as {lupus}"); the matcher reads the
    same list for parentheses of examples."""
    return [ContextRule(id=f"{rule.id}.{index}", literal=phrase, category="CONJ", direction="terminate",
                        example=rule.example)
            for rule in grammars.cues if rule.cue == "example" for index, phrase in enumerate(rule.phrases)]


def _inside_brackets(text: str, at: int, start: int, end: int) -> tuple[int, int]:
    """The part of the clause ``start``-``end`` that stays inside the parentheses a cue at ``at`` stands in: a cue
    in a parenthesis reaches neither out of it ("(other than major depression) or {substance abuse}") nor back."""
    depth, opening = 0, start
    for index in range(at - 1, start - 1, -1):
        depth += (text[index] in ")]") - (text[index] in "([")
        if depth < 0:
            opening = index + 1
            break
    else:
        return start, end
    depth = 0
    for index in range(at, end):
        depth += (text[index] in "([") - (text[index] in ")]")
        if depth < 0:
            return opening, index
    return opening, end


def asserted(modifiers: Iterable[Modifier], start: int, end: int, category: Optional[str] = None) -> list[Modifier]:
    """The modifiers whose scope holds the words ``start``-``end`` (of one ``category``, if given)."""
    return [m for m in modifiers if (category is None or m.category == category) and m.covers(start, end)]


def _words_after(text: str, start: int, end: int, limit: Optional[int]) -> int:
    """Where the scope from ``start`` ends: at ``end``, or after ``limit`` words if that is sooner."""
    if limit is None:
        return end
    words = list(_WORD.finditer(text, start, end))
    return words[limit - 1].end() if len(words) > limit else end


def _words_before(text: str, start: int, end: int, limit: Optional[int]) -> int:
    """Where the scope reaching back from ``end`` begins: at ``start``, or ``limit`` words before ``end``."""
    if limit is None:
        return start
    words = list(_WORD.finditer(text, start, end))
    return words[-limit].start() if len(words) > limit else start


#: One reader per grammar set, by the set's identity (each grammar directory is read once per process).
_READERS: dict[int, tuple[Grammars, ContextReader]] = {}


def context_reader(grammars: Grammars) -> ContextReader:
    """The one reader of ``grammars`` (built once per grammar set)."""
    known = _READERS.get(id(grammars))
    if known is None or known[0] is not grammars:
        known = _READERS[id(grammars)] = (grammars, ContextReader(grammars))
    return known[1]
