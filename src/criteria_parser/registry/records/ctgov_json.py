"""ClinicalTrials.gov API v2 study JSON: one study, an array of studies, an API page, or JSON Lines."""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, Union

from ...document.source import decode
from ...errors import InputError
from .record import Failure, Item, Record, with_warnings

_CRITERIA_PATH = "protocolSection.eligibilityModule.eligibilityCriteria"
#: Python's JSON reader raises RecursionError on arrays or objects nested about a thousand deep.
TOO_DEEP = "invalid JSON: nested too deeply to read"


def read_json(name: str, text: str) -> Iterator[Item]:
    """Yield a record (or a failure) for every study in a JSON or JSON Lines document."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            yield from read_json_lines(name, text.splitlines())
        else:
            yield Failure(None, name, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
        return
    except RecursionError:
        yield Failure(None, name, TOO_DEEP)
        return
    if isinstance(data, dict) and isinstance(data.get("studies"), list):  # an API v2 /studies page
        data = data["studies"]
    if isinstance(data, list):
        if not data:
            yield Failure(None, name, "empty JSON array: no studies")
        for index, study in enumerate(data):
            yield study_record(study, f"{name}[{index}]")
    else:
        yield study_record(data, name)


def read_json_lines(name: str, lines: Iterable[Union[str, bytes, None]]) -> Iterator[Item]:
    """Yield a record (or a failure) for every line of JSON Lines, read one line at a time (None: a line
    over the reader's size cap); a line of bytes is decoded on its own, as a listing is."""
    for number, line in enumerate(lines, start=1):
        source = f"{name}:{number}"
        if line is None:
            yield Failure(None, source, "line over the size cap: not read (raise the limit with --max-mb)")
            continue
        if not line.strip():
            continue
        warnings: list[str] = []
        if isinstance(line, bytes):
            try:
                decoded = decode(line, source)
            except InputError as exc:
                yield Failure(None, source, exc.problem)
                continue
            line, warnings = decoded.text, decoded.warnings
        try:
            study = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Failure(None, source, f"invalid JSON at column {exc.colno}: {exc.msg}")
            continue
        except RecursionError:
            yield Failure(None, source, TOO_DEEP)
            continue
        yield from with_warnings([study_record(study, source)], warnings)


def study_record(study: Any, source: str) -> Item:
    """One API v2 study object as a record; a failure when it is not a study or has no criteria."""
    protocol = study.get("protocolSection") if isinstance(study, dict) else None
    if not isinstance(protocol, dict):
        return Failure(None, source, "not a ClinicalTrials.gov study (no protocolSection)")
    nct_id = _get(protocol, "identificationModule", "nctId")
    if not isinstance(nct_id, str) or not nct_id.strip():
        return Failure(None, source, "study without protocolSection.identificationModule.nctId")
    eligibility = _get(protocol, "eligibilityModule") or {}
    text = eligibility.get("eligibilityCriteria") if isinstance(eligibility, dict) else None
    if not isinstance(text, str) or not text.strip():
        return Failure(nct_id, source, f"no eligibility criteria ({_CRITERIA_PATH} is missing or empty)")
    healthy = eligibility.get("healthyVolunteers")
    return Record(
        id=nct_id.strip(), source=source, format="ctgov-json", text=text, escaped=True,
        title=_text(_get(protocol, "identificationModule", "briefTitle"))
        or _text(_get(protocol, "identificationModule", "officialTitle")),
        sponsor=_text(_get(protocol, "sponsorCollaboratorsModule", "leadSponsor", "name")),
        status=_text(_get(protocol, "statusModule", "overallStatus")),
        phase=", ".join(_texts(_get(protocol, "designModule", "phases"))) or None,
        conditions=_texts(_get(protocol, "conditionsModule", "conditions")),
        sex=_text(eligibility.get("sex")),
        minimum_age=_text(eligibility.get("minimumAge")),
        maximum_age=_text(eligibility.get("maximumAge")),
        healthy_volunteers=healthy if isinstance(healthy, bool) else None,
        std_ages=_texts(eligibility.get("stdAges")),
    )


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _texts(value: Any) -> list[str]:
    return [v.strip() for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []
