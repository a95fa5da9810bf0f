"""Export a listing's match plan as FHIR R5: an EvidenceVariable of its criteria and a ResearchStudy pointing at it.

Compiled from the plan the matcher evaluates (:mod:`..match.plan`), so FHIR reads a listing as ``match`` and
JsonLogic do. Each criterion is a characteristic (``exclude`` true for exclusion criteria); its sub-items (any-of
where the plan joins them with "any", as an exclusion's always are, else all-of) and its constraint groups are
``definitionByCombination``; each checked constraint is ``definitionByTypeAndValue`` with a UCUM quantity (or
range) as the listing wrote it, a category (any-of the categories the plan's rank comparison admits), a
``timeFromEvent`` for windows around an anchor (negative = before it; the screening when none is named; the dose
a window on the same drug asks for as its value; the condition or treatment the plan's window is about as its
type), and ``exclude`` for exceptions. What FHIR cannot say goes in documented extensions, never dropped:
:data:`RELATIVE_TO` (the value is a multiple of ULN, LLN or a baseline fold), :data:`SOURCE_SPAN` (where the
text stands in the input) and :data:`NOT_CHECKABLE` (the plan checks no limit of the criterion: it is read from
the conditions it names, or not at all). FHIR has no word for two readings of the plan: "at most unknown" (a
stated exception that cannot be checked) is left out, and groups whose joining word is unclear are all-of.
The result is a collection Bundle, validated with fhir.resources before it is returned.
"""

from __future__ import annotations

from typing import Any, Optional, Union

from ..errors import CriteriaParserError, validation_problem
from ..grammar.loader import Grammars
from ..grammar.matching import MatchingGrammar
from ..match.plan import (
    Agreeing, AllOf, AnyOf, AtLeastUnknown, AtMostUnknown, Check, Compare, CriterionPlan, DoseLimit, EventWindow, ListingPlan,
    Negated, TreatmentWindow, Unless,
)
from ..model import Constraint

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
EXTENSION = "urn:criteria-parser:fhir:StructureDefinition:"
RELATIVE_TO = EXTENSION + "relative-to"
SOURCE_SPAN = EXTENSION + "source-span"
NOT_CHECKABLE = EXTENSION + "not-machine-checkable"


def _quantity(value: float, unit: Optional[str], comparator: Optional[str] = None, shown: Optional[str] = None) -> dict:
    """A FHIR Quantity; ``comparator`` is FHIR's code (see :meth:`FhirExporter._comparator`)."""
    quantity: dict[str, Any] = {"value": value}
    if comparator:
        quantity["comparator"] = comparator
    if unit:
        quantity.update(unit=shown or unit, system=UCUM, code=unit)
    return quantity


def _span(start: int, end: int) -> dict:
    return {"url": SOURCE_SPAN, "valueRange": {"low": {"value": start}, "high": {"value": end}}}


class FhirExporter:
    """Builds the EvidenceVariable characteristics of one listing plan."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar) -> None:
        self.lexicon = {entry.name: entry for entry in grammars.lexicon}
        self.matching = matching

    def _type(self, subject: str) -> dict:
        entry = self.lexicon.get(subject)
        concept: dict[str, Any] = {"text": subject}
        if entry is not None and entry.loinc:
            concept["coding"] = [{"system": LOINC, "code": entry.loinc, "display": subject}]
        return concept

    def _comparator(self, comparator: str) -> Optional[str]:
        """FHIR's Quantity.comparator for one of the model's, if FHIR has one ('=' and 'between' it has not)."""
        forms = self.matching.comparators.get(comparator)
        return forms.fhir if forms else None

    @staticmethod
    def _anchored(constraint: Constraint) -> bool:
        """A window around a named anchor, or before the screening date when none is named."""
        return constraint.kind == "time_window" and constraint.value is not None and (
            bool(constraint.anchor) or constraint.direction == "before")

    def leaf(self, check: Union[Check, DoseLimit]) -> dict:
        """One checked constraint (a leaf of the plan) as a characteristic, written as the listing states it."""
        constraint = check.source
        assert constraint is not None, "leaves of a criterion's own check come from constraints"
        about = check.variable.subject if isinstance(check, EventWindow) else getattr(check, "name", "")
        dose = check.dose.source if isinstance(check, TreatmentWindow) and check.dose is not None else None
        typed: dict[str, Any] = {"type": self._type(about or constraint.subject or constraint.subject_text
                                                    or "unknown")}
        if constraint.qualifier:
            typed["method"] = [{"text": constraint.qualifier}]
        characteristic: dict[str, Any] = {
            "description": constraint.text,
            "extension": [_span(constraint.text_start, constraint.text_end)],
            "definitionByTypeAndValue": typed,
        }
        if self._anchored(constraint):
            self._window(constraint, dose, characteristic)
        elif constraint.kind == "time_window" and constraint.value is not None and (
            self.lexicon.get(constraint.subject or "") and self.lexicon[constraint.subject].category == "event"
        ):
            typed["valueBoolean"] = True
            characteristic["durationQuantity"] = _quantity(constraint.value, constraint.unit, self._comparator(constraint.comparator))
        elif constraint.category is not None:
            self._category(check, constraint, characteristic)
        elif constraint.comparator == "between":
            typed["valueRange"] = {"low": _quantity(constraint.value, constraint.unit),
                                   "high": _quantity(constraint.value_high, constraint.unit)}
        elif constraint.value is not None:
            typed["valueQuantity"] = _quantity(constraint.value, constraint.unit, self._comparator(constraint.comparator))
        if constraint.relative_to:
            characteristic["extension"].append({"url": RELATIVE_TO, "valueCode": constraint.relative_to})
            typed["valueQuantity"]["unit"] = f"x {constraint.relative_to}"
        return characteristic

    def _window(self, constraint: Constraint, dose: Optional[Constraint], characteristic: dict) -> None:
        """A window around an anchor, with the dose a window on the same drug asks for as its value."""
        typed = characteristic["definitionByTypeAndValue"]
        if dose is not None:
            typed["valueQuantity"] = _quantity(dose.value, dose.unit, self._comparator(dose.comparator), dose.unit_text)
        else:
            typed["valueBoolean"] = True
        anchor = constraint.anchor or self.matching.screening_anchor
        amount = _quantity(constraint.value, constraint.unit)
        window: dict[str, Any] = {"description": f"{constraint.direction or 'around'} {anchor}",
                                  "eventCodeableConcept": {"text": anchor}}
        if constraint.direction == "after":
            window["range"] = {"low": amount}
        else:
            window["range"] = {"low": {**amount, "value": -constraint.value}, "high": {**amount, "value": 0}}
        characteristic["timeFromEvent"] = [window]

    def _category(self, check: Union[Check, DoseLimit], constraint: Constraint, characteristic: dict) -> None:
        """A category as a CodeableConcept; on a scale the plan compares by rank, every category it admits, any
        of them."""
        typed = characteristic["definitionByTypeAndValue"]
        scale = self.matching.scale(check.scale) if isinstance(check, Compare) and check.scale else None
        if scale is None:
            typed["valueCodeableConcept"] = {"text": constraint.category}
            return
        high = int(check.value_high) if check.value_high is not None else None
        names = self.matching.category_names(scale, check.comparator, int(check.value or 0), high)
        if len(names) == 1:
            typed["valueCodeableConcept"] = {"text": names[0]}
            return
        del characteristic["definitionByTypeAndValue"]
        characteristic["definitionByCombination"] = {"code": "any-of", "characteristic": [
            {"definitionByTypeAndValue": {"type": typed["type"], "valueCodeableConcept": {"text": name}}}
            for name in names]}

    def _own(self, check: Check) -> list[dict]:
        """The characteristics of a criterion's own check: its constraint groups, then its exceptions."""
        if isinstance(check, (AtMostUnknown, AtLeastUnknown)):  # FHIR cannot say "at most/least unknown": the part
            return self._own(check.part)
        if isinstance(check, Unless):
            return self._own(check.condition) + [{**self.leaf(e), "exclude": True} for e in check.exceptions]
        if isinstance(check, (AllOf, Agreeing)):  # FHIR cannot say "all or any, unclear": all-of, as before
            return [self._group(part) for part in check.parts]
        return [self._group(check)]

    def _group(self, check: Check) -> dict:
        """One constraint group: a leaf, or any-of its alternatives (all-of its parts where the model's logic
        tree nests them; what no constraint states, a condition named in words, as text)."""
        if not sourced(check):
            return {"definitionCodeableConcept": {"text": _words(check)},
                    "extension": [{"url": NOT_CHECKABLE, "valueBoolean": True}]}
        if isinstance(check, (AtMostUnknown, AtLeastUnknown)):  # FHIR cannot say "at most/least unknown"
            return self._group(check.part)
        if isinstance(check, AnyOf):
            return self._combine("any-of", [self._group(part) for part in check.parts])
        if isinstance(check, (AllOf, Agreeing)):  # FHIR cannot say "all or any, unclear": all-of, as before
            return self._combine("all-of", [self._group(part) for part in check.parts])
        if isinstance(check, TreatmentWindow) and check.exception is not None:  # the dose it lets pass, per window
            return self._combine("all-of", [self.leaf(check), {**self.leaf(check.exception), "exclude": True}])
        if isinstance(check, Negated):  # a washout: not the window inside the time
            inner = self._group(check.part)
            return {**inner, "exclude": True} if not inner.get("exclude") else {
                **self._combine("all-of", [inner]), "exclude": True}
        return self.leaf(check)

    def criterion(self, planned: CriterionPlan) -> dict:
        """One criterion (with its sub-items) as a characteristic."""
        parts = self._own(planned.own) if planned.own is not None else []
        if planned.children:
            children = [self.criterion(child) for child in planned.children]
            parts.append(self._combine("any-of" if planned.any_children else "all-of", children))
        text = " ".join(planned.text.split())
        extensions = [_span(planned.criterion.start, planned.criterion.end)]
        if all(_not_checkable(part) for part in parts):
            extensions.append({"url": NOT_CHECKABLE, "valueBoolean": True})
            characteristic: dict[str, Any] = {"definitionCodeableConcept": {"text": text}}
        elif len(parts) == 1 and not parts[0].get("exclude"):
            characteristic = {k: v for k, v in parts[0].items() if k not in ("description", "extension")}
            extensions += parts[0].get("extension", [])[1:]
        else:
            characteristic = {"definitionByCombination": {"code": "all-of", "characteristic": parts}}
        return {"linkId": f"{planned.section}-{planned.label}", "description": text, "extension": extensions,
                **characteristic}

    @staticmethod
    def _combine(code: str, parts: list[dict]) -> dict:
        return {"definitionByCombination": {"code": code, "characteristic": parts}}


def sourced(check: Check) -> bool:
    """Whether a check reads a constraint anywhere (else it reads the conditions the text names, or nothing)."""
    if isinstance(check, (AllOf, AnyOf, Agreeing)):
        return any(sourced(p) for p in check.parts)
    if isinstance(check, Unless):
        return sourced(check.condition) or any(sourced(e) for e in check.exceptions)
    if isinstance(check, (AtMostUnknown, AtLeastUnknown, Negated)):
        return sourced(check.part)
    return getattr(check, "source", None) is not None


def _words(check: Check) -> str:
    """What an unsourced check is about, in words: its concepts' names, or its reason."""
    if isinstance(check, (AllOf, AnyOf, Agreeing)):
        return ", ".join(_words(p) for p in check.parts)
    if isinstance(check, (AtMostUnknown, AtLeastUnknown, Negated)):
        return _words(check.part)
    return getattr(check, "text", None) or getattr(check, "reason", "")


def _not_checkable(characteristic: dict) -> bool:
    return any(e.get("url") == NOT_CHECKABLE for e in characteristic.get("extension", []))


def export_fhir(plan: ListingPlan, grammars: Grammars, matching: MatchingGrammar) -> dict:
    """A FHIR R5 collection Bundle: the plan's EvidenceVariable and a ResearchStudy using it as eligibility.

    Raises:
        CriteriaParserError: the result does not validate as FHIR R5 (a bug; reported, not written).
    """
    exporter = FhirExporter(grammars, matching)
    listing = plan.listing
    name = listing.trial.nct_id or "listing"
    characteristics = []
    for planned in plan.criteria:
        if not planned.top_level:
            continue
        characteristic = exporter.criterion(planned)
        if planned.section == "exclusion":
            characteristic["exclude"] = True
        characteristics.append(characteristic)
    evidence = {
        "resourceType": "EvidenceVariable", "id": f"{name}-eligibility", "status": "draft",
        "title": f"Eligibility criteria of {listing.trial.title or name}",
        "characteristic": [{"description": "All inclusion criteria met and no exclusion criterion met",
                            "definitionByCombination": {"code": "all-of", "characteristic": characteristics}}],
    }
    study: dict[str, Any] = {
        "resourceType": "ResearchStudy", "id": name, "status": "active",
        "recruitment": {"eligibility": {"reference": f"EvidenceVariable/{name}-eligibility"}},
    }
    if listing.trial.title:
        study["title"] = listing.trial.title
    if listing.trial.nct_id:
        study["identifier"] = [{"system": "https://clinicaltrials.gov", "value": listing.trial.nct_id}]
    if listing.trial.conditions:
        study["condition"] = [{"text": c} for c in listing.trial.conditions]
    if listing.trial.phase:
        study["phase"] = {"text": listing.trial.phase}
    if listing.trial.status:
        study["progressStatus"] = [{"state": {"text": listing.trial.status}, "actual": True}]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": f"urn:criteria-parser:ResearchStudy:{name}", "resource": study},
        {"fullUrl": f"urn:criteria-parser:EvidenceVariable:{name}-eligibility", "resource": evidence},
    ]}
    validate_r5(bundle)
    return bundle


def validate_r5(bundle: dict) -> None:
    """Validate a bundle with fhir.resources' R5 models.

    Raises:
        CriteriaParserError: it is not valid FHIR R5.
    """
    from fhir.resources.bundle import Bundle
    from pydantic import ValidationError

    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:
        raise CriteriaParserError(f"FHIR export invalid: {validation_problem(exc)}") from None
