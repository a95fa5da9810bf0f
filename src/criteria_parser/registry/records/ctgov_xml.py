"""Legacy ClinicalTrials.gov XML: ``<clinical_study>`` with ``<eligibility><criteria><textblock>``."""

from __future__ import annotations

from typing import Iterator, Optional
from xml.etree import ElementTree

from .record import Failure, Item, Record

_HEALTHY = {"accepts healthy volunteers": True, "yes": True, "no": False}


def read_xml(name: str, data: bytes) -> Iterator[Item]:
    """Yield a record (or a failure) for every ``<clinical_study>`` of an XML document."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        line, column = exc.position
        yield Failure(None, name, f"invalid XML at line {line} column {column + 1}: {str(exc).split(':')[0]}")
        return
    except LookupError as exc:  # the XML declaration names an encoding Python does not know
        yield Failure(None, name, f"invalid XML: {exc}")
        return
    studies = [root] if root.tag == "clinical_study" else root.findall("clinical_study")
    if not studies:
        yield Failure(None, name, f"XML but not a ClinicalTrials.gov record (root element <{root.tag}>, "
                                  "expected <clinical_study>)")
    for index, study in enumerate(studies):
        yield study_record(study, name if len(studies) == 1 else f"{name}[{index}]")


def study_record(study: ElementTree.Element, source: str) -> Item:
    """One ``<clinical_study>`` element as a record; a failure when it has no id or no criteria."""
    nct_id = _text(study, "id_info/nct_id")
    if nct_id is None:
        return Failure(None, source, "clinical_study without <id_info><nct_id>")
    criteria = study.find("eligibility/criteria/textblock")
    if criteria is None or not (criteria.text or "").strip():
        return Failure(nct_id, source, "no eligibility criteria (<eligibility><criteria><textblock> is missing or empty)")
    healthy = (_text(study, "eligibility/healthy_volunteers") or "").lower()
    return Record(
        id=nct_id, source=source, format="ctgov-xml", text=criteria.text,
        title=_text(study, "brief_title") or _text(study, "official_title"),
        sponsor=_text(study, "sponsors/lead_sponsor/agency"),
        status=_text(study, "overall_status"),
        phase=_text(study, "phase"),
        conditions=[c.text.strip() for c in study.findall("condition") if c.text and c.text.strip()],
        sex=_text(study, "eligibility/gender"),
        minimum_age=_text(study, "eligibility/minimum_age"),
        maximum_age=_text(study, "eligibility/maximum_age"),
        healthy_volunteers=_HEALTHY.get(healthy),
    )


def _text(element: ElementTree.Element, path: str) -> Optional[str]:
    found = element.find(path)
    return found.text.strip() or None if found is not None and found.text else None
