"""The check of one constraint of a criterion (:class:`.plan.Compare`, :class:`.plan.Commitment`, a window), or
:class:`.plan.Unknown` with the reason: a threshold or a range on a lab value, a measure, a score or the age, a
category of a scale, a limit relative to a reference ("3 x ULN"), a duration, a window before an anchor (through
:mod:`.windows`). Values are converted to the subject's unit of the lexicon; a limit its subject words do not
back (:meth:`.subject_guard.SubjectGuard.unjustified`) is not checked.

Reads the lexicon (units, plausible limits, molar masses), the clause breaks of ``cues.jsonl`` and ``matching.json``
(``age``, ``age_at_event_cues``, ``bare_number_units``, ``canonical_units``, the scales, the relative references).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from .guards import Guards
from .plan import Check, Commitment, Compare, Unknown, Variable, VariableRegistry, slug
from .windows import WindowReader
from ..grammar.clauses import clause_around
from ..grammar.loader import Grammars, LexiconEntry
from ..grammar.matching import CategoryScale, MatchingGrammar
from ..grammar.units import UnitMismatch, convert, is_time
from ..model import Constraint, Criterion, FlagKind

#: How far below the next whole age an upper end in completed units stops (in the lexicon's unit of age, years): far
#: less than the day an age computed from dates moves by, so "3 to 12 years" ends just before the 13th birthday.
LAST_INSTANT = 1e-9


class LimitReader:
    """The checks of constraints, using the lexicon and the matching grammar."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar, variables: VariableRegistry, guards: Guards,
                 windows: WindowReader) -> None:
        self.grammars = grammars
        self.matching = matching
        self.lexicon = {entry.name: entry for entry in grammars.lexicon}
        self.variables = variables
        self.guards = guards
        self.windows = windows

    def _clause(self, criterion: Criterion, constraint: Constraint) -> str:
        """The clause of the criterion's text that holds the constraint."""
        at = max(constraint.start - criterion.start, 0)
        start, end = clause_around(self.grammars, criterion.text, at)
        return criterion.text[start:end]


    def constraint(self, constraint: Constraint, criterion: Optional[Criterion] = None) -> Check:
        """The check of one constraint (in ``criterion``, whose text may name the event of a window), or
        :class:`Unknown` with the reason; the check keeps the constraint as its ``source``."""
        return replace(self._constraint(constraint, criterion), source=constraint)

    def _constraint(self, constraint: Constraint, criterion: Optional[Criterion]) -> Check:
        subject = constraint.subject
        entry = self.lexicon.get(subject or "")
        unjustified = self.guards.subject.unjustified(criterion, constraint) if criterion is not None else None
        if unjustified:
            return Unknown(unjustified)
        relation = self._relation(criterion, constraint) if criterion is not None else None
        if relation:
            return Unknown(f"the limit may be that of the '{relation}', not the patient's: '{constraint.text}'")
        if subject == self.matching.age.subject and criterion is not None:
            clause = self._clause(criterion, constraint)
            event = self.matching.cue_in(clause, self.matching.age_at_event_cues)
            if event:
                return Unknown(f"the age is at another time than today ('{event}'): '{constraint.text}'")
        if subject == self.matching.age.subject and constraint.rule in self.matching.age.unstated_comparator_rules \
                and not _structured(constraint):
            return Unknown(f"the words give the age no comparator, and an age alone is rarely an exact one: "
                           f"'{constraint.text}'")
        try:
            if constraint.kind == "time_window" and constraint.direction != "after" and (
                constraint.anchor or constraint.direction == "before"
            ):
                return self.windows.before(constraint, entry, criterion)
            if not subject:
                return Unknown(f"no subject recognized in '{constraint.text}'")
            if constraint.kind == "time_window":
                return self._time_window(constraint, entry)
            if constraint.kind == "relative_limit":
                return self._relative(constraint, entry)
            return self._compare(constraint, entry)
        except UnitMismatch as exc:
            return Unknown(f"'{constraint.text}': {exc}")

    def _relation(self, criterion: Criterion, constraint: Constraint) -> Optional[str]:
        """A person other than the patient (``relation_cues``: "Parent who is at least 18 years old") named before a
        limit in its clause, whose limit it then may be, if one is."""
        at = max(constraint.start - criterion.start, 0)
        start, _ = clause_around(self.grammars, criterion.text, at)
        return self.matching.cue_in(criterion.text[start:at], self.matching.relation_cues)

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
        variable = self.variables.obs(constraint.subject or "", constraint.qualifier, unit)
        if subject == self.matching.age.subject and constraint.category is None:
            return self._age(constraint, variable, unit)
        value, high = self._limits(constraint, unit, entry)
        return Compare(variable, constraint.comparator, value, constraint.text, high, constraint.category,
                       shown_unit=constraint.unit)

    def _age(self, constraint: Constraint, variable: Variable, unit: Optional[str]) -> Compare:
        """An age limit in whole units is on the age in completed units, as ages are told: "12 years" is anyone from
        the 12th birthday to the 13th (a registry's maximum age of 12 years admits a child of 12 years and 4
        months). So "≤ 12" is "< 13", and "> 12", its complement, "≥ 13" (a listing's "> 16 years" and "≤ 16 years"
        still part its patients); a range's or an equality's upper end takes in its last year ("3 to 12 years": up
        to the 13th birthday, :data:`LAST_INSTANT` before it)."""
        written = constraint.unit or unit

        def at(number: Optional[float]) -> Optional[float]:
            if number is None or not (written and unit and written != unit):
                return number
            return convert(number, written, unit, self.matching)

        low, high, comparator = constraint.value, constraint.value_high, constraint.comparator
        whole = [n is not None and float(n).is_integer() for n in (low, high)]
        if comparator == "between" and whole[1]:
            high = at(high + 1) - LAST_INSTANT
        elif comparator == "=" and whole[0]:
            comparator, high = "between", at(low + 1) - LAST_INSTANT
        elif comparator in ("<=", ">") and whole[0]:
            comparator, low = ("<" if comparator == "<=" else ">="), low + 1
        else:
            high = at(high)
        return Compare(variable, comparator, at(low), constraint.text, high, shown_unit=constraint.unit)

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
        variable = self.variables.add(Variable(
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
            variable = self.variables.obs(constraint.subject or "", constraint.qualifier, reference.unit)
            return Compare(variable, constraint.comparator, constraint.value, constraint.text,
                           constraint.value_high, shown_unit=reference.unit)
        if reference is None:
            return Unknown(f"relative to '{constraint.relative_to}' is not machine-checkable: '{constraint.text}'")
        unit = entry.unit if entry and entry.unit else None
        variable = self.variables.obs(constraint.subject or "", constraint.qualifier, unit)
        return Compare(variable, constraint.comparator, constraint.value, constraint.text, constraint.value_high,
                       reference=(constraint.relative_to or "").lower())

    def _time_window(self, constraint: Constraint, entry: Optional[LexiconEntry]) -> Check:
        subject = constraint.subject or ""
        if constraint.direction == "after":
            variable = self.variables.add(Variable(f"confirmed.{slug(subject)}", "confirmation", subject,
                                               description=f"whether the patient confirmed: {subject}"))
            return Commitment(variable, constraint.text)
        day = self.matching.canonical_units["time"]
        if entry is not None and entry.category == "event":
            variable = self.variables.add(Variable(f"events.{slug(subject)}.duration", "event", subject, day,
                                               description=f"how long the {subject} lasted, in {day}"))
            value, high = self._limits(constraint, day, None)
            return Compare(variable, constraint.comparator, value, constraint.text, high, shown_unit=constraint.unit)
        return self._compare(constraint, entry)


def _structured(constraint: Constraint) -> bool:
    """Whether a constraint comes from a registry's structured field, not from words."""
    return any(flag.kind == FlagKind.STRUCTURED_FIELD for flag in constraint.flags)
