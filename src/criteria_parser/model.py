"""The criteria model: listing -> sections -> criteria tree -> constraints.

Every extracted value keeps the character span it came from in the original
input (``start``/``end``, end exclusive, counted in Unicode code points of the
decoded file), and every repair the parser made is a :class:`Flag` on the
constraint it affected. The model is versioned by :data:`SCHEMA_VERSION` (kept in
the package root, :mod:`criteria_parser`); downstream tools (store, workbench, rule
engines) read only this module.
"""

from __future__ import annotations

from enum import Enum
from typing import Iterator, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import SCHEMA_VERSION


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
    AT_LEAST = "at_least"  # at least ``count`` of them: "at least two of the following"


class AssertionKind(str, Enum):
    """What a ConText cue says of the words in its scope (rather than that they are required as written)."""

    NEGATED = "negated"  # "no history of stroke", "unwilling to use contraception"
    HYPOTHETICAL = "hypothetical"  # conditional or hypothetical: "if eGFR >= 45", "planned surgery"
    PERMITTED = "permitted"  # "palliative radiotherapy is allowed"
    HISTORICAL = "historical"  # "history of myocardial infarction"
    FAMILY = "family"  # "family history of long QT"


class ClauseKind(str, Enum):
    """A clause of a criterion that is not a requirement."""

    CONDITION = "condition"  # whom or when the rest applies to: "for subjects with creatinine > 1.5 x ULN"
    PERMISSION = "permission"  # what is allowed: "palliative radiotherapy <= 2 weeks is allowed"


class Substitution(str, Enum):
    """What an exception puts in place of what it excepts."""

    LIMIT = "limit"  # a different limit: "AST <= 3 x ULN, except liver metastases: AST <= 5 x ULN"
    EXEMPTION = "exemption"  # no limit at all for what it names: "except Gilbert's syndrome"


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


class EntityType(str, Enum):
    """What kind of clinical thing an entity mention names."""

    CONDITION = "condition"  # a disease, finding or state: myocardial infarction, pregnancy
    DRUG = "drug"  # a drug or drug class: prednisone, systemic corticosteroids, live vaccine
    PROCEDURE = "procedure"  # a procedure or therapy: radiotherapy, major surgery, stem cell transplant
    MEASUREMENT = "measurement"  # a lab or measurement: creatinine, systolic blood pressure, LVEF
    OBSERVATION = "observation"  # an observation or score: ECOG, life expectancy, smoking
    DEVICE = "device"  # a device: pacemaker, intrauterine device
    PERSON = "person"  # a person attribute: age, sex, adult, women


class Flag(_Model):
    """A repair or note: what was read, what was understood, and where."""

    kind: FlagKind
    read: str = Field(description="The text as written in the input.")
    understood: str = Field(description="What the parser took it to mean.")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    rule: Optional[str] = Field(default=None, description="Id of the grammar rule that made the repair.")


class Assertion(_Model):
    """An assertion on an entity or constraint, with the ConText cue that makes it and the cue's rule."""

    kind: AssertionKind
    cue: str = Field(description="The cue as written ('no history of', 'is allowed').")
    start: int = Field(ge=0, description="Start offset of the cue.")
    end: int = Field(ge=0, description="End offset of the cue.")
    rule: Optional[str] = Field(default=None, description="Id of the ConText rule (grammars/context.jsonl).")


class Constraint(_Model):
    """One machine-checkable limit stated by a criterion."""

    id: Optional[str] = Field(default=None, description="Unique in the listing: '<criterion id>.c<n>' ('ex6.1.c2'); "
                                                    "the parser always sets it.")
    kind: ConstraintKind
    subject: Optional[str] = Field(default=None, description="What is limited: the concept's normalized name, or, "
                                                             "for an open subject, the words as written.")
    subject_text: Optional[str] = Field(default=None, description="The subject as written (the text at its span).")
    subject_start: Optional[int] = Field(default=None, ge=0, description="Start offset of the subject's words.")
    subject_end: Optional[int] = Field(default=None, ge=0, description="End offset of the subject's words.")
    subject_concept: Optional[str] = Field(default=None, description="Lexicon id of the subject ('lex.creatinine').")
    subject_code: Optional[str] = Field(default=None, description="Code of the subject's concept, system first "
                                                                  "('LOINC:2160-0', 'ATC:H02').")
    open_subject: bool = Field(default=False, description="The subject is the text's own words: no concept known.")
    entity: Optional[str] = Field(default=None, description="Id of the entity limited (for a time window, the "
                                                            "event it bounds); the anchor stays in 'anchor'.")
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
    assertions: list[Assertion] = Field(default_factory=list, description="What ConText cues say of it.")
    condition: Optional[str] = Field(default=None, description="Id of the condition clause it depends on: it "
                                                               "applies only when the condition holds.")

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
        if (self.subject_start is None) != (self.subject_end is None):
            raise ValueError("a subject span needs both subject_start and subject_end")
        if self.subject_start is not None and self.subject_end < self.subject_start:
            raise ValueError("subject span end before start")
        if self.open_subject and self.subject_concept is not None:
            raise ValueError("an open subject has no concept")
        return self


class Entity(_Model):
    """One clinical mention of a criterion: what it names, where, and its concept when the lexicon knows it."""

    id: str = Field(description="Unique in the listing: '<criterion id>.e<n>' ('in5.e2').")
    type: EntityType
    text: str = Field(description="The words as written (the text at the span).")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    concept: Optional[str] = Field(default=None, description="Lexicon id ('lex.creatinine').")
    name: Optional[str] = Field(default=None, description="The concept's normalized name ('creatinine').")
    code: Optional[str] = Field(default=None, description="Code of the concept, system first ('LOINC:2160-0').")
    rule: Optional[str] = Field(default=None, description="What found it: a lexicon id, the entity model, or "
                                                          "'subject.open' for the words a value limits.")
    assertions: list[Assertion] = Field(default_factory=list, description="What ConText cues say of it.")
    condition: Optional[str] = Field(default=None, description="Id of the condition clause it depends on.")

    @model_validator(mode="after")
    def _check(self) -> "Entity":
        if self.end <= self.start:
            raise ValueError("an entity span must hold text")
        return self


class Excerpt(_Model):
    """A piece of the input text with its span."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Joiner(_Model):
    """A word joining two parts of a logic node ("or", "and", ","), with the rule of cues.jsonl that knows it;
    an empty ``text`` at ``start`` = ``end`` where nothing is written between them (all)."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    rule: Optional[str] = None


class LogicNode(_Model):
    """A node of a criterion's logic tree: ``all``, ``any`` or ``at_least`` ``count`` of its members (ids of
    constraints, entities and clauses of the criterion, or nodes), with the joiners between neighbours."""

    logic: Logic
    count: Optional[int] = Field(default=None, ge=1, description="For at_least: how many members must hold.")
    members: list[Union[str, "LogicNode"]] = Field(default_factory=list)
    joiners: list[Joiner] = Field(default_factory=list, description="Between member i and i + 1, in text order.")

    def ids(self) -> list[str]:
        """The ids under this node, in order."""
        return [i for m in self.members for i in ([m] if isinstance(m, str) else m.ids())]

    def describe(self, prefix: str = "") -> str:
        """The tree as a short expression, ids without ``prefix``: ``any(c1, c2)``, ``at_least 2(c1, e2, c3)``."""
        inner = ", ".join(m.removeprefix(prefix) if isinstance(m, str) else m.describe(prefix) for m in self.members)
        return f"{self.logic}{f' {self.count}' if self.count else ''}({inner})"


class Clause(_Model):
    """A condition or permission clause of a criterion: its words (cue included), its cue, and what it holds."""

    id: str = Field(description="'<criterion id>.k<n>' ('in5.k1').")
    kind: ClauseKind
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    cue: Excerpt = Field(description="The words that open it ('for subjects with', 'is allowed').")
    rule: Optional[str] = Field(default=None, description="Id of the ConText rule of its cue.")
    parts: list[str] = Field(default_factory=list, description="Ids of the constraints and entities inside it.")
    logic: Optional[LogicNode] = Field(default=None, description="How its parts combine.")


class CriterionException(Excerpt):
    """An exception clause ("except ...", "unless ..."): its words, what it excepts and what it substitutes."""

    id: Optional[str] = Field(default=None, description="'<criterion id>.x<n>' ('in5.x1').")
    cue: Optional[Excerpt] = Field(default=None, description="The words that open it ('except', 'unless').")
    rule: Optional[str] = None
    excepts: list[str] = Field(default_factory=list, description="Ids of the constraints and entities it excepts "
                                                                "from (the requirement it relaxes).")
    substitutes: Optional[Substitution] = Field(default=None, description="limit: its own constraints replace "
                                                "what it excepts; exemption: what it names is exempt.")
    parts: list[str] = Field(default_factory=list, description="Ids of the constraints and entities inside it: "
                                                              "the substitute limits, or what is exempt.")


class Criterion(_Model):
    """One numbered (or bulleted) item of a section, with its sub-items."""

    id: Optional[str] = Field(default=None, description="Unique in the listing: section and position ('in5', "
                                                    "'ex6.1'); the ids of its entities and constraints start with it.")
    label: str = Field(description="Label as numbered in the source, dotted with its parents: '6.1', '2.c'.")
    text: str = Field(description="The item's own text, label stripped, wrapped lines joined as in the source.")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    logic: Logic = Field(default=Logic.ALL, description="How the children combine: 'any of the following' is any.")
    logic_count: Optional[int] = Field(default=None, ge=1, description="For logic at_least: how many children.")
    logic_cue: Optional[Excerpt] = Field(default=None, description="The words that say how the children combine.")
    constraints: list[Constraint] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list, description="Every clinical mention, in text order.")
    exceptions: list[CriterionException] = Field(default_factory=list, description="'except ...' clauses.")
    clauses: list[Clause] = Field(default_factory=list, description="Condition and permission clauses.")
    tree: Optional[LogicNode] = Field(default=None, description="How the criterion's own parts combine: its "
                                      "requirements (constraints and entities outside any clause or exception).")
    children: list["Criterion"] = Field(default_factory=list)

    def next_id(self, kind: str) -> str:
        """A fresh id for a new entity (``kind`` "e"), constraint ("c"), clause ("k") or exception ("x") of this
        criterion."""
        taken = {item.id for item in (*self.entities, *self.constraints, *self.clauses, *self.exceptions) if item.id}
        number = 1
        while f"{self.id}.{kind}{number}" in taken:
            number += 1
        return f"{self.id}.{kind}{number}"

    def part_ids(self) -> set[str]:
        """The ids a logic tree, a clause or an exception of this criterion may name: its constraints, entities
        and condition and permission clauses."""
        return {item.id for item in (*self.constraints, *self.entities, *self.clauses) if item.id}

    def prune_links(self) -> None:
        """Drop what the clause structure names that the criterion does not have (a row a curator deleted, a
        constraint a script removed): a condition that is no condition clause of the criterion, a part, an
        excepted item or a tree member that is none of its ids. Validating a listing does this."""
        known = self.part_ids()
        conditions = {c.id for c in self.clauses if c.kind == ClauseKind.CONDITION.value}
        for item in (*self.constraints, *self.entities):
            if item.condition not in conditions:
                item.condition = None
        for holder in (*self.clauses, *self.exceptions):
            holder.parts = [i for i in holder.parts if i in known]
        for exception in self.exceptions:
            exception.excepts = [i for i in exception.excepts if i in known]
        self.tree = _pruned(self.tree, known)
        for clause in self.clauses:
            clause.logic = _pruned(clause.logic, known)

    def walk(self) -> Iterator["Criterion"]:
        """Yield this criterion and all its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


def _pruned(node: Optional[LogicNode], known: set[str]) -> Optional[LogicNode]:
    """``node`` without the members not in ``known`` (and their joiners); none when nothing is left."""
    if node is None:
        return None
    members, joiners = [], []
    for index, member in enumerate(node.members):
        kept = (member if member in known else None) if isinstance(member, str) else _pruned(member, known)
        if kept is not None:
            if members and index > 0:
                joiners.append(node.joiners[index - 1] if index - 1 < len(node.joiners) else
                               Joiner(text="", start=0, end=0))
            members.append(kept)
    if not members:
        return None
    count = min(node.count, len(members)) if node.count else None
    return node.model_copy(update={"members": members, "joiners": joiners, "count": count})


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

    @model_validator(mode="after")
    def _check_ids(self) -> "Listing":
        seen: set[str] = set()
        for _, criterion in self.walk():
            own = {entity.id for entity in criterion.entities}
            for item in (criterion, *criterion.entities, *criterion.constraints, *criterion.clauses,
                         *criterion.exceptions):
                if item.id is not None:
                    if item.id in seen:
                        raise ValueError(f"id {item.id} is used twice")
                    seen.add(item.id)
            for constraint in criterion.constraints:
                if constraint.entity is not None and constraint.entity not in own:
                    raise ValueError(f"constraint {constraint.id} points at {constraint.entity}, which is not an "
                                     f"entity of criterion {criterion.label}")
        for _, criterion in self.walk():
            criterion.prune_links()
        return self

    def number_criteria(self) -> None:
        """Give every criterion its id: section ("in", "ex") and position ("in5", "ex6.1"); a second section of
        one kind numbers as "in2_1", ..."""
        def number(criteria: list[Criterion], prefix: str) -> None:
            for position, criterion in enumerate(criteria, 1):
                criterion.id = f"{prefix}{position}"
                number(criterion.children, f"{criterion.id}.")
        seen: dict[str, int] = {}
        for section in self.sections:
            kind = "in" if section.kind == SectionKind.INCLUSION.value else "ex"
            seen[kind] = seen.get(kind, 0) + 1
            number(section.criteria, kind if seen[kind] == 1 else f"{kind}{seen[kind]}_")

    def fill_ids(self) -> None:
        """Give ids to whatever has none (a gold file of schema 1.0): criteria by position, then entities and
        constraints the next free ones of their criterion."""
        if any(criterion.id is None for _, criterion in self.walk()):
            self.number_criteria()
        for _, criterion in self.walk():
            for kind, items in (("e", criterion.entities), ("c", criterion.constraints)):
                for item in items:
                    if item.id is None:
                        item.id = criterion.next_id(kind)

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
