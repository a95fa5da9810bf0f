"""Score the parser against a brat corpus annotated in the Leaf Clinical Trials (LCT) scheme.

Every gold ``Eq-Comparison`` with a value becomes a tuple (comparator,
value(s), unit); so does every comparison the parser finds in the ``.txt``
(constraints sharing one value span, "ALT and AST <= 3 x ULN", are one).
Scoring is at line level: a prediction counts where it sits on the line of
the gold value. *Detection* needs the same value(s); the *full tuple* also
needs the comparator, the second value, the unit and the time unit. Units of
both sides are reduced to UCUM codes through ``grammars/units.jsonl`` (and the
references of ``relative.jsonl``: "upper limit of normal" is ``ULN``), so
"years" and "a" agree; a frequency counts by its time unit ("/wk" is "wk"), as
LCT marks it. A gold comparison without an operator is ``=``; an ``=`` with
several values ("ECOG 0 or 1") is one comparison per value. An amount LCT
marks as two values, the second in the first's smaller unit ("13 weeks 6
days", "36 + 6 weeks"), is one amount (13 6/7 weeks), and a range it marks as
a BETWEEN of one value and the comparison after it is one range.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from .brat import Annotation, Comparison, comparisons, comparisons_of, decode_brat, read_ann, stated_comparator
from .chia import SpanComparison, SpanReader, restated, unmodeled, value_spans
from .split import Part, in_part
from ..errors import InputError
from ..grammar.loader import Grammars
from ..model import Constraint, Listing
from ..parser import Parser
from ..grammar.phrases import compile_phrases, normalize
from ..document.source import read_source
from ..pipeline.numbers import roman_letters
from ..pipeline.units import joiner_pattern

_DIGITS = re.compile(r"^[-−]?\d[\d,]*(?:\.\d+)?$|^[-−]?\.\d+$")
_POWER_OF_TEN = re.compile(r"^10(?:\^?\d{1,2})?$")
_BARE_DENOMINATOR = re.compile(r"(?:/|\bper)\s*$", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MULTIPLIER = re.compile(r"^(?:(?:x|×|\*|times)\s*)?(?:the\s+)?", re.IGNORECASE)


@dataclass(frozen=True)
class Tuple:
    """One comparison reduced to what is scored."""

    line: int
    values: tuple[str, ...]
    comparator: str
    unit: Optional[str]
    temporal: bool
    text: str  # the words, for error listings


@dataclass
class LeafScore:
    """Counts and precision/recall/F1 of one slice."""

    gold: int = 0
    predicted: int = 0
    detected: int = 0
    detected_predictions: int = 0
    full: int = 0  # gold comparisons fully matched (recall)
    full_predictions: int = 0  # predictions fully matching one (precision; the slice may differ from gold's)

    def add(self, other: "LeafScore") -> None:
        for name in ("gold", "predicted", "detected", "detected_predictions", "full", "full_predictions"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @staticmethod
    def _f(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    def detection(self) -> tuple[float, float, float]:
        p = self.detected_predictions / self.predicted if self.predicted else 0.0
        r = self.detected / self.gold if self.gold else 0.0
        return p, r, self._f(p, r)

    def full_tuple(self) -> tuple[float, float, float]:
        p = self.full_predictions / self.predicted if self.predicted else 0.0
        r = self.full / self.gold if self.gold else 0.0
        return p, r, self._f(p, r)


@dataclass
class LeafDisagreement:
    """A gold comparison not fully matched, or a prediction matching no gold comparison."""

    document: str
    line: int
    kind: str  # miss | wrong | false_positive
    gold: Optional[Tuple]
    predicted: Optional[Tuple]
    line_text: str


@dataclass
class Report:
    """Scores overall, per operator and temporal vs not, with the disagreements."""

    documents: int = 0
    blank: int = 0  # documents with no text (not parsed, not counted in ``documents``)
    overall: LeafScore = field(default_factory=LeafScore)
    by_operator: dict[str, LeafScore] = field(default_factory=lambda: defaultdict(LeafScore))
    by_time: dict[str, LeafScore] = field(default_factory=lambda: defaultdict(LeafScore))
    disagreements: list[LeafDisagreement] = field(default_factory=list)


class UnitNormalizer:
    """Reduces a unit as written to a UCUM code with the grammars' unit forms and references."""

    def __init__(self, grammars: Grammars) -> None:
        self.exact: dict[str, str] = {}
        self.folded: dict[str, str] = {}
        for unit in grammars.units:
            for form in unit.forms:
                (self.exact if unit.case_sensitive else self.folded)[form if unit.case_sensitive else normalize(form)] = unit.ucum
        for repair in grammars.unit_repairs:
            for form in repair.read:
                self.folded.setdefault(normalize(form), repair.candidates[0])
        for rule in grammars.relative:
            if rule.role == "reference":
                for phrase in rule.phrases:
                    self.folded.setdefault(normalize(phrase), rule.relative_to)
        self.time_codes = {u.ucum for u in grammars.units if u.dimension == "time"}
        self.scales = {normalize(form): u.ucum for u in grammars.units if u.dimension == "score" for form in u.forms}
        per = grammars.cue_phrases("per")  # "mg per day", "drinks a week": the cues.jsonl words
        #: between a number and what it is per, in words: read as a slash
        self.per_word = re.compile(r"\s+(?:" + compile_phrases([p for p in per if p.isalpha()]).pattern + r")\s+",
                                   re.IGNORECASE)
        #: what may join the unit entities of one gold unit: a per word or a slash, a product sign, a power of ten
        self.join = re.compile(r"\s*(?:" + compile_phrases(per).pattern + r"|[.∙·*x×])?\s*(?:10\^?\d*\s*)?/?\s*",
                               re.IGNORECASE)

    def frequency(self, code: Optional[str]) -> Optional[str]:
        """LCT gives a frequency ("3 times per week") its time unit only: "/wk" is scored as "wk"."""
        if code and code.startswith("/") and code[1:] in self.time_codes:
            return code[1:]
        return code

    def code(self, text: str) -> str:
        """The UCUM code of ``text``; unknown units come back lower-cased without spaces."""
        return self._code(text, known_only=False) or ""

    def scale(self, word: str) -> Optional[str]:
        """The UCUM code of a scale word written before its value ("grade", "class"), else None."""
        return self.scales.get(normalize(word))

    def known(self, text: str) -> Optional[str]:
        """The UCUM code of ``text`` when the unit tables know it (a compound when each part is known), else None."""
        return self._code(text, known_only=True)

    def _code(self, text: str, known_only: bool) -> Optional[str]:
        written = text.strip(" .,;:()")  # a form spelled with "per" ("international units per liter")
        text = self.per_word.sub("/", written)  # "cigarettes per day", "drinks a week"
        stripped = _MULTIPLIER.sub("", text) or text
        candidates = [written, text, re.sub(r"\s+", "", text), stripped, re.sub(r"\s+", "", stripped)]
        for table, key in ((self.exact, str), (self.folded, normalize)):
            for candidate in candidates:
                if key(candidate) in table:
                    return table[key(candidate)]
        compact = re.sub(r"\s+", "", stripped)
        if "/" in compact.strip("/"):
            parts = [self._code(part, known_only) if part else "" for part in compact.split("/")]
            return None if any(p is None for p in parts) else "/".join(p or "" for p in parts)
        return None if known_only else compact.lower()


def line_number(text: str, offset: int) -> int:
    """The 0-based line of ``offset``; CRLF, LF and a lone CR each end a line (Chia mixes all three)."""
    return text.count("\n", 0, offset) + text.count("\r", 0, offset) - text.count("\r\n", 0, offset)


class ValueKeys:
    """Values as scored, with the number words and roman numerals of ``numbers.jsonl``."""

    def __init__(self, grammars: Grammars) -> None:
        self.number_words = {normalize(w): rule.value for rule in grammars.numbers for w in rule.words}
        self.numerals = grammars.numerals()

    def letters(self, text: str) -> str:
        """Roman numeral signs written as letters: 'Ⅲ-Ⅳ' is 'III-IV'."""
        return "".join(self.numerals.get(c, c) for c in text)

    def key(self, text: str) -> Optional[str]:
        """A value as scored: a number printed with ``:g``, a category in upper case (roman numeral signs as
        letters: 'Ⅲ' is 'III'), or None."""
        text = self.letters(text.strip(" .,;:()"))
        if _DIGITS.match(text):
            text = text.replace("−", "-")
            decimal_comma = re.fullmatch(r"-?\d+,\d{1,2}", text)  # "7,0 mmol/l"
            return f"{float(text.replace(',', '.') if decimal_comma else text.replace(',', '')):g}"
        if normalize(text) in self.number_words:
            return f"{self.number_words[normalize(text)]:g}"
        if text.upper() in self.numerals or re.fullmatch(r"[A-Da-d]", text):
            return text.upper()
        return None


class LeafEvaluator:
    """Runs the parser over a brat corpus and scores it."""

    def __init__(self, parser: Optional[Parser] = None) -> None:
        self.parser = parser or Parser()
        grammars = self.parser.grammars
        self.units = UnitNormalizer(grammars)
        self.values = ValueKeys(grammars)
        # the grammar's comparator phrases of two words or more ("below or equal to"), not abbreviations ("min")
        words = tuple((p, c.comparator) for c in grammars.comparators if c.position != "postfix"
                      and c.comparator != "+-" for p in c.phrases if " " in p.strip() and p[0].isalpha())
        self.chia = SpanReader(self.values.number_words, self.units.known, self.units.scale, words,
                               joiner_pattern(grammars, "range"),
                               tuple(roman_letters(grammars)))
        self._listed = joiner_pattern(grammars, "listing")
        self._subunits = {u.ucum: u.subunit for u in grammars.units if u.subunit}
        #: between a range's low end, annotated as a BETWEEN of its own, and the comparison of its high end: a
        #: bound note of cues.jsonl ("of amenorrhea") and a range joiner (cues.jsonl ``range``)
        self._range_high = re.compile(r"(?:" + joiner_pattern(grammars, "bound_note").pattern + r")?"
                                      + joiner_pattern(grammars, "range").pattern, re.IGNORECASE)

    def gold_tuples(self, comparison: Comparison, text: str) -> list[Tuple]:
        """The scored forms of a gold comparison: one per value, except for a range or a plus-minus.

        A value written as the power of ten of a count unit ("<100x109/L", where 109 lost its
        superscript) is read as part of the unit, as LCT's guidelines ask. Comparisons whose values are
        not numbers or categories are not scored.
        """
        entities = list(comparison.values)
        pieces = list(comparison.units)
        for entity in entities[1:]:
            if _POWER_OF_TEN.match(entity.text) and re.fullmatch(r"\s*[x×*]\s*", text[entities[0].end:entity.start]):
                entities.remove(entity)
                pieces.append(replace(entity, start=entities[0].end))
        entities, values = self._amounts(comparison, entities, text)
        if any(v is None for v in values):
            return []
        comparator = stated_comparator(comparison)
        if pieces or len(comparison.temporal_entities) > 1:
            pieces.extend(comparison.temporal_entities)
        unit = self._gold_unit(pieces, text) if pieces else comparison.temporal_unit
        words = text[comparison.start:comparison.end]
        temporal = comparison.temporal_unit is not None
        if comparator == "between" and len(values) >= 2:
            groups = [tuple(sorted(values, key=_order)[:: len(values) - 1])]
        elif comparator == "+-" and len(values) == 2:
            groups = [tuple(values)]
        else:
            groups = [(v,) for v in values]
        unit = self.units.frequency(unit)
        return [Tuple(line_number(text, e.start), g, comparator, unit, temporal, words)
                for e, g in zip(entities if len(groups) > 1 else entities[:1], groups)]

    def _amounts(self, comparison: Comparison, entities: list, text: str) -> tuple[list, list[Optional[str]]]:
        """The value entities and scored values of a comparison, a value that counts the smaller unit of the value
        before it (``subunit`` of ``units.jsonl``) added to it: "13 weeks 6 days", whose days LCT marks with a time
        unit of their own, and "36 + 6 weeks", one unit after both, are 13 6/7 and 36 6/7 weeks, as the parser
        reads them."""
        written = [self.values.key(e.text) for e in entities]
        if len(entities) < 2 or any(v is None for v in written) or not comparison.temporal_entities:
            return entities, written
        order = sorted(range(len(entities)), key=lambda i: entities[i].start)
        entities, values = [entities[i] for i in order], [written[i] for i in order]
        # each time unit with its code, from its attribute (a typo in its words, "dasy", changes nothing)
        units = sorted(zip(comparison.temporal_entities, comparison.temporal_codes), key=lambda u: u[0].start)

        def unit_after(index: int) -> Optional[str]:
            end = entities[index + 1].start if index + 1 < len(entities) else len(text)
            return next((code for u, code in units if entities[index].end <= u.start < end), None)

        kept, out = [entities[0]], [values[0]]
        for index in range(1, len(entities)):
            unit = unit_after(index - 1)
            plus = unit is None and re.fullmatch(r"\s*\+\s*", text[entities[index - 1].end:entities[index].start])
            if plus:
                unit = unit_after(index)
            smaller = unit_after(index) if not plus else self._subunits.get(unit or "", ("", 0))[0]
            subunit, count = self._subunits.get(unit or "", ("", 0))
            part = float(values[index] or "nan")
            if subunit and smaller == subunit and 0 <= part < count:
                out[-1] = f"{float(out[-1] or 'nan') + part / count:g}"
                continue
            kept.append(entities[index])
            out.append(values[index])
        return (kept, out) if len(kept) < len(entities) else ([entities[order.index(i)] for i in range(len(order))],
                                                              written)

    def chia_tuples(self, annotation: Annotation, text: str) -> list[Tuple]:
        """The scored forms of Chia's value spans (:mod:`.chia`): one per number, a range as ``between``."""
        found: dict[tuple, Tuple] = {}
        for _, items in self.chia_gold(annotation, text):
            for item in items:
                found.setdefault((item.line, item.values, item.comparator), item)
        return list(found.values())

    def lct_gold(self, annotation: Annotation, text: str) -> list[tuple[Comparison, list[Tuple]]]:
        """Every LCT comparison of ``annotation``, in text order, with its scored tuples (units shared: see
        :meth:`_shared_units`)."""
        found = sorted(((c, self.gold_tuples(c, text)) for c in comparisons(annotation)), key=lambda p: p[0].start)
        found = _split_ranges(found, text, self._range_high)
        return self._shared_units(found, [(c.start, c.end) for c, _ in found], text)

    def chia_gold(self, annotation: Annotation, text: str) -> list[tuple[tuple[tuple[int, int], ...], list[Tuple]]]:
        """Every Chia value span of ``annotation`` (its pieces), in text order, with its scored tuples (units
        shared: see :meth:`_shared_units`)."""
        read = restated(text, [(pieces, self.chia.read(text, pieces)) for pieces in value_spans(annotation)])
        found = [(pieces, self.chia_items(text, pieces, items)) for pieces, items in read]
        return self._shared_units(found, [(pieces[0][0], pieces[-1][1]) for pieces, _ in found], text)

    def chia_items(self, text: str, pieces: tuple[tuple[int, int], ...],
                   items: Optional[list[SpanComparison]] = None) -> list[Tuple]:
        """The scored forms of one Chia value span (its pieces, in text order), or of the ``items`` read from it."""
        found = []
        for item in self.chia.read(text, pieces) if items is None else items:
            values = tuple(self.values.key(v) for v in item.values)
            if any(v is None for v in values):
                continue
            if item.comparator == "between" and all(_order(v)[0] == 0 for v in values):  # type: ignore[arg-type]
                values = tuple(sorted(values, key=_order))  # type: ignore[arg-type]  # "between 0 and -4": low end first
            unit = self.units.frequency(self.units.known(item.unit) if item.unit else None)
            found.append(Tuple(line_number(text, item.start), values, item.comparator, unit,  # type: ignore[arg-type]
                               unit in self.units.time_codes, " ".join(text[s:e] for s, e in pieces)))
        return found

    def _gold_unit(self, pieces: list, text: str) -> Optional[str]:
        """The unit of a gold comparison from its unit entities.

        Entities joined only by a slash, "per" or spaces are one unit ("mg" + "dL", "cigarettes per day"); of
        several units the first counts ("40 years to 85 years", "13 weeks 6 days"). A bare denominator
        ("/mm3", "per ul": LCT marks only "mm3") gets its slash back.
        """
        pieces = sorted(pieces, key=lambda e: e.start)
        units = [[pieces[0].start, pieces[0].end]]
        for entity in pieces[1:]:
            if self.units.join.fullmatch(text[units[-1][1]:entity.start]):
                units[-1][1] = max(units[-1][1], entity.end)
            else:
                units.append([entity.start, entity.end])
        start, end = units[0]
        slash = _BARE_DENOMINATOR.search(text, max(0, start - 6), start)
        return self.units.code(("/" if slash else "") + text[start:end])

    def predicted_tuple(self, constraint: Constraint, text: str) -> Tuple:
        """The scored form of one of our constraints."""
        if constraint.category is not None:
            values: tuple[str, ...] = tuple(self.values.letters(constraint.category).upper().split("-", 1))
        else:
            values = tuple(f"{v:g}" for v in (constraint.value, constraint.value_high) if v is not None)
        if constraint.relative_to:
            unit: Optional[str] = constraint.relative_to
        elif constraint.unit:
            unit = constraint.unit
        else:
            unit = self.units.code(constraint.unit_text) if constraint.unit_text else None
        line = line_number(text, constraint.start)
        unit = self.units.frequency(unit)
        return Tuple(line, values, constraint.comparator, unit, unit in self.units.time_codes, constraint.text)

    def _shared_units(self, found: list, spans: list[tuple[int, int]], text: str) -> list:
        """``found`` (annotation, its tuples), at ``spans``, in text order; a bound without a unit right before
        another bound that has one, only a listing word between them, has that unit too: an annotator marks the
        unit of "Age ≥20 and ≤40 years" once, for both bounds (as the parser reads them). The first must end with
        its number ("between 0.5 and 5 sqcm, and more than 4 weeks" has a unit, if not one we know)."""
        found = list(found)
        for index in range(len(found) - 2, -1, -1):
            (key, tuples), (_, after) = found[index], found[index + 1]
            (start, end), (following, _) = spans[index], spans[index + 1]
            if (tuples and after and after[0].unit is not None and all(t.unit is None for t in tuples)
                    and tuples[0].line == after[0].line and text[start:end].rstrip()[-1:].isdigit()
                    and self._listed.fullmatch(text, end, following)):
                found[index] = (key, [replace(t, unit=after[0].unit, temporal=after[0].temporal) for t in tuples])
        return found

    def score_document(self, name: str, text: str, annotation_text: str, listing: Listing, report: Report) -> None:
        """Score one document into ``report``."""
        annotation = read_ann(str(Path(name).with_suffix(".ann")), annotation_text, text)
        gold = [t for _, tuples in self.lct_gold(annotation, text) for t in tuples]
        gold += self.chia_tuples(annotation, text)
        skip = unmodeled(annotation)
        predicted = [self.predicted_tuple(c, text) for c in comparisons_of(listing)
                     if not any(start <= c.start < end for start, end in skip)]
        lines = _LINE_BREAK.split(text)
        matches = match_tuples(gold, predicted)
        matched_predictions = {p for _, p, _ in matches}
        for g_index, gold_tuple in enumerate(gold):
            found = next(((p, full) for gi, p, full in matches if gi == g_index), None)
            score = LeafScore(gold=1, detected=found is not None, full=bool(found and found[1]))
            self._count(report, gold_tuple, score, gold=True)
            if found is None or not found[1]:
                report.disagreements.append(LeafDisagreement(name, gold_tuple.line + 1, "wrong" if found else "miss",
                                                         gold_tuple, predicted[found[0]] if found else None,
                                                         lines[gold_tuple.line].strip()))
        for p_index, predicted_tuple in enumerate(predicted):
            full = any(p == p_index and f for _, p, f in matches)
            score = LeafScore(predicted=1, detected_predictions=p_index in matched_predictions, full_predictions=full)
            self._count(report, predicted_tuple, score, gold=False)
            if p_index not in matched_predictions:
                report.disagreements.append(LeafDisagreement(name, predicted_tuple.line + 1, "false_positive", None,
                                                         predicted_tuple, lines[predicted_tuple.line].strip()))

    @staticmethod
    def _count(report: Report, item: Tuple, score: LeafScore, gold: bool) -> None:
        report.overall.add(score)
        report.by_operator[item.comparator].add(score)
        report.by_time["temporal" if item.temporal else "not temporal"].add(score)

    def score_corpus(self, corpus: Path, part: Part = "all") -> Report:
        """Parse and score every ``.txt`` with a ``.ann`` beside it under ``corpus``, in ``part`` of the split.

        Raises:
            InputError: the corpus holds no annotated documents, or a file is unreadable.
        """
        pairs = [(t, t.with_suffix(".ann")) for t in sorted(Path(corpus).rglob("*.txt"))
                 if t.with_suffix(".ann").is_file()]
        if not pairs:
            raise InputError(str(corpus), "no .txt files with .ann annotations beside them")
        pairs = [(t, a) for t, a in pairs if in_part(str(t), part)]
        report = Report()
        blank = [t for t, _ in pairs if not t.read_bytes().strip()]  # Chia's sections without criteria
        report.blank = len(blank)
        pairs = [(t, a) for t, a in pairs if t not in blank]
        sources = [read_source(t) for t, _ in pairs]
        listings = self.parser.parse_many(sources, assume_inclusion=True)
        for (txt, ann), source, listing in zip(pairs, sources, listings):
            self.score_document(str(txt), source.text, decode_brat(ann), listing, report)
            report.documents += 1
        return report


def _split_ranges(found: list[tuple[Comparison, list[Tuple]]], text: str, between: re.Pattern[str]
                  ) -> list[tuple[Comparison, list[Tuple]]]:
    """``found`` with a range annotated in two comparisons made one: a BETWEEN holding one value and the plain
    comparison after it ("[between 16 weeks 0 days] and [23 weeks 6 days]") are ``between`` 16 and 23 6/7 wk."""
    out: list[tuple[Comparison, list[Tuple]]] = []
    for comparison, tuples in found:
        if out:
            before, low = out[-1]
            if (len(low) == 1 and low[0].comparator == "between" and len(low[0].values) == 1 and len(tuples) == 1
                    and tuples[0].comparator == "=" and len(tuples[0].values) == 1 and tuples[0].line == low[0].line
                    and between.fullmatch(text, before.end, comparison.start)):
                ends = tuple(sorted(low[0].values + tuples[0].values, key=_order))
                out[-1] = (before, [replace(low[0], values=ends, unit=low[0].unit or tuples[0].unit)])
                continue
        out.append((comparison, tuples))
    return out


def _order(value: str) -> tuple[int, float, str]:
    try:
        return 0, float(value), ""
    except ValueError:
        return 1, 0.0, value


def match_tuples(gold: list[Tuple], predicted: list[Tuple]) -> list[tuple[int, int, bool]]:
    """(gold index, prediction index, full) pairs: full-tuple agreements first, then same values on a line."""
    pairs: list[tuple[int, int, bool]] = []
    used_gold: set[int] = set()
    used_predicted: set[int] = set()
    for full in (True, False):
        for gi, g in enumerate(gold):
            if gi in used_gold:
                continue
            for pi, p in enumerate(predicted):
                if pi in used_predicted or p.line != g.line or p.values != g.values:
                    continue
                if full and (p.comparator != g.comparator or p.unit != g.unit):
                    continue
                pairs.append((gi, pi, full))
                used_gold.add(gi)
                used_predicted.add(pi)
                break
    return pairs


def render(report: Report, errors: int) -> str:
    """The report as text: overall scores, tables by operator and by time, and up to ``errors`` disagreements."""
    out = [f"documents: {report.documents}   gold comparisons: {report.overall.gold}   "
           f"predicted: {report.overall.predicted}"]
    p, r, f = report.overall.detection()
    out.append(f"detection   P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
    p, r, f = report.overall.full_tuple()
    out.append(f"full tuple  P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
    for title, table in (("operator", report.by_operator), ("time", report.by_time)):
        out.append("")
        out.append(f"{title:<14}{'gold':>6}{'pred':>6}{'det F1':>8}{'full P':>8}{'full R':>8}{'full F1':>8}")
        for key in sorted(table):
            s = table[key]
            fp, fr, ff = s.full_tuple()
            out.append(f"{key:<14}{s.gold:>6}{s.predicted:>6}{s.detection()[2]:>8.3f}{fp:>8.3f}{fr:>8.3f}{ff:>8.3f}")
    if errors:
        out.append("")
        kinds = Counter(d.kind for d in report.disagreements)
        out.append("disagreements: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        for d in report.disagreements[:errors]:
            out.append(f"{d.document}:{d.line}: {d.kind}: gold {_show(d.gold)}  ours {_show(d.predicted)}")
            out.append(f"    | {d.line_text[:200]}")
    return "\n".join(out)


def _show(item: Optional[Tuple]) -> str:
    if item is None:
        return "-"
    return f"[{item.comparator} {' '.join(item.values)} {item.unit or ''}]".replace(" ]", "]")


def summary(report: Report) -> dict:
    """Scores as plain data: overall, by operator and by time, detection and full tuple."""
    def scores(score: LeafScore) -> dict:
        return {"gold": score.gold, "predicted": score.predicted,
                "detection": dict(zip(("precision", "recall", "f1"), score.detection())),
                "full_tuple": dict(zip(("precision", "recall", "f1"), score.full_tuple()))}
    return {"documents": report.documents, "overall": scores(report.overall),
            "by_operator": {k: scores(v) for k, v in sorted(report.by_operator.items())},
            "by_time": {k: scores(v) for k, v in sorted(report.by_time.items())}}


def score_brat_corpus(corpus: Path, parser: Optional[Parser] = None, part: Part = "all") -> Report:
    """Score the parser on ``part`` of the brat corpus under ``corpus``."""
    return LeafEvaluator(parser).score_corpus(corpus, part)


__all__ = ["LeafEvaluator", "Report", "LeafScore", "Tuple", "UnitNormalizer", "ValueKeys", "score_brat_corpus",
           "match_tuples", "render"]
