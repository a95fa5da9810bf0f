"""Treatment windows over a patient's treatment rows: whether a treatment of a class was given within a time of
an anchor, and whether its dose (or its equivalent of a reference drug) is within a limit or an exception."""

from __future__ import annotations

from typing import Optional

from ..grammar.matching import MatchingGrammar
from ..grammar.units import display_unit
from .fact_store import Facts, number_text
from .outcome import Outcome, when_text
from .plan import MET, NOT_MET, TRUTH_WORDS, UNKNOWN, DoseLimit, TreatmentWindow, maybe_of
from .treatments import INCOMPLETE


class TreatmentJudge:
    """Judges :class:`~.plan.TreatmentWindow` checks over one patient's facts."""

    def __init__(self, facts: Facts, matching: MatchingGrammar) -> None:
        self.facts = facts
        self.matching = matching

    def window(self, check: TreatmentWindow) -> Outcome:
        """Whether a treatment of the check's class (or dose equivalent) was given within its window, and its dose
        within the limit or exception."""
        rows = self.facts.data.get("treatments")
        what = check.treatment_class.replace("_", " ")
        if rows is None:
            return Outcome(UNKNOWN, f"{what} within {check.shown}: no treatment history given: unknown",
                           values={"variable": "treatments", "value": None})
        parts = []
        for index, row in enumerate(rows):
            note = self.facts.notes.get(f"treatments[{index}]", row["name"])
            if self._member(check, row):
                parts.append(self._treatment(check, row, note))
            elif maybe_of(check.treatment_class) in row["classes"]:  # counted as one by some criteria (a steroid)
                inside = self._treatment(check, row, note)
                truth = min(inside.truth, UNKNOWN)
                said = inside.reason.rsplit(": ", 1)[0]
                parts.append(Outcome(truth, f"{said}; some count it as {what}: {TRUTH_WORDS[truth]}",
                                     values=inside.values))
            elif not check.listed and not row["classified"]:  # no member list: a treatment the grammars do not know
                parts.append(Outcome(UNKNOWN, f"{note}: may be {what} (no list of what counts as one): unknown"))
        if not self.facts.data.get("treatments_complete"):  # a treatment not listed may still have been given
            parts.append(Outcome(UNKNOWN, f"no other {what} known: {INCOMPLETE}: unknown",
                                 values={"variable": "treatments_complete", "value": False}))
        if not parts:
            return Outcome(NOT_MET, f"no {what} in the treatment history: not met",
                           values={"variable": "treatments", "class": check.treatment_class, "treatments": 0})
        return Outcome(max(p.truth for p in parts), parts=parts)

    @staticmethod
    def _member(check: TreatmentWindow, row: dict) -> bool:
        """Whether a treatment counts: of the class, or (dose 'or equivalent') with a known equivalent dose."""
        if check.treatment_class in row["classes"]:
            return True
        dose = check.dose
        return dose is not None and dose.equivalent and row["dose_as"].get(dose.drug) is not None

    def _treatment(self, check: TreatmentWindow, row: dict, note: str) -> Outcome:
        days = row["days_before"].get(check.anchor)
        anchor = check.anchor.replace("_", " ")
        values = {"variable": "treatments", "treatment": row["name"], "class": check.treatment_class,
                  "anchor": check.anchor, "days_before": days, "comparator": check.comparator, "limit_days": check.days}
        at_least = row.get("days_at_least", {}).get(check.anchor)
        if days is None and at_least is not None and self._beyond(check, at_least):
            inside = NOT_MET
            said = (f"{note}: ended {number_text(at_least)} days before the screening, so at least as long before "
                    f"the {anchor}: outside {check.shown}")
        elif days is None:
            inside, said = UNKNOWN, f"{note}: timing relative to the {anchor} unknown (dates or {anchor} date missing)"
        else:
            ok = days >= 0 and self.matching.holds(days, check.comparator, check.days)
            inside = MET if ok else NOT_MET
            said = f"{note}: last given {when_text(days, anchor)}, {'within' if ok else 'outside'} {check.shown}"
            if check.days == 0:
                said = f"{note}: {'ongoing' if ok else 'not ongoing'} at the {anchor}"
        truth, whys, judgements = inside, [], {}
        for limit, word, key in ((check.dose, "limit", "dose_within"), (check.exception, "exception", "excepted")):
            if limit is None or truth == NOT_MET:
                continue
            judged, why = self._dosed(row, limit, word)
            truth = min(truth, judged if limit is check.dose else 1 - judged)
            judgements[key] = TRUTH_WORDS[judged]
            whys.append(why)
        if whys:
            values.update(dose=row["dose"], dose_as=row["dose_as"], **judgements)
        return Outcome(truth, "; ".join([said, *whys]) + f": {TRUTH_WORDS[truth]}", values=values)

    def _beyond(self, check: TreatmentWindow, days: float) -> bool:
        """Whether every time from ``days`` on lies past the window's end ("within 14 days": more than 14)."""
        allowed = self.matching.interval(check.comparator, check.days)
        return allowed is not None and allowed[2] != float("inf") and (days > allowed[2] or (
            days == allowed[2] and not allowed[3]))

    def _dosed(self, row: dict, limit: DoseLimit, word: str) -> tuple[float, str]:
        """Whether a treatment's (equivalent) dose is within a dose limit or exception, and why."""
        if limit.drug in row["classes"]:
            return self._within(row["dose"], limit, "its dose", word)
        if limit.equivalent:
            drug = limit.drug.replace("_", " ")
            return self._within(row["dose_as"].get(limit.drug), limit, f"its {drug}-equivalent dose", word)
        return NOT_MET, f"not covered by the {word} {limit.text}"

    def _within(self, dose: Optional[float], limit: DoseLimit, what: str, word: str) -> tuple[float, str]:
        if dose is None:
            return UNKNOWN, f"{what} is unknown, so the {word} {limit.text} cannot be judged"
        ok = self.matching.holds(dose, limit.comparator, limit.value)
        shown = f"{number_text(dose)} {display_unit(limit.unit, self.matching)}"
        return (MET if ok else NOT_MET), f"{what} {shown} is {'within' if ok else 'outside'} the {word} {limit.text}"
