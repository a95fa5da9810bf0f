"""Patient facts as the variables a listing's checks read, each in its canonical unit.

:func:`build_facts` turns a :class:`~.patients.Patient` into a nested dict (the
JsonLogic data; ``null`` where a fact is missing or unusable) plus, per
variable, a note saying where the value came from, so the matcher can give
its reasons in words. Unusable input gives ``null`` with the reason, never a guess: a result without a
unit, a date after the screening date, a value outside the analyte's plausible range (``grammars/lexicon.jsonl``)
or off its scale, a reference range whose low is above its high, different results on the same day, and a
result that is only a bound (">150"; its bound goes to ``<path>.bound`` for the checks that it decides).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from .plan import ListingPlan, Variable, slug
from ..grammar.phrases import phrase_regex
from ..grammar.loader import Grammars
from ..grammar.matching import Concept, MatchingGrammar
from .patients import Diagnosis, Patient, Result, Treatment
from ..grammar.units import UnitMismatch, convert, display_unit, normalize_unit

DAY_SECONDS = 86400.0


@dataclass
class Facts:
    """The variables' values (``data``), where each came from (``notes``) and input problems (``warnings``)."""

    data: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def get(self, path: str) -> Any:
        """The value at a dotted path, or None."""
        node: Any = self.data
        for part in path.split("."):
            if not isinstance(node, dict):
                return None
            node = node.get(part)
        return node

    def put(self, path: str, value: Any, note: str) -> None:
        """Set the value at a dotted path and say where it came from."""
        *parents, last = path.split(".")
        node = self.data
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
        self.notes[path] = note


def _day(when: Optional[datetime]) -> str:
    return when.date().isoformat() if when else "undated"


def number_text(value: float) -> str:
    """A number as shown in reasons: whole numbers whole, others to four significant digits."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e12:
        return str(int(value))
    return f"{value:.4g}"


class FactBuilder:
    """Reads one patient for one listing plan."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar) -> None:
        self.matching = matching
        self.lexicon = {entry.name: entry for entry in grammars.lexicon}
        self.names: dict[str, str] = {}
        self.abbreviations: dict[str, str] = {}
        self.loinc: dict[str, str] = {}
        for entry in grammars.lexicon:
            for synonym in [entry.name, *entry.synonyms]:
                self.names.setdefault(synonym.lower(), entry.name)
            for abbreviation in entry.abbreviations:
                self.abbreviations.setdefault(abbreviation, entry.name)
            if entry.loinc:
                self.loinc.setdefault(entry.loinc, entry.name)

    def resolve(self, name: str, loinc: Optional[str] = None) -> str:
        """The lexicon name for a name or LOINC code as a record writes it; else the name, lower-cased."""
        if loinc and loinc in self.loinc:
            return self.loinc[loinc]
        name = name.strip()
        return self.names.get(name.lower()) or self.abbreviations.get(name) or name.lower()

    def build(self, patient: Patient, plan: ListingPlan) -> Facts:
        """Every variable of ``plan`` for ``patient``."""
        facts = Facts()
        today = patient.screening_date()
        self._check_dates(patient, today, facts)
        anchors = sorted({v.anchor for v in plan.variables.values() if v.kind == "treatment" and v.anchor})
        facts.data["treatments"] = self._treatments(patient, anchors, today, facts)
        for variable in plan.variables.values():
            if variable.kind == "obs":
                self._observation(patient, variable, today, facts)
            elif variable.kind == "scale":
                self._scale(patient, variable, today, facts)
            elif variable.kind == "event":
                self._event(patient, variable, today, facts)
            elif variable.kind == "event_window":
                self._event_window(patient, variable, today, facts)
            elif variable.kind == "concept":
                self._concept(patient, variable, facts)
            elif variable.kind == "confirmation":
                self._confirmation(patient, variable, facts)
        return facts

    def _check_dates(self, patient: Patient, today: datetime, facts: Facts) -> None:
        for result in patient.results:
            if result.date and result.date > today:
                facts.warnings.append(f"{result.name} result dated {_day(result.date)}, after the screening date "
                                      f"{_day(today)}: not used")
        for diagnosis in patient.diagnoses:
            if diagnosis.onset and diagnosis.onset > today:
                facts.warnings.append(f"{diagnosis.name} onset {_day(diagnosis.onset)} is after the screening date: "
                                      "not used")
        for treatment in patient.treatments or []:
            if treatment.start and treatment.start > today:
                facts.warnings.append(f"{treatment.name} starts {_day(treatment.start)}, after the screening date: "
                                      "its dates are not used")
            if treatment.start and treatment.end and treatment.end < treatment.start:
                facts.warnings.append(f"{treatment.name} ends {_day(treatment.end)}, before it starts "
                                      f"{_day(treatment.start)}: its dates are not used")

    def _observation(self, patient: Patient, variable: Variable, today: datetime, facts: Facts) -> None:
        path = variable.path
        age = self.matching.age
        if variable.subject == age.subject and patient.birth_date:
            born = datetime.combine(patient.birth_date, datetime.min.time())
            years = (today - born).days / 365.25
            value = convert(years, age.unit, variable.unit, self.matching) if variable.unit else years
            facts.put(f"{path}.value", value, f"age {number_text(years)} years (born {patient.birth_date.isoformat()})")
            return
        if variable.subject == "sex":
            known = patient.sex if patient.sex in ("female", "male") else None
            facts.put(f"{path}.category", known, f"sex {patient.sex}" if patient.sex else "sex not recorded")
            return
        result = self._latest(patient.results, variable, today)
        if result is None:
            facts.put(f"{path}.value", None, f"no {variable.subject} result"
                      + (f" by {variable.method}" if variable.method else ""))
            return
        conflict = self._conflict(patient.results, variable, result, today)
        if conflict:
            facts.put(f"{path}.value", None, conflict)
            return
        where = f"{result.name}" + (f" ({result.method})" if result.method else "")
        if result.category is not None:
            facts.put(f"{path}.category", result.category, f"{where} {result.category} ({_day(result.date)})")
        rank = self._rank(variable, result)
        if result.value is None and rank is not None:  # ECOG given as the category "1": its rank is its value
            facts.put(f"{path}.value", float(rank), f"{where} {result.category} ({_day(result.date)})")
            return
        if result.value is None:
            facts.put(f"{path}.value", None, f"{where} on {_day(result.date)} has no value")
            return
        unit = normalize_unit(result.unit, self.matching)
        written = (f"{where} {result.comparator or ''}{number_text(result.value)} "
                   f"{display_unit(unit, self.matching)}").rstrip()
        value, problem = self._convert(result.value, unit, variable)
        problem = problem or self._implausible(variable, result, unit, value)
        if result.comparator and not problem:
            facts.put(f"{path}.bound", {"comparator": result.comparator, "value": value}, written)
            value, problem = None, "only a bound, not a value"
        facts.put(f"{path}.value", None if problem else value,
                  f"{written} ({_day(result.date)})" + (f": {problem}" if problem else ""))
        reference = result.reference_range
        if reference and reference.low is not None and reference.high is not None and reference.low > reference.high:
            for key in (name.lower() for name, r in self.matching.relative_references.items() if r.range_end):
                facts.put(f"{path}.{key}", None, f"reference range of {result.name} {number_text(reference.low)}-"
                          f"{number_text(reference.high)}: its low is above its high, not used")
            return
        for name, relative in self.matching.relative_references.items():
            end, key = relative.range_end, name.lower()
            if end is None:
                continue
            limit = getattr(reference, end, None) if reference else None
            if limit is None:
                facts.put(f"{path}.{key}", None, f"no reference range {end} given for {result.name}")
                continue
            ref_unit = normalize_unit(reference.unit, self.matching) or unit
            converted, problem = self._convert(limit, ref_unit, variable)
            facts.put(f"{path}.{key}", converted, f"{key.upper()} {number_text(limit)} "
                      f"{display_unit(ref_unit, self.matching)}".rstrip() + (f": {problem}" if problem else ""))

    def _conflict(self, results: list[Result], variable: Variable, latest: Result, today: datetime) -> str:
        """Why the latest results cannot be used, when several of the same time (or day) disagree; else ""."""
        same = [r for r in self._matching(results, variable, today) if r.date == latest.date]
        readings = {(r.comparator, r.value, normalize_unit(r.unit, self.matching), r.category) for r in same}
        if len(readings) < 2:
            return ""
        shown = ", ".join(sorted(f"{r.comparator or ''}{number_text(r.value) if r.value is not None else r.category} "
                                 f"{r.unit or ''}".rstrip() for r in same))
        return f"{len(same)} different {variable.subject} results on {_day(latest.date)} ({shown}): they disagree"

    def _implausible(self, variable: Variable, result: Result, unit: Optional[str], value: Optional[float]) -> str:
        """Why ``result`` cannot be true (outside the lexicon's plausible range, off its scale); else ""."""
        entry = self.lexicon.get(variable.subject)
        ranges = entry.plausible if entry else {}
        for amount, in_unit in ((result.value, unit), (value, variable.unit)):
            if amount is not None and in_unit in ranges:
                low, high = ranges[in_unit]
                if not low <= amount <= high:
                    shown = display_unit(in_unit, self.matching)
                    return (f"implausible: outside {number_text(low)}-{number_text(high)} {shown}, the range the "
                            f"lexicon allows for {variable.subject}").replace("  ", " ")
                return ""
        scale = self.matching.scale(variable.subject)
        if scale is not None and not scale.points and variable.unit is None and result.value is not None \
                and scale.rank_of_value(result.value) is None:
            return f"not on the {scale.subject} scale ({scale.shown()})"
        return ""

    def _rank(self, variable: Variable, result: Result) -> Optional[int]:
        """The rank of a result's category on a scale whose ranks are its values (ECOG, NYHA; not Child-Pugh)."""
        scale = self.matching.scale(variable.subject)
        if scale is None or scale.points or result.category is None or variable.unit is not None:
            return None
        return self.matching.category_rank(scale, result.category)

    def _scale(self, patient: Patient, variable: Variable, today: datetime, facts: Facts) -> None:
        scale = self.matching.scale(variable.subject)
        result = self._latest(patient.results, variable, today)
        if scale is None or result is None:
            facts.put(variable.path, None, f"no {variable.subject} result")
            return
        conflict = self._conflict(patient.results, variable, result, today)
        if conflict or result.comparator:
            facts.put(variable.path, None, conflict or f"{result.name} {result.comparator}{result.value}: only a bound")
            return
        if result.category is not None:
            written, rank = result.category, self.matching.category_rank(scale, result.category)
        elif result.value is not None:
            written, rank = number_text(result.value), scale.rank_of_value(result.value)
        else:
            facts.put(variable.path, None, f"{result.name} on {_day(result.date)} has no value")
            return
        if rank is None:
            facts.put(variable.path, None, f"{result.name} '{written}' ({_day(result.date)}) is not on the "
                      f"{scale.subject} scale ({scale.shown()})")
            return
        category = scale.categories[rank - scale.first]
        shown = category if written == category else f"{written} = {category}"
        facts.put(variable.path, rank, f"{result.name} {shown} ({_day(result.date)})")

    def _latest(self, results: list[Result], variable: Variable, today: datetime) -> Optional[Result]:
        return max(self._matching(results, variable, today), key=lambda r: r.date or datetime.min, default=None)

    def _matching(self, results: list[Result], variable: Variable, today: datetime) -> list[Result]:
        """The results of ``variable``'s subject (by its method, when it names one) dated by the screening."""
        wanted = variable.subject.lower()
        method = variable.method.lower() if variable.method else None
        return [
            r for r in results
            if self.resolve(r.name, r.loinc).lower() == wanted
            and (method is None or (r.method is not None and self.resolve(r.method).lower() == method))
            and not (r.date and r.date > today)
        ]

    def _convert(self, value: float, unit: Optional[str], variable: Variable) -> tuple[Optional[float], str]:
        if variable.unit is None:
            return value, ""
        if unit is None:
            return None, f"no unit given, cannot compare in {display_unit(variable.unit, self.matching)}"
        entry = self.lexicon.get(variable.subject)
        try:
            return convert(value, unit, variable.unit, self.matching, entry.molar_mass if entry else None,
                           variable.subject), ""
        except UnitMismatch as exc:
            return None, str(exc)

    def _event(self, patient: Patient, variable: Variable, today: datetime, facts: Facts) -> None:
        episodes = [
            d for d in patient.diagnoses
            if self.resolve(d.name).lower() == variable.subject.lower() and d.status != "absent"
        ]
        path = variable.path
        if len(episodes) != 1:
            what = "no" if not episodes else f"{len(episodes)} episodes of"
            facts.put(path, None, f"{what} {variable.subject} recorded")
            return
        episode = episodes[0]
        if episode.onset is None or episode.onset > today:
            facts.put(path, None, f"{episode.name}: no usable start date")
            return
        end = episode.end or today
        days = (end - episode.onset).total_seconds() / DAY_SECONDS
        value = convert(days, "d", variable.unit, self.matching) if variable.unit else days
        facts.put(path, value, f"{episode.name} from {_day(episode.onset)} to "
                  f"{_day(episode.end) if episode.end else 'now'}")

    def _event_window(self, patient: Patient, variable: Variable, today: datetime, facts: Facts) -> None:
        """Days from the latest episode of a condition to an anchor, and whether it is recorded at all."""
        concept = next(c for c in self.matching.concepts if c.name == variable.subject)
        found = [d for d in patient.diagnoses if self._diagnosis_is(d, concept)]
        occurred = [d for d in found if d.status != "absent"]
        recorded = variable.path.split(".days_before.")[0] + ".recorded"
        if not occurred:
            ruled_out = next((d for d in found if d.status == "absent"), None)
            named = f" ({ruled_out.name})" if ruled_out and ruled_out.name.lower() != concept.name.lower() else ""
            note = f"{concept.name} ruled out{named}" if ruled_out else f"no {concept.name} recorded"
            facts.put(recorded, "absent" if ruled_out else None, note)
            facts.put(variable.path, None, note)
            return
        dated = [(d, d.onset or d.recorded) for d in occurred]
        usable = [(d, when) for d, when in dated if when is not None and when <= today]
        facts.put(recorded, "present" if len(usable) == len(dated) else "undated",
                  ", ".join(d.name for d in occurred) + " recorded")
        anchor = self._anchor(patient, variable.anchor or "", today)
        if not usable or anchor is None:
            missing = f"no {(variable.anchor or '').replace('_', ' ')} date" if usable else "no usable onset date"
            facts.put(variable.path, None, f"{occurred[0].name}: {missing}")
            return
        latest, when = max(usable, key=lambda pair: pair[1])
        note = f"{latest.name} {'onset' if latest.onset else 'recorded'} {_day(when)}"
        facts.put(variable.path, (anchor - when).total_seconds() / DAY_SECONDS, note)

    def _treatments(self, patient: Patient, anchors: list[str], today: datetime, facts: Facts) -> Optional[list]:
        if patient.treatments is None:
            facts.notes["treatments"] = "no treatment history given"
            return None
        facts.notes["treatments"] = f"{len(patient.treatments)} treatment(s) in the history"
        rows = []
        for index, treatment in enumerate(patient.treatments):
            name = self.resolve(treatment.name)
            row: dict[str, Any] = {"name": name, "classes": self._classes(treatment, name)}
            row["classified"] = self._classified(row["classes"])
            row["days_before"] = {a: self._days_before(treatment, self._anchor(patient, a, today), today)
                                  for a in anchors}
            row["dose"] = self._dose(treatment, name)
            row["dose_as"] = self._equivalents(treatment, name)
            rows.append(row)
            facts.notes[f"treatments[{index}]"] = self._describe(treatment)
        return rows

    def _classes(self, treatment: Treatment, name: str) -> list[str]:
        classes = {slug(name), slug(treatment.name)} | {slug(c) for c in treatment.classes}
        route = (treatment.route or "").lower()
        for treatment_class in self.matching.treatment_classes:
            members = {self.resolve(m).lower() for m in treatment_class.members}
            if name.lower() in members or treatment.name.lower() in members:
                classes.add(slug(treatment_class.name))
            if treatment_class.systemic and route in self.matching.systemic_routes_excluded:
                classes.discard(slug(treatment_class.name))
        return sorted(classes)

    def _classified(self, classes: list[str]) -> bool:
        """Whether a treatment is known to the grammars (a named drug, or in a listed class), so it is of no class
        that has no member list (a 'major surgery' is not metformin)."""
        listed = {slug(c.name) for c in self.matching.treatment_classes}
        drugs = {slug(e.name) for e in self.lexicon.values() if e.category == "drug"}
        return bool(set(classes) & (listed | drugs))

    def _anchor(self, patient: Patient, anchor: str, today: datetime) -> Optional[datetime]:
        """The date of an anchor: the patient's, or the screening date for the screening anchor."""
        when = patient.anchors.get(anchor.replace("_", " "))
        if when is None and anchor == slug(self.matching.screening_anchor):
            return today
        return when

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

    def _dose(self, treatment: Treatment, name: str) -> Optional[float]:
        entry = self.lexicon.get(name)
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
        for table in self.matching.dose_equivalents:
            factors = {self.resolve(drug).lower(): factor for drug, factor in table.per_mg.items()}
            factor = factors.get(name.lower())
            reference = self.resolve(table.reference)
            target = getattr(self.lexicon.get(reference), "unit", None) or table.unit
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
            dose = f" {number_text(treatment.dose.value)} {display_unit(normalize_unit(treatment.dose.unit, self.matching), self.matching)}".rstrip()
            if not treatment.dose.unit:
                dose += " (dose without unit)"
        end = _day(treatment.end) if treatment.end else "ongoing"
        return f"{treatment.name}{dose}, {_day(treatment.start)} to {end}"

    def _concept(self, patient: Patient, variable: Variable, facts: Facts) -> None:
        concept = next(c for c in self.matching.concepts if c.name == variable.subject)
        if concept.kind == "treatment":
            self._treatment_concept(patient, concept, variable, facts)
        elif concept.kind == "confirmation":
            answers = [c for c in patient.confirmations if self._names(c.about, concept)]
            if not answers:
                facts.put(variable.path, None, f"no confirmation about {concept.name}")
            else:
                last = answers[-1]
                facts.put(variable.path, "present" if last.answer else "absent",
                          f"confirmed {'yes' if last.answer else 'no'}: {last.about} ({_day(last.date)})")
        else:
            found = [d for d in patient.diagnoses if self._diagnosis_is(d, concept)]
            for status, value, said in (("active", "present", "active"), ("resolved", "inactive", "resolved"),
                                        ("absent", "absent", "ruled out")):
                match = next((d for d in found if d.status == status), None)
                if match is not None:
                    named = "" if match.name.lower() == concept.name.lower() else f" ({match.name})"
                    facts.put(variable.path, value, f"recorded as {said}{named}")
                    return
            facts.put(variable.path, None, f"{concept.name} neither recorded nor ruled out")

    def _treatment_concept(self, patient: Patient, concept: Concept, variable: Variable, facts: Facts) -> None:
        if patient.treatments is None:
            facts.put(variable.path, None, "no treatment history given")
            return
        hits = [t for t in patient.treatments
                if slug(concept.name) in self._classes(t, self.resolve(t.name)) or self._names(t.name, concept)]
        if hits:
            facts.put(variable.path, "present", f"{hits[0].name} in the treatment history")
        else:
            facts.put(variable.path, "absent", f"no {concept.name} in the treatment history")

    @staticmethod
    def _names(text: str, concept: Concept) -> bool:
        return text.lower() == concept.name.lower() or any(phrase_regex(p).search(text) for p in concept.phrases)

    def _diagnosis_is(self, diagnosis: Diagnosis, concept: Concept) -> bool:
        code = (diagnosis.code or "").upper()
        return self._names(diagnosis.name, concept) or any(code and code.startswith(c.upper()) for c in concept.codes)

    def _confirmation(self, patient: Patient, variable: Variable, facts: Facts) -> None:
        wanted = variable.subject.lower()
        answers = [c for c in patient.confirmations if self.resolve(c.about).lower() == wanted]
        if not answers:
            facts.put(variable.path, None, f"no confirmation about {variable.subject}")
            return
        last = answers[-1]
        facts.put(variable.path, last.answer, f"confirmed {'yes' if last.answer else 'no'}: "
                  f"{last.note or last.about} ({_day(last.date)})")


def build_facts(patient: Patient, plan: ListingPlan, grammars: Grammars, matching: MatchingGrammar) -> Facts:
    """The facts of ``patient`` for the checks of ``plan`` (see :class:`FactBuilder`)."""
    return FactBuilder(grammars, matching).build(patient, plan)
