"""Read a patient file: the documented patient JSON, or a FHIR R4 Bundle.

A patient file is JSON. When its ``resourceType`` is ``Bundle`` it is read as FHIR R4
(:mod:`criteria_parser.match.fhir_patients`); otherwise it must follow
:class:`~criteria_parser.match.patients.Patient`. Mistakes are reported as one line naming the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Optional

from pydantic import ValidationError

from ..errors import InputError, validation_problem
from .fhir_patients import patient_from_bundle
from .patients import Patient


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]", re.IGNORECASE)  # only an escape can write a lone surrogate


def _lone_surrogate(data: object) -> Optional[str]:
    """The first lone surrogate (``\\ud800``) in any string of ``data``, shown escaped; None when there is none."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError as exc:
                return node[exc.start].encode("unicode_escape").decode("ascii")
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


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
    except RecursionError:
        raise InputError(str(path), "not JSON that can be read: nested too deeply") from None
    surrogate = _SURROGATE.search(text) and _lone_surrogate(data)
    if surrogate:
        raise InputError(str(path), f"holds {surrogate}, half of a UTF-16 pair: not text")
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        return patient_from_bundle(data, str(path))
    if isinstance(data, dict) and "resourceType" in data:
        raise InputError(str(path), f"a FHIR {data['resourceType']} is not a patient file: give a Bundle")
    try:
        return Patient.model_validate(data)
    except ValidationError as exc:
        raise InputError(str(path), validation_problem(exc)) from None
