"""Read a FHIR R4 Bundle into a :class:`~.patients.Patient` (validated with fhir.resources' R4B models).

What is read: Patient (birthDate, gender); Observation (LOINC code, valueQuantity
in UCUM, with its comparator: ">150" is a bound, not 150; or a category as valueCodeableConcept or valueString,
referenceRange, method, effectiveDateTime; valueBoolean as a confirmation; an observation still ``registered``
or of ``unknown`` status, or with a dataAbsentReason, gives no result);
Condition (clinicalStatus, verificationStatus ``refuted`` = absent; ``provisional``, ``differential`` and
``unconfirmed`` diagnoses are not facts and are left out, onset, recordedDate, abatement);
MedicationStatement / MedicationAdministration (medication, period, route, daily dose);
Procedure (``completed``: a treatment; ``preparation``: a planned anchor such as the
infusion); Consent (``active``: informed consent); List (``current``, of mode ``working`` or ``snapshot``): a list
coded LOINC 10160-0 (history of medication use) and one coded 47519-4 (history of procedures) together say that the
bundle's treatments are the complete history. Bundle.timestamp is the screening date.
Other resources are ignored.
"""

from __future__ import annotations

import math
from typing import Any, Optional

from pydantic import ValidationError

from ..errors import InputError, validation_problem
from .patients import Confirmation, Diagnosis, Patient, Quantity, ReferenceRange, Result, Treatment

LOINC = "http://loinc.org"
VOID = {"entered-in-error", "cancelled", "not-taken", "not-done"}  # statuses of records that say nothing
NO_RESULT_YET = {"registered", "unknown"}  # an observation ordered, or of unknown state: no value to use
UNCONFIRMED = {"provisional", "differential", "unconfirmed"}  # a diagnosis considered, not made
ACTIVE = {"active", "recurrence", "relapse"}
PER_DAY = {"d": 1.0, "h": 24.0, "wk": 1 / 7}
#: LOINC codes of the lists that, all present, make the bundle's treatments the complete history: history of
#: medication use, history of procedures.
COMPLETE_HISTORY = frozenset({"10160-0", "47519-4"})


def _concept_name(concept: Any) -> Optional[str]:
    if concept is None:
        return None
    if concept.text:
        return concept.text
    return next((c.display or c.code for c in concept.coding or [] if c.display or c.code), None)


def _code(concept: Any, system: Optional[str] = None) -> Optional[str]:
    for coding in (concept.coding or []) if concept else []:
        if system is None or coding.system == system:
            return coding.code
    return None


def _unit(quantity: Any) -> Optional[str]:
    return (quantity.code or quantity.unit) if quantity is not None else None


def _observation(resource: Any, patient: dict) -> None:
    if resource.status in VOID or resource.status in NO_RESULT_YET or resource.dataAbsentReason is not None:
        return
    name = _concept_name(resource.code) or "unnamed observation"
    when = resource.effectiveDateTime
    if resource.valueBoolean is not None:
        patient["confirmations"].append(Confirmation(about=name, answer=resource.valueBoolean, date=when))
        return
    quantity = resource.valueQuantity
    value = quantity.value if quantity is not None else resource.valueInteger
    reference = None
    if resource.referenceRange:
        low, high = resource.referenceRange[0].low, resource.referenceRange[0].high
        reference = ReferenceRange(
            low=float(low.value) if low is not None and low.value is not None else None,
            high=float(high.value) if high is not None and high.value is not None else None,
            unit=_unit(high) or _unit(low),
        )
    patient["results"].append(Result(
        name=name, loinc=_code(resource.code, LOINC), value=float(value) if value is not None else None,
        comparator=quantity.comparator if quantity is not None else None,
        category=_concept_name(resource.valueCodeableConcept) or resource.valueString, unit=_unit(quantity), date=when,
        method=_concept_name(resource.method), reference_range=reference,
    ))


def _condition(resource: Any, patient: dict) -> None:
    verification = _code(resource.verificationStatus)
    if verification in VOID or verification in UNCONFIRMED:
        return
    clinical = _code(resource.clinicalStatus)
    status = "absent" if verification == "refuted" else "active" if clinical in ACTIVE or clinical is None else "resolved"
    patient["diagnoses"].append(Diagnosis(
        name=_concept_name(resource.code) or "unnamed condition", code=_code(resource.code), status=status,
        onset=resource.onsetDateTime, recorded=resource.recordedDate, end=resource.abatementDateTime,
    ))


def _daily_dose(dosage: Any) -> Optional[Quantity]:
    rates = getattr(dosage, "doseAndRate", None) or []
    quantity = rates[0].doseQuantity if rates else getattr(dosage, "dose", None)
    if quantity is None or quantity.value is None:
        return None
    unit = _unit(quantity)
    if unit and unit.endswith("/d"):
        return Quantity(value=float(quantity.value), unit=unit)
    repeat = dosage.timing.repeat if getattr(dosage, "timing", None) and dosage.timing.repeat else None
    if repeat is None or repeat.frequency is None or not repeat.period or repeat.periodUnit not in PER_DAY:
        return None
    per_day = float(quantity.value) * repeat.frequency / float(repeat.period) * PER_DAY[repeat.periodUnit]
    if not math.isfinite(per_day):  # 1e308 twice a day: no dose can be told
        return None
    return Quantity(value=per_day, unit=f"{unit}/d")


def _medication(resource: Any, patient: dict) -> None:
    if resource.status in VOID:
        return
    period = resource.effectivePeriod
    start = period.start if period else resource.effectiveDateTime
    end = period.end if period else resource.effectiveDateTime
    dosages = resource.dosage if isinstance(resource.dosage, list) else [resource.dosage] if resource.dosage else []
    route = _concept_name(dosages[0].route) if dosages else None
    patient["treatments"].append(Treatment(
        name=_concept_name(resource.medicationCodeableConcept) or "unnamed medication", route=route,
        start=start, end=end, dose=_daily_dose(dosages[0]) if dosages else None,
    ))


def _procedure(resource: Any, patient: dict, anchors: dict[str, str]) -> None:
    name = _concept_name(resource.code) or "unnamed procedure"
    period = resource.performedPeriod
    start = period.start if period else resource.performedDateTime
    end = period.end if period else resource.performedDateTime
    if resource.status == "preparation":
        anchor = anchors.get(name.lower(), name.lower())
        if start is not None:
            patient["anchors"][anchor] = start
    elif resource.status == "completed":
        patient["treatments"].append(Treatment(name=name, start=start, end=end))


def patient_from_bundle(data: dict, source: str) -> Patient:
    """The patient in a FHIR R4 Bundle.

    Raises:
        InputError: the bundle is not valid FHIR R4, or holds no Patient.
    """
    from fhir.resources.R4B.bundle import Bundle

    from ..grammar.loader import load_grammars

    try:
        bundle = Bundle.model_validate(data)
    except (ValidationError, ValueError, TypeError, LookupError, AttributeError) as exc:
        # fhir.resources raises KeyError for an unknown resourceType, ValidationError for the rest
        problem = validation_problem(exc) if isinstance(exc, ValidationError) else f"{exc!r}"
        message = problem.encode("unicode_escape").decode("ascii")  # one line, even for regex messages
        raise InputError(source, f"not a valid FHIR R4 Bundle: {message}") from None
    anchors = {phrase.lower(): rule.name for rule in load_grammars().anchors for phrase in rule.phrases}
    patient: dict[str, Any] = {"results": [], "diagnoses": [], "treatments": [], "confirmations": [], "anchors": {}}
    try:
        found, lists = _read_entries(bundle, patient, anchors)
        patient["treatments_complete"] = COMPLETE_HISTORY <= lists
        if found is None:
            raise InputError(source, "the bundle holds no Patient resource")
        return Patient(
            id=found.id or "patient", birth_date=found.birthDate, sex=found.gender, as_of=bundle.timestamp, **patient
        )
    except ValidationError as exc:  # a value no patient field takes (an infinite number)
        raise InputError(source, validation_problem(exc)) from None


def _read_entries(bundle: Any, patient: dict, anchors: dict[str, str]) -> tuple[Any, set[str]]:
    """Read every entry of ``bundle`` into ``patient``; the Patient resource found (or None) and the LOINC codes of
    the current lists."""
    found, lists = None, set()
    for entry in bundle.entry or []:
        resource = entry.resource
        kind = resource.get_resource_type() if resource is not None else None
        if kind == "Patient":
            found = resource
        elif kind == "Observation":
            _observation(resource, patient)
        elif kind == "Condition":
            _condition(resource, patient)
        elif kind in ("MedicationStatement", "MedicationAdministration"):
            _medication(resource, patient)
        elif kind == "Procedure":
            _procedure(resource, patient, anchors)
        elif kind == "Consent" and resource.status == "active":
            patient["confirmations"].append(Confirmation(about="informed consent", answer=True, date=resource.dateTime))
        elif kind == "List" and resource.status == "current" and resource.mode in ("working", "snapshot") \
                and resource.code is not None:
            lists.update(c.code for c in resource.code.coding or [] if c.system == LOINC)
    return found, lists
