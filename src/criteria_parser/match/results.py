"""A patient's results as the values of measurement and scale variables, in each variable's unit.

The latest result of the variable's subject (by its method, when it names one) is read; none is used, with the
reason, when several of the same time disagree, when it has no unit to compare in, when it is implausible
(outside the lexicon's range or off its scale) or only a bound (">150", whose bound goes to ``<path>.bound``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from ..grammar.matching import MatchingGrammar
from ..grammar.units import UnitMismatch, convert, display_unit, normalize_unit
from .fact_store import Facts, day_text, number_text
from .names import LexiconNames
from .patients import Patient, Result
from .plan import Variable


class ResultReader:
    """Reads the ``obs`` and ``scale`` variables of one patient."""

    def __init__(self, names: LexiconNames, matching: MatchingGrammar) -> None:
        self.names = names
        self.matching = matching

    def observation(self, patient: Patient, variable: Variable, today: datetime, facts: Facts) -> None:
        """A measurement's value, its category, and its reference range's ends (``<path>.uln`` ...)."""
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
            facts.put(f"{path}.category", result.category, f"{where} {result.category} ({day_text(result.date)})")
        rank = self._rank(variable, result)
        if result.value is None and rank is not None:  # ECOG given as the category "1": its rank is its value
            facts.put(f"{path}.value", float(rank), f"{where} {result.category} ({day_text(result.date)})")
            return
        if result.value is None:
            facts.put(f"{path}.value", None, f"{where} on {day_text(result.date)} has no value")
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
                  f"{written} ({day_text(result.date)})" + (f": {problem}" if problem else ""))
        self._reference_range(result, unit, variable, facts)

    def _reference_range(self, result: Result, unit: Optional[str], variable: Variable, facts: Facts) -> None:
        """The ends of a result's reference range that relative limits read (ULN, LLN), in the variable's unit."""
        path = variable.path
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

    def scale(self, patient: Patient, variable: Variable, today: datetime, facts: Facts) -> None:
        """The rank of the latest result on the variable's scale (a category, or a value the scale places)."""
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
            facts.put(variable.path, None, f"{result.name} on {day_text(result.date)} has no value")
            return
        if rank is None:
            facts.put(variable.path, None, f"{result.name} '{written}' ({day_text(result.date)}) is not on the "
                      f"{scale.subject} scale ({scale.shown()})")
            return
        category = scale.categories[rank - scale.first]
        shown = category if written == category else f"{written} = {category}"
        facts.put(variable.path, rank, f"{result.name} {shown} ({day_text(result.date)})")

    def _conflict(self, results: list[Result], variable: Variable, latest: Result, today: datetime) -> str:
        """Why the latest results cannot be used, when several of the same time (or day) disagree; else ""."""
        same = [r for r in self._matching(results, variable, today) if r.date == latest.date]
        readings = {(r.comparator, r.value, normalize_unit(r.unit, self.matching), r.category) for r in same}
        if len(readings) < 2:
            return ""
        shown = ", ".join(sorted(f"{r.comparator or ''}{number_text(r.value) if r.value is not None else r.category} "
                                 f"{r.unit or ''}".rstrip() for r in same))
        return f"{len(same)} different {variable.subject} results on {day_text(latest.date)} ({shown}): they disagree"

    def _implausible(self, variable: Variable, result: Result, unit: Optional[str], value: Optional[float]) -> str:
        """Why ``result`` cannot be true (outside the lexicon's plausible range, off its scale); else ""."""
        entry = self.names.entry(variable.subject)
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

    def _latest(self, results: list[Result], variable: Variable, today: datetime) -> Optional[Result]:
        return max(self._matching(results, variable, today), key=lambda r: r.date or datetime.min, default=None)

    def _matching(self, results: list[Result], variable: Variable, today: datetime) -> list[Result]:
        """The results of ``variable``'s subject (by its method, when it names one) dated by the screening."""
        wanted = variable.subject.lower()
        method = variable.method.lower() if variable.method else None
        resolve = self.names.resolve
        return [
            r for r in results
            if resolve(r.name, r.loinc).lower() == wanted
            and (method is None or (r.method is not None and resolve(r.method).lower() == method))
            and not (r.date and r.date > today)
        ]

    def _convert(self, value: float, unit: Optional[str], variable: Variable) -> tuple[Optional[float], str]:
        if variable.unit is None:
            return value, ""
        if unit is None:
            return None, f"no unit given, cannot compare in {display_unit(variable.unit, self.matching)}"
        entry = self.names.entry(variable.subject)
        try:
            return convert(value, unit, variable.unit, self.matching, entry.molar_mass if entry else None,
                           variable.subject), ""
        except UnitMismatch as exc:
            return None, str(exc)
