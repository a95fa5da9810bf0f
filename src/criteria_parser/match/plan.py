"""Compile a parsed listing into checks over documented patient variables.

Each criterion becomes a tree of checks; each check reads variables named by a
fixed scheme (README, "Matching patients"), with limits converted to the
variable's one canonical unit. The built-in evaluator (:mod:`.matcher`) and the
JsonLogic export (:mod:`.export_jsonlogic`) both walk these trees, so they
cannot disagree about what a criterion means.

Truth values are Kleene's: 1 met, 0.5 unknown, 0 not met; "all" is the minimum,
"any" the maximum, "not" is one minus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Generic, Iterator, Optional, TypeVar, Union

from ..grammar.clauses import clause_around
from ..grammar.context import asserted, context_reader
from ..grammar.loader import Grammars, LexiconEntry
from ..grammar.matching import CategoryScale, MatchingGrammar
from ..model import Constraint, Criterion, FlagKind, Listing, Section
from ..grammar.units import UnitMismatch, convert, display_unit, is_time
from .guards import Guards

MET, UNKNOWN, NOT_MET = 1.0, 0.5, 0.0
TRUTH_WORDS = {MET: "met", UNKNOWN: "unknown", NOT_MET: "not met"}


def slug(name: str) -> str:
    """A variable-name part: 'total bilirubin' -> 'total_bilirubin'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@dataclass(frozen=True)
class Variable:
    """A patient variable a check reads: its dotted path, meaning and canonical unit."""

    path: str
    kind: str  # obs, scale, event, event_window, treatment, concept, confirmation
    subject: str
    unit: Optional[str] = None
    method: Optional[str] = None
    anchor: Optional[str] = None
    description: str = ""


@dataclass(frozen=True)
class Compare:
    """A value (its ratio to the ULN/LLN, or its rank on a category scale) against a limit in the variable's unit."""

    variable: Variable
    comparator: str
    value: Optional[float]
    text: str
    value_high: Optional[float] = None
    category: Optional[str] = None
    reference: Optional[str] = None  # 'uln' or 'lln' for relative limits
    shown_unit: Optional[str] = None  # the unit the listing wrote the limit in
    scale: Optional[str] = None  # the category scale whose ranks ``value`` and ``value_high`` are
    source: Optional[Constraint] = field(default=None, repr=False, compare=False)  # the constraint it checks


@dataclass(frozen=True)
class DoseLimit:
    """A daily dose of ``drug`` against a limit: the dose a window asks for ('prednisone > 20 mg/day'), or
    the dose an exception lets pass ('except prednisone < 10 mg/d')."""

    drug: str
    comparator: str
    value: float
    unit: Optional[str]
    equivalent: bool  # 'or an equivalent dose': other drugs count by their dose in ``drug`` equivalents
    text: str
    source: Optional[Constraint] = field(default=None, repr=False, compare=False)  # the constraint it checks


@dataclass(frozen=True)
class TreatmentWindow:
    """A treatment of a class within a time before an anchor (days), at a dose if one is asked for, less excepted
    treatments. A dose limit with no window is a window of 0 days before the screening: the treatment is ongoing."""

    treatment_class: str
    anchor: str
    comparator: str
    days: float
    text: str
    shown: str
    dose: Optional[DoseLimit] = None
    exception: Optional[DoseLimit] = None
    name: str = ""  # the treatment as the lexicon or the matching grammar names it
    listed: bool = True  # the matching grammar lists the class's members; else any other treatment may be one
    source: Optional[Constraint] = field(default=None, repr=False, compare=False)  # the constraint it checks


@dataclass(frozen=True)
class EventWindow:
    """A recorded condition (onset, else recorded date) within a time before an anchor (days)."""

    variable: Variable  # events.<condition>.days_before.<anchor>; events.<condition>.recorded beside it
    comparator: str
    days: float
    text: str
    shown: str
    source: Optional[Constraint] = field(default=None, repr=False, compare=False)  # the constraint it checks

    @property
    def recorded(self) -> str:
        """The path saying whether the condition is recorded: present, undated, absent (ruled out) or null."""
        return self.variable.path.split(".days_before.")[0] + ".recorded"


@dataclass(frozen=True)
class Commitment:
    """A promise about the future ('contraception 6 months after the last infusion'): needs confirmation."""

    variable: Variable
    text: str
    source: Optional[Constraint] = field(default=None, repr=False, compare=False)  # the constraint it checks


@dataclass(frozen=True)
class ConceptCheck:
    """A named condition, treatment or confirmation answered from the record."""

    variable: Variable
    active_only: bool
    text: str


@dataclass(frozen=True)
class Unknown:
    """Text the machine cannot check."""

    reason: str
    source: Optional[Constraint] = field(default=None, repr=False, compare=False)  # the constraint, if one


@dataclass(frozen=True)
class AllOf:
    """All parts (minimum)."""

    parts: tuple["Check", ...]


@dataclass(frozen=True)
class AnyOf:
    """Any part (maximum)."""

    parts: tuple["Check", ...]


@dataclass(frozen=True)
class Agreeing:
    """Parts whose joining word is unclear: the answer when "all" and "any" agree, else unknown."""

    parts: tuple["Check", ...]


@dataclass(frozen=True)
class Unless:
    """``condition`` and not any of ``exceptions``."""

    condition: "Check"
    exceptions: tuple["Check", ...]


@dataclass(frozen=True)
class AtMostUnknown:
    """``part``, but never more than unknown: an exception was stated that cannot be checked."""

    part: "Check"
    reason: str


@dataclass(frozen=True)
class AtLeastUnknown:
    """``part``, but never less than unknown: what would fail the criterion may not apply (a condition, a cohort)
    or may be only part of what it asks."""

    part: "Check"
    reason: str


@dataclass(frozen=True)
class Negated:
    """The opposite of ``part``: the criterion negates what it names ('no history of stroke')."""

    part: "Check"
    cue: str


Check = Union[
    Compare, TreatmentWindow, EventWindow, Commitment, ConceptCheck, Unknown, AllOf, AnyOf, Agreeing, Unless,
    AtMostUnknown, AtLeastUnknown, Negated,
]

_READERS = {AllOf: "all_of", AnyOf: "any_of", Agreeing: "agreeing", Unless: "unless", Negated: "negated",
            AtMostUnknown: "at_most_unknown", AtLeastUnknown: "at_least_unknown", Unknown: "unknown", Compare: "compare",
            TreatmentWindow: "treatment_window", EventWindow: "event_window", Commitment: "commitment",
            ConceptCheck: "concept"}
T = TypeVar("T")


class CheckReader(Generic[T]):
    """Reads a check by its kind: a reader of plans (the evaluator, the JsonLogic writer) has one method per kind
    of check, named as in :data:`_READERS` (``all_of``, ``compare``, ...), and :meth:`read` calls it."""

    def read(self, check: Check) -> T:
        """What this reader makes of ``check``."""
        return getattr(self, _READERS[type(check)])(check)


@dataclass
class CriterionPlan:
    """One criterion (any level of the tree) and its check.

    ``check`` is the whole criterion, its sub-items included: what is evaluated. ``own`` is the check of the
    criterion's own limits (None when it states none), ``children`` the sub-items' plans and ``any_children``
    whether they join with "any"; exporters that nest sub-items (FHIR) build on these.
    """

    section: str
    label: str
    text: str
    check: Check
    top_level: bool
    criterion: Criterion = field(repr=False)
    own: Optional[Check] = None
    children: list["CriterionPlan"] = field(default_factory=list)
    any_children: bool = False

    def walk(self) -> Iterator["CriterionPlan"]:
        """This plan and its sub-items' plans, depth first (the order of :meth:`Criterion.walk`)."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class ListingPlan:
    """Every criterion's check, and the variables they read."""

    listing: Listing
    matching: MatchingGrammar = field(repr=False)  # the grammar the plan was compiled with
    criteria: list[CriterionPlan] = field(default_factory=list)
    variables: dict[str, Variable] = field(default_factory=dict)


class Compiler:
    """Turns constraints into checks, using the lexicon and the matching grammar."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar) -> None:
        self.grammars = grammars
        self.matching = matching
        self.lexicon = {entry.name: entry for entry in grammars.lexicon}
        self.variables: dict[str, Variable] = {}
        self.guards = Guards(grammars, matching)
        self.index: set[str] = set()  # the concepts the listing's own conditions name ("NSCLC": malignancy)

    def compile(self, listing: Listing) -> ListingPlan:
        """Checks for every criterion of ``listing``."""
        plan = ListingPlan(listing, self.matching)
        self.index = self.matching.index_concepts(listing.trial.conditions)
        for section in listing.sections:
            for top in section.criteria:
                plan.criteria.extend(self.criterion(section, top, top_level=True).walk())
        plan.variables = dict(sorted(self.variables.items()))
        return plan

    def criterion(self, section: Section, criterion: Criterion, top_level: bool = False,
                  applies: Optional[str] = None) -> CriterionPlan:
        """The plan of one criterion, its children included (``applies``: why a parent applies to some patients only,
        which holds for its sub-items too)."""
        applies = applies or self._applies(criterion.text)
        own = self._own(criterion)
        if own is not None and section.kind == "inclusion" and _excepts(own):
            own = AtLeastUnknown(own, "an exception in an inclusion relaxes it: failing the rest is unknown")
        if own is not None:
            own = self._partly(section, criterion, own)
        if own is not None and applies:
            own = _unsure(section.kind, own, applies, fails=True)
        if own is not None and section.kind == "exclusion":
            own = self._not_the_index(own)
        children = [self.criterion(section, child, applies=applies) for child in criterion.children]
        # sub-items of an exclusion are reasons to exclude each on its own unless the text says "all"; the parser
        # marks only "any", so in an exclusion its "all" is no more than the default
        either = criterion.logic == "any" or section.kind == "exclusion"
        if not children:
            check = own
            if own is None:
                check = self._concepts(section, criterion)
                check = _unsure(section.kind, check, applies, fails=True) if applies else check
                check = self._not_the_index(check) if section.kind == "exclusion" else check
        else:
            parts = tuple(child.check for child in children)
            combined: Check = AnyOf(parts) if either else AllOf(parts)
            check = combined if own is None else AllOf((own, combined))
        return CriterionPlan(section.kind, criterion.label, criterion.text, check, top_level, criterion, own,
                             children, bool(children) and either)

    def _not_the_index(self, check: Check) -> Check:
        """An exclusion's check kept from ``met`` when it reads a concept the trial's own condition is one of ("prior
        malignancy within 3 years" in a lung cancer trial): the record does not tell the index condition from a
        prior one."""
        named = next((name for name in _concepts_read(check) if name in self.index), None)
        if named is None:
            return check
        return AtMostUnknown(check, f"the trial's own condition is also a {named}: a person must tell the patient's "
                                    f"index condition from a prior one")

    def _partly(self, section: Section, criterion: Criterion, check: Check, text: Optional[str] = None) -> Check:
        """``check``, kept from the answer it cannot back when the criterion asks more than it reads (words no
        constraint or concept covers, or what is planned)."""
        text = criterion.text if text is None else text
        read = [] if criterion.constraints else list(self.matching.phrase_spans(text))  # concepts are read only then
        for excerpt in criterion.exceptions:  # what an exception asks is checked, or makes the answer unknown, apart
            found = text.find(excerpt.text)
            if found >= 0:
                read.append((found, found + len(excerpt.text)))
        for constraint in criterion.constraints:
            found = text.find(constraint.text)
            if found >= 0 and not self.guards.unjustified(criterion, constraint):
                read.append((found, found + len(constraint.text)))
        subjects = tuple(name for c in criterion.constraints if c.subject for name in self._names(c))
        words = self.guards.partial(text, read, subjects, "limits" if criterion.constraints else "concepts")
        future = self.guards.future(text) if section.kind == "exclusion" else None
        if future:
            return _unsure(section.kind, check, f"'{future}': what is planned is in no record", fails=False)
        unread = self._unlimited_condition(criterion)
        if unread:
            return _unsure(section.kind, check, f"the criterion also names '{unread}', which no check reads",
                           fails=False)
        if words:
            return _unsure(section.kind, check, f"the criterion also asks what is not checked ('{words}')", fails=False)
        return check

    def _unlimited_condition(self, criterion: Criterion) -> Optional[str]:
        """A condition the model lists for a criterion whose limits are all on age, which none of them limits
        ("Patients of 12-70 years ... with a diagnosis of NCPH": the age is read, the NCPH is not), if there is one
        (issue 9: the criterion's entities)."""
        if not criterion.constraints or any(c.subject != self.matching.age.subject for c in criterion.constraints):
            return None
        limited = {constraint.entity for constraint in criterion.constraints}
        return next((e.text for e in criterion.entities if e.type == "condition" and e.id not in limited), None)

    def _names(self, constraint: Constraint) -> list[str]:
        """Every way the text may name a constraint's subject: its own words and the lexicon's names for it."""
        entry = self.lexicon.get(constraint.subject or "")
        names = [entry.name, *entry.synonyms, *entry.abbreviations] if entry else [constraint.subject or ""]
        return [name for name in [constraint.subject_text or "", *names] if name]

    def _applies(self, text: str) -> Optional[str]:
        """Why a criterion applies to some patients only (a condition, a cohort), if it does."""
        condition = self.guards.conditional(text)
        if condition:
            return f"'{condition}': the criterion applies to some patients only"
        cohort = self.guards.cohort(text)
        return f"'{cohort}': the criterion defines one cohort of several" if cohort else None

    def _own(self, criterion: Criterion) -> Optional[Check]:
        conditions = [c for c in criterion.constraints if c.role == "condition"]
        exceptions = [c for c in criterion.constraints if c.role == "exception"]
        if not conditions:
            return None
        doses = [c for c in exceptions if c.kind == "dose" and c.subject]
        dose = self._dose_limit(doses[0], criterion.exceptions) if doses else None
        compiled: list[tuple[Constraint, Union[Check, DoseLimit]]] = []
        for constraint in conditions:
            limit = self._dose_condition(constraint, criterion)
            compiled.append((constraint, limit if limit is not None else self.constraint(constraint, criterion)))
        asked = {c.subject: check for c, check in compiled if isinstance(check, DoseLimit)}
        windows = {c.subject for c, check in compiled if isinstance(check, TreatmentWindow)}
        groups: dict[int, list[Check]] = {}
        used_dose = False
        for constraint, check in compiled:
            if isinstance(check, DoseLimit):
                if constraint.subject in windows:
                    continue  # the dose a window asks for: checked per treatment with the window
                check = self._ongoing(constraint, check)
            elif isinstance(check, TreatmentWindow) and constraint.subject in asked:
                check = replace(check, dose=asked[constraint.subject])
            if isinstance(check, TreatmentWindow) and dose is not None:
                check = replace(check, exception=dose)
                used_dose = True
            if isinstance(check, TreatmentWindow) and not self._members_known(check.treatment_class):
                check = replace(check, listed=False)
            if isinstance(check, (TreatmentWindow, EventWindow)):
                check = _washout(check, self.matching)
            groups.setdefault(constraint.group, []).append(check)
        parts = tuple(g[0] if len(g) == 1 else AnyOf(tuple(g)) for _, g in sorted(groups.items()))
        result: Check = parts[0] if len(parts) == 1 else AllOf(parts)
        if len(parts) > 1 and (self._or_between_groups(criterion, conditions) or _exclusive_values(parts, self.matching)
                               or _table(parts)):
            result = Agreeing(parts)  # "A (x < 90) or B (y > 170)" read as separate groups: "all" is not sure
        rest = [c for c in exceptions if not (used_dose and c.kind == "dose" and c is doses[0])]
        if rest:
            result = Unless(result, tuple(self.constraint(c, criterion) for c in rest))
        for excerpt in criterion.exceptions:
            if not any(excerpt.start <= c.text_start < excerpt.end for c in exceptions):
                result = AtMostUnknown(result, f"an exception cannot be checked: '{excerpt.text}'")
        return result

    def _members_known(self, treatment_class: str) -> bool:
        """Whether the matching grammar lists what counts as the class, or the class is one named drug."""
        entry = next((e for e in self.lexicon.values() if slug(e.name) == treatment_class), None)
        return (entry is not None and entry.category == "drug") or any(
            slug(c.name) == treatment_class for c in self.matching.treatment_classes)

    def _clause(self, criterion: Criterion, constraint: Constraint) -> str:
        """The clause of the criterion's text that holds the constraint."""
        at = max(constraint.start - criterion.start, 0)
        start, end = clause_around(self.grammars, criterion.text, at)
        return criterion.text[start:end]

    def _or_between_groups(self, criterion: Criterion, conditions: list[Constraint]) -> bool:
        """Whether an alternative cue ("or") stands between the words of two groups of the criterion: between the
        end of one and the start of the next, or, when the first one's words run into the next ("creatinine and /
        or BUN ≥ 1.5 × ULN"), between their starts."""
        spans: dict[int, tuple[int, int]] = {}
        for c in conditions:
            start, end = _located(criterion, c)
            low, high = spans.get(c.group, (start, end))
            spans[c.group] = (min(low, start), max(high, end))
        ordered = sorted(spans.values())
        return any(self._alternatives(criterion.text[a_end if a_end <= b_start else a_start:b_start])
                   for (a_start, a_end), (b_start, _) in zip(ordered, ordered[1:]))

    def _dose_condition(self, constraint: Constraint, criterion: Criterion) -> Union[DoseLimit, Unknown, None]:
        """The dose limit a condition states ('prednisone > 20 mg/day'), :class:`Unknown` when it cannot be
        checked, None when the constraint is not a dose of a named drug."""
        entry = self.lexicon.get(constraint.subject or "")
        is_drug = entry is not None and entry.category == "drug" and constraint.kind in ("threshold", "range")
        if not constraint.subject or not (constraint.kind == "dose" or is_drug):
            return None
        if constraint.value is None or not self.matching.single_limit(constraint.comparator):
            return Unknown(f"dose limit without a single value: '{constraint.text}'", constraint)
        if not constraint.unit:
            return Unknown(f"dose limit without a unit: '{constraint.text}'", constraint)
        try:
            return self._dose_limit(constraint, [criterion])
        except UnitMismatch as exc:
            return Unknown(f"'{constraint.text}': {exc}", constraint)

    def _ongoing(self, constraint: Constraint, limit: DoseLimit) -> TreatmentWindow:
        """A dose limit without a window: a treatment ongoing at the screening at that dose."""
        anchor = slug(self.matching.screening_anchor)
        self._treatment_anchor(anchor, self.matching.screening_anchor)
        ongoing = self.matching.ongoing
        return TreatmentWindow(slug(constraint.subject or ""), anchor, ongoing.comparator, ongoing.days, constraint.text,
                               f"the {self.matching.screening_anchor}", dose=limit, name=constraint.subject or "",
                               source=constraint)

    def _treatment_anchor(self, anchor: str, written: str) -> None:
        day = self.matching.canonical_units["time"]
        self._variable(Variable(f"treatments[].days_before.{anchor}", "treatment", "treatments", day, anchor=anchor,
                                description=f"days from a treatment's last day to the {written}"))

    def _dose_limit(self, constraint: Constraint, excerpts: list) -> DoseLimit:
        entry = self.lexicon.get(constraint.subject or "")
        unit = (entry.unit if entry and entry.unit else None) or constraint.unit
        value = constraint.value if constraint.value is not None else 0.0
        if constraint.unit and unit and constraint.unit != unit:
            value = convert(value, constraint.unit, unit, self.matching)
        excerpt = " ".join(e.text for e in excerpts)
        return DoseLimit(
            drug=slug(constraint.subject or ""),
            comparator=constraint.comparator,
            value=value,
            unit=unit,
            equivalent=self.matching.has_cue(excerpt, self.matching.equivalent_cues),
            text=constraint.text,
            source=constraint,
        )

    def constraint(self, constraint: Constraint, criterion: Optional[Criterion] = None) -> Check:
        """The check of one constraint (in ``criterion``, whose text may name the event of a window), or
        :class:`Unknown` with the reason; the check keeps the constraint as its ``source``."""
        return replace(self._constraint(constraint, criterion), source=constraint)

    def _constraint(self, constraint: Constraint, criterion: Optional[Criterion]) -> Check:
        subject = constraint.subject
        entry = self.lexicon.get(subject or "")
        unjustified = self.guards.unjustified(criterion, constraint) if criterion is not None else None
        if unjustified:
            return Unknown(unjustified)
        if subject == self.matching.age.subject and criterion is not None:
            clause = self._clause(criterion, constraint)
            event = self.matching.cue_in(clause, self.matching.age_at_event_cues)
            if event:
                return Unknown(f"the age is at another time than today ('{event}'): '{constraint.text}'")
        try:
            if constraint.kind == "time_window" and constraint.direction != "after" and (
                constraint.anchor or constraint.direction == "before"
            ):
                return self._window_before(constraint, entry, criterion)
            if not subject:
                return Unknown(f"no subject recognized in '{constraint.text}'")
            if constraint.kind == "time_window":
                return self._time_window(constraint, entry)
            if constraint.kind == "relative_limit":
                return self._relative(constraint, entry)
            return self._compare(constraint, entry)
        except UnitMismatch as exc:
            return Unknown(f"'{constraint.text}': {exc}")

    def _variable(self, variable: Variable) -> Variable:
        known = self.variables.setdefault(variable.path, variable)
        if known != variable:
            raise UnitMismatch(f"variable {variable.path} is read in {known.unit} and {variable.unit}")
        return known

    def _obs(self, subject: str, method: Optional[str], unit: Optional[str], suffix: str = "") -> Variable:
        path = f"obs.{slug(subject)}" + (f".{slug(method)}" if method else "")
        described = f"latest {subject}" + (f" by {method}" if method else "")
        return self._variable(
            Variable(path, "obs", subject, unit, method, description=described + (f", in {unit}" if unit else ""))
        )

    def _canonical(self, constraint: Constraint, entry: Optional[LexiconEntry]) -> Optional[str]:
        if entry is not None and entry.unit:
            return entry.unit
        if is_time(constraint.unit, self.matching):
            return self.matching.canonical_units["time"]
        return constraint.unit

    def _compare(self, constraint: Constraint, entry: Optional[LexiconEntry]) -> Check:
        subject = constraint.subject or ""
        scale = self.matching.scale(subject)
        if constraint.category is not None and scale is not None:
            return self._scale_compare(constraint, scale)
        unit = self._canonical(constraint, entry)
        if constraint.unit is None and unit is not None and self.matching.bare_number_units.get(subject) != unit:
            return Unknown(f"the limit has no unit, and the text does not make {subject}'s unit certain: "
                           f"'{constraint.text}'")
        implausible = self._implausible(constraint, entry, constraint.unit or unit)
        if implausible and not _structured(constraint):  # a registry field bounds what it says ("130 years": none)
            return Unknown(implausible)
        variable = self._obs(constraint.subject or "", constraint.qualifier, unit)
        value, high = self._limits(constraint, unit, entry)
        return Compare(variable, constraint.comparator, value, constraint.text, high, constraint.category,
                       shown_unit=constraint.unit)

    @staticmethod
    def _implausible(constraint: Constraint, entry: Optional[LexiconEntry], unit: Optional[str]) -> Optional[str]:
        """Why a limit lies outside the lexicon's plausible limits of its subject in its unit, if it does: the
        words then likely bound something else ("HbA1c variation within 0.5%"), and a wrong answer is worse
        than none."""
        bounds = entry.plausible.get(unit or "") if entry else None
        if not bounds:
            return None
        for number in (constraint.value, constraint.value_high):
            if number is not None and not bounds[0] <= number <= bounds[1]:
                return (f"{number:g} {unit} is not a plausible limit of {constraint.subject} ({bounds[0]:g}-"
                        f"{bounds[1]:g} {unit}); the words may bound something else: '{constraint.text}'")
        return None

    def _scale_compare(self, constraint: Constraint, scale: CategoryScale) -> Check:
        ranks = self.matching.category_ranks(scale, constraint.category or "")
        if ranks is None:
            return Unknown(f"'{constraint.category}' is not a category of the {scale.subject} scale ({scale.shown()}): "
                           f"'{constraint.text}'")
        names = [scale.categories[r - scale.first] for r in ranks]
        comparator = "between" if len(ranks) == 2 else constraint.comparator
        variable = self._variable(Variable(
            f"obs.{slug(scale.subject)}.rank", "scale", scale.subject,
            description=f"latest {scale.subject} as its rank: {scale.categories[0]} = {scale.first}, "
                        f"{scale.categories[1]} = {scale.first + 1}, ... ({scale.shown()})"))
        return Compare(variable, comparator, float(ranks[0]), constraint.text,
                       float(ranks[1]) if len(ranks) == 2 else None, " and ".join(names), scale=scale.subject)

    def _limits(self, constraint: Constraint, unit: Optional[str], entry: Optional[LexiconEntry]):
        molar = entry.molar_mass if entry else None
        values = []
        for number in (constraint.value, constraint.value_high):
            if number is not None and constraint.unit and unit and constraint.unit != unit:
                number = convert(number, constraint.unit, unit, self.matching, molar, constraint.subject)
            values.append(number)
        return values[0], values[1]

    def _relative(self, constraint: Constraint, entry: Optional[LexiconEntry]) -> Check:
        reference = self.matching.relative_reference(constraint.relative_to)
        if reference is not None and reference.unit:  # a fold of a baseline: a value in its own unit
            variable = self._obs(constraint.subject or "", constraint.qualifier, reference.unit)
            return Compare(variable, constraint.comparator, constraint.value, constraint.text,
                           constraint.value_high, shown_unit=reference.unit)
        if reference is None:
            return Unknown(f"relative to '{constraint.relative_to}' is not machine-checkable: '{constraint.text}'")
        unit = entry.unit if entry and entry.unit else None
        variable = self._obs(constraint.subject or "", constraint.qualifier, unit)
        return Compare(variable, constraint.comparator, constraint.value, constraint.text, constraint.value_high,
                       reference=(constraint.relative_to or "").lower())

    def _window_before(self, constraint: Constraint, entry: Optional[LexiconEntry],
                       criterion: Optional[Criterion]) -> Check:
        """A treatment, or else the condition or treatment the criterion names (concepts of the matching grammar),
        within a time before the anchor (the screening date when none is named)."""
        if constraint.value is None or not constraint.unit:
            return Unknown(f"time window without a duration: '{constraint.text}'")
        written = constraint.anchor or self.matching.screening_anchor
        anchor, day = slug(written), self.matching.canonical_units["time"]
        days = convert(constraint.value, constraint.unit, day, self.matching)
        shown = f"{constraint.value:g} {display_unit(constraint.unit, self.matching)} before {written}"
        subject = constraint.subject or ""
        stable = self.matching.cue_in(constraint.text, self.matching.stability_cues) or (
            criterion is not None and constraint.subject_start is not None and self.matching.cue_in(
                criterion.text[max(constraint.subject_start - criterion.start - 20, 0):
                               constraint.subject_start - criterion.start], self.matching.stability_cues))
        if stable:  # "on a stable immunotherapy for the last month": how long, not how recent (issue 9)
            return Unknown(f"'{stable}': how long a treatment has been unchanged is in no record: '{constraint.text}'")
        if self._names_the_anchor(constraint) or self._named_as_example(constraint, criterion):
            subject = ""  # "stroke within three months before surgery": the surgery is the anchor, not the event
        if subject and self.matching.is_treatment(subject, entry.category if entry else None):
            self._treatment_anchor(anchor, written)
            return TreatmentWindow(slug(subject), anchor, constraint.comparator, days, constraint.text, shown,
                                   name=subject)
        event = None
        if criterion is not None:
            event = self.matching.event_near(criterion.text, max(constraint.start - criterion.start, 0))
        if event is None:
            return Unknown(f"time windows are checked for treatments and the conditions of the matching grammar "
                           f"only: '{constraint.text}'")
        if event.kind == "treatment":
            self._treatment_anchor(anchor, written)
            return TreatmentWindow(slug(event.name), anchor, constraint.comparator, days, constraint.text, shown,
                                   name=event.name)
        base = f"events.{slug(event.name)}"
        variable = self._variable(Variable(
            f"{base}.days_before.{anchor}", "event_window", event.name, day, anchor=anchor,
            description=f"days from the latest {event.name} (onset, else recorded date) to the {written}"))
        self._variable(Variable(f"{base}.recorded", "event_record", event.name,
                                description=f"{event.name}: present, undated (an episode has no usable date), "
                                "absent (ruled out) or null (not recorded)"))
        return EventWindow(variable, constraint.comparator, days, constraint.text, shown)

    def _named_as_example(self, constraint: Constraint, criterion: Optional[Criterion]) -> bool:
        """Whether the subject is named only in a parenthesis of examples before the value ("any prior cancer
        diagnosis, with any treatment (e.g., ... radiation oncology) within 5 years")."""
        if criterion is None or not constraint.subject_text:
            return False
        text = criterion.text
        at = text.lower().rfind(constraint.subject_text.lower(), 0, max(constraint.start - criterion.start, 0))
        return at >= 0 and self.matching.in_example(text, at)

    def _names_the_anchor(self, constraint: Constraint) -> bool:
        """Whether the constraint's subject words are only its anchor's ("before surgery" read as the subject)."""
        written = (constraint.subject_text or "").lower()
        return bool(written) and any(rule.name == constraint.anchor and written in (p.lower() for p in rule.phrases)
                                     for rule in self.grammars.anchors)

    def _time_window(self, constraint: Constraint, entry: Optional[LexiconEntry]) -> Check:
        subject = constraint.subject or ""
        if constraint.direction == "after":
            variable = self._variable(Variable(f"confirmed.{slug(subject)}", "confirmation", subject,
                                               description=f"whether the patient confirmed: {subject}"))
            return Commitment(variable, constraint.text)
        day = self.matching.canonical_units["time"]
        if entry is not None and entry.category == "event":
            variable = self._variable(Variable(f"events.{slug(subject)}.duration", "event", subject, day,
                                               description=f"how long the {subject} lasted, in {day}"))
            value, high = self._limits(constraint, day, None)
            return Compare(variable, constraint.comparator, value, constraint.text, high, shown_unit=constraint.unit)
        return self._compare(constraint, entry)

    def _concepts(self, section: Section, criterion: Criterion) -> Check:
        """The concepts a criterion without limits names, outside its exceptions; a stated exception makes a met
        answer unknown ('malignancy, except adequately treated skin cancer')."""
        text = criterion.text
        for excerpt in criterion.exceptions:
            start, end = max(excerpt.start - criterion.start, 0), max(excerpt.end - criterion.start, 0)
            text = text[:start] + " " * (end - start) + text[end:]
        check = self._named(section, text)
        if not isinstance(check, Unknown):
            check = self._partly(section, criterion, check, text)
        for excerpt in criterion.exceptions:
            check = AtMostUnknown(check, f"an exception cannot be checked: '{excerpt.text}'")
        return check

    def _named(self, section: Section, text: str) -> Check:
        spans = self.matching.concept_spans(text)
        if not spans:
            return Unknown("not machine-checkable: no limit or known condition in the text")
        active = self.matching.has_cue(text, self.matching.active_cues)
        modifiers = context_reader(self.grammars).modifiers(text)
        checks: list[Check] = []
        for start, end, concept in spans:
            variable = self._variable(Variable(f"concepts.{slug(concept.name)}", "concept", concept.name,
                                               description=f"{concept.kind} '{concept.name}': "
                                               "present, inactive, absent or null"))
            check: Check = ConceptCheck(variable, active, concept.name)
            vague = self.matching.cue_in(text, self.matching.vague_time_cues)
            if vague:
                check = AtMostUnknown(check, f"'{vague}' does not say how recent: a person must check the dates")
            narrower = self._narrower(text, start)
            if narrower:
                check = AtMostUnknown(check, f"'{narrower}' may be narrower than {concept.name}: a person must check")
            if self.matching.in_example(text, start):
                check = AtMostUnknown(check, f"{concept.name} is named as an example only: a person must check")
            negation = asserted(modifiers, start, end, "NEGATED_EXISTENCE")
            if negation:
                check = Negated(check, negation[-1].text)
            hypothetical = asserted(modifiers, start, end, "HYPOTHETICAL")
            if hypothetical:  # "planned surgery", "if HBsAg positive": the record's answer is not the criterion's
                check = AtMostUnknown(check, f"'{hypothetical[0].text}' makes {concept.name} conditional or planned, "
                                             "not a fact of the record")
            checks.append(check)
        if len(checks) == 1:
            return checks[0]
        alternatives = self._alternatives(text)
        return AnyOf(tuple(checks)) if section.kind == "exclusion" and alternatives else Agreeing(tuple(checks))

    def _narrower(self, text: str, start: int) -> Optional[str]:
        """The words naming a narrower kind of the concept named at ``start`` ("breast | cancer", "anti-| cancer"):
        the word right before it, when it is one of the matching grammar's narrowing modifiers."""
        before = re.search(r"(\w+-|\w+\s+)$", text[:start])
        if before is None:
            return None
        word = before.group(1).strip()
        if not any(word.lower() == m.lower() or (m.endswith("-") and word.lower().endswith(m.lower()))
                   for m in self.matching.narrowing_modifiers):
            return None
        end = re.match(r"[\w-]+", text[start:])
        return f"{before.group(1)}{end.group() if end else ''}"

    def _alternatives(self, text: str) -> bool:
        cues = self.grammars.cue_phrases("alternative")
        return self.matching.has_cue(text, cues)


def _concepts_read(check: Check) -> Iterator[str]:
    """The names of the conditions and concepts a check reads, its parts' included."""
    if isinstance(check, (ConceptCheck, EventWindow)):
        yield check.variable.subject
    for part in (*getattr(check, "parts", ()), *getattr(check, "exceptions", ())):
        yield from _concepts_read(part)
    for name in ("part", "condition"):
        if getattr(check, name, None) is not None:
            yield from _concepts_read(getattr(check, name))


def _washout(window: Union["TreatmentWindow", "EventWindow"], matching: MatchingGrammar) -> Check:
    """A window bounded from below ("major surgery at least 28 days before the first dose") is a washout: none of it
    inside the time, whatever came before (no surgery at all meets it). Compiled as not the window inside it."""
    allowed = matching.interval(window.comparator, window.days)
    if allowed is None or allowed[0] <= 0 or allowed[2] != float("inf"):
        return window
    inside = next(name for name, forms in matching.comparators.items()
                  if forms.test == ("lt" if allowed[1] else "le"))
    return Negated(replace(window, comparator=inside), f"at least {window.shown}")


def _located(criterion: Criterion, constraint: Constraint) -> tuple[int, int]:
    """Where a constraint's words stand in the criterion's text: found by their words, since the offsets point into
    the stored text, which may hold Markdown escapes the text here no longer has ("cells/mm\\^3")."""
    found = criterion.text.find(constraint.text)
    if found < 0:
        found = max(constraint.text_start - criterion.start, 0)
    return found, found + len(constraint.text)


def _excepts(check: Check) -> bool:
    """Whether a check holds an exception (:class:`Unless`)."""
    if isinstance(check, Unless):
        return True
    return isinstance(check, (AtMostUnknown, AtLeastUnknown)) and _excepts(check.part)


def _structured(constraint: Constraint) -> bool:
    """Whether a constraint comes from a registry's structured field, not from words."""
    return any(flag.kind == FlagKind.STRUCTURED_FIELD for flag in constraint.flags)


def _unsure(section: str, check: Check, reason: str, fails: bool) -> Check:
    """``check`` kept from the answer the text does not back. ``fails``: what it checks may not apply to the patient
    (a condition, a cohort), so failing it is unknown: an inclusion not met, an exclusion met. Else it checks only part
    of what the criterion asks, so passing the part is unknown: an inclusion met, an exclusion not met."""
    floor = (section == "inclusion") == fails
    return AtLeastUnknown(check, reason) if floor else AtMostUnknown(check, reason)


def _table(parts: tuple[Check, ...]) -> bool:
    """Whether more than two groups read one variable: a table of limits by age or sex ("Age 1 to < 2 years: 0.6;
    Age 2 to < 6 years: 0.8 ..."), whose rows are alternatives, not all required."""
    groups: dict[str, set[int]] = {}
    for index, part in enumerate(parts):
        for check in part.parts if isinstance(part, AnyOf) else (part,):
            if isinstance(check, Compare):
                groups.setdefault(check.variable.path, set()).add(index)
    return any(len(indices) > 2 for indices in groups.values())


def _exclusive_values(parts: tuple[Check, ...], matching: MatchingGrammar) -> bool:
    """Whether two groups ask one variable for values that cannot both hold: two different "=" values ("ASA 1 or 2
    (ASA 1 meaning ... and ASA 2 meaning ...)") or ranges apart ("Age ≥ 60 years. Patients aged < 60 years who
    are unsuitable ... may be eligible"): "all" is then a misreading."""
    seen: dict[str, list[tuple[int, tuple]]] = {}
    for index, part in enumerate(parts):
        for check in part.parts if isinstance(part, AnyOf) else (part,):
            if not isinstance(check, Compare) or check.value is None or check.reference:
                continue
            allowed = matching.interval(check.comparator, check.value, check.value_high)
            if allowed is None:
                continue
            for other, interval in seen.get(check.variable.path, []):
                if other != index and intervals_apart(allowed, interval):
                    return True
            seen.setdefault(check.variable.path, []).append((index, allowed))
    return False


def intervals_apart(one: tuple, other: tuple) -> bool:
    """Whether two intervals of :meth:`MatchingGrammar.interval` share no value."""
    (low, low_in, high, high_in), (o_low, o_low_in, o_high, o_high_in) = one, other
    return (high < o_low or (high == o_low and not (high_in and o_low_in))
            or o_high < low or (o_high == low and not (o_high_in and low_in)))


def compile_listing(listing: Listing, grammars: Grammars, matching: MatchingGrammar) -> ListingPlan:
    """Checks for every criterion of ``listing`` (see :class:`Compiler`)."""
    return Compiler(grammars, matching).compile(listing)
