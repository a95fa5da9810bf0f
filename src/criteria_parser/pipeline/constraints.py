"""``criteria_constraints``: assemble quantities, cues and mentions into constraints.

Reads ``doc._.cp_quantities``, ``doc._.cp_cues``, ``doc._.cp_mentions`` and
``doc._.cp_context``; writes ``doc._.cp_constraints`` (``model.Constraint``
list, offsets relative to the doc), ``doc._.cp_exceptions`` and
``doc._.cp_any_children``.

For each quantity, in order: what it states (:mod:`.readings`: comparator,
direction, anchor; a quantity that states nothing is not a constraint), its
subjects (:mod:`.subject_choice`: the nearest lexicon mention before the
comparator since the last constraint, all of them when they are coordinated,
"ALT/AST"; else the first after the quantity; else the previous constraint's
subject when an "or" joins them), then one constraint per subject
(:mod:`.building`). Constraints joined by "or"/"and/or" share a group, and so
do "=" values listed together ("ASA I and II"); those inside an "except ..."
clause have the role ``exception``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from ..grammar.clauses import clause_around
from ..grammar.loader import Grammars, load_grammars
from ..model import Constraint
from .building import ConstraintBuilder
from .readings import ComparisonReader, Reading
from .subject_choice import NOT_A_PERSONS_AGE, SubjectPicker
from .entity_list import as_entity, entities_of, lexicon_entities, number
from .types import Cue, Found, Mention, Quantity, register_extensions, text_of
from .units import joiner_pattern


class ConstraintAssembler:
    """Turns the matches of one doc into constraints, with the rules of one grammar set."""

    def __init__(self, grammars: Grammars) -> None:
        self.grammars = grammars
        self.reader = ComparisonReader(grammars)
        self.subjects = SubjectPicker(grammars)
        self.builder = ConstraintBuilder(grammars)
        #: between two listed values or subjects: "0 or 1", "140 mmHg systolic and/or 90 mmHg diastolic"
        self.listed = joiner_pattern(grammars, "listing")

    def assemble(self, doc: Doc) -> list[Constraint]:
        """Constraints of ``doc``; also sets ``cp_exceptions`` and ``cp_any_children``."""
        text = text_of(doc)
        cues: list[Cue] = doc._.cp_cues or []
        mentions: list[Mention] = doc._.cp_mentions or []
        doc._.cp_exceptions = _exception_spans(self.grammars, text, cues)
        doc._.cp_any_children = any(c.kind == "any_children" for c in cues)
        found = entities_of(doc)
        quantities: list[Quantity] = doc._.cp_quantities or []
        if not quantities:  # most criteria: only their entities (the words and subjects below are for values)
            doc._.cp_found = number(found, [], [])
            return []
        # subjects come from the lexicon and the words around each value (measured better than the entity model's
        # mentions: see the README); a person attribute other than age ("women", "male") is no number's subject
        candidates = [f for f in lexicon_entities(doc)
                      if f.type != "person" or (f.entry is not None and f.entry.category == "demographic")]
        words = self.subjects.words(text)
        anchors = [c for c in cues if c.kind == "anchor"]
        measures = [c for c in cues if c.kind == "comparator" and c.position == "measure"]
        constraints: list[Constraint] = []
        limited: list[Optional[Found]] = []  # the entity each constraint limits
        previous: Optional[tuple[list[Found], int, int]] = None  # subjects, group, end
        group = -1
        listed: list[tuple[Constraint, list[Constraint], bool]] = []  # value, values listed after it, joined by "or"
        after_end = -1  # where the previous value's subject ends, when written after it ("140 mmHg systolic")
        low_end: Optional[Quantity] = None  # the low end of a range read apart, whose subject its high end shares
        for quantity in quantities:
            reading = self.reader.read(doc, quantity, cues, mentions, constraints[-1] if constraints else None)
            if reading is None:
                continue
            subject_end = reading.cue_start if reading.cue_start is not None else quantity.start
            if quantity.unit is not None and quantity.unit.end <= subject_end:
                subject_end = min(subject_end, quantity.unit.start)  # "grade ≥ 2", "ECOG 0-2": the scale first
            window_start = previous[2] if previous else 0
            subjects, right = self._subjects(text, words, candidates, anchors, measures, quantity, reading,
                                             window_start, subject_end, previous, low_end, after_end)
            joined_by_or = previous is not None and self._alternative(cues, previous[2], subject_end)
            if not (joined_by_or and previous is not None and subjects == previous[0]):
                group += 1
            after_end = max(m.end for m in subjects) if right else -1
            subjects = [as_entity(found, subject) for subject in subjects]
            pairs = self.builder.build(text, quantity, reading, subjects, right, group, mentions, doc._.cp_exceptions)
            built = [constraint for constraint, _ in pairs]
            group += len(built) - 1  # coordinated subjects ("ALT/AST <= 3 x ULN") must each hold
            if reading.listed_after is not None:
                listed.append((reading.listed_after, built, joined_by_or))
            constraints.extend(built)
            limited.extend(entity if entity is None or entity.start >= 0 else None for _, entity in pairs)
            previous = (subjects, group, max(quantity.text_end, reading.end))
            low_end = quantity if quantity.upper is not None else None
        _share_alternative_groups(listed)
        doc._.cp_found = number(found, constraints, limited)
        return constraints

    def _subjects(self, text: str, words: list, candidates: list[Found], anchors: list[Cue], measures: list[Cue],
                  quantity: Quantity, reading: Reading, window_start: int, subject_end: int,
                  previous: Optional[tuple[list[Found], int, int]], low_end: Optional[Quantity],
                  after_end: int) -> tuple[list[Found], bool]:
        """The subjects of one quantity (:mod:`.subject_choice`) and whether they are written after it."""
        if reading.listed_after is not None and previous is not None:
            return [s for s in previous[0] if self.subjects.fits(s, quantity)], False  # "ASA I and II", "III or IV"
        measure = self.subjects.measure_in_unit(text, candidates, quantity)
        if measure is not None:
            return [measure], measure.start > quantity.start
        age = self.subjects.age(text, words, candidates, quantity, reading, window_start, subject_end)
        if age is NOT_A_PERSONS_AGE:
            return [age], False  # no subject, but an amount like an age, not a window
        if age is not None:
            return [age], False
        listed = self.subjects.sub_list(text, words, quantity)
        if listed is not None:  # "four of the following criteria:": the list is what the count counts
            return [listed], True
        scale = self.subjects.scale_after(text, words, candidates, quantity, reading)
        if scale is not None:  # "a score of greater than 5 on the Roland-Morris Disability Questionnaire"
            return [scale], True
        subjects = self.subjects.before(text, words, candidates, quantity, window_start, subject_end,
                                        relation=reading.rule.startswith("time."))
        measure = next((c for c in measures if c.start == reading.cue_start), None) \
            if not subjects else None
        if measure is not None:  # "a minimum life expectancy of 12 weeks": the measure between its cue and value
            subjects = self.subjects.before(text, words, candidates, quantity, measure.end, quantity.start)
        if subjects and reading.anchor is not None and any(
                a.start < s.end and s.start < a.end for s in subjects for a in anchors if a.start >= quantity.text_end):
            subjects = []  # the anchor (named after the amount) is never the subject
        if self.subjects.bracketed(text, subjects, subject_end) or self.subjects.counts_after(text, words, subjects, quantity):
            after = self.subjects.after(text, words, candidates, quantity, reading, anchors)
            if after:  # "Hypertension (≥140 mmHg systolic", "lymphadenopathy (>1.5cm diameter)"
                return after, True
        if after_end >= 0 and self.listed.fullmatch(text[after_end:subject_end]):
            after = self.subjects.after(text, words, candidates, quantity, reading, anchors)
            if after:  # "140 mmHg systolic and/or 90 mmHg diastolic": written after, like the one before
                return after, True
        if not subjects and previous is not None and (reading.listed_after is not None or (
                low_end is not None and low_end.upper is quantity)
                or not self.subjects.own_words(text, words, previous[2], subject_end)):
            # "ECOG 0 or 1", ">5% (morphology) and/or >1%": the same measure
            subjects = [s for s in previous[0] if self.subjects.fits(s, quantity)]
        elif not subjects:
            after = self.subjects.after(text, words, candidates, quantity, reading, anchors)
            if after:
                return after, True
        if reading.rule.startswith("time."):  # "within 7 days" bounds an event, never an age
            subjects = [s for s in subjects if not self.subjects.measured_in_time(s)]
        return subjects, False

    @staticmethod
    def _alternative(cues: list[Cue], start: int, end: int) -> bool:
        return any(c.kind == "alternative" and c.start >= start and c.end <= end for c in cues)


def _share_alternative_groups(listed: list[tuple[Constraint, list[Constraint], bool]]) -> None:
    """Values listed one after another are alternatives together when an "or" joins any two of them ("ASA I, II
    or III"), or when they are "=" values, which one measure cannot all take at once ("ASA I and II"): all take
    the first one's group. Other lists stay as they are ("above 20 g and 30 g")."""
    first: dict[int, Constraint] = {}  # id of a listed value -> the first value of its list
    lists: dict[int, tuple[list[Constraint], list[bool]]] = {}
    for earlier, later, by_or in listed:
        head = first.setdefault(id(earlier), earlier)
        members, joins = lists.setdefault(id(head), ([head], []))
        for constraint in later:
            first[id(constraint)] = head
            members.append(constraint)
        joins.append(by_or)
    for members, joins in lists.values():
        if any(joins) or all(c.comparator == "=" for c in members):
            for constraint in members:
                constraint.group = members[0].group


def _exception_spans(grammars: Grammars, text: str, cues: list[Cue]) -> list[tuple[int, int]]:
    """Each "except ..." clause: to the ')' that closes an open parenthesis, else to the clause end (a full stop
    that ends the text stays out of it)."""
    exceptions = [cue for cue in cues if cue.kind == "exception"]
    if not exceptions:
        return []
    balance, closes = _parentheses(text, {cue.end for cue in exceptions})
    spans = []
    for cue in exceptions:
        if balance[cue.start] > 0:
            end = closes.get(cue.end, len(text))
        else:
            end = clause_around(grammars, text, cue.end)[1]
            if end == len(text) and text.endswith("."):
                end -= 1
        spans.append((cue.start, end))
    return spans


def _parentheses(text: str, positions: set[int]) -> tuple[list[int], dict[int, int]]:
    """In two passes over ``text``: the balance of "(" over ")" before each position, and for each of
    ``positions`` the first ")" at or after it that closes a parenthesis open there (the nearest ")" with the
    same balance before it: the balance cannot fall below it earlier without such a ")")."""
    balance, running = [0] * (len(text) + 1), 0
    for i, char in enumerate(text):
        balance[i] = running
        running += (char == "(") - (char == ")")
    balance[len(text)] = running
    closes, nearest = {}, {}
    for i in range(len(text) - 1, -1, -1):
        if text[i] == ")":
            nearest[balance[i]] = i
        if i in positions and balance[i] in nearest:
            closes[i] = nearest[balance[i]]
    return balance, closes


@Language.factory(
    "criteria_constraints",
    assigns=["doc._.cp_constraints", "doc._.cp_found", "doc._.cp_exceptions", "doc._.cp_any_children"],
    requires=["doc._.cp_quantities", "doc._.cp_cues", "doc._.cp_mentions"],
    default_config={"grammars_dir": None},
)
def make_constraints(nlp: Language, name: str, grammars_dir: Optional[str]) -> "ConstraintsComponent":
    """Factory: ``nlp.add_pipe("criteria_constraints")``."""
    return ConstraintsComponent(load_grammars(Path(grammars_dir) if grammars_dir else None))


class ConstraintsComponent:
    """Pipeline step that sets ``doc._.cp_constraints``."""

    def __init__(self, grammars: Grammars) -> None:
        register_extensions()
        self.assembler = ConstraintAssembler(grammars)

    def __call__(self, doc: Doc) -> Doc:
        doc._.cp_constraints = self.assembler.assemble(doc)
        return doc
