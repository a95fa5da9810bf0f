"""The dose limits of a criterion (:class:`.plan.DoseLimit`): a dose a condition states of a named drug
("prednisone > 20 mg/day"), an exception's dose ("... unless <= 10 mg/day of prednisone or equivalent"), and a dose
limit without a window, which is a treatment ongoing at the screening.

Reads the lexicon (a drug's unit) and ``matching.json`` (``equivalent_cues``, ``ongoing``, ``screening_anchor``,
the unit conversions).
"""

from __future__ import annotations

from typing import Union

from .plan import DoseLimit, TreatmentWindow, Unknown, VariableRegistry, slug
from ..grammar.loader import Grammars
from ..grammar.matching import MatchingGrammar
from ..grammar.units import UnitMismatch, convert
from ..model import Constraint, Criterion


class DoseReader:
    """The dose limits of one grammar."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar, variables: VariableRegistry) -> None:
        self.matching = matching
        self.lexicon = {entry.name: entry for entry in grammars.lexicon}
        self.variables = variables

    def condition(self, constraint: Constraint, criterion: Criterion) -> Union[DoseLimit, Unknown, None]:
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
            return self.limit(constraint, [criterion])
        except UnitMismatch as exc:
            return Unknown(f"'{constraint.text}': {exc}", constraint)

    def ongoing(self, constraint: Constraint, limit: DoseLimit) -> TreatmentWindow:
        """A dose limit without a window: a treatment ongoing at the screening at that dose."""
        anchor = slug(self.matching.screening_anchor)
        self.variables.treatment_anchor(anchor, self.matching.screening_anchor)
        ongoing = self.matching.ongoing
        return TreatmentWindow(slug(constraint.subject or ""), anchor, ongoing.comparator, ongoing.days, constraint.text,
                               f"the {self.matching.screening_anchor}", dose=limit, name=constraint.subject or "",
                               source=constraint)

    def limit(self, constraint: Constraint, excerpts: list) -> DoseLimit:
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
