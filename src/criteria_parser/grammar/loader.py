"""Load and validate the grammar files (``grammars/*.jsonl``, ``grammars/listing.json``).

Each line of a ``.jsonl`` grammar is one rule, validated by the pydantic model
named for its file in :data:`RULE_MODELS` (unknown keys are errors). Rule ids are
unique across all files. Errors read ``file:line: what is wrong`` and raise
:class:`GrammarError`. The files ship inside the package
(``criteria_parser.grammars``) and are found through ``importlib.resources``;
``load_grammars(path)`` reads another directory instead. Each directory is read
once per process (by its resolved path): every component of a pipeline and the
parser share one :class:`Grammars`; an edit on disk is seen by the next process.
"""

from __future__ import annotations

import json
import re
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import GrammarError, validation_problem


class Rule(BaseModel):
    """Fields every grammar rule has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_\-]+)+$")
    example: str = Field(min_length=1, description="Text this rule must match (checked by the tests).")


class ComparatorRule(Rule):
    """A comparator phrase: ``{"id": "cmp.le.sym", "phrases": ["≤"], "comparator": "<=", ...}``."""

    phrases: list[str] = Field(min_length=1)
    comparator: Literal["<", "<=", ">", ">=", "=", "+-"]
    position: Literal["prefix", "postfix", "measure"] = Field(
        default="prefix", description='"measure": a prefix that may name what it bounds first ("minimum age: 18").')
    respelled: bool = Field(default=False, description="A non-standard spelling, recorded as a flag.")


class UnitRule(Rule):
    """A unit with its UCUM code, the ways it is written and how people see it."""

    ucum: str
    forms: list[str] = Field(description=(
        "How criteria write it; none for a unit only records write ('{fold}'), whose example is a value in it "
        "('2.5 {fold}')."))
    dimension: Literal[
        "fraction", "mass_concentration", "substance_concentration", "count_concentration",
        "time", "mass", "dose_rate", "volume", "length", "mass_per_area", "pressure", "rate",
        "activity_concentration", "score", "other", "ratio", "body_mass_index", "temperature",
        "area", "energy", "frequency",
    ]
    case_sensitive: bool = Field(default=False, description="Match forms exactly (m vs M, L vs l).")
    subunit: Optional[tuple[str, int]] = Field(default=None, description=(
        "A smaller unit an amount may end with, and how many of it make one: weeks ['d', 7] reads "
        "'23 weeks 6 days' and '23+6 weeks' as 23 6/7 weeks."))
    display: Optional[str] = Field(default=None, description="How a value's unit is shown, when not as its UCUM "
                                                             "code: 'umol/L' is 'µmol/L'.")
    window: bool = Field(default=True, description=(
        "For a unit of time: an amount in it may be a time window ('within 14 days'); false for one that only "
        "measures ('QTcF > 480 ms' is a threshold)."))


class UnitRepairRule(Rule):
    """A garbled unit and the units it may stand for; the analyte's plausible range picks one."""

    read: list[str] = Field(min_length=1, description="Garbled forms as written: '(mol/L)'.")
    candidates: list[str] = Field(min_length=1, description="UCUM codes to try, most likely first.")


#: The entity type (``model.EntityType``) of a lexicon entry, by its category, unless the entry names its own
#: (``entity_type``); a method ("by flow cytometry") is never an entity.
CATEGORY_TYPES = {
    "lab": "measurement", "measure": "measurement", "score": "observation", "treatment": "procedure",
    "drug": "drug", "event": "condition", "condition": "condition", "demographic": "person", "person": "person",
    "device": "device", "observation": "observation", "method": None,
}


class LexiconEntry(Rule):
    """An analyte, measure, treatment, drug, condition or person attribute, with synonyms and facts about it."""

    name: str = Field(description="Normalized name used as the constraint's subject.")
    category: Literal["lab", "measure", "score", "treatment", "drug", "event", "condition", "demographic", "person",
                      "device", "observation", "method"]
    entity_type: Optional[Literal["condition", "drug", "procedure", "measurement", "observation", "device",
                                  "person"]] = Field(default=None, description="The entity type when the category's "
                                                     "(CATEGORY_TYPES) is not it: corticosteroids are a drug class.")
    synonyms: list[str] = Field(min_length=1)
    abbreviations: list[str] = Field(default_factory=list, description="Matched case-sensitively.")
    unit: Optional[str] = Field(default=None, description="Usual UCUM unit.")
    plausible: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="Plausible limit range per UCUM unit, for unit repair."
    )
    loinc: Optional[str] = None
    atc: Optional[str] = Field(default=None, description="WHO ATC code of a drug or drug class.")
    molar_mass: Optional[float] = Field(default=None, description="g/mol, for mass <-> substance conversion.")
    fuzzy: bool = Field(default=True, description="Whether misspellings of the synonyms are matched.")
    paired: bool = Field(default=False, description='Values come in pairs "N/M" (systolic/diastolic), unit or not.')
    letters: list[str] = Field(default_factory=list, description='Letter categories of a score ("Child-Pugh C").')

    @property
    def type(self) -> Optional[str]:
        """The entity type of a mention of this entry (None for a method)."""
        return self.entity_type or CATEGORY_TYPES[self.category]

    @property
    def code(self) -> Optional[str]:
        """The entry's code, system first: ``LOINC:2160-0``, ``ATC:H02``."""
        if self.loinc:
            return f"LOINC:{self.loinc}"
        return f"ATC:{self.atc}" if self.atc else None

    @field_validator("plausible")
    @classmethod
    def _ordered(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for unit, (low, high) in value.items():
            if low > high:
                raise ValueError(f"plausible range for {unit} has low > high")
        return value


class NumberWordRule(Rule):
    """A number written as a word (``four`` is 4), and as a roman numeral when it is one (``IV``, ``Ⅳ``)."""

    words: list[str] = Field(min_length=1)
    numerals: list[str] = Field(default_factory=list, description=(
        "Roman numerals of an ordinal scale, matched as written: the upper-case letters first ('IV'), then the "
        "roman numeral sign ('Ⅳ', U+2163)."))
    value: float

    @field_validator("numerals")
    @classmethod
    def _roman(cls, value: list[str]) -> list[str]:
        if value and not (value[0].isascii() and value[0].isalpha() and value[0].isupper()):
            raise ValueError("the first numeral is the one in upper-case letters ('IV')")
        return value


class RelativeRule(Rule):
    """A reference for relative limits (ULN), a multiplier word (times, x), a filler word between them (the), or a
    comparison between them that states the comparator ("twice higher than normal": ``>``)."""

    phrases: list[str] = Field(min_length=1)
    role: Literal["reference", "multiplier", "filler", "comparison"]
    relative_to: Optional[str] = None
    comparator: Optional[Literal["<", "<=", ">", ">="]] = None


class TimeRelationRule(Rule):
    """A word placing a time window: ``within`` (comparator <=), ``after`` (direction after).

    ``link``: a word that joins a window already placed by a prefix ("within 28 days") to its anchor ("of
    randomization"), keeping that prefix's direction.
    """

    phrases: list[str] = Field(min_length=1)
    comparator: Optional[Literal["<", "<=", ">", ">=", "="]] = None
    direction: Optional[Literal["before", "after"]] = None
    position: Literal["prefix", "postfix", "link"] = "prefix"


class AnchorRule(Rule):
    """An event a time window is measured from."""

    name: str
    phrases: list[str] = Field(min_length=1)


class SubjectRule(Rule):
    """Words that decide what a value limits (``subjects.jsonl``); ``subject`` is what the example's first
    constraint limits with the rule (``-`` for none), checked by the tests.

    Roles: ``stop``: ends the words of a subject read leftwards from the value and is not one of them ("with",
    "patients", "received"); ``gap``: may stand between a subject and its comparator ("level", "was", "of");
    ``head``: after a lexicon mention, keeps its concept ("hemoglobin level"); ``age_after``: after an amount of
    time, makes it an age ("years old"); ``age_before``: before one, the same ("aged", "older than"); ``person``:
    a person before an amount of years makes it an age ("Adults ≥ 18 years"); ``link``: after an amount,
    introduces the event it bounds or counts ("within 72 hours of", "6 months post-"); ``count``: what a bare number
    counts when it counts events of something ("5 attacks of migraine": migraine); ``event_link``: before an
    amount of time, attaches what an event acts on to the event, which the window bounds ("injection to affected
    shoulder within 3 months"); ``scale``: ends a scale's name, and after a score a ``scale_link`` ("on the")
    names the scale it is taken on, which is its subject ("5 on the Roland-Morris Disability Questionnaire");
    ``sub_list``: after a bare count and "of", the list it counts ("two of the following criteria:");
    ``describing``: words that alone only describe or quantify, never an open subject ("high (>90%) cure rate");
    ``steady_dose``: before an amount of time, a dose held steady, whose window bounds the drug named before it
    after a ``drug_intro`` word ("on Sandostatin Lar ... must be on a stable dose for 30 days");
    ``procedure``, ``drug``:
    a word that makes an open subject a procedure or a drug (else a condition, or for a measured value a
    measurement); ``generic``: words that alone name no clinical thing, no entity ("conditions", "drug").
    """

    role: Literal["stop", "gap", "head", "age_after", "age_before", "person", "duration", "since_event", "event_gap", "event_link", "example", "link",
                  "count", "sub_list", "scale", "scale_link", "describing", "steady_dose", "drug_intro", "procedure", "drug", "generic",
                  "attaching", "article", "name_word", "score", "age_word", "restated", "worded_period", "and_after",
                  "longest"]
    phrases: list[str] = Field(default_factory=list)
    pattern: Optional[str] = None
    words: Optional[int] = Field(default=None, ge=1)
    subject: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_kind(self) -> "SubjectRule":
        given = [bool(self.phrases), self.pattern is not None, self.words is not None]
        if sum(given) != 1:
            raise ValueError("a subject rule has one of phrases, pattern (a regular expression) or words (a number)")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from None
        return self


class CueRule(Rule):
    """A logic cue: alternatives (or), children combine with any, exception opener, range joiner.

    ``count``: after a bare number, it counts items ("four of the following"); ``label``: before a number, the
    number labels something ("n=20" is a sample size) and states no criterion; ``scale``: the number before it,
    after "on a", is the size of a scale ("on a 0-10 scale"), not a value; ``kind_name``: a roman numeral right
    after it is part of a kind's name ("Type I or II diabetes"), unless a scale of the lexicon holds the cue's
    words; ``kind_scale``: words with "type" that name a scale, whose numerals are values ("skin type III or
    IV"); ``kind_head``: a noun after roman numerals that makes them part of a kind's name ("class I or III
    *antiarrhythmic* drugs", "HLA class I and class II *antibodies*"). ``listing``: joins listed values or
    subjects ("0 or 1", "ALT/AST"); ``per``: joins the parts of a compound unit ("mg per day"); ``bound_note``:
    a note after a range's bound that does not change it ("50 kg (inclusive)"). ``range_opener``: what must stand
    before a range joined by "and" ("between 12 and 18"); ``method_lead``: a word between a value and the method
    it was measured by ("> 5% using flow cytometry"). ``event_end``: a word or sign that
    ends the event a window is measured from ("prior to starting capmatinib*,* ..."); ``event_head``: a noun an
    event named after "within ... of" ends in, a step of the study rather than an exposure ("within 14 days of
    virologic load *assessments*"; "within 72 hours of small molecule targeted therapy" names what was taken).
    ``conjunction`` joins parts that must all hold ("creatinine ≤ 1.5 mg/dL *and* ALT ≤ 3 × ULN"; ``alternative``:
    any of them); ``list_separator`` separates listed parts, which combine as the list's last joiner says ("ANC,
    platelets *and* hemoglobin": all; "chemotherapy, targeted therapy *or* radiotherapy": any); ``population``
    names a group of people a limit is for: two limits for different groups are alternatives ("< 11.5 g/dL for
    *females* and < 12.5 g/dL for *men*"); ``restriction`` limits a permission to what it names, so that the
    rest is excluded ("*only* palliative radiotherapy is allowed"); ``circumstance`` ends what a negation or an
    exception bears on after its first mention ("unable to perform pace mapping *during* ablation procedure": the
    ablation is none of what is negated; "disease *affecting* gait"); ``respectively`` pairs listed limits with
    the list before it: with groups of people there, the limits are alternatives ("≥ 1.5 and ≥ 1.4 mg/dL in males
    and females *respectively*"); ``list_end`` ends a list without ending a clause: the words before a colon are
    none of the items after it ("active infection*:* HIV, hepatitis B or tuberculosis"), nor a subject of the words after it; ``example`` opens examples
    of what comes before it ("such as", "e.g."): it ends a ConText scope ("no [autoimmune disease] *such as* lupus")
    and makes a parenthesis of examples for the matcher ("(e.g., medical, surgical or radiation oncology)"), one
    list for both; ``list_intro`` before a colon makes a negation reach the list after it ("no history of *the
    following*: stroke, epilepsy"). ``kind_word``: a word that may stand again before each numeral listed before
    a ``kind_head`` ("HLA class I and *class* II antibodies"); ``scale_opener``: what stands before the size of a
    scale ("*on a* 0-10 scale"); ``group_lead``: what opens the group of people a limit is for, before the next
    group's limit ("60 kg (132 lbs) *for* men and 48 kg for women"), and ``group_joiner`` what joins that group to
    the next limit ("for men *or* 48 kg"); ``measure_end``: what ends the measure a
    "measure" comparator names before its value ("minimum disease duration *of* 5", "Maximum Age*:* 99");
    ``subunit_joiner``: a word between an amount and its smaller unit ("23 weeks *and* 6 days"). Around a number before a ``count``
    cue, ``count_least`` before it ("*at least* two of the following") and ``count_more`` after it ("two *or more*
    of the following") make the sub-items combine as at least that many. ``capacity``: the negation
    cues that say a person cannot or will not do something ("*inability to* give informed consent"), which Chia
    annotates as a condition of its own rather than a negation (the assertion scorer reads them so on Chia only).
    """

    phrases: list[str] = Field(min_length=1)
    cue: Literal["any_children", "alternative", "exception", "range", "range_opener", "clause_break", "value_filler",
                 "method_lead", "count", "label", "scale", "listing", "per", "bound_note", "event_end", "event_head",
                 "conjunction", "list_separator", "population", "kind_name", "kind_scale", "kind_head", "restriction",
                 "circumstance", "respectively", "list_end", "example", "list_intro", "kind_word", "scale_opener",
                 "group_lead", "group_joiner", "measure_end", "subunit_joiner", "count_least",
                 "count_more", "capacity"]


#: What a ConText cue can assert about the words in its scope (EXCEPTED: the ``exception`` cues of cues.jsonl).
ASSERTIONS = ("NEGATED_EXISTENCE", "HYPOTHETICAL", "PERMITTED", "HISTORICAL", "FAMILY", "EXCEPTED")
#: The values of each key of a ConText rule's ``metadata``.
METADATA = {"clause": ("condition", "parallel_condition", "alternative_condition"), "attaches": ("before", "after", "before_else_after"),
            "restates": ("exclusion",)}
#: What a terminate cue is: a conjunction ("but"), a consequent ("must", "then"), a comma, a colon, a parenthesis,
#: a purpose ("for": it ends a negation, "contraindications | for anabolic drugs", not a permission, "hormonal
#: therapy for non-cancer conditions | is acceptable"), an alternative limit ("HbA1c ≤ 9% if on triple therapy
#: | or ≤ 10% on diet": it ends a condition).
TERMINATORS = ("CONJ", "THEN", "COMMA", "COLON", "PAREN", "PURPOSE", "ALTERNATIVE")


class ContextRule(Rule):
    """A ConText cue (medspaCy's rule format): its words, what it asserts and which way its scope runs.

    ``direction``: ``forward`` (the words after the cue: "no | history of stroke"), ``backward`` (before it:
    "radiotherapy | is allowed"), ``bidirectional``, ``terminate`` (ends the scopes whose rules list its
    category in ``terminated_by``: "but", ":") or ``pseudo`` (looks like a cue and is none: "not limited to").
    ``pattern`` is a regular expression found instead of ``literal`` (case-insensitive); ``max_scope`` limits the
    scope to that many words (none: to the end of the clause). The example marks the words the rule must assert
    in ``[brackets]`` and words no rule may assert in ``{braces}``.
    """

    literal: str = Field(min_length=1)
    category: Literal["NEGATED_EXISTENCE", "HYPOTHETICAL", "PERMITTED", "HISTORICAL", "FAMILY", "EXCEPTED", "CONJ",
                      "THEN", "COMMA", "COLON", "PAREN", "PURPOSE", "ALTERNATIVE", "PSEUDO"]
    direction: Literal["forward", "backward", "bidirectional", "terminate", "pseudo"]
    pattern: Optional[str] = None
    max_scope: Optional[int] = Field(default=None, ge=1)
    terminated_by: list[str] = Field(default_factory=lambda: ["CONJ"], description=(
        "Categories of the cues that end this rule's scope (a terminate cue's, or a modifier's: 'no fever *unless*')."))
    metadata: dict[Literal["clause", "restates", "attaches"], str] = Field(default_factory=dict, description=(
        "medspaCy's free field; 'clause': 'condition' marks a HYPOTHETICAL cue that opens a condition ('if', 'for "
        "subjects with') rather than a plan ('planned surgery'), 'parallel_condition' one that opens a condition "
        "only beside another condition in parentheses, whose reading it parallels ('ECOG 0-1 (age >= 16) or "
        "Lansky >= 50 (< 16)'), 'alternative_condition' on an ALTERNATIVE terminator: the words after the "
        "alternative limit it opens are that limit's condition ('HbA1c <= 9% if on triple therapy or <= 10% *on "
        "diet*'); a condition's 'attaches' says what it applies to: 'before' (the nearest part before "
        "its cue), 'after' (every part after it) or 'before_else_after'; 'restates': 'exclusion' a negation cue "
        "that restates an exclusion criterion ('pregnant women | are excluded') and so asserts nothing in one."))

    @model_validator(mode="after")
    def _direction_fits_category(self) -> "ContextRule":
        kinds = {"pseudo": {"PSEUDO"}, "terminate": set(TERMINATORS)}
        wanted = kinds.get(self.direction, set(ASSERTIONS))
        if self.category not in wanted:
            raise ValueError(f"a {self.direction} rule's category is one of {', '.join(sorted(wanted))}")
        if any(value not in METADATA[key] for key, value in self.metadata.items()) or \
                ("restates" in self.metadata and self.category != "NEGATED_EXISTENCE") or \
                (("clause" in self.metadata) != ("attaches" in self.metadata)):
            raise ValueError("metadata: " + "; ".join(f"'{key}' is one of {', '.join(values)}"
                                                      for key, values in METADATA.items())
                             + " ('restates' on a negation cue; a condition says what it 'attaches' to)")
        unknown = set(self.terminated_by) - set(ASSERTIONS) - set(TERMINATORS)
        if unknown:
            raise ValueError(f"terminated_by names no category: {', '.join(sorted(unknown))}")
        return self

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: Optional[str]) -> Optional[str]:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from None
        return value


class ListingGrammar(BaseModel):
    """Page-level knowledge: section headings, chrome, trial field vocabularies (``listing.json``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    inclusion_headings: list[str]
    exclusion_headings: list[str]
    end_markers: list[str] = Field(description="Lines that end the criteria (start of page chrome).")
    chrome_lines: list[str] = Field(description="Lines that are page furniture, never a title.")
    statuses: list[str]
    sexes: list[str]
    phase_pattern: str
    nct_pattern: str
    conditions_heading: list[str]
    bullets: list[str]
    months: list[str] = Field(description="How month names begin: a line of a date ('12 Nov 2024') is chrome.")
    heading_colon_within: int = Field(gt=0, description=(
        "The most characters between a heading's words and its colon ('Inclusion Criteria for cohort A:'); a colon "
        "further on ends a criterion's words, not a heading."))
    heading_line_within: int = Field(gt=0, description=(
        "The longest line without a colon that is a heading (its heading words followed by nothing or a bracket)."))
    fuzzy_heading_within: int = Field(gt=0, description=(
        "The longest line read as a misspelled heading ('Inclution Criteria'): a longer line is a criterion."))
    registry_age_units: list[str] = Field(min_length=1, description=(
        "The units of a registry's structured age fields ('minimumAge: 18 Years'), each a form of a time unit of "
        "units.jsonl (which gives its UCUM code), written in the singular: a plural 's' may follow."))


RULE_MODELS: dict[str, type[Rule]] = {
    "comparators.jsonl": ComparatorRule,
    "units.jsonl": UnitRule,
    "unit_repairs.jsonl": UnitRepairRule,
    "lexicon.jsonl": LexiconEntry,
    "numbers.jsonl": NumberWordRule,
    "relative.jsonl": RelativeRule,
    "time_relations.jsonl": TimeRelationRule,
    "anchors.jsonl": AnchorRule,
    "cues.jsonl": CueRule,
    "context.jsonl": ContextRule,
    "subjects.jsonl": SubjectRule,
}

AnyRule = Union[
    ComparatorRule, UnitRule, UnitRepairRule, LexiconEntry, NumberWordRule,
    RelativeRule, TimeRelationRule, AnchorRule, CueRule, ContextRule, SubjectRule,
]


class Grammars(BaseModel):
    """All grammar rules, by file."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    version: str
    listing: ListingGrammar
    comparators: list[ComparatorRule]
    units: list[UnitRule]
    unit_repairs: list[UnitRepairRule]
    lexicon: list[LexiconEntry]
    numbers: list[NumberWordRule]
    relative: list[RelativeRule]
    time_relations: list[TimeRelationRule]
    anchors: list[AnchorRule]
    cues: list[CueRule]
    context: list[ContextRule]
    subjects: list[SubjectRule]

    def rules(self) -> list[AnyRule]:
        """Every rule of every ``.jsonl`` file."""
        out: list[AnyRule] = []
        for name in RULE_MODELS:
            out.extend(getattr(self, name.removesuffix(".jsonl")))
        return out

    def cue_phrases(self, cue: str) -> list[str]:
        """The phrases of the ``cue`` rules of ``cues.jsonl`` ("range", "listing", "per", ...)."""
        return list(self.phrases_by_cue.get(cue, ()))

    @cached_property
    def phrases_by_cue(self) -> dict[str, tuple[str, ...]]:
        """The phrases of ``cues.jsonl`` by cue, in file order (gathered once: some readers ask for every clause)."""
        table: dict[str, list[str]] = {}
        for rule in self.cues:
            table.setdefault(rule.cue, []).extend(rule.phrases)
        return {cue: tuple(phrases) for cue, phrases in table.items()}

    def numerals(self) -> dict[str, str]:
        """Every roman numeral of ``numbers.jsonl`` and the upper-case letters it stands for ('Ⅲ' and 'III' are
        'III')."""
        return {numeral: rule.numerals[0] for rule in self.numbers for numeral in rule.numerals}

    def display_units(self) -> dict[str, str]:
        """How UCUM codes are shown to people, where not as written (``display`` of ``units.jsonl``)."""
        return {u.ucum: u.display for u in self.units if u.display is not None}

    def subject_phrases(self, role: str) -> list[str]:
        """The phrases of the ``role`` rules of ``subjects.jsonl`` ("stop", "gap", ...)."""
        return [phrase for rule in self.subjects if rule.role == role for phrase in rule.phrases]

    def subject_pattern(self, role: str) -> "re.Pattern[str]":
        """The regular expression of the ``role`` rules of ``subjects.jsonl`` (any of them; case-insensitive)."""
        patterns = [rule.pattern for rule in self.subjects if rule.role == role and rule.pattern is not None]
        if not patterns:
            return re.compile(r"(?!)")
        return re.compile(patterns[0] if len(patterns) == 1 else "|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)

    def subject_number(self, role: str) -> int:
        """The number of the ``role`` rule of ``subjects.jsonl`` ("longest": most words of an open subject)."""
        return next(rule.words for rule in self.subjects if rule.role == role and rule.words is not None)

    def window_units(self) -> set[str]:
        """The UCUM codes of the units of time an amount of which may be a time window (``window`` of
        ``units.jsonl``)."""
        return {u.ucum for u in self.units if u.dimension == "time" and u.window}

    def unit_by_ucum(self, ucum: str) -> Optional[UnitRule]:
        """The unit rule with this UCUM code, if any."""
        for unit in self.units:
            if unit.ucum == ucum:
                return unit
        return None


def _read_jsonl(path: Path, model: type[Rule], seen: dict[str, str]) -> list[Rule]:
    rules = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GrammarError(f"not valid JSON: {exc.msg}", path.name, number) from None
        try:
            rule = model.model_validate(data)
        except ValidationError as exc:
            raise GrammarError(validation_problem(exc), path.name, number) from None
        if rule.id in seen:
            raise GrammarError(f"duplicate rule id {rule.id!r} (first in {seen[rule.id]})", path.name, number)
        seen[rule.id] = f"{path.name}:{number}"
        rules.append(rule)
    return rules


def load_grammars(directory: Optional[Path] = None) -> Grammars:
    """Read and validate every grammar file.

    Args:
        directory: a grammar directory; the packaged grammars when omitted.

    Returns:
        The validated rules, read once per process for each directory.

    Raises:
        GrammarError: a file is missing or a line is invalid (``file:line: problem``).
    """
    if directory is None:
        return _packaged_grammars()
    return _directory_grammars(Path(directory).resolve())


@lru_cache(maxsize=None)
def _directory_grammars(directory: Path) -> Grammars:
    return _load(directory)


@lru_cache(maxsize=1)
def _packaged_grammars() -> Grammars:
    with resources.as_file(resources.files("criteria_parser.grammars")) as path:
        return _load(Path(path))


def _load(directory: Path) -> Grammars:
    seen: dict[str, str] = {}
    parts: dict[str, list[Rule]] = {}
    for name, model in RULE_MODELS.items():
        path = directory / name
        if not path.is_file():
            raise GrammarError("grammar file missing", path)
        parts[name.removesuffix(".jsonl")] = _read_jsonl(path, model, seen)
    listing_path = directory / "listing.json"
    try:
        listing = ListingGrammar.model_validate_json(listing_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GrammarError("grammar file missing", listing_path) from None
    except ValidationError as exc:
        raise GrammarError(validation_problem(exc), "listing.json") from None
    return Grammars(version=listing.version, listing=listing, **parts)
