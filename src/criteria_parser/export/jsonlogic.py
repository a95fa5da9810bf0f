"""Export a listing's checks as JsonLogic rules (https://jsonlogic.com).

Every rule returns a number: 1 met, 0.5 unknown, 0 not met (Kleene logic:
"all" is ``min``, "any" is ``max``, "not" is ``1 - x``). The ``listing`` rule
returns 1 eligible, 0.5 needs review, 0 ineligible. Rules read the variables
listed under ``variables`` (dotted paths into the data, values already in the
listed unit); :func:`jsonlogic_data` builds that data from a patient. Missing
values are tested with strict ``===`` null, since engines differ on ``0 == null``.
"""

from __future__ import annotations

from typing import Any

from ..match.plan import (
    UNKNOWN, Agreeing, AllOf, AnyOf, AtLeastUnknown, AtMostUnknown, CheckReader, Commitment, Compare, ConceptCheck, DoseLimit, EventWindow,
    ListingPlan, Negated, Permission, TreatmentWindow, Unknown, Unless, maybe_of,
)
from ..match.fact_store import Facts
from ..grammar.matching import MatchingGrammar


def _var(path: str) -> dict:
    return {"var": path}


def _known(path: str, rule: Any) -> dict:
    """``rule`` when the variable is present, else unknown."""
    return {"if": [{"===": [_var(path), None]}, UNKNOWN, rule]}


def _truth(condition: Any) -> dict:
    return {"if": [condition, 1, 0]}


class JsonLogicWriter(CheckReader[Any]):
    """Writes checks as JsonLogic rules (:meth:`read`), with the comparators' operators of the matching grammar."""

    def __init__(self, matching: MatchingGrammar) -> None:
        self.matching = matching

    def _holds(self, left: Any, comparator: str, limit: Any, high: Any = None) -> Any:
        forms = self.matching.comparators.get(comparator)
        if forms is None:
            return None
        if forms.test == "between":
            return {forms.jsonlogic: [limit, left, high]}
        return {forms.jsonlogic: [left, limit]}

    def all_of(self, check: AllOf) -> Any:
        return {"min": [self.read(p) for p in check.parts]}

    def any_of(self, check: AnyOf) -> Any:
        return {"max": [self.read(p) for p in check.parts]}

    def agreeing(self, check: Agreeing) -> Any:
        parts = [self.read(p) for p in check.parts]
        low, high = {"min": parts}, {"max": parts}
        return {"if": [{"==": [low, high]}, low, UNKNOWN]}

    def unless(self, check: Unless) -> Any:
        return {"min": [self.read(check.condition), {"-": [1, {"max": [self.read(e) for e in check.exceptions]}]}]}

    def negated(self, check: Negated) -> Any:
        return {"-": [1, self.read(check.part)]}

    def at_most_unknown(self, check: AtMostUnknown) -> Any:
        return {"min": [self.read(check.part), UNKNOWN]}

    def at_least_unknown(self, check: AtLeastUnknown) -> Any:
        return {"max": [self.read(check.part), UNKNOWN]}

    @staticmethod
    def unknown(check: Unknown) -> Any:
        return UNKNOWN

    @staticmethod
    def permission(check: Permission) -> Any:
        return 0  # a permission never excludes

    @staticmethod
    def commitment(check: Commitment) -> Any:
        path = check.variable.path
        return _known(path, _truth({"===": [_var(path), True]}))

    def compare(self, check: Compare) -> Any:
        variable = check.variable
        if check.scale is not None:
            rank = self._holds(_var(variable.path), check.comparator, check.value, check.value_high)
            return _known(variable.path, _truth(rank))
        if check.category is not None:
            path = f"{variable.path}.category"
            return _known(path, _truth({"===": [_var(path), check.category]}))
        path = variable.path if variable.kind == "event" else f"{variable.path}.value"
        if check.reference:
            reference = f"{variable.path}.{check.reference}"
            scale = lambda k: {"*": [k, _var(reference)]}  # noqa: E731
            high = scale(check.value_high) if check.value_high is not None else None
            condition = self._holds(_var(path), check.comparator, scale(check.value), high)
            if condition is None:
                return UNKNOWN
            positive = {"if": [{">": [_var(reference), 0]}, _truth(condition), UNKNOWN]}  # a ULN of 0 says nothing
            return _known(path, _known(reference, positive))
        condition = self._holds(_var(path), check.comparator, check.value, check.value_high)
        return UNKNOWN if condition is None else _known(path, _truth(condition))

    def _dosed(self, limit: DoseLimit) -> Any:
        """Whether the current treatment's dose (or its equivalent dose) is within ``limit``; 0 when not covered."""
        dose = _known("current.dose", _truth(self._holds(_var("current.dose"), limit.comparator, limit.value)))
        other: Any = 0
        if limit.equivalent:
            path = f"current.dose_as.{limit.drug}"
            other = _known(path, _truth(self._holds(_var(path), limit.comparator, limit.value)))
        return {"if": [{"in": [limit.drug, _var("current.classes")]}, dose, other]}

    def treatment_window(self, check: TreatmentWindow) -> Any:
        days = f"current.days_before.{check.anchor}"
        inside = self._holds(_var(days), check.comparator, check.days)
        at_least, later = _var(f"current.days_at_least.{check.anchor}"), UNKNOWN  # an anchor still to come, undated
        allowed = self.matching.interval(check.comparator, check.days)
        if allowed is not None and allowed[2] != float("inf"):
            past = {">" if allowed[3] else ">=": [at_least, allowed[2]]}
            later = {"if": [{"and": [{"!==": [at_least, None]}, past]}, 0, UNKNOWN]}
        window = {"if": [{"===": [_var(days), None]}, later, _truth({"and": [{">=": [_var(days), 0]}, inside]})]}
        counted: Any = window
        if check.dose is not None:
            counted = {"min": [window, self._dosed(check.dose)]}
        if check.exception is not None:
            counted = {"min": [counted, {"-": [1, self._dosed(check.exception)]}]}
        member: Any = {"in": [check.treatment_class, _var("current.classes")]}
        if check.dose is not None and check.dose.equivalent:
            equivalent = f"current.dose_as.{check.dose.drug}"
            member = {"or": [member, {"!": {"===": [_var(equivalent), None]}}]}
        other: Any = 0 if check.listed else {"if": [_var("current.classified"), 0, UNKNOWN]}  # no member list: a
        # treatment the grammars do not know may be one
        maybe = {"in": [maybe_of(check.treatment_class), _var("current.classes")]}  # a steroid as immunosuppressant
        over = {"reduce": [_var("treatments"), {"max": [_var("accumulator"), {"if": [
            member, counted, maybe, {"min": [counted, UNKNOWN]}, other]}]}, 0]}
        # a treatment not listed was not given only when the history is complete
        over = {"max": [{"if": [_var("treatments_complete"), 0, UNKNOWN]}, over]}
        return {"if": [{"===": [_var("treatments"), None]}, UNKNOWN, over]}

    def event_window(self, check: EventWindow) -> Any:
        days, recorded = _var(check.variable.path), _var(check.recorded)
        inside = {"and": [{">=": [days, 0]}, self._holds(days, check.comparator, check.days)]}
        return {"if": [
            {"===": [recorded, "absent"]}, 0,
            {"===": [days, None]}, UNKNOWN,
            inside, 1,
            {"===": [recorded, "undated"]}, UNKNOWN,
            0,
        ]}

    @staticmethod
    def concept(check: ConceptCheck) -> Any:
        path = check.variable.path
        return {"if": [
            {"===": [_var(path), "present"]}, 1,
            {"===": [_var(path), "absent"]}, 0,
            {"===": [_var(path), "inactive"]}, check.inactive,
            UNKNOWN,
        ]}


def export_jsonlogic(plan: ListingPlan) -> dict:
    """The rules of every criterion, the listing rule, and the variables they read."""
    writer = JsonLogicWriter(plan.matching)
    rules = []
    top: list[Any] = []
    for criterion in plan.criteria:
        rule = writer.read(criterion.check)
        rules.append({"section": criterion.section, "label": criterion.label,
                      "text": " ".join(criterion.text.split()), "rule": rule})
        if criterion.top_level:
            top.append(rule if criterion.section == "inclusion" else {"-": [1, rule]})
    return {
        "format": "criteria-parser jsonlogic 1",
        "nct_id": plan.listing.trial.nct_id,
        "truth_values": {"1": "met / eligible", "0.5": "unknown / needs review", "0": "not met / ineligible"},
        "variables": [
            {"path": v.path, "unit": v.unit, "description": v.description} for v in plan.variables.values()
        ] + [{"path": "treatments", "unit": None, "description": "treatment history, null when not given; each "
              "has name, classes, days_before.<anchor>, dose (in the drug's usual unit) and dose_as.<drug> (the dose "
              "in equivalents of a reference drug, e.g. prednisone mg/d)"},
           {"path": "treatments_complete", "unit": None, "description": "whether the treatment history is complete "
            "(otherwise a treatment not listed is unknown, not absent)"}],
        "criteria": rules,
        "listing": {"min": top} if top else UNKNOWN,
    }


def jsonlogic_data(facts: Facts) -> dict:
    """The JsonLogic data of a patient: the facts' values."""
    return facts.data
