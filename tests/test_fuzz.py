"""Property-based fuzzing of every entry point (issue 15): parse text, each record format, patient JSON, FHIR
bundles, workbench request bodies, Label Studio and brat imports.

Each property asserts that no exception escapes but the tool's own one-line errors, that spans stay inside
the text, and that time stays under a per-KB bound: a ratio to the seed listing's parse time measured on this
machine when the tests start, not an absolute time. Hypothesis runs derandomized (a fixed seed) with a small
number of examples, so CI is reproducible and each property takes a few seconds.
"""

from __future__ import annotations

import copy
import json
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from criteria_parser.curation.brat_import import import_brat
from criteria_parser.curation.corpus import Corpus
from criteria_parser.curation.labelstudio import import_tasks
from criteria_parser.errors import CriteriaParserError
from criteria_parser.match.patient_files import load_patient
from criteria_parser.match.run import plan_for, screen_patient
from criteria_parser.model import Listing
from criteria_parser.registry.records import Failure, Record, read_inputs
from criteria_parser.registry.records.parse import parse_records
from criteria_parser.workbench.app import create_app

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpora" / "NCT06633354-listing.txt"
STUDY = ROOT / "tests" / "fixtures" / "records" / "NCT90000001.json"
LISTING = ROOT / "tests" / "fixtures" / "repro" / "seed-listing.json"
PATIENT = ROOT / "examples" / "patient-eligible.json"
BUNDLE = ROOT / "examples" / "patient-eligible.fhir.json"
BRAT = ROOT / "tests" / "fixtures" / "lct"

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])

#: Pieces of criteria text that have broken the parser (or nearly), mixed with any text.
PIECES = ["Inclusion Criteria:\n", "Exclusion Criteria:\n", "1. ", "2. ", "  a. ", "  - ", "* ", "\n", " ", "(",
          ")", "<", "≤", ">=", "=", "~", "-", "/", ",", ".", ":", ";", "2,3.7", "10", "0.5", "1e308", "x ULN",
          " mg/dL", " μg/d", " µmol/L", " %", "mg/", " per day", "within 4 weeks", "except ", "and ", "or ",
          "not ", "ALT", "creatinine", "age", "ECOG", "NYHA III", "years", "prior to", "Ⅱ", "\u200b", "\t"]
TEXT = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=120).map("".join)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20)


@pytest.fixture(scope="module")
def per_kb(parser) -> float:
    """Seconds the parser takes per KB of the seed listing on this machine, now (best of three)."""
    text = SEED.read_text(encoding="utf-8")
    best = min(_seconds(lambda: parser.parse_text(text)) for _ in range(3))
    return best / (len(text.encode()) / 1024)


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _in_time(seconds: float, size: int, per_kb: float) -> None:
    """At most 50 times the seed's time per KB (and a floor for start-up costs of tiny inputs)."""
    assert seconds < max(50 * per_kb * size / 1024, 0.5), f"{seconds:.2f} s for {size} bytes"


def _spans_inside(listing: Listing, length: int) -> None:
    for section in listing.sections:
        assert 0 <= section.start <= section.end <= length
    for _, criterion, constraint in listing.constraints():
        assert 0 <= criterion.start <= criterion.end <= length
        assert 0 <= constraint.text_start <= constraint.text_end <= length
        assert 0 <= constraint.start <= constraint.end <= length
        for flag in constraint.flags:
            assert 0 <= flag.start <= flag.end <= length
    for _, criterion in listing.walk():
        for excerpt in criterion.exceptions:
            assert 0 <= excerpt.start <= excerpt.end <= length


@FUZZ
@given(text=TEXT)
def test_parse_text(parser, per_kb, text):
    listing = None

    def parse() -> None:
        nonlocal listing
        listing = parser.parse_text(text, assume_inclusion=True)

    _in_time(_seconds(parse), len(text.encode()), per_kb)
    _spans_inside(listing, len(text))


def _records(tmp_path: Path, name: str, data: bytes) -> list:
    path = tmp_path / name
    path.write_bytes(data)
    return list(read_inputs([path], max_bytes=1_000_000))


def _study(criteria: object, extra: object) -> dict:
    study = json.loads(STUDY.read_text())
    study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = criteria
    study["protocolSection"]["statusModule"] = extra
    return study


FORMATS = {
    "study.json": lambda text, extra: json.dumps(_study(text, extra)).encode(),
    "studies.jsonl": lambda text, extra: (json.dumps(_study(text, extra)) + "\n" + json.dumps(extra) + "\n").encode(),
    "study.xml": lambda text, extra: (f"<clinical_study><id_info><nct_id>NCT90000001</nct_id></id_info>"
                                      f"<eligibility><criteria><textblock>{text}</textblock></criteria>"
                                      f"</eligibility></clinical_study>").encode(),
    "trials.csv": lambda text, extra: ("nct_id,criteria\nNCT90000001," + json.dumps(text) + "\n").encode(),
    "NCT90000001.txt": lambda text, extra: ("Inclusion Criteria:\n" + text).encode(),
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_record_format(parser, per_kb, tmp_path, name):
    @FUZZ
    @given(text=TEXT, extra=JSON, noise=st.binary(max_size=64))
    def check(text, extra, noise):
        data = FORMATS[name](text, extra)
        for variant in (data, data[:len(data) // 2] + noise):
            items = _records(tmp_path, name, variant)
            assert all(isinstance(i, (Record, Failure)) for i in items)
            records = [i for i in items if isinstance(i, Record)]
            results = []
            seconds = _seconds(lambda: results.extend(parse_records(parser, records)))
            _in_time(seconds, len(variant), per_kb)
            for record, result in zip(records, results):
                if not isinstance(result, Failure):
                    _spans_inside(result[1], len(record.text))

    check()


@pytest.fixture(scope="module")
def plan():
    return plan_for(Listing.model_validate_json(LISTING.read_text()))


def _patient_file(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def _screen(plan, path: Path) -> None:
    try:
        patient = load_patient(path)
    except CriteriaParserError as exc:
        assert "\n" not in str(exc)
        return
    result = screen_patient(plan, patient)
    json.dumps(result.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")


def _mutated(base: dict, path: list, value: object) -> object:
    """``base`` with the node at ``path`` (indices into its lists and dicts, wrapped) replaced by ``value``."""
    data = copy.deepcopy(base)
    node = data
    for step in path:
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        if not children:
            break
        key, child = children[step % len(children)]
        if not isinstance(child, (dict, list)) or step == path[-1]:
            node[key] = value
            return data
        node = child
    return data


@pytest.mark.parametrize("base", [PATIENT, BUNDLE], ids=["patient-json", "fhir-bundle"])
def test_patient_files(plan, tmp_path, base):
    original = json.loads(base.read_text())

    @FUZZ
    @given(path=st.lists(st.integers(0, 50), min_size=1, max_size=6), value=JSON, raw=st.none() | JSON)
    def check(path, value, raw):
        _screen(plan, _patient_file(tmp_path, _mutated(original, path, value) if raw is None else raw))

    check()


@pytest.fixture
def client(tmp_path, parser):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    return TestClient(create_app(corpus, "fuzz", parser=parser, allowed_hosts=["testserver"]),
                      raise_server_exceptions=False)


def test_workbench_request_bodies(client):
    page = client.get(f"/listing/{SEED.name}")
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}

    @FUZZ
    @given(route=st.sampled_from(["save", "propose", "take"]), body=JSON,
           raw=st.none() | st.binary(max_size=200))
    def check(route, body, raw):
        content = raw if raw is not None else json.dumps(body).encode()
        answer = client.post(f"/api/{route}/{SEED.name}", content=content, headers=headers)
        assert answer.status_code < 500, answer.text
        assert "content-security-policy" in answer.headers

    check()


def test_label_studio_imports(parser, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    task = {"data": {"text": SEED.read_text(), "source": SEED.name},
            "annotations": [{"result": [{"id": "r1", "type": "labels", "value": {"start": 0, "end": 5,
                                                                                  "labels": ["threshold"]}}]}]}

    @FUZZ
    @given(path=st.lists(st.integers(0, 50), min_size=1, max_size=6), value=JSON)
    def check(path, value):
        try:
            import_tasks([_mutated(task, path, value)], Corpus(corpus), parser, "export.json")
        except CriteriaParserError as exc:
            assert "\n" not in str(exc)

    check()


def test_brat_imports(parser, tmp_path):
    text, ann = (BRAT / "NCT00000001.txt").read_text(), (BRAT / "NCT00000001.ann").read_text()

    @FUZZ
    @given(cut=st.integers(0, len(ann)), insert=st.text(max_size=30), lines=st.lists(TEXT, max_size=3))
    def check(cut, insert, lines):
        folder = tmp_path / "brat"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        (folder / "NCT00000001.txt").write_text(text)
        (folder / "NCT00000001.ann").write_text(ann[:cut] + insert + ann[cut:] + "\n".join(lines))
        try:
            import_brat(Corpus(folder), parser)
        except CriteriaParserError as exc:
            assert "\n" not in str(exc)

    check()
