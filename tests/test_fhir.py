"""FHIR R4 patients in, FHIR R5 EvidenceVariable + ResearchStudy out."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from criteria_parser.errors import InputError
from criteria_parser.export.fhir import NOT_CHECKABLE, RELATIVE_TO, export_fhir
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.grammar.matching import load_matching_grammar
from criteria_parser.match.compiler import compile_listing
from criteria_parser.match.run import screen_files
from criteria_parser.match.patient_files import load_patient

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def listing():
    from criteria_parser.parser import Parser

    return Parser().parse_file(ROOT / "corpora" / "NCT06633354-listing.txt")


@pytest.mark.parametrize("name", ["patient-eligible", "patient-creatinine-mgdl"])
def test_fhir_bundle_matches_like_its_patient_json(listing, name):
    from_json = screen_files(listing, [EXAMPLES / f"{name}.json"])[0]
    from_fhir = screen_files(listing, [EXAMPLES / f"{name}.fhir.json"])[0]
    assert from_fhir.status == from_json.status
    assert [(c.label, c.result) for c in from_fhir.criteria] == [(c.label, c.result) for c in from_json.criteria]


def test_fhir_reading_keeps_loinc_ucum_reference_range_and_daily_dose():
    patient = load_patient(EXAMPLES / "patient-creatinine-mgdl.fhir.json")
    creatinine = next(r for r in patient.results if r.loinc == "2160-0")
    assert (creatinine.value, creatinine.unit, creatinine.reference_range.high) == (2.3, "mg/dL", 1.1)
    dexamethasone = next(t for t in patient.treatments if t.name == "dexamethasone")
    assert (dexamethasone.dose.value, dexamethasone.dose.unit) == (10.0, "mg/d")  # 5 mg twice a day
    assert patient.anchors["infusion"].date().isoformat() == "2026-03-05"
    assert next(d for d in patient.diagnoses if d.name == "epilepsy").status == "absent"


def _bundle(tmp_path, mutate):
    data = json.loads((EXAMPLES / "patient-eligible.fhir.json").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_malformed_bundle_is_a_one_line_error(tmp_path):
    path = _bundle(tmp_path, lambda d: d["entry"][1]["resource"].update(valueQuantity="high"))
    with pytest.raises(InputError, match=r"bundle.json: not a valid FHIR R4 Bundle: .*valueQuantity"):
        load_patient(path)


def test_bundle_without_patient_is_an_error(tmp_path):
    path = _bundle(tmp_path, lambda d: d.update(entry=d["entry"][1:]))
    with pytest.raises(InputError, match="the bundle holds no Patient resource"):
        load_patient(path)


def test_fhir_export_validates_and_keeps_what_fhir_cannot_say(listing):
    from fhir.resources.bundle import Bundle

    bundle = export_fhir(compile_listing(listing, load_grammars(), load_matching_grammar()), load_grammars(),
                         load_matching_grammar())
    parsed = Bundle.model_validate(copy.deepcopy(bundle))
    study, evidence = (entry.resource for entry in parsed.entry)
    assert study.get_resource_type() == "ResearchStudy"
    assert study.recruitment.eligibility.reference == f"EvidenceVariable/{evidence.id}"
    assert (study.identifier[0].value, study.progressStatus[0].state.text) == ("NCT06633354", "Recruiting")
    text = json.dumps(bundle)
    assert RELATIVE_TO in text and NOT_CHECKABLE in text
    criteria = evidence.characteristic[0].definitionByCombination.characteristic
    exclusion_6 = next(c for c in criteria if c.linkId == "exclusion-6")
    assert exclusion_6.exclude is True
    steroids = exclusion_6.definitionByCombination.characteristic[0].definitionByCombination.characteristic
    window, exception = steroids
    assert window.timeFromEvent[0].range.low.value == -72 and window.timeFromEvent[0].range.low.code == "h"
    assert exception.exclude is True and exception.definitionByTypeAndValue.valueQuantity.code == "mg/d"
    creatinine = json.dumps(next(c for c in criteria if c.linkId == "inclusion-5").model_dump(mode="json"))
    assert '"comparator": "<=", "unit": "umol/L", "system": "http://unitsofmeasure.org"' in creatinine.replace(
        '"code": "umol/L", ', "")


def test_records_entered_in_error_say_nothing(tmp_path):
    def void_lvef(data):
        for entry in data["entry"]:
            if entry["resource"].get("code", {}).get("text") == "LVEF":
                entry["resource"]["status"] = "entered-in-error"

    patient = load_patient(_bundle(tmp_path, void_lvef))
    assert all(r.name != "LVEF" for r in patient.results)


def test_unknown_resource_type_in_a_bundle_is_a_one_line_error(tmp_path):
    path = _bundle(tmp_path, lambda d: d["entry"][1]["resource"].update(resourceType="Labresult"))
    with pytest.raises(InputError, match=r"not a valid FHIR R4 Bundle: KeyError") as caught:
        load_patient(path)
    assert "\n" not in str(caught.value)


def test_fhir_categories_as_strings_and_recorded_dates_are_read(tmp_path):
    def add(data):
        subject = {"reference": data["entry"][1]["resource"]["subject"]["reference"]}
        data["entry"] += [
            {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "NYHA class"},
                          "subject": subject, "valueString": "III", "effectiveDateTime": "2026-03-01"}},
            {"resource": {"resourceType": "Condition", "code": {"text": "myocardial infarction"},
                          "subject": subject, "recordedDate": "2026-01-05"}},
        ]

    patient = load_patient(_bundle(tmp_path, add))
    assert next(r for r in patient.results if r.name == "NYHA class").category == "III"
    assert next(d for d in patient.diagnoses if d.name == "myocardial infarction").recorded.isoformat() == \
        "2026-01-05T00:00:00"


def test_fhir_export_of_scales_doses_and_event_windows():
    from criteria_parser.parser import Parser

    listing = Parser().parse_file(ROOT / "tests" / "fixtures" / "match" / "listing-scores.txt")
    plan = compile_listing(listing, load_grammars(), load_matching_grammar())
    criteria = export_fhir(plan, load_grammars(), load_matching_grammar())["entry"][1]["resource"][
        "characteristic"][0]["definitionByCombination"]["characteristic"]
    by_id = {c["linkId"]: c for c in criteria}

    def categories(characteristic):
        return [p["definitionByTypeAndValue"]["valueCodeableConcept"]["text"]
                for p in characteristic["definitionByCombination"]["characteristic"]]

    assert categories(by_id["inclusion-2"]) == ["I", "II"]  # ASA I-II
    assert categories(by_id["exclusion-8"]) == ["III", "IV"]  # NYHA class ≥ III
    steroid = by_id["exclusion-3"]  # the dose is the value of the window on the same drug
    assert steroid["definitionByTypeAndValue"]["valueQuantity"]["code"] == "mg/d"
    assert steroid["definitionByTypeAndValue"]["valueQuantity"]["comparator"] == ">"
    assert steroid["timeFromEvent"][0]["range"]["low"]["value"] == -4
    infarction = by_id["exclusion-4"]
    assert infarction["definitionByTypeAndValue"]["type"]["text"] == "myocardial infarction"
    assert infarction["timeFromEvent"][0]["eventCodeableConcept"]["text"] == "screening"
