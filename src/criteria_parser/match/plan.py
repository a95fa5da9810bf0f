"""The match plan: a listing's criteria as trees of checks over documented patient variables.

Each criterion's check reads variables named by a fixed scheme (README,
"Matching patients"), with limits converted to the variable's one canonical
unit; :mod:`.compiler` builds the plan. The built-in evaluator (:mod:`.screen`),
the JsonLogic export and the FHIR export all read these trees, so they cannot
disagree about what a criterion means.

Truth values are Kleene's: 1 met, 0.5 unknown, 0 not met; "all" is the minimum,
"any" the maximum, "not" is one minus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Generic, Iterator, Optional, TypeVar, Union

from ..grammar.matching import MatchingGrammar
from ..model import Constraint, Criterion, Listing
from ..grammar.units import UnitMismatch


MET, UNKNOWN, NOT_MET = 1.0, 0.5, 0.0
TRUTH_WORDS = {MET: "met", UNKNOWN: "unknown", NOT_MET: "not met"}


def slug(name: str) -> str:
    """A variable-name part: 'total bilirubin' -> 'total_bilirubin'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def maybe_of(treatment_class: str) -> str:
    """The mark, among a treatment's classes, that criteria often count it as ``treatment_class`` though ATC does
    not (a class's ``may_include``): 'immunosuppressants?' for prednisone."""
    return f"{treatment_class}?"


@dataclass(frozen=True)
class Variable:
    """A patient variable a check reads: its dotted path, meaning and canonical unit."""

    path: str
    kind: str  # obs, scale, event, event_window, treatment, concept, concept_to_come, confirmation
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
    """A recorded condition (its end, else onset, else recorded date) within a time before an anchor (days)."""

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
    inactive: float  # the answer when the record holds it as inactive (resolved): NOT_MET when the criterion asks
    # for an active one ("current"), MET for one in the past ("history of"), UNKNOWN when its words say neither
    text: str


@dataclass(frozen=True)
class Unknown:
    """Text the machine cannot check."""

    reason: str
    source: Optional[Constraint] = field(default=None, repr=False, compare=False)  # the constraint, if one


@dataclass(frozen=True)
class Permission:
    """An exclusion that only permits ('palliative radiotherapy is allowed'): a permission never excludes, so it
    is never met."""

    reason: str


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
    Compare, TreatmentWindow, EventWindow, Commitment, ConceptCheck, Unknown, Permission, AllOf, AnyOf, Agreeing,
    Unless, AtMostUnknown, AtLeastUnknown, Negated,
]

_READERS = {AllOf: "all_of", AnyOf: "any_of", Agreeing: "agreeing", Unless: "unless", Negated: "negated",
            AtMostUnknown: "at_most_unknown", AtLeastUnknown: "at_least_unknown", Unknown: "unknown", Permission: "permission",
            Compare: "compare",
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


class VariableRegistry:
    """The variables a plan's checks read, each once and in one unit (a second unit is a :class:`UnitMismatch`)."""

    def __init__(self, matching: MatchingGrammar) -> None:
        self.matching = matching
        self.known: dict[str, Variable] = {}

    def add(self, variable: Variable) -> Variable:
        """``variable``, registered; the one already known by its path if it is the same."""
        known = self.known.setdefault(variable.path, variable)
        if known != variable:
            raise UnitMismatch(f"variable {variable.path} is read in {known.unit} and {variable.unit}")
        return known

    def obs(self, subject: str, method: Optional[str], unit: Optional[str]) -> Variable:
        """The latest observation of ``subject`` (by ``method``), in ``unit``."""
        path = f"obs.{slug(subject)}" + (f".{slug(method)}" if method else "")
        described = f"latest {subject}" + (f" by {method}" if method else "")
        return self.add(
            Variable(path, "obs", subject, unit, method, description=described + (f", in {unit}" if unit else ""))
        )

    def treatment_anchor(self, anchor: str, written: str) -> None:
        """Days from each treatment's last day to ``anchor``."""
        day = self.matching.canonical_units["time"]
        self.add(Variable(f"treatments[].days_before.{anchor}", "treatment", "treatments", day, anchor=anchor,
                          description=f"days from a treatment's last day to the {written}"))


def intervals_apart(one: tuple, other: tuple) -> bool:
    """Whether two intervals of :meth:`MatchingGrammar.interval` share no value."""
    (low, low_in, high, high_in), (o_low, o_low_in, o_high, o_high_in) = one, other
    return (high < o_low or (high == o_low and not (high_in and o_low_in))
            or o_high < low or (o_high == low and not (o_high_in and low_in)))
