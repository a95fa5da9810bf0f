"""The built-in evaluator: check one patient against a listing's checks, three-valued, with reasons.

Every criterion is ``met``, ``not met`` or ``unknown``; the listing is
``eligible`` (all inclusions met, no exclusion met or unknown), ``ineligible``
(an inclusion not met or an exclusion met) or ``needs review``. Unknown never
becomes met: missing data, unusable units and uncheckable text all stay unknown.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel

from .plan import (
    MET, NOT_MET, TRUTH_WORDS, UNKNOWN, Agreeing, CheckReader, AllOf, AnyOf, AtLeastUnknown, AtMostUnknown,
    Commitment, Compare, ConceptCheck, EventWindow, ListingPlan, Negated, Permission, TreatmentWindow, Unknown, Unless,
    intervals_apart,
)
from .fact_store import Facts, number_text
from .outcome import Finding, Outcome, when_text
from .treatment_checks import TreatmentJudge
from ..grammar.matching import MatchingGrammar
from ..grammar.units import UnitMismatch, convert, display_unit

STATUS = {MET: "eligible", UNKNOWN: "needs review", NOT_MET: "ineligible"}


def decided(matching: MatchingGrammar, bound: str, value: float, comparator: str, limit: float,
            high: Optional[float] = None) -> Optional[float]:
    """Whether a result known only as ``bound value`` (">150") meets ``comparator limit``: MET when every value
    the bound allows does, NOT_MET when none does, None when the bound does not decide it."""
    given, wanted = matching.interval(bound, value), matching.interval(comparator, limit, high)
    if given is None or wanted is None:
        return None
    (g_low, g_low_in, g_high, g_high_in), (w_low, w_low_in, w_high, w_high_in) = given, wanted
    inside_low = g_low > w_low or (g_low == w_low and (w_low_in or not g_low_in))
    inside_high = g_high < w_high or (g_high == w_high and (w_high_in or not g_high_in))
    if inside_low and inside_high:
        return MET
    return NOT_MET if intervals_apart(given, wanted) else None


class CriterionResult(BaseModel):
    """One criterion's answer."""

    section: str
    label: str
    text: str
    result: str
    reasons: list[str]
    findings: list[Finding]
    top_level: bool


class MatchResult(BaseModel):
    """A patient against a listing: overall status and every criterion's answer."""

    patient: str
    listing: Optional[str]
    nct_id: Optional[str]
    screening_date: str
    status: str
    criteria: list[CriterionResult]
    warnings: list[str]


class Evaluator(CheckReader[Outcome]):
    """Evaluates checks over one patient's facts: :meth:`read` gives a check's outcome."""

    def __init__(self, facts: Facts, matching: MatchingGrammar) -> None:
        self.facts = facts
        self.matching = matching
        self.treatments = TreatmentJudge(facts, matching)

    def all_of(self, check: AllOf) -> Outcome:
        parts = [self.read(p) for p in check.parts]
        return Outcome(min(p.truth for p in parts), parts=parts)

    def any_of(self, check: AnyOf) -> Outcome:
        parts = [self.read(p) for p in check.parts]
        return Outcome(max(p.truth for p in parts), parts=parts)

    def agreeing(self, check: Agreeing) -> Outcome:
        parts = [self.read(p) for p in check.parts]
        low, high = min(p.truth for p in parts), max(p.truth for p in parts)
        unclear = "" if low == high else "the text does not say whether all or any of these is meant: unknown"
        return Outcome(low if low == high else UNKNOWN, unclear, parts)

    def unless(self, check: Unless) -> Outcome:
        condition = self.read(check.condition)
        exceptions = [self.read(e) for e in check.exceptions]
        excepted = max(e.truth for e in exceptions)
        return Outcome(min(condition.truth, 1 - excepted), "exception " + TRUTH_WORDS[excepted],
                       [condition, *exceptions])

    def negated(self, check: Negated) -> Outcome:
        part = self.read(check.part)
        return Outcome(1 - part.truth, f"negated by '{check.cue}': {TRUTH_WORDS[1 - part.truth]}", [part])

    def at_most_unknown(self, check: AtMostUnknown) -> Outcome:
        part = self.read(check.part)
        return Outcome(min(part.truth, UNKNOWN), check.reason if part.truth == MET else "", [part])

    def at_least_unknown(self, check: AtLeastUnknown) -> Outcome:
        part = self.read(check.part)
        return Outcome(max(part.truth, UNKNOWN), check.reason if part.truth == NOT_MET else "", [part])

    @staticmethod
    def unknown(check: Unknown) -> Outcome:
        return Outcome(UNKNOWN, check.reason + ": unknown")

    @staticmethod
    def permission(check: Permission) -> Outcome:
        return Outcome(NOT_MET, check.reason + ": not met")

    def _symbol(self, comparator: str) -> str:
        """How a reason writes a comparator: '≤'."""
        forms = self.matching.comparators.get(comparator)
        return forms.shown if forms else comparator

    def _show(self, value: float, unit: Optional[str], shown: Optional[str]) -> str:
        if unit and shown and shown != unit:
            try:
                value, unit = convert(value, unit, shown, self.matching), shown
            except UnitMismatch:
                pass
        return f"{number_text(value)} {display_unit(unit, self.matching)}".rstrip()

    def compare(self, check: Compare) -> Outcome:
        variable = check.variable
        base = variable.path if variable.kind in ("event", "scale") else f"{variable.path}.value"
        if check.category is not None and check.scale is None:
            base = f"{variable.path}.category"
        value = self.facts.get(base)
        note = self.facts.notes.get(base, f"no {variable.subject}")
        symbol = self._symbol(check.comparator)
        values = {"variable": base, "value": value, "unit": variable.unit, "comparator": check.comparator,
                  "limit": check.category if check.category is not None and check.scale is None else check.value}
        if check.value_high is not None:
            values["limit_high"] = check.value_high
        if value is None:
            return self._bounded(check, variable, note, values)
        if check.scale is not None:
            truth = MET if self.matching.holds(value, check.comparator, check.value, check.value_high) else NOT_MET
            return Outcome(truth, f"{note} {symbol} {check.category}: {TRUTH_WORDS[truth]}", values=values)
        if check.category is not None:
            truth = MET if str(value).strip().lower() == check.category.lower() else NOT_MET
            return Outcome(truth, f"{note} {symbol} {check.category}: {TRUTH_WORDS[truth]}", values=values)
        if check.reference:
            path = f"{variable.path}.{check.reference}"
            reference = self.facts.get(path)
            values.update(reference=check.reference.upper(), reference_value=reference)
            if reference is None or reference <= 0:
                return Outcome(UNKNOWN, f"{note}; {self.facts.notes.get(path)}: cannot judge {symbol} "
                               f"{check.value:g} × {check.reference.upper()}: unknown", values=values)
            high = check.value_high * reference if check.value_high is not None else None
            ok = self.matching.holds(value, check.comparator, check.value * reference, high)
            said = (f"{note} = {value / reference:.2f} × {check.reference.upper()} ({self.facts.notes.get(path)}) "
                    f"{symbol} {check.value:g} × {check.reference.upper()}")
        else:
            ok = self.matching.holds(value, check.comparator, check.value, check.value_high)
            converted = self._show(value, variable.unit, check.shown_unit)
            limit = self._show(check.value, variable.unit, check.shown_unit)
            if check.value_high is not None:
                limit += f" and {self._show(check.value_high, variable.unit, check.shown_unit)}"
            said = f"{note}" + ("" if converted in note else f" = {converted}")
            said += f" {symbol} {limit}"
        if ok is None:
            return Outcome(UNKNOWN, f"{said}: comparator not machine-checkable: unknown", values=values)
        truth = MET if ok else NOT_MET
        return Outcome(truth, f"{said}: {TRUTH_WORDS[truth]}", values=values)

    def _bounded(self, check: Compare, variable: Any, note: str, values: dict) -> Outcome:
        """A check of a result known only as a bound (">150"): met or not met when the bound decides it, else
        unknown."""
        bound = self.facts.get(f"{variable.path}.bound")
        if bound is None or bound["value"] is None or check.scale is not None or check.category is not None:
            return Outcome(UNKNOWN, f"{note}: unknown", values=values)
        scale = 1.0
        if check.reference:
            scale = self.facts.get(f"{variable.path}.{check.reference}")
            if scale is None or scale <= 0:
                return Outcome(UNKNOWN, f"{note}: unknown", values=values)
        high = check.value_high * scale if check.value_high is not None else None
        truth = decided(self.matching, bound["comparator"], bound["value"], check.comparator, check.value * scale, high)
        if truth is None:
            return Outcome(UNKNOWN, f"{note}, which does not decide {self._symbol(check.comparator)} "
                           f"{number_text(check.value)}{' × ' + check.reference.upper() if check.reference else ''}"
                           ": unknown", values=values)
        return Outcome(truth, f"{note}; the bound decides: {TRUTH_WORDS[truth]}", values=values)

    def treatment_window(self, check: TreatmentWindow) -> Outcome:
        return self.treatments.window(check)

    def event_window(self, check: EventWindow) -> Outcome:
        path, anchor = check.variable.path, (check.variable.anchor or "").replace("_", " ")
        days, recorded = self.facts.get(path), self.facts.get(check.recorded)
        note = self.facts.notes.get(path, f"no {check.variable.subject} recorded")
        values = {"variable": path, "value": days, "recorded": recorded, "comparator": check.comparator,
                  "limit_days": check.days}
        if recorded == "absent":
            return Outcome(NOT_MET, f"{note}: not met", values=values)
        if days is None:
            return Outcome(UNKNOWN, f"{note}: unknown", values=values)
        ok = days >= 0 and self.matching.holds(days, check.comparator, check.days)
        said = f"{note}, {when_text(days, anchor)}, {'within' if ok else 'outside'} {check.shown}"
        if ok:
            return Outcome(MET, f"{said}: met", values=values)
        if recorded == "undated":
            return Outcome(UNKNOWN, f"{said}; another episode has no usable date: unknown", values=values)
        return Outcome(NOT_MET, f"{said}: not met", values=values)

    def commitment(self, check: Commitment) -> Outcome:
        value = self.facts.get(check.variable.path)
        note = self.facts.notes.get(check.variable.path, "")
        values = {"variable": check.variable.path, "value": value}
        if value is None:
            return Outcome(UNKNOWN, f"future commitment ('{check.text}'): needs confirmation: unknown", values=values)
        truth = MET if value else NOT_MET
        return Outcome(truth, f"future commitment ('{check.text}'), {note}: {TRUTH_WORDS[truth]}", values=values)

    def concept(self, check: ConceptCheck) -> Outcome:
        value = self.facts.get(check.variable.path)
        note = self.facts.notes.get(check.variable.path, "")
        values = {"variable": check.variable.path, "value": value, "active_only": check.inactive == NOT_MET}
        if value is None:
            return Outcome(UNKNOWN, f"{note}: unknown", values=values)
        truth = {"present": MET, "absent": NOT_MET}.get(value, check.inactive)
        suffix = "" if value != "inactive" else {NOT_MET: " (the criterion asks for an active one)", MET: "",
                                                  UNKNOWN: " (the criterion says neither current nor past)"}[truth]
        return Outcome(truth, f"{check.text}: {note}{suffix}: {TRUTH_WORDS[truth]}", values=values)


def overall(truths: list[tuple[str, float]]) -> float:
    """Kleene: all inclusions met and no exclusion met; a listing without criteria needs review."""
    return min([t if section == "inclusion" else 1 - t for section, t in truths], default=UNKNOWN)


def assess(plan: ListingPlan, facts: Facts, matching: MatchingGrammar, patient_id: str, screening: str) -> MatchResult:
    """Every criterion of ``plan`` answered over one patient's ``facts``, and the listing's status."""
    evaluator = Evaluator(facts, matching)
    results, truths = [], []
    for criterion in plan.criteria:
        outcome = evaluator.read(criterion.check)
        if criterion.top_level:
            truths.append((criterion.section, outcome.truth))
        findings = outcome.findings()
        results.append(CriterionResult(
            section=criterion.section, label=criterion.label, text=" ".join(criterion.text.split()),
            result=TRUTH_WORDS[outcome.truth], reasons=[f.reason for f in findings], findings=findings,
            top_level=criterion.top_level,
        ))
    return MatchResult(
        patient=patient_id, listing=plan.listing.source, nct_id=plan.listing.trial.nct_id,
        screening_date=screening, status=STATUS[overall(truths)], criteria=results, warnings=facts.warnings,
    )
