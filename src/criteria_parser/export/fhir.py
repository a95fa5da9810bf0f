"""Export a listing as FHIR R5: an EvidenceVariable of its criteria and a ResearchStudy pointing at it.

Each criterion is a characteristic (``exclude`` true for exclusion criteria);
children and constraint groups are ``definitionByCombination`` (all-of / any-of);
each constraint is ``definitionByTypeAndValue`` with a UCUM quantity (or range),
a category (any-of the categories a comparator admits on a scale of the matching
grammar), a ``timeFromEvent`` for windows around an anchor (negative = before it;
the screening when none is named; the dose a window on the same drug asks for as
its value; the condition the criterion names as its type), and ``exclude`` for
exceptions. What FHIR cannot say goes in documented extensions,
never dropped: :data:`RELATIVE_TO` (the value is a multiple of ULN, LLN or a
baseline fold), :data:`SOURCE_SPAN` (where the text stands in the input) and
:data:`NOT_CHECKABLE` (the text has no machine-checkable limit).
The result is a collection Bundle, validated with fhir.resources before it is returned.
"""

from __future__ import annotations

from typing import Any, Optional

from ..errors import CriteriaParserError
from ..grammar.loader import Grammars
from ..grammar.matching import MatchingGrammar, load_matching_grammar
from ..model import Constraint, Criterion, Listing

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
EXTENSION = "urn:criteria-parser:fhir:StructureDefinition:"
RELATIVE_TO = EXTENSION + "relative-to"
SOURCE_SPAN = EXTENSION + "source-span"
NOT_CHECKABLE = EXTENSION + "not-machine-checkable"
FHIR_COMPARATORS = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _quantity(value: float, unit: Optional[str], comparator: Optional[str] = None, shown: Optional[str] = None) -> dict:
    quantity: dict[str, Any] = {"value": value}
    if comparator in FHIR_COMPARATORS:
        quantity["comparator"] = FHIR_COMPARATORS[comparator]
    if unit:
        quantity.update(unit=shown or unit, system=UCUM, code=unit)
    return quantity


def _span(start: int, end: int) -> dict:
    return {"url": SOURCE_SPAN, "valueRange": {"low": {"value": start}, "high": {"value": end}}}


class FhirExporter:
    """Builds the EvidenceVariable characteristics of one listing."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar) -> None:
        self.lexicon = {entry.name: entry for entry in grammars.lexicon}
        self.matching = matching

    def _type(self, subject: str) -> dict:
        entry = self.lexicon.get(subject)
        concept: dict[str, Any] = {"text": subject}
        if entry is not None and entry.loinc:
            concept["coding"] = [{"system": LOINC, "code": entry.loinc, "display": subject}]
        return concept

    def _anchored(self, constraint: Constraint) -> bool:
        """A window around a named anchor, or before the screening date when none is named."""
        return constraint.kind == "time_window" and constraint.value is not None and (
            bool(constraint.anchor) or constraint.direction == "before")

    def _subject(self, constraint: Constraint, criterion: Optional[Criterion]) -> str:
        """The subject; for a window on no treatment, the condition the criterion names (as the matcher reads it)."""
        subject = constraint.subject or ""
        entry = self.lexicon.get(subject)
        if self._anchored(constraint) and constraint.direction != "after" and criterion is not None and not (
            subject and self.matching.is_treatment(subject, entry.category if entry else None)
        ):
            event = self.matching.event_near(criterion.text, max(constraint.start - criterion.start, 0))
            if event is not None:
                return event.name
        return subject or constraint.subject_text or "unknown"

    def constraint(self, constraint: Constraint, criterion: Optional[Criterion] = None,
                   dose: Optional[Constraint] = None) -> dict:
        """One constraint as a characteristic; ``dose`` is the dose a window on the same drug asks for."""
        typed: dict[str, Any] = {"type": self._type(self._subject(constraint, criterion))}
        if constraint.qualifier:
            typed["method"] = [{"text": constraint.qualifier}]
        characteristic: dict[str, Any] = {
            "description": constraint.text,
            "extension": [_span(constraint.text_start, constraint.text_end)],
            "definitionByTypeAndValue": typed,
        }
        if constraint.role == "exception":
            characteristic["exclude"] = True
        if self._anchored(constraint):
            if dose is not None:
                typed["valueQuantity"] = _quantity(dose.value, dose.unit, dose.comparator, dose.unit_text)
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
        elif constraint.kind == "time_window" and constraint.value is not None and (
            self.lexicon.get(constraint.subject or "") and self.lexicon[constraint.subject].category == "event"
        ):
            typed["valueBoolean"] = True
            characteristic["durationQuantity"] = _quantity(constraint.value, constraint.unit, constraint.comparator)
        elif constraint.category is not None:
            self._category(constraint, characteristic)
        elif constraint.comparator == "between":
            typed["valueRange"] = {"low": _quantity(constraint.value, constraint.unit),
                                   "high": _quantity(constraint.value_high, constraint.unit)}
        elif constraint.value is not None:
            typed["valueQuantity"] = _quantity(constraint.value, constraint.unit, constraint.comparator)
        if constraint.relative_to:
            characteristic["extension"].append({"url": RELATIVE_TO, "valueCode": constraint.relative_to})
            typed["valueQuantity"]["unit"] = f"x {constraint.relative_to}"
        return characteristic

    def _category(self, constraint: Constraint, characteristic: dict) -> None:
        """A category as a CodeableConcept; on a known scale, every category the comparator admits, any of them."""
        typed = characteristic["definitionByTypeAndValue"]
        scale = self.matching.scale(constraint.subject)
        ranks = self.matching.category_ranks(scale, constraint.category or "") if scale else None
        if scale is None or ranks is None:
            typed["valueCodeableConcept"] = {"text": constraint.category}
            return
        comparator = "between" if len(ranks) == 2 else constraint.comparator
        names = scale.names(comparator, *ranks)
        if len(names) == 1:
            typed["valueCodeableConcept"] = {"text": names[0]}
            return
        del characteristic["definitionByTypeAndValue"]
        characteristic["definitionByCombination"] = {"code": "any-of", "characteristic": [
            {"definitionByTypeAndValue": {"type": typed["type"], "valueCodeableConcept": {"text": name}}}
            for name in names]}

    def criterion(self, criterion: Criterion, section: str) -> dict:
        """One criterion (with its children) as a characteristic."""
        parts: list[dict] = []
        conditions = [c for c in criterion.constraints if c.role == "condition"]
        windows = {c.subject for c in conditions if self._anchored(c) and c.direction != "after" and c.subject}
        doses = {c.subject: c for c in conditions if c.kind == "dose" and c.subject in windows and c.unit}
        groups: dict[int, list[dict]] = {}
        for constraint in conditions:
            if constraint.kind == "dose" and doses.get(constraint.subject) is constraint:
                continue  # said as the value of the window on the same drug
            dose = doses.get(constraint.subject) if constraint.kind == "time_window" else None
            groups.setdefault(constraint.group, []).append(self.constraint(constraint, criterion, dose))
        for group in groups.values():
            parts.append(group[0] if len(group) == 1 else self._combine("any-of", group))
        parts += [self.constraint(c, criterion) for c in criterion.constraints if c.role == "exception"]
        if criterion.children:
            children = [self.criterion(child, section) for child in criterion.children]
            parts.append(self._combine("any-of" if criterion.logic == "any" else "all-of", children))
        text = " ".join(criterion.text.split())
        extensions = [_span(criterion.start, criterion.end)]
        if not parts:
            extensions.append({"url": NOT_CHECKABLE, "valueBoolean": True})
            characteristic: dict[str, Any] = {"definitionCodeableConcept": {"text": text}}
        elif len(parts) == 1 and not parts[0].get("exclude"):
            characteristic = {k: v for k, v in parts[0].items() if k not in ("description", "extension")}
            extensions += parts[0].get("extension", [])[1:]
        else:
            characteristic = {"definitionByCombination": {"code": "all-of", "characteristic": parts}}
        return {"linkId": f"{section}-{criterion.label}", "description": text, "extension": extensions,
                **characteristic}

    @staticmethod
    def _combine(code: str, parts: list[dict]) -> dict:
        return {"definitionByCombination": {"code": code, "characteristic": parts}}


def export_fhir(listing: Listing, grammars: Grammars, matching: Optional[MatchingGrammar] = None) -> dict:
    """A FHIR R5 collection Bundle: the listing's EvidenceVariable and a ResearchStudy using it as eligibility.

    Raises:
        CriteriaParserError: the result does not validate as FHIR R5 (a bug; reported, not written).
    """
    exporter = FhirExporter(grammars, matching or load_matching_grammar())
    name = listing.trial.nct_id or "listing"
    characteristics = []
    for section in listing.sections:
        for criterion in section.criteria:
            characteristic = exporter.criterion(criterion, section.kind)
            if section.kind == "exclusion":
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
        first = exc.errors()[0]
        raise CriteriaParserError(f"FHIR export invalid: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
