"""What the clause reader (:mod:`.clause_logic`) asks of one part of a criterion, or of its text, each with a name
of its own.

- :class:`Bounds`: whether a part is a bound of a measure ("below 18", "less than 18 years of age") and whether
  two bounds of one measure cannot both hold ("below 18 and above 45 years");
- :class:`ScaleClasses`: whether parts are classes of one scale ("NYHA class III and IV", "ASA 2 and stable ASA
  3"), which one measure takes one at a time;
- :class:`Populations`: the groups of people a part's limit is for ("< 11.5 g/dL for females"), and a
  ``respectively`` that pairs listed limits with groups;
- :class:`SubItems`: how a criterion's sub-items combine ("any of the following", "at least two of the
  following": the ``count_least`` and ``count_more`` cues of ``cues.jsonl`` around a number before a ``count``
  cue).

No spaCy here; offsets are into the text given.
"""

from __future__ import annotations

import re
from functools import wraps
from typing import Callable, Optional, TypeVar

from .clauses import clause_around
from .loader import Grammars
from .phrases import compile_phrases, compile_source, normalize

_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_UNIT = re.compile(r"\s*([^\W\d_][\w/%]*)")
_NUMBER = re.compile(r"\s*(\d+(?:[.,]\d+)?)")
_WORDS = re.compile(r"[^\W_]+")
_LIMIT = re.compile(r"[\d<>≤≥=]")
_TAIL = re.compile(r"(?:\W*\w+){0,3}")  # the three words after a part

_MISSING = object()
T = TypeVar("T")


class Remembering:
    """A reader that remembers, for the last text it read, what :func:`per_text` methods answered."""

    def __init__(self) -> None:
        self._memo: tuple[Optional[str], dict] = (None, {})


def per_text(method: Callable[..., T]) -> Callable[..., T]:
    """``method(self, text, part)`` remembered for the last text read: the reader asks it of each part once for
    each neighbour and pair of a criterion (its answers are never changed by a caller; issue 14)."""
    name = method.__name__

    @wraps(method)
    def remembered(self: Remembering, text: str, part: tuple[int, int]) -> T:
        memo = self._memo  # one read: threads sharing the reader each see a whole entry
        if memo[0] != text:
            memo = self._memo = (text, {})
        value = memo[1].get((name, part), _MISSING)
        if value is _MISSING:
            value = memo[1][name, part] = method(self, text, part)
        return value

    return remembered


def cue_rules(grammars: Grammars) -> dict[tuple[str, str], str]:
    """The rule id of every phrase of ``cues.jsonl``, by (cue, normalized phrase)."""
    return {(rule.cue, normalize(p)): rule.id for rule in grammars.cues for p in rule.phrases}


class Bounds(Remembering):
    """Parts that bound a measure: the prefix comparators ``<``, ``<=``, ``>``, ``>=`` of ``comparators.jsonl``."""

    def __init__(self, grammars: Grammars) -> None:
        super().__init__()
        self.patterns = [(compile_phrases(rule.phrases), rule.comparator[0]) for rule in grammars.comparators
                         if rule.comparator in ("<", "<=", ">", ">=") and rule.position == "prefix"]
        self._joining = [compile_phrases(grammars.cue_phrases(kind)) for kind in ("alternative", "conjunction")]
        #: any of the comparators: one search tells words that hold none (their sources have no groups to clash)
        self._any = re.compile("|".join(f"(?:{p.pattern})" for p, _ in self.patterns) or r"(?!)", re.IGNORECASE)

    @per_text
    def bound(self, text: str, part: tuple[int, int]) -> Optional[tuple[str, str, float, str]]:
        """(the words before the comparator, its direction ``<`` or ``>``, the number, the word after it unless a
        joining word: its unit) of a part that is a bound
        ("below 18", "less than 18 years of age"; a part from its value on, "above | 65 years", takes the
        comparator right before it), else None."""
        low = part[0]
        before = [(m.start(), direction) for pattern, direction in self.patterns
                  for m in pattern.finditer(text, max(0, low - 40), low) if not text[m.end():low].strip()] \
            if self._any.search(text, max(0, low - 40), low) else []
        low = min(before)[0] if before else low
        words = text[low:part[1]]
        found = [(m.start(), m.end(), direction) for pattern, direction in self.patterns
                 for m in pattern.finditer(words)] if self._any.search(words) else []
        if not found:
            return None
        start, end, direction = min(found, key=lambda f: (f[0], -f[1]))
        number = _NUMBER.match(words, end)
        if number is None:
            return None
        unit = _UNIT.match(words, number.end())
        unit_word = normalize(unit.group(1)) if unit else ""
        if any(joining.fullmatch(unit_word) for joining in self._joining):
            unit_word = ""
        return normalize(words[:start]), direction, float(number.group(1).replace(",", "")), unit_word

    def disjoint(self, text: str, first: tuple[int, int], second: tuple[int, int]) -> bool:
        """Whether two parts are bounds of one measure that cannot both hold ("below 18 and above 45 years", "less
        than 18 years of age or more than 80 years"): alternatives, whatever joins them. One measure: the second
        names no other subject than the first (no words before its comparator, or the same) and no other unit
        ("at least 6 months but less than 3.5 years" is a range)."""
        a, b = self.bound(text, first), self.bound(text, second)
        if a is None or b is None or a[1] == b[1] or b[0] not in ("", a[0]) or (a[3] and b[3] and a[3] != b[3]):
            return False
        upper, lower = (a, b) if a[1] == "<" else (b, a)
        return upper[2] <= lower[2]


class ScaleClasses:
    """Classes of a scale ("III", "B", "2"; the numerals of ``numbers.jsonl``), listed or after the scale's name."""

    def __init__(self, grammars: Grammars, bounds: Bounds) -> None:
        self._bounds = bounds
        self._classes = {n.casefold() for rule in grammars.numbers for n in rule.numerals} | set("abcd")
        self._listing = compile_phrases(grammars.cue_phrases("listing"))
        self._range = compile_phrases(grammars.cue_phrases("range"))

    def is_class(self, text: str, part: tuple[int, int]) -> bool:
        """Whether a part is a bare class of a scale ("III", "B", "2"): one measure takes one class at a time, so
        classes listed together are alternatives ("NYHA class III and IV", "Child-Pugh B/C")."""
        words = text[part[0]:part[1]].strip().casefold()
        return words in self._classes or words.isdigit()

    def of_one_scale(self, text: str, first: tuple[int, int], second: tuple[int, int], start: int, end: int) -> bool:
        """Whether two parts are classes of one scale, which one measure takes one at a time: bare classes listed
        ("NYHA class III and IV", "Child-Pugh B/C") or a range of them ("ETDRS level 20 (microaneurysms only) to
        35": the words between, brackets aside, a ``listing`` or ``range`` cue), or classes after the same scale's
        name ("ASA 2 and stable ASA 3": the second names no word the first does not, then a listing cue opens the
        words between)."""
        between = _BRACKETED.sub("", text[start:end]).strip(" ,/").casefold()
        if self.is_class(text, first) and self.is_class(text, second):
            return between == "" or bool(self._listing.fullmatch(between) or self._range.fullmatch(between))
        named = [self._named(text, part) for part in (first, second)]
        if None in named or not set(named[1]) <= set(named[0]):
            return False
        opening = _WORDS.match(between)
        return between[:1] in (",", "/") or bool(opening and self._listing.fullmatch(opening.group()))

    def _named(self, text: str, part: tuple[int, int]) -> Optional[list[str]]:
        """The words before a part's last word when that is a class of a scale ("ASA 3": ``["asa"]``), else
        None."""
        words = _WORDS.findall(text[part[0]:part[1]].casefold())
        if len(words) < 2 or words[-1] not in self._classes and not words[-1].isdigit():
            return None
        name = text[part[0]:part[1]].casefold().rsplit(words[-1], 1)[0]
        if _LIMIT.search(name) or self._bounds._any.search(name):
            return None  # a limit ("creatinine ≤ 1.5", "less than 9"), not a class
        return words[:-1]


class Populations(Remembering):
    """Groups of people a limit is for (``population`` cues) and the ``respectively`` that pairs limits with them."""

    def __init__(self, grammars: Grammars) -> None:
        super().__init__()
        self.grammars = grammars
        self._rules = cue_rules(grammars)
        self._population = compile_phrases(grammars.cue_phrases("population"))
        self._respectively = compile_phrases(grammars.cue_phrases("respectively"))

    @per_text
    def of(self, text: str, part: tuple[int, int]) -> set[str]:
        """The groups of people (``population`` rules) named in a part or in the three words after it ("< 11.5
        g/dL for females")."""
        end = _TAIL.match(text, part[1]).end()  # matches at any position (zero words at least)
        return self.between(text, part[0], end)

    @per_text
    def paired(self, text: str, part: tuple[int, int]) -> Optional[str]:
        """The rule of a ``respectively`` after a part in its clause, when two groups of people or more stand
        between them: the limits listed up to the part are each for one group ("≥ 1.5 and ≥ 1.4 mg/dL in males
        and females respectively"), else None."""
        end = clause_around(self.grammars, text, part[1])[1]
        cue = self._respectively.search(text, part[1], end)
        if cue is None or len(self.between(text, part[1], cue.start())) < 2:
            return None
        return self._rules["respectively", normalize(cue.group())]

    def between(self, text: str, start: int, end: int) -> set[str]:
        """The ``population`` rules named between ``start`` and ``end``."""
        return {self._rules["population", normalize(m.group())] for m in self._population.finditer(text, start, end)}


class SubItems:
    """How a criterion's sub-items combine, from its own text: a ``count`` cue ("of the following") after a number
    with a ``count_least`` cue before it ("*at least* two") or a ``count_more`` cue after it ("two *or more*"), or an
    ``any_children`` cue ("any of the following")."""

    def __init__(self, grammars: Grammars) -> None:
        self._count = compile_phrases(grammars.cue_phrases("count"))
        self._any_children = compile_phrases(grammars.cue_phrases("any_children"))
        least = compile_source(grammars.cue_phrases("count_least"))
        more = compile_source(grammars.cue_phrases("count_more"))
        self._counted = re.compile(rf"(?P<least>(?:{least})\s+)?(?P<number>\w+)(?P<more>\s+(?:{more}))?\s*$",
                                   re.IGNORECASE)
        self._numbers = {normalize(w): rule.value for rule in grammars.numbers for w in rule.words}

    def logic(self, text: str) -> tuple[str, Optional[int], Optional[tuple[int, int]]]:
        """How the sub-items of a criterion whose own text is ``text`` combine: (``any``, None, span of "any of
        the following"), (``at_least``, n, span of "at least n of the following"), else (``all``, None, None)."""
        for match in self._count.finditer(text):
            counted = self._counted.search(text, 0, match.start())
            number = self._number(counted.group("number")) if counted else None
            if counted and number is not None and (counted.group("least") or counted.group("more")):
                return ("any", None, (counted.start(), match.end())) if number == 1 else \
                    ("at_least", number, (counted.start(), match.end()))
        found = self._any_children.search(text)
        if found:
            return "any", None, found.span()
        return "all", None, None

    def _number(self, word: str) -> Optional[int]:
        if word.isdigit():
            return int(word)
        value = self._numbers.get(normalize(word))
        return int(value) if value is not None and value == int(value) else None
