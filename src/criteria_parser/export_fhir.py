"""Export a listing as FHIR R5: an EvidenceVariable of its criteria and a ResearchStudy pointing at it.

Each criterion is a characteristic (``exclude`` true for exclusion criteria);
children and constraint groups are ``definitionByCombination`` (all-of / any-of);
each constraint is ``definitionByTypeAndValue`` with a UCUM quantity (or range),
a ``timeFromEvent`` for windows around an anchor (negative = before it), and
``exclude`` for exceptions. What FHIR cannot say goes in documented extensions,
never dropped: :data:`RELATIVE_TO` (the value is a multiple of ULN, LLN or a
baseline fold), :data:`SOURCE_SPAN` (where the text stands in the input) and
:data:`NOT_CHECKABLE` (the text has no machine-checkable limit).
The result is a collection Bundle, validated with fhir.resources before it is returned.
"""

from __future__ import annotations

from typing import Any, Optional

from .errors import CriteriaParserError
from .grammar import Grammars
from .model import Constraint, Criterion, Listing

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

    def __init__(self, grammars: Grammars) -> None:
        self.lexicon = {entry.name: entry for entry in grammars.lexicon}

    def _type(self, subject: str) -> dict:
        entry = self.lexicon.get(subject)
        concept: dict[str, Any] = {"text": subject}
        if entry is not None and entry.loinc:
            concept["coding"] = [{"system": LOINC, "code": entry.loinc, "display": subject}]
        return concept

    def constraint(self, constraint: Constraint) -> dict:
        """One constraint as a characteristic."""
        typed: dict[str, Any] = {"type": self._type(constraint.subject or constraint.subject_text or "unknown")}
        if constraint.qualifier:
            typed["method"] = [{"text": constraint.qualifier}]
        characteristic: dict[str, Any] = {
            "description": constraint.text,
            "extension": [_span(constraint.text_start, constraint.text_end)],
            "definitionByTypeAndValue": typed,
        }
        if constraint.role == "exception":
            characteristic["exclude"] = True
        if constraint.kind == "time_window" and constraint.anchor and constraint.value is not None:
            typed["valueBoolean"] = True
            amount = _quantity(constraint.value, constraint.unit)
            window: dict[str, Any] = {"description": f"{constraint.direction or 'around'} {constraint.anchor}",
                                      "eventCodeableConcept": {"text": constraint.anchor}}
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
            typed["valueCodeableConcept"] = {"text": constraint.category}
        elif constraint.comparator == "between":
            typed["valueRange"] = {"low": _quantity(constraint.value, constraint.unit),
                                   "high": _quantity(constraint.value_high, constraint.unit)}
        elif constraint.value is not None:
            typed["valueQuantity"] = _quantity(constraint.value, constraint.unit, constraint.comparator)
        if constraint.relative_to:
            characteristic["extension"].append({"url": RELATIVE_TO, "valueCode": constraint.relative_to})
            typed["valueQuantity"]["unit"] = f"x {constraint.relative_to}"
        return characteristic

    def criterion(self, criterion: Criterion, section: str) -> dict:
        """One criterion (with its children) as a characteristic."""
        parts: list[dict] = []
        conditions = [c for c in criterion.constraints if c.role == "condition"]
        groups: dict[int, list[dict]] = {}
        for constraint in conditions:
            groups.setdefault(constraint.group, []).append(self.constraint(constraint))
        for group in groups.values():
            parts.append(group[0] if len(group) == 1 else self._combine("any-of", group))
        parts += [self.constraint(c) for c in criterion.constraints if c.role == "exception"]
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


def export_fhir(listing: Listing, grammars: Grammars) -> dict:
    """A FHIR R5 collection Bundle: the listing's EvidenceVariable and a ResearchStudy using it as eligibility.

    Raises:
        CriteriaParserError: the result does not validate as FHIR R5 (a bug; reported, not written).
    """
    exporter = FhirExporter(grammars)
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
