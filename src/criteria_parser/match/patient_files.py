"""Read a patient file: the documented patient JSON, or a FHIR R4 Bundle.

A patient file is JSON. When its ``resourceType`` is ``Bundle`` it is read as FHIR R4
(:mod:`criteria_parser.match.fhir_patients`); otherwise it must follow
:class:`~criteria_parser.match.patients.Patient`. Mistakes are reported as one line naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from ..errors import InputError
from .fhir_patients import patient_from_bundle
from .patients import Patient


def load_patient(path: Path) -> Patient:
    """Read a patient JSON or a FHIR R4 Bundle.

    Raises:
        InputError: the file is missing, not JSON, or not a valid patient or bundle.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"line {exc.lineno}: not valid JSON: {exc.msg}") from None
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        return patient_from_bundle(data, str(path))
    if isinstance(data, dict) and "resourceType" in data:
        raise InputError(str(path), f"a FHIR {data['resourceType']} is not a patient file: give a Bundle")
    try:
        return Patient.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "top level"
        raise InputError(str(path), f"{where}: {first['msg']} ({len(exc.errors())} problem(s))") from None
