"""A patient's treatment history as the rows treatment checks read: each treatment's lexicon name, its classes,
its days before each anchor, its dose in the lexicon's unit and in each reference drug's equivalents."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from ..grammar.matching import Concept, MatchingGrammar
from ..grammar.units import UnitMismatch, convert, display_unit, normalize_unit
from .conditions import names_concept
from .fact_store import DAY_SECONDS, Facts, anchor_date, day_text, number_text
from .names import LexiconNames
from .patients import Patient, Treatment
from .plan import Variable, maybe_of, slug

#: What a treatment history not said to be complete leaves open.
INCOMPLETE = "the history is not said to be complete (treatments_complete)"


class TreatmentReader:
    """Reads the ``treatments`` rows of one patient, and whether a treatment concept is in the history."""

    def __init__(self, names: LexiconNames, matching: MatchingGrammar) -> None:
        self.names = names
        self.matching = matching

    def rows(self, patient: Patient, anchors: list[str], today: datetime, facts: Facts) -> Optional[list]:
        """One row a treatment (None without a treatment history), each described in ``facts.notes``; whether the
        history is complete goes to ``treatments_complete``."""
        facts.put("treatments_complete", patient.treatments_complete and patient.treatments is not None,
                  "the treatment history is complete" if patient.treatments_complete else INCOMPLETE)
        if patient.treatments is None:
            facts.notes["treatments"] = "no treatment history given"
            return None
        facts.notes["treatments"] = f"{len(patient.treatments)} treatment(s) in the history"
        rows = []
        for index, treatment in enumerate(patient.treatments):
            name = self.names.resolve(treatment.name)
            row: dict[str, Any] = {"name": name, "classes": self.classes(treatment, name)}
            row["classified"] = self._classified(row["classes"])
            row["days_before"] = {a: self._days_before(treatment, anchor_date(patient, a, today, self.matching),
                                                       today)
                                  for a in anchors}
            row["days_at_least"] = {a: self._days_at_least(patient, treatment, a, today) for a in anchors}
            row["dose"] = self._dose(treatment, name)
            row["dose_as"] = self._equivalents(treatment, name)
            rows.append(row)
            facts.notes[f"treatments[{index}]"] = self._describe(treatment)
        return rows

    def concept(self, patient: Patient, concept: Concept, variable: Variable, facts: Facts) -> None:
        """Whether a treatment of the concept (of its class, or named by its phrases) is in the history."""
        if patient.treatments is None:
            facts.put(variable.path, None, "no treatment history given")
            return
        hits = [t for t in patient.treatments
                if slug(concept.name) in self.classes(t, self.names.resolve(t.name)) or names_concept(t.name, concept)]
        if hits:
            facts.put(variable.path, "present", f"{hits[0].name} in the treatment history")
        elif patient.treatments_complete:
            facts.put(variable.path, "absent", f"no {concept.name} in the treatment history")
        else:
            facts.put(variable.path, None, f"no {concept.name} among the treatments listed, but {INCOMPLETE}")

    def classes(self, treatment: Treatment, name: str) -> list[str]:
        """The slugs of a treatment's names and of the classes it is in (not a systemic class by a local route)."""
        classes = {slug(name), slug(treatment.name)} | {slug(c) for c in treatment.classes}
        route = (treatment.route or "").lower()
        for treatment_class in self.matching.treatment_classes:
            members = {self.names.resolve(m).lower() for m in treatment_class.members}
            if name.lower() in members or treatment.name.lower() in members:
                classes.add(slug(treatment_class.name))
            if treatment_class.systemic and route in self.matching.systemic_routes_excluded:
                classes.discard(slug(treatment_class.name))
        for treatment_class in self.matching.treatment_classes:  # counted as the class by some criteria only
            named = {slug(self.names.resolve(m)) for m in treatment_class.may_include} | {
                slug(m) for m in treatment_class.may_include}
            if slug(treatment_class.name) not in classes and named & classes:
                classes.add(maybe_of(slug(treatment_class.name)))
        return sorted(classes)

    def _classified(self, classes: list[str]) -> bool:
        """Whether a treatment is known to the grammars (a named drug, or in a listed class), so it is of no class
        that has no member list (a 'major surgery' is not metformin)."""
        listed = {slug(c.name) for c in self.matching.treatment_classes}
        drugs = {slug(e.name) for e in self.names.entries.values() if e.category == "drug"}
        return bool(set(classes) & (listed | drugs))

    @staticmethod
    def _days_before(treatment: Treatment, anchor: Optional[datetime], today: datetime) -> Optional[float]:
        if anchor is None or treatment.start is None or treatment.start > today:
            return None
        if treatment.end is not None and treatment.end < treatment.start:
            return None
        last = min(treatment.end or anchor, anchor)  # ongoing: still given at the anchor
        if treatment.start > anchor:
            last = treatment.start
        return (anchor - last).total_seconds() / DAY_SECONDS

    def _days_at_least(self, patient: Patient, treatment: Treatment, anchor: str, today: datetime) -> Optional[float]:
        """How many days before an anchor still to come in the study (``timing_anchors``: enrollment, the first
        dose), whose date the file does not give, a treatment ended at least: as many as before the screening. None
        for an ongoing treatment, an anchor with a date, or one that is not still to come."""
        future = {slug(a) for a in self.matching.timing_anchors}
        if anchor not in future or anchor_date(patient, anchor, today, self.matching) is not None:
            return None
        if treatment.start is None or treatment.end is None or treatment.end > today or treatment.end < treatment.start:
            return None
        return (today - treatment.end).total_seconds() / DAY_SECONDS

    def _dose(self, treatment: Treatment, name: str) -> Optional[float]:
        entry = self.names.entry(name)
        if treatment.dose is None or entry is None or not entry.unit:
            return None
        unit = normalize_unit(treatment.dose.unit, self.matching)
        if unit is None:
            return None
        try:
            return convert(treatment.dose.value, unit, entry.unit, self.matching)
        except UnitMismatch:
            return None

    def _equivalents(self, treatment: Treatment, name: str) -> dict[str, Optional[float]]:
        """The dose in each reference drug's equivalents ({'prednisone': 26.7}), in that drug's usual unit."""
        out: dict[str, Optional[float]] = {}
        unit = normalize_unit(treatment.dose.unit, self.matching) if treatment.dose else None
        resolve = self.names.resolve
        for table in self.matching.dose_equivalents:
            factors = {resolve(drug).lower(): factor for drug, factor in table.per_mg.items()}
            factor = factors.get(name.lower())
            reference = resolve(table.reference)
            target = getattr(self.names.entry(reference), "unit", None) or table.unit
            value = None
            if factor is not None and unit is not None:
                try:
                    value = convert(convert(treatment.dose.value, unit, table.unit, self.matching) * factor,
                                    table.unit, target, self.matching)
                except UnitMismatch:
                    value = None
            out[slug(reference)] = value
        return out

    def _describe(self, treatment: Treatment) -> str:
        dose = ""
        if treatment.dose:
            unit = normalize_unit(treatment.dose.unit, self.matching)
            dose = f" {number_text(treatment.dose.value)} {display_unit(unit, self.matching)}".rstrip()
            if not treatment.dose.unit:
                dose += " (dose without unit)"
        end = day_text(treatment.end) if treatment.end else "ongoing"
        return f"{treatment.name}{dose}, {day_text(treatment.start)} to {end}"
