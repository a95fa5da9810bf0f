"""Knowledge the matcher needs, kept as data in ``grammars/matching.json``.

Unit spellings of patient records, treatment classes with their members, and
the concepts (conditions, treatments, confirmations) that answer criteria
without a numeric constraint. How each unit is shown comes from ``units.jsonl``
and the other spellings of roman categories ('Ⅲ') from ``numbers.jsonl``: the
loader adds them from the rule grammars of the same directory. Validated on
load; errors read ``matching.json: problem``.
"""

from __future__ import annotations

import math
import operator
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from ..errors import GrammarError, validation_problem
from .loader import Grammars, load_grammars
from .phrases import phrase_regex


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TreatmentClass(_Model):
    """A class of treatments and the drugs or procedures in it."""

    name: str
    members: list[str] = Field(min_length=1)
    systemic: bool = Field(description="Whether only systemic routes count (topical, inhaled do not).")
    atc: str = Field(description="The WHO ATC groups the members are drawn from (ATC/DDD Index 2024).")
    may_include: list[str] = Field(default=[], description="Other classes whose members criteria often count as "
                                   "this class though ATC does not (systemic corticosteroids as immunosuppressants): "
                                   "one of them inside the window leaves the criterion unknown, never absent.")


class DoseEquivalents(_Model):
    """How many mg of ``reference`` one mg of each drug is worth ('an equivalent dose')."""

    reference: str
    unit: str = Field(description="UCUM unit the equivalent dose is given in, e.g. mg/d.")
    per_mg: dict[str, float] = Field(min_length=1)
    note: str


class CategoryScale(_Model):
    """A score written as ordered categories (NYHA I-IV, Child-Pugh A-C): compared by rank."""

    subject: str = Field(description="The lexicon name of the score.")
    categories: list[str] = Field(min_length=2, description="Lowest first.")
    first: int = Field(description="The rank of the first category: NYHA I is 1, ECOG 0 is 0.")
    points: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="Point ranges per category, when results may be given in points.")
    example: str

    def shown(self) -> str:
        """The categories as a reason writes them: 'I, II, III, IV'."""
        return ", ".join(self.categories)

    def rank_of_value(self, value: float) -> Optional[int]:
        """The rank of a numeric result: its category by points, else the number itself when on the scale."""
        if self.points:
            found = [name for name, (low, high) in self.points.items() if low <= value <= high]
            return self.categories.index(found[0]) + self.first if found else None
        if value == int(value) and self.first <= value < self.first + len(self.categories):
            return int(value)
        return None


class AffineConversion(_Model):
    """A conversion of one analyte that no factor gives: ``target = slope × (value − offset)``, both ways."""

    analyte: str = Field(description="The lexicon name of the analyte.")
    unit: str
    target: str
    slope: float = Field(gt=0)
    offset: float
    source: str = Field(description="Where the equation comes from.")
    table: list[tuple[float, float]] = Field(min_length=2, description="Published pairs (unit, target), as printed "
                                                                        "(a test converts each, to their precision).")

    def forward(self, value: float) -> float:
        """``value`` in ``unit`` as ``target``."""
        return self.slope * (value - self.offset)

    def backward(self, value: float) -> float:
        """``value`` in ``target`` as ``unit``."""
        return value / self.slope + self.offset


class Ongoing(_Model):
    """A dose limit without a time window is a treatment ongoing at the screening: a window of ``days``."""

    comparator: str
    days: float
    example: str


class AgeVariable(_Model):
    """The subject a patient's age answers (from the birth date), and the unit it is computed in."""

    subject: str
    unit: str
    example: str
    unstated_comparator_rules: list[str] = Field(default_factory=list, description="Rules of the readings (pipeline/"
                                                 "readings.py) that give a value the words wrote no comparator for: "
                                                 "an age so read is no limit, since an age alone is rarely an exact "
                                                 "one ('Participant must be 18 years of age': at least 18, or a "
                                                 "range cut short): unknown.")
    unstated_comparator_example: str = ""


class ComparatorForms(_Model):
    """One comparator of the model: how it is tested and written in reasons, JsonLogic and FHIR."""

    test: Literal["lt", "le", "gt", "ge", "eq", "between"] = Field(
        description="The test: lt, le, gt, ge, eq (one limit) or between (low <= value <= high).")
    shown: str = Field(description="How a reason writes it: '≤'.")
    jsonlogic: str = Field(description="The JsonLogic operator (between: the three-argument '<=').")
    fhir: Optional[str] = Field(default=None, description="FHIR Quantity.comparator, when FHIR has one.")


class RelativeReference(_Model):
    """A reference a relative limit is a multiple of: an end of the patient's reference range, or a fold of a
    baseline read in a unit of its own."""

    range_end: Optional[Literal["high", "low"]] = None
    unit: Optional[str] = None
    example: str


_TESTS = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge, "eq": operator.eq}


class Concept(_Model):
    """Something a criterion names that the patient's record can answer."""

    id: str = Field(pattern=r"^concept\.[a-z0-9_]+$")
    name: str
    kind: Literal["condition", "treatment", "confirmation"]
    phrases: list[str] = Field(min_length=1, description="How criteria and records write it (case-insensitive).")
    codes: list[str] = Field(default_factory=list, description="ICD-10 (prefix match) or SNOMED CT codes.")
    example: str
    kinds: list[str] = Field(default_factory=list, description="Names of kinds of it, read in a trial's own "
                             "conditions only ('carcinoma', 'leukemia'): the trial's index condition is one of it.")
    kinds_example: Optional[str] = Field(default=None, description="A trial's condition naming one of ``kinds``.")
    sexes: list[Literal["female", "male"]] = Field(default_factory=list, description="The only sexes that can have "
                                                   "it ('pregnancy': female): a patient of another sex has it absent.")
    ruled_out_by: list[str] = Field(default_factory=list, description="ICD-10 codes (prefix match) of active "
                                    "diagnoses that rule it out ('postmenopausal', Z78.0, rules out pregnancy).")
    not_before: list[str] = Field(default_factory=list, description="Words right after a phrase that make it name "
                                  "something else ('pregnancy test' is no pregnancy).")
    future_after: list[str] = Field(default_factory=list, description="Words right before a phrase that make it "
                                    "name one to come ('become pregnant', 'planning pregnancy'): answered only by "
                                    "what rules it out (``sexes``, ``ruled_out_by``), never by a recorded one.")
    future_example: Optional[str] = Field(default=None, description="A criterion naming one to come.")
    required: bool = Field(default=False, description="Something trials require, never exclude ('informed consent'): "
                           "an exclusion names it only for its lack, so one that no negation cue turns has the words "
                           "that turn it unread ('would interfere with the ability to provide informed consent') and "
                           "answers unknown, never met on the record's yes.")


class ConceptFinder:
    """Where a text names the concepts of ``matching.json``: each phrase found case-insensitively, longest first,
    never two on the same words; and the parentheses of examples ('(e.g., ...)') a concept may stand in."""

    def __init__(self, concepts: list[Concept], example_cues: list[str]) -> None:
        self.concepts = concepts
        self.example_cues = example_cues
        self._candidates = sorted(((phrase, concept) for concept in concepts for phrase in concept.phrases),
                                  key=lambda pair: -len(pair[0]))

    def concepts_in(self, text: str) -> list[Concept]:
        """Concepts named in ``text``, longest phrase first, each once, never two on the same words."""
        return [concept for _, _, concept in self.concept_spans(text)]

    def concept_spans(self, text: str) -> list[tuple[int, int, Concept]]:
        """Where in ``text`` each concept is first named, start and end (as :meth:`concepts_in`), in reading
        order."""
        found: list[tuple[int, int, Concept]] = []
        for start, end, concept in self._phrases(text):
            at = next((i for i, (*_, c) in enumerate(found) if c is concept), None)
            if at is None:
                found.append((start, end, concept))
            elif self.future(text, found[at][0], concept) and not self.future(text, start, concept):
                found[at] = (start, end, concept)  # "Pregnant women or those planning pregnancy": the one of today
        return sorted(found, key=lambda triple: triple[0])

    @staticmethod
    def future(text: str, start: int, concept: Concept) -> bool:
        """Whether the concept named at ``start`` of ``text`` is one to come: a word of its ``future_after`` right
        before it ("become | pregnant")."""
        before = re.search(r"([\w'-]+)\W*$", text[:start])
        return before is not None and before.group(1).lower() in (word.lower() for word in concept.future_after)

    def index_concepts(self, conditions: list[str]) -> set[str]:
        """The concepts a trial's own conditions name, by a phrase or a kind of it ("Carcinoma, Non-Small-Cell Lung"
        is a malignancy)."""
        text = "; ".join(conditions)
        named = {concept.name for *_, concept in self.concept_spans(text)}
        return named | {concept.name for concept in self.concepts
                        if any(phrase_regex(kind).search(text) for kind in concept.kinds)}

    def names_else(self, name: str, rest: str) -> Optional[str]:
        """The ``not_before`` word of a concept ``name`` names that opens ``rest``, the text after it, if any
        ("diabetes | secondary to pancreatitis"): the words then name something else."""
        return next((cue for *_, concept in self._phrases(name) if (cue := _cue_at(rest, concept.not_before))), None)

    def phrase_spans(self, text: str) -> list[tuple[int, int]]:
        """Every span of ``text`` that names a concept (longest phrases first, none overlapping)."""
        return [(start, end) for start, end, _ in self._phrases(text)]

    def _phrases(self, text: str) -> list[tuple[int, int, Concept]]:
        taken: list[tuple[int, int, Concept]] = []
        for phrase, concept in self._candidates:
            for match in phrase_regex(phrase).finditer(text):
                start, end = match.span()
                if _cue_at(text[end:], concept.not_before):
                    continue
                if not any(start < e and s < end for s, e, _ in taken):
                    taken.append((start, end, concept))
        return taken

    def example_spans(self, text: str) -> list[tuple[int, int]]:
        """Where ``text`` holds a parenthesis of examples: "(e.g., medical, surgical, or radiation oncology)"."""
        return [match.span() for match in re.finditer(r"\(([^()]*)\)", text)
                if any(phrase_regex(cue).match(match.group(1).lstrip()) for cue in self.example_cues)]

    def in_example(self, text: str, position: int) -> bool:
        """Whether ``position`` of ``text`` lies inside a parenthesis of examples."""
        return any(start < position < end for start, end in self.example_spans(text))

    def event_near(self, text: str, position: int) -> Optional[Concept]:
        """The condition or treatment a time window whose value stands at ``position`` of ``text`` is about: the
        last one named before it (outside a parenthesis of examples, if one is), else the first after it."""
        conditions = [(start, c) for start, _, c in self.concept_spans(text) if c.kind in ("condition", "treatment")]
        named = [(start, c) for start, c in conditions if not self.in_example(text, start)]
        before = [c for start, c in (named or conditions) if start < position]
        if before:
            return before[-1]
        return conditions[0][1] if conditions else None


def _cue_at(text: str, cues: list[str]) -> Optional[str]:
    """The first of ``cues`` that opens ``text`` (after spaces, a hyphen or a slash), if any."""
    rest = re.sub(r"^[\s/-]+", "", text)
    return next((cue for cue in cues if phrase_regex(cue).match(rest)), None)


class MatchingGrammar(_Model):
    """The whole of ``matching.json``."""

    version: str
    canonical_units: dict[str, str]
    unit_aliases: dict[str, str] = Field(description="Clinical spellings in patient records that are no UCUM code: "
                                                      "'K/uL' is 10*3/uL, 'mEq/L' is meq/L.")
    bare_number_units: dict[str, str] = Field(description="Measures whose limits have one unit by definition, "
                                                           "so a bare number is in it ('KPS > 60' is 60 %); any other "
                                                           "limit without a unit is unknown ('bilirubin < 3').")
    count_annotations: list[str] = Field(description="UCUM annotations that name what a count counts without "
                                                      "changing it: {cells}/uL converts to 10*9/L.")
    equivalent_charges: dict[str, int] = Field(description="The charge of ions whose results come in equivalents: "
                                                            "1 mEq of calcium is 0.5 mmol.")
    affine_conversions: list[AffineConversion]
    active_cues: list[str]
    equivalent_cues: list[str]
    age_at_event_cues: list[str] = Field(description="Words by an age limit that put it at an earlier event "
                                                      "('older than 50 years at migraine onset'): not today's age.")
    vague_time_cues: list[str] = Field(description="Words that put a condition in a time they do not bound "
                                                    "('recent MI'): a recorded condition then says no more than "
                                                    "unknown.")
    timing_anchors: list[str] = Field(
        description="Anchors still to come in the study (enrollment, the first dose): a window before one on a "
                    "measure the criterion limits ('platelets >= 100,000/mm3 within 7 days prior to enrollment') "
                    "says when the site measures, not what the record must hold.")
    narrowing_modifiers: list[str] = Field(description="Words right before a concept's phrase that name a narrower "
                                                        "kind of it ('breast cancer' is not every malignancy; "
                                                        "'anti-cancer' is no cancer at all).")
    conditional_cues: list[str] = Field(description="Words that make a criterion apply to some patients only ('for "
                                                     "patients < 18 years', 'patients with HBV are eligible if'): "
                                                     "until the condition is read, no answer that screens out (an "
                                                     "inclusion) or in (an exclusion).")
    cohort_cues: list[str] = Field(description="Words of a heading that makes a criterion one cohort's or stratum's "
                                                "('Standard risk 1: ...'): one alternative, so failing it is unknown.")
    measure_modifiers: list[str] = Field(description="Words right after a subject that make its number about "
                                                      "something else ('HbA1c goals', 'glucose measurements/week').")
    reference_cues: list[str] = Field(description="Words right before a subject that make its number the normal "
                                                   "range ('the ULN for SGPT is 45 U/L').")
    unchecked_words: list[str] = Field(description="Words of a criterion without limits that ask nothing beside the "
                                                    "concepts it names ('signed', 'history'); more than two other "
                                                    "content words and the criterion is answered in part only.")
    unrecorded_requirements: list[str] = Field(description="Words that ask what no record holds ('English', "
                                                            "'childbearing'): a criterion with one is answered in "
                                                            "part only, whatever else it checks.")
    citation_cues: list[str] = Field(description="Words opening a reference to a source ('according to the NCCN "
                                                  "guidelines'): the clause they open asks nothing.")
    future_cues: list[str] = Field(description="Words about what is planned or expected ('anticipated need for "
                                                "surgery'): no record holds it, so such an exclusion is never not met.")
    relation_cues: list[str] = Field(default_factory=list, description="Words naming a person other than the one "
                                     "screened, whose limits a criterion may state ('Parent who is at least 18 years "
                                     "old', 'Donor aged 18-60'): a limit with one of them before it in its clause is "
                                     "that person's, not the patient's: unknown.")
    other_person_cues: list[str] = Field(description="Words after a sex a criterion names that name someone else "
                                                  "beside it ('Women who are pregnant or anyone with HIV'): the sex "
                                                  "is then not whom the whole criterion is about.")
    stability_cues: list[str] = Field(description="Words that make a window a duration of stability ('on a stable "
                                      "dose for 3 months'): how long a treatment has been unchanged is in no record.")
    screening_anchor: str = Field(description="The anchor a time window without a named anchor is judged against.")
    ongoing: Ongoing
    age: AgeVariable
    comparators: dict[str, ComparatorForms] = Field(description="The model's comparators the matcher can check "
                                                                "('+-' is not one).")
    relative_references: dict[str, RelativeReference] = Field(description="The relative_to values of relative "
                                                                          "limits the matcher can check.")
    category_scales: list[CategoryScale]
    category_words: list[str] = Field(description="Words around a category that are not the category: 'class'.")
    category_range_marks: list[str] = Field(description="What joins two categories into a range: 'I-II'.")
    dose_equivalents: list[DoseEquivalents]
    systemic_routes_excluded: list[str]
    treatment_classes: list[TreatmentClass]
    concepts: list[Concept]
    _rules: dict[str, dict[str, str]] = PrivateAttr(default_factory=dict)
    _finder: Optional[ConceptFinder] = PrivateAttr(default=None)

    def _with_rules(self, grammars: Grammars) -> MatchingGrammar:
        self._rules = {"display": grammars.display_units(),
                       "categories": {sign: letters for sign, letters in grammars.numerals().items() if sign != letters}}
        self._finder = ConceptFinder(self.concepts, grammars.cue_phrases("example"))
        return self

    @property
    def finder(self) -> ConceptFinder:
        """Where a text names the concepts (:class:`ConceptFinder`)."""
        return self._finder

    @property
    def display_units(self) -> dict[str, str]:
        """How UCUM codes are shown to people (``display`` of ``units.jsonl``)."""
        return self._rules["display"]

    @property
    def category_aliases(self) -> dict[str, str]:
        """Other spellings of categories: the roman numeral signs of ``numbers.jsonl`` ('Ⅲ' is 'III')."""
        return self._rules["categories"]

    def affine(self, analyte: Optional[str], unit: str, target: str) -> Optional[Callable[[float], float]]:
        """The affine conversion of ``analyte`` from ``unit`` to ``target`` (either way round), if there is one."""
        for line in self.affine_conversions:
            if line.analyte == analyte and (line.unit, line.target) == (unit, target):
                return line.forward
            if line.analyte == analyte and (line.target, line.unit) == (unit, target):
                return line.backward
        return None

    def holds(self, value: Any, comparator: str, limit: Any, high: Any = None) -> Optional[bool]:
        """Whether ``value comparator limit`` (or, for a range, ``limit <= value <= high``) holds; None for a
        comparator that cannot be checked."""
        forms = self.comparators.get(comparator)
        if forms is None:
            return None
        if forms.test == "between":
            return limit <= value <= high
        return _TESTS[forms.test](value, limit)

    def interval(self, comparator: str, limit: float, high: Optional[float] = None) -> Optional[tuple]:
        """The values ``comparator limit`` allows, as (low, low included, high, high included); None when unknown."""
        forms = self.comparators.get(comparator)
        if forms is None or (forms.test == "between" and high is None):
            return None
        return {"lt": (-math.inf, False, limit, False), "le": (-math.inf, False, limit, True),
                "gt": (limit, False, math.inf, False), "ge": (limit, True, math.inf, False),
                "eq": (limit, True, limit, True), "between": (limit, True, high, True)}[forms.test]

    def single_limit(self, comparator: str) -> bool:
        """Whether ``comparator`` compares with one limit ('<', '='; not 'between')."""
        forms = self.comparators.get(comparator)
        return forms is not None and forms.test != "between"

    def relative_reference(self, written: Optional[str]) -> Optional[RelativeReference]:
        """The checkable reference a relative limit is written against ('ULN', 'uln'), if any."""
        return next((r for name, r in self.relative_references.items() if name.lower() == (written or "").lower()),
                    None)

    def category_names(self, scale: CategoryScale, comparator: str, low: int, high: Optional[int] = None) -> list[str]:
        """The categories of ``scale`` whose rank satisfies ``rank comparator low`` (or lies between low and
        high)."""
        return [name for index, name in enumerate(scale.categories)
                if self.holds(index + scale.first, comparator, low, high if high is not None else low)]

    def treatment_class(self, name: str) -> Optional[TreatmentClass]:
        """The class called ``name`` (case-insensitive), if any."""
        return next((c for c in self.treatment_classes if c.name.lower() == name.lower()), None)

    def is_treatment(self, subject: str, category: Optional[str]) -> bool:
        """Whether a subject (with its lexicon category) is a treatment: a drug, a therapy or a treatment class."""
        return category in ("treatment", "drug") or bool(self.treatment_class(subject))

    def scale(self, subject: Optional[str]) -> Optional[CategoryScale]:
        """The category scale of a score, if it has one."""
        return next((s for s in self.category_scales if s.subject == subject), None)

    def category_rank(self, scale: CategoryScale, text: str) -> Optional[int]:
        """The rank of one category as written ('class Ⅲ', 'III', '3'); None when the scale has no such category."""
        for written, meant in self.category_aliases.items():
            text = text.replace(written, meant)
        noise = {w.lower() for w in self.category_words} | {scale.subject.lower()}
        words = [w for w in text.split() if w.lower() not in noise]
        if len(words) != 1:
            return None
        wanted = words[0].lower()
        for index, name in enumerate(scale.categories):
            if name.lower() == wanted:
                return index + scale.first
        try:
            return scale.rank_of_value(float(wanted))
        except ValueError:
            return None

    def category_ranks(self, scale: CategoryScale, text: str) -> Optional[list[int]]:
        """The ranks of a category or a range of them ('I-II' -> [1, 2]); None when one is not on the scale."""
        marks = "|".join(re.escape(m) if not m.isalpha() else rf"\b{m}\b" for m in self.category_range_marks)
        ranks = [self.category_rank(scale, part) for part in re.split(marks, text) if part.strip()]
        if not ranks or len(ranks) > 2 or any(r is None for r in ranks):
            return None
        return ranks

    def has_cue(self, text: str, cues: list[str]) -> bool:
        """Whether any cue word stands in ``text``."""
        return self.cue_in(text, cues) is not None

    @staticmethod
    def cue_in(text: str, cues: list[str]) -> Optional[str]:
        """The first of ``cues`` that stands in ``text``, if any."""
        return next((cue for cue in cues if phrase_regex(cue).search(text)), None)


def load_matching_grammar(directory: Optional[Path] = None) -> MatchingGrammar:
    """Read and validate ``matching.json`` (the packaged one unless ``directory`` is given), once per process for
    each directory.

    Raises:
        GrammarError: the file is missing or invalid.
    """
    if directory is None:
        return _packaged()
    return _from_directory(Path(directory).resolve())


@lru_cache(maxsize=None)
def _from_directory(directory: Path) -> MatchingGrammar:
    return _read(directory / "matching.json", load_grammars(directory))


@lru_cache(maxsize=1)
def _packaged() -> MatchingGrammar:
    with resources.as_file(resources.files("criteria_parser.grammars") / "matching.json") as path:
        return _read(Path(path), load_grammars())


def _read(path: Path, grammars: Grammars) -> MatchingGrammar:
    try:
        return MatchingGrammar.model_validate_json(path.read_text(encoding="utf-8"))._with_rules(grammars)
    except FileNotFoundError:
        raise GrammarError("grammar file missing", path) from None
    except ValidationError as exc:
        raise GrammarError(validation_problem(exc), "matching.json") from None
