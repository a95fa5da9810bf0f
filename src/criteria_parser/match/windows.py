"""Time windows before an anchor: what a window is about (a treatment, or the condition or treatment the
criterion names) and its checks (:class:`~.plan.TreatmentWindow`, :class:`~.plan.EventWindow`)."""

from __future__ import annotations

from typing import Optional

from .guards import UNRECORDED_TYPES
from .plan import Check, EventWindow, TreatmentWindow, Unknown, Variable, VariableRegistry, slug
from ..grammar.loader import Grammars, LexiconEntry
from ..grammar.matching import MatchingGrammar
from ..grammar.units import convert, display_unit
from ..model import Constraint, Criterion, Entity


class WindowReader:
    """Reads a window before an anchor ("within 4 weeks before the infusion")."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar, variables: VariableRegistry) -> None:
        self.grammars = grammars
        self.matching = matching
        self.variables = variables

    def before(self, constraint: Constraint, entry: Optional[LexiconEntry], criterion: Optional[Criterion]) -> Check:
        """A treatment, or else the condition or treatment the criterion names (concepts of the matching grammar),
        within a time before the anchor (the screening date when none is named)."""
        if constraint.value is None or not constraint.unit:
            return Unknown(f"time window without a duration: '{constraint.text}'")
        if constraint.comparator == "=":  # "should be completed 4 weeks prior to ...": at least, or within?
            return Unknown(f"the words say neither 'within' nor 'at least' the time before: '{constraint.text}'")
        written = constraint.anchor or self.matching.screening_anchor
        anchor, day = slug(written), self.matching.canonical_units["time"]
        days = convert(constraint.value, constraint.unit, day, self.matching)
        shown = f"{constraint.value:g} {display_unit(constraint.unit, self.matching)} before {written}"
        subject = constraint.subject or ""
        stable = self.matching.cue_in(constraint.text, self.matching.stability_cues) or (
            criterion is not None and constraint.subject_start is not None and self.matching.cue_in(
                criterion.text[max(constraint.subject_start - criterion.start - 20, 0):
                               constraint.subject_start - criterion.start], self.matching.stability_cues))
        if stable:  # "on a stable immunotherapy for the last month": how long, not how recent (issue 9)
            return Unknown(f"'{stable}': how long a treatment has been unchanged is in no record: '{constraint.text}'")
        if self._names_the_anchor(constraint) or self._named_as_example(constraint, criterion):
            subject = ""  # "stroke within three months before surgery": the surgery is the anchor, not the event
        if subject and self.matching.is_treatment(subject, entry.category if entry else None):
            self.variables.treatment_anchor(anchor, written)
            return TreatmentWindow(slug(subject), anchor, constraint.comparator, days, constraint.text, shown,
                                   name=subject)
        event = None
        if criterion is not None:
            event = self.matching.finder.event_near(criterion.text, max(constraint.start - criterion.start, 0))
        if event is None:
            return Unknown(f"time windows are checked for treatments and the conditions of the matching grammar "
                           f"only: '{constraint.text}'")
        bounded = self._bounded_entity(constraint, criterion)
        if bounded is not None and event not in self.matching.finder.concepts_in(f"{bounded.text}; {bounded.name or ''}"):
            # "HIV, or tuberculosis within 6 months": the window is tuberculosis's, not the HIV named before it
            return Unknown(f"the window is about '{bounded.text}', not the {event.name} the criterion also names: "
                           f"'{constraint.text}'")
        if event.kind == "treatment":
            self.variables.treatment_anchor(anchor, written)
            return TreatmentWindow(slug(event.name), anchor, constraint.comparator, days, constraint.text, shown,
                                   name=event.name)
        base = f"events.{slug(event.name)}"
        variable = self.variables.add(Variable(
            f"{base}.days_before.{anchor}", "event_window", event.name, day, anchor=anchor,
            description=f"days from the latest {event.name} (its end, else onset, else recorded date) to the {written}"))
        self.variables.add(Variable(f"{base}.recorded", "event_record", event.name,
                                description=f"{event.name}: present, undated (an episode has no usable date), "
                                "absent (ruled out) or null (not recorded)"))
        return EventWindow(variable, constraint.comparator, days, constraint.text, shown)

    @staticmethod
    def _bounded_entity(constraint: Constraint, criterion: Optional[Criterion]) -> Optional[Entity]:
        """The condition, treatment, procedure or device the model says a window bounds, if it names one."""
        if criterion is None or constraint.entity is None:
            return None
        entity = next((e for e in criterion.entities if e.id == constraint.entity), None)
        return entity if entity is not None and entity.type in UNRECORDED_TYPES else None

    def _named_as_example(self, constraint: Constraint, criterion: Optional[Criterion]) -> bool:
        """Whether the subject is named only in a parenthesis of examples before the value ("any prior cancer
        diagnosis, with any treatment (e.g., ... radiation oncology) within 5 years")."""
        if criterion is None or not constraint.subject_text:
            return False
        text = criterion.text
        at = text.lower().rfind(constraint.subject_text.lower(), 0, max(constraint.start - criterion.start, 0))
        return at >= 0 and self.matching.finder.in_example(text, at)

    def _names_the_anchor(self, constraint: Constraint) -> bool:
        """Whether the constraint's subject words are only its anchor's ("before surgery" read as the subject)."""
        written = (constraint.subject_text or "").lower()
        return bool(written) and any(rule.name == constraint.anchor and written in (p.lower() for p in rule.phrases)
                                     for rule in self.grammars.anchors)
