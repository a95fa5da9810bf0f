"""The criteria model: listing -> sections -> criteria tree -> constraints.

Every extracted value keeps the character span it came from in the original
input (``start``/``end``, end exclusive, counted in Unicode code points of the
decoded file), and every repair the parser made is a :class:`Flag` on the
constraint it affected. The model is versioned by :data:`SCHEMA_VERSION`;
downstream tools (store, workbench, rule engines) read only this module.
"""

from __future__ import annotations

from enum import Enum
from typing import Iterator, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = "1.0"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class SectionKind(str, Enum):
    """Which list a criterion belongs to."""

    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


class Comparator(str, Enum):
    """Comparators, exactly as the text states them (never inverted for exclusions)."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EQ = "="
    BETWEEN = "between"
    PLUS_MINUS = "+-"


class ConstraintKind(str, Enum):
    """What a constraint limits."""

    THRESHOLD = "threshold"  # a measured value against a number: creatinine <= 176.8 umol/L
    RANGE = "range"  # a value between two numbers: ECOG 0-2
    RELATIVE_LIMIT = "relative_limit"  # a multiple of a reference: ALT <= 3 x ULN
    DOSE = "dose"  # a drug amount: prednisone < 10 mg/d
    TIME_WINDOW = "time_window"  # a duration or time relative to an event: within 72 h before infusion
    CATEGORY = "category"  # a class on a named scale: NYHA III


class Role(str, Enum):
    """Whether a constraint states the criterion or an exception to it."""

    CONDITION = "condition"
    EXCEPTION = "exception"


class Logic(str, Enum):
    """How the parts of a criterion combine."""

    ALL = "all"
    ANY = "any"


class TimeDirection(str, Enum):
    """Where a time window lies relative to its anchor event."""

    BEFORE = "before"
    AFTER = "after"


class FlagKind(str, Enum):
    """Kinds of repair or note recorded on a constraint."""

    TYPO = "typo"  # a misspelled word matched to the lexicon: proiferation -> proliferation
    UNIT_REPAIR = "unit_repair"  # a garbled unit repaired by plausibility: (mol/L) -> umol/L
    NUMBER_WORD = "number_word"  # a number written as a word: four -> 4
    COMPARATOR_SPELLING = "comparator_spelling"  # a respelled comparator: =< , >/= , full-width
    POSTFIX_COMPARATOR = "postfix_comparator"  # comparator after the value: 92% or higher
    KEPT_AS_TEXT = "kept_as_text"  # words not understood, kept verbatim: (protolychic + larvae)
    INHERITED = "inherited"  # a field taken from the parent criterion: before infusion
    IMPLICIT_COMPARATOR = "implicit_comparator"  # no comparator written: "2 weeks received ..." read as within
    STRUCTURED_FIELD = "structured_field"  # a constraint from a registry's structured field


class Flag(_Model):
    """A repair or note: what was read, what was understood, and where."""

    kind: FlagKind
    read: str = Field(description="The text as written in the input.")
    understood: str = Field(description="What the parser took it to mean.")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    rule: Optional[str] = Field(default=None, description="Id of the grammar rule that made the repair.")


class Constraint(_Model):
    """One machine-checkable limit stated by a criterion."""

    kind: ConstraintKind
    subject: Optional[str] = Field(default=None, description="Normalized name of what is limited.")
    subject_text: Optional[str] = Field(default=None, description="The subject as written.")
    comparator: Comparator
    value: Optional[float] = Field(default=None, description="The (low) value; null for a category.")
    value_high: Optional[float] = Field(default=None, description="Upper value of a range.")
    category: Optional[str] = Field(default=None, description="Category value, e.g. 'III' of NYHA III.")
    unit: Optional[str] = Field(default=None, description="UCUM code of the unit, or null.")
    unit_text: Optional[str] = Field(default=None, description="The unit as written.")
    relative_to: Optional[str] = Field(default=None, description="Reference of a relative limit: ULN, LLN, fold.")
    direction: Optional[TimeDirection] = Field(default=None, description="Time windows: before or after the anchor.")
    anchor: Optional[str] = Field(default=None, description="Time windows: the event the window is measured from.")
    qualifier: Optional[str] = Field(default=None, description="How the value is measured: flow cytometry.")
    role: Role = Role.CONDITION
    group: int = Field(
        default=0,
        ge=0,
        description="Constraints of a criterion with the same group are alternatives (any); groups combine with all.",
    )
    start: int = Field(ge=0, description="Start offset of the value in the input file.")
    end: int = Field(ge=0, description="End offset of the value in the input file.")
    text: str = Field(description="The source words of the whole constraint.")
    text_start: int = Field(ge=0)
    text_end: int = Field(ge=0)
    flags: list[Flag] = Field(default_factory=list)
    rule: Optional[str] = Field(default=None, description="Id of the grammar rule that assembled it.")

    @model_validator(mode="after")
    def _check(self) -> "Constraint":
        if self.end < self.start or self.text_end < self.text_start:
            raise ValueError("span end before start")
        if self.comparator == Comparator.BETWEEN.value:
            if self.value is None or self.value_high is None:
                raise ValueError("a 'between' constraint needs value and value_high")
            if self.value_high < self.value:
                raise ValueError("value_high is below value")
        if self.value is None and self.category is None:
            raise ValueError("a constraint needs a value or a category")
        return self


class Excerpt(_Model):
    """A piece of the input text with its span."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Criterion(_Model):
    """One numbered (or bulleted) item of a section, with its sub-items."""

    label: str = Field(description="Label as numbered in the source, dotted with its parents: '6.1', '2.c'.")
    text: str = Field(description="The item's own text, label stripped, wrapped lines joined as in the source.")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    logic: Logic = Field(default=Logic.ALL, description="How the children combine: 'any of the following' is any.")
    constraints: list[Constraint] = Field(default_factory=list)
    exceptions: list[Excerpt] = Field(default_factory=list, description="'except ...' clauses.")
    children: list["Criterion"] = Field(default_factory=list)

    def walk(self) -> Iterator["Criterion"]:
        """Yield this criterion and all its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


class Section(_Model):
    """The inclusion or the exclusion list."""

    kind: SectionKind
    heading: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    criteria: list[Criterion] = Field(default_factory=list)

    def walk(self) -> Iterator[Criterion]:
        """Yield every criterion of the section, depth first."""
        for criterion in self.criteria:
            yield from criterion.walk()


class TrialInfo(_Model):
    """What a listing says about the trial besides its criteria."""

    nct_id: Optional[str] = None
    title: Optional[str] = None
    sponsor: Optional[str] = None
    status: Optional[str] = None
    sex: Optional[str] = None
    phase: Optional[str] = None
    conditions: list[str] = Field(default_factory=list)


class Listing(_Model):
    """A parsed listing: trial information and its criteria sections."""

    schema_version: str = SCHEMA_VERSION
    parser_version: str
    source: Optional[str] = Field(default=None, description="Path of the input file.")
    trial: TrialInfo = Field(default_factory=TrialInfo)
    sections: list[Section] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    def walk(self) -> Iterator[tuple[Section, Criterion]]:
        """Yield (section, criterion) for every criterion of the listing, depth first."""
        for section in self.sections:
            for criterion in section.walk():
                yield section, criterion

    def constraints(self) -> Iterator[tuple[Section, Criterion, Constraint]]:
        """Yield (section, criterion, constraint) for every constraint of the listing."""
        for section, criterion in self.walk():
            for constraint in criterion.constraints:
                yield section, criterion, constraint
