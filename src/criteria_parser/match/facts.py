"""Patient facts as the variables a listing's checks read, each in its canonical unit.

:func:`build_facts` turns a :class:`~.patients.Patient` into a nested dict (the
JsonLogic data; ``null`` where a fact is missing or unusable) plus, per
variable, a note saying where the value came from, so the matcher can give
its reasons in words. Unusable input gives ``null`` with the reason, never a guess: a result without a
unit, a date after the screening date, a value outside the analyte's plausible range (``grammars/lexicon.jsonl``)
or off its scale, a reference range whose low is above its high, different results on the same day, and a
result that is only a bound (">150"; its bound goes to ``<path>.bound`` for the checks that it decides).

Each kind of variable has its reader: results (:mod:`.results`), treatments (:mod:`.treatments`), diagnoses and
confirmations (:mod:`.conditions`), all naming things as the lexicon does (:mod:`.names`).
"""

from __future__ import annotations

from datetime import datetime

from ..grammar.loader import Grammars
from ..grammar.matching import MatchingGrammar
from .conditions import ConditionReader, concept_of
from .fact_store import Facts, day_text
from .names import LexiconNames
from .patients import Patient
from .plan import ListingPlan
from .results import ResultReader
from .treatments import TreatmentReader


class FactBuilder:
    """Reads one patient for one listing plan, each variable by the reader of its kind."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar) -> None:
        self.matching = matching
        names = LexiconNames(grammars)
        self.results = ResultReader(names, matching)
        self.treatments = TreatmentReader(names, matching)
        self.conditions = ConditionReader(names, matching)

    def build(self, patient: Patient, plan: ListingPlan) -> Facts:
        """Every variable of ``plan`` for ``patient``."""
        facts = Facts()
        today = patient.screening_date()
        self._check_dates(patient, today, facts)
        anchors = sorted({v.anchor for v in plan.variables.values() if v.kind == "treatment" and v.anchor})
        facts.data["treatments"] = self.treatments.rows(patient, anchors, today, facts)
        for variable in plan.variables.values():
            if variable.kind == "obs":
                self.results.observation(patient, variable, today, facts)
            elif variable.kind == "scale":
                self.results.scale(patient, variable, today, facts)
            elif variable.kind == "event":
                self.conditions.event(patient, variable, today, facts)
            elif variable.kind == "event_window":
                self.conditions.event_window(patient, variable, today, facts)
            elif variable.kind == "concept":
                concept = concept_of(self.matching, variable)
                reader = self.treatments if concept.kind == "treatment" else self.conditions
                reader.concept(patient, concept, variable, facts)
            elif variable.kind == "concept_to_come":
                self.conditions.to_come(patient, concept_of(self.matching, variable), variable, facts)
            elif variable.kind == "confirmation":
                self.conditions.confirmation(patient, variable, facts)
        return facts

    @staticmethod
    def _check_dates(patient: Patient, today: datetime, facts: Facts) -> None:
        for result in patient.results:
            if result.date and result.date > today:
                facts.warnings.append(f"{result.name} result dated {day_text(result.date)}, after the screening "
                                      f"date {day_text(today)}: not used")
        for diagnosis in patient.diagnoses:
            if diagnosis.onset and diagnosis.onset > today:
                facts.warnings.append(f"{diagnosis.name} onset {day_text(diagnosis.onset)} is after the screening "
                                      "date: not used")
        for treatment in patient.treatments or []:
            if treatment.start and treatment.start > today:
                facts.warnings.append(f"{treatment.name} starts {day_text(treatment.start)}, after the screening "
                                      "date: its dates are not used")
            if treatment.start and treatment.end and treatment.end < treatment.start:
                facts.warnings.append(f"{treatment.name} ends {day_text(treatment.end)}, before it starts "
                                      f"{day_text(treatment.start)}: its dates are not used")


def build_facts(patient: Patient, plan: ListingPlan, grammars: Grammars, matching: MatchingGrammar) -> Facts:
    """The facts of ``patient`` for the checks of ``plan`` (see :class:`FactBuilder`)."""
    return FactBuilder(grammars, matching).build(patient, plan)
