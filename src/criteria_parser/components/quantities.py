"""``criteria_quantities``: find numbers, ranges, units and relative references.

Reads ``text_of(doc)``; writes ``doc._.cp_quantities`` (:class:`Quantity` list).
Numbers are digits or number words (``grammars/numbers.jsonl``, flagged as
``number_word``); a number glued to letters ("CD5", "COVID-19", "2nd") is an
identifier, not a value. After a number come, in this order and each
optional: a range joiner and second number (``cues.jsonl`` range phrases), a
unit (``units.jsonl``, or a garbled form of ``unit_repairs.jsonl`` that keeps
its candidate units for the constraint step to choose by plausibility), and a
relative reference (``relative.jsonl``: "times the upper limit of normal").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from ..grammar import Grammars, load_grammars
from ..model import Flag, FlagKind
from .matches import Quantity, Reference, UnitMatch, register_extensions, text_of
from .phrases import compile_phrases, normalize, phrase_pattern

_DIGITS = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
#: A number not glued to a word before it ("CD5", "x10", "COVID-19") nor followed by an ordinal suffix or digit.
_NUMBER = re.compile(r"(?<![\w.,^*/])(?<![A-Za-z]-)(?<![A-Za-z]\.)" + _DIGITS + r"(?!\d|st\b|nd\b|rd\b|th\b|[.,]\d)")
_SPACE = re.compile(r"[ \t]*(?:\(\s*)?")
_RANGE_COMPARATOR = re.compile(r"\s*(?:[<>≤≥≦≧＜＞]=?|=<|=>)?\s*")


class QuantityFinder:
    """Finds quantities with the rules of one grammar set."""

    def __init__(self, grammars: Grammars) -> None:
        self.words = {normalize(w): (rule, rule.value) for rule in grammars.numbers for w in rule.words}
        word_re = compile_phrases(self.words)
        self._number = re.compile(f"(?P<digits>{_NUMBER.pattern})|(?P<word>{word_re.pattern})", re.IGNORECASE)
        self._units: dict[str, tuple[str, tuple[str, ...], str, bool]] = {}
        sensitive, insensitive = [], []
        for unit in grammars.units:
            for form in unit.forms:
                key = form if unit.case_sensitive else normalize(form)
                self._units[key] = (unit.id, (unit.ucum,), unit.dimension, False)
                (sensitive if unit.case_sensitive else insensitive).append(form)
        for repair in grammars.unit_repairs:
            dims = {u.dimension for c in repair.candidates if (u := grammars.unit_by_ucum(c))}
            for form in repair.read:
                self._units[normalize(form)] = (repair.id, tuple(repair.candidates), dims.pop() if len(dims) == 1 else "other", True)
                insensitive.append(form)
        self._unit_ci = compile_phrases(insensitive)
        self._unit_cs = compile_phrases(sensitive, case_sensitive=True)
        joiners = [p for cue in grammars.cues if cue.cue == "range" for p in cue.phrases]
        self._joiner = re.compile(r"\s*(?P<joiner>" + "|".join(phrase_pattern(j) for j in sorted(joiners, key=len, reverse=True)) + r")", re.IGNORECASE)
        self._references = {}
        multipliers, references = [], []
        for rule in grammars.relative:
            for phrase in rule.phrases:
                if rule.role == "multiplier":
                    multipliers.append(phrase)
                else:
                    self._references[normalize(phrase)] = rule
                    references.append(phrase)
        self._reference = re.compile(
            r"\s*(?:(?P<mult>" + compile_phrases(multipliers).pattern + r")\s*)?(?:(?:the|an?|institutional|of)\s+)*"
            r"(?P<ref>" + compile_phrases(references).pattern + r")",
            re.IGNORECASE,
        )

    def find(self, text: str) -> list[Quantity]:
        """Every quantity of ``text``, left to right."""
        found: list[Quantity] = []
        position = 0
        while True:
            match = self._number.search(text, position)
            if match is None:
                return found
            quantity = self._quantity(text, match)
            found.append(quantity)
            position = max(quantity.text_end, match.end())

    def _value(self, match: re.Match[str]) -> tuple[float, Optional[Flag]]:
        if match.group("digits"):
            return float(match.group("digits").replace(",", "")), None
        read = match.group("word")
        rule, value = self.words[normalize(read)]
        understood = f"{value:g}"
        return value, Flag(kind=FlagKind.NUMBER_WORD, read=read, understood=understood,
                           start=match.start(), end=match.end(), rule=rule.id)

    def _quantity(self, text: str, match: re.Match[str]) -> Quantity:
        value, flag = self._value(match)
        quantity = Quantity(match.start(), match.end(), value, flags=[flag] if flag else [],
                            rule="quantity.word" if flag else "quantity.number")
        unit = self._unit(text, match.end())
        joined = self._joiner.match(text, unit.end if unit else match.end())
        second = self._range_end(text, joined) if joined else None
        if second and second[1] >= value and _range_allowed(text, match.start(), joined.group("joiner")):
            high_match, quantity.value_high, high_flag = second
            quantity.end = high_match.end()
            quantity.joiner = joined.group("joiner")
            quantity.rule = "quantity.range"
            quantity.flags.extend([high_flag] if high_flag else [])
            unit = self._unit(text, high_match.end()) or unit
        quantity.unit = unit
        quantity.reference = self._relative(text, max(quantity.end, unit.end if unit else 0))
        return quantity

    def _range_end(self, text: str, joined: re.Match[str]) -> Optional[tuple[re.Match[str], float, Optional[Flag]]]:
        spaces = _RANGE_COMPARATOR.match(text, joined.end())
        high_match = self._number.match(text, spaces.end())
        if high_match is None:
            return None
        high, flag = self._value(high_match)
        return high_match, high, flag

    def _unit(self, text: str, position: int) -> Optional[UnitMatch]:
        lead = _SPACE.match(text, position)
        start = lead.end()
        if start - position > 3:
            return None
        best = None
        for pattern in (self._unit_ci, self._unit_cs):
            found = pattern.match(text, start)
            if found and (best is None or found.end() > best.end()):
                best = found
        if best is None:
            return None
        form = best.group()
        key = form if form in self._units else normalize(form)
        rule_id, candidates, dimension, repaired = self._units[key]
        end = best.end()
        opened = "(" in text[position:start]
        if opened:
            close = re.match(r"\s*\)", text[end:])
            if not close:
                return None  # "(mg" without ")": not a unit in parentheses
            end += close.end()
        return UnitMatch(start, end, form, candidates, dimension, rule_id, repaired)

    def _relative(self, text: str, position: int) -> Optional[Reference]:
        found = self._reference.match(text, position)
        if not found:
            return None
        rule = self._references[normalize(found.group("ref"))]
        if rule.relative_to != "fold" and not found.group("mult") and not found.group("ref").isupper():
            return None  # "3 upper limit" needs a multiplier; a bare "3 ULN" does not
        return Reference(found.start("mult") if found.group("mult") else found.start("ref"), found.end(),
                         rule.relative_to, rule.id)


def _range_allowed(text: str, start: int, joiner: str) -> bool:
    """'and' joins a range only after 'between' ("between 12 and 18")."""
    if joiner.lower() != "and":
        return True
    return bool(re.search(r"between\s*$", text[max(0, start - 12):start], re.IGNORECASE))


@Language.factory(
    "criteria_quantities",
    assigns=["doc._.cp_quantities"],
    default_config={"grammars_dir": None},
)
def make_quantities(nlp: Language, name: str, grammars_dir: Optional[str]) -> "QuantitiesComponent":
    """Factory: ``nlp.add_pipe("criteria_quantities")``."""
    return QuantitiesComponent(load_grammars(Path(grammars_dir) if grammars_dir else None))


class QuantitiesComponent:
    """Pipeline step that sets ``doc._.cp_quantities``."""

    def __init__(self, grammars: Grammars) -> None:
        register_extensions()
        self.finder = QuantityFinder(grammars)

    def __call__(self, doc: Doc) -> Doc:
        doc._.cp_quantities = self.finder.find(text_of(doc))
        return doc
