"""Reading trial records: format detection, fields, Markdown escapes, archives and bad input."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from criteria_parser.registry.records import Failure, Record, read_inputs
from criteria_parser.registry.records.markdown import unescape

FIXTURES = Path(__file__).parent / "fixtures" / "records"


def _read(*paths) -> tuple[dict[str, Record], list[Failure]]:
    records, failures = {}, []
    for item in read_inputs(list(paths)):
        if isinstance(item, Failure):
            failures.append(item)
        else:
            records[item.id] = item
    return records, failures


def test_every_format_of_the_fixtures_is_read():
    records, failures = _read(FIXTURES)
    assert {r.id: r.format for r in records.values()} == {
        "NCT90000001": "ctgov-json", "NCT90000002": "ctgov-json", "NCT90000004": "ctgov-json",
        "NCT90000005": "ctgov-json", "NCT90000006": "ctgov-xml", "NCT90000007": "aact-csv",
        "NCT90000008": "aact-csv", "NCT90000010": "text",
    }
    assert sorted((f.id, Path(f.source).name) for f in failures) == [
        ("NCT90000003", "ctg-studies.json[1]"), ("NCT90000009", "aact_trials.csv:19")]
    assert all("no eligibility criteria" in f.reason for f in failures)


def test_format_is_told_by_content_not_name(tmp_path):
    for source, name in (("NCT90000001.json", "a.txt"), ("NCT90000006.xml", "b.dat"), ("aact_trials.csv", "c")):
        shutil.copy(FIXTURES / source, tmp_path / name)
    records, _ = _read(tmp_path)
    assert {r.format for r in records.values()} == {"ctgov-json", "ctgov-xml", "aact-csv"}


def test_v2_json_fields_keep_the_escaped_text():
    record = _read(FIXTURES / "NCT90000001.json")[0]["NCT90000001"]
    assert record.escaped and "Age \\>= 18 years" in record.text
    assert (record.title, record.status, record.phase) == ("Single study file", "RECRUITING", "PHASE1, PHASE2")
    assert (record.sex, record.minimum_age, record.maximum_age) == ("FEMALE", "18 Years", "75 Years")
    assert record.conditions == ["Lymphoma"] and record.std_ages == ["ADULT", "OLDER_ADULT"]
    assert record.healthy_volunteers is False


def test_arrays_and_json_lines_name_each_record_by_position():
    records, _ = _read(FIXTURES / "ctg-studies.json", FIXTURES / "studies.jsonl")
    assert records["NCT90000002"].source.endswith("ctg-studies.json[0]")
    assert records["NCT90000005"].source.endswith("studies.jsonl:2")


def test_legacy_xml_fields_are_decoded():
    record = _read(FIXTURES / "NCT90000006.xml")[0]["NCT90000006"]
    assert "> 48 hours of age and < 120 hours" in record.text and not record.escaped
    assert record.conditions == ["Candidiasis", "Prematurity"]
    assert (record.sex, record.minimum_age, record.maximum_age) == ("All", "N/A", "5 Days")


def test_aact_csv_skips_a_repeated_header_and_splits_conditions():
    records, _ = _read(FIXTURES / "aact_trials.csv")
    assert sorted(records) == ["NCT90000007", "NCT90000008"]
    assert records["NCT90000007"].conditions == ["COVID-19", "Pneumonia"]
    assert records["NCT90000008"].title == "A second CSV record after a repeated header"


def test_unescape_maps_every_character_back():
    escaped = "Age \\>= 18, \\*active\\* \\[x\\] a\\b"
    plain, offsets = unescape(escaped)
    assert plain == "Age >= 18, *active* [x] a\\b"
    assert len(offsets) == len(plain) + 1 and offsets[-1] == len(escaped)
    assert all(escaped[offsets[i]] == ch for i, ch in enumerate(plain))


def test_archives_are_read_without_unpacking(tmp_path):
    zipped = tmp_path / "records.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for file in FIXTURES.iterdir():
            archive.write(file, f"dump/{file.name}")
    (tmp_path / "studies.jsonl.gz").write_bytes(gzip.compress((FIXTURES / "studies.jsonl").read_bytes()))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(FIXTURES / "NCT90000006.xml", "NCT90000006.xml")
    (tmp_path / "xml.tar.gz").write_bytes(buffer.getvalue())

    direct, _ = _read(FIXTURES)
    from_zip, _ = _read(zipped)
    assert {k: r.text_hash for k, r in from_zip.items()} == {k: r.text_hash for k, r in direct.items()}
    assert from_zip["NCT90000006"].source == f"{zipped}/dump/NCT90000006.xml"
    assert sorted(_read(tmp_path / "studies.jsonl.gz")[0]) == ["NCT90000004", "NCT90000005"]
    assert list(_read(tmp_path / "xml.tar.gz")[0]) == ["NCT90000006"]


@pytest.mark.parametrize("name, content, reason", [
    ("truncated.json", b'{"protocolSection": {"identificationModule": {"nctId": "NCT9', "invalid JSON at line 1 column"),
    ("latin1.json", '{"x": "caf\u00e9"}'.encode("latin-1"), "not a ClinicalTrials.gov study"),  # read, as cp1252
    ("empty.zip", None, "empty archive"),
    ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    ("other.json", b'{"name": "not a study"}', "not a ClinicalTrials.gov study"),
    ("notes.txt", b"Shopping list: eggs, milk.\n", "not a trial record"),
    ("feed.xml", b"<rss><channel/></rss>", "not a ClinicalTrials.gov record"),
    ("odd.xml", b'<?xml version="1.0" encoding="UTF-8p"?><clinical_study/>', "invalid XML: unknown encoding"),
    ("empty.json", b"  \n", "empty file"),
])
def test_bad_input_gives_a_clear_failure_and_the_rest_goes_on(tmp_path, name, content, reason):
    if content is None:
        zipfile.ZipFile(tmp_path / name, "w").close()
    else:
        (tmp_path / name).write_bytes(content)
    shutil.copy(FIXTURES / "NCT90000001.json", tmp_path / "good.json")
    records, failures = _read(tmp_path)
    assert list(records) == ["NCT90000001"]
    assert len(failures) == 1 and failures[0].source == str(tmp_path / name)
    assert reason in failures[0].reason


def test_json_lines_are_streamed_and_a_bad_line_fails_alone(tmp_path):
    good = (FIXTURES / "studies.jsonl").read_bytes().splitlines()
    lines = [good[0], good[1][:40], b'{"protocolSection": "caf\xe9"}', good[1]]
    (tmp_path / "mixed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (tmp_path / "mixed.jsonl.gz").write_bytes(gzip.compress(b"\n".join(lines)))
    for name in ("mixed.jsonl", "mixed.jsonl.gz"):
        records, failures = _read(tmp_path / name)
        assert sorted(records) == ["NCT90000004", "NCT90000005"]
        assert [(f.source.rsplit(":", 1)[-1], f.reason.split(":")[0]) for f in failures] == [
            ("2", "invalid JSON at column 41"), ("3", "not a ClinicalTrials.gov study (no protocolSection)")]


@pytest.mark.parametrize("name", ["NCT90000001.json", "studies.jsonl"])
def test_a_record_that_is_not_utf8_is_decoded_as_a_listing_is_and_says_so(tmp_path, parser, name):
    """One decoder for listings and records: Windows-1252 with a warning the record's model carries."""
    from criteria_parser.registry.records.parse import parse_records

    data = (FIXTURES / name).read_bytes()
    (tmp_path / name).write_bytes(data.replace(b"Inclusion Criteria", b"Inclusion Crit\xe8ria", 1))
    records, failures = _read(tmp_path / name)
    clean, _ = _read(FIXTURES / name)
    assert not failures and sorted(records) == sorted(clean)
    record = next(iter(records.values()))
    assert record.warnings and record.warnings[0].startswith("not UTF-8") and "Windows-1252" in record.warnings[0]
    assert "Critèria" in record.text and record.text_hash != clean[record.id].text_hash
    listing = parse_records(parser, [record])[0][1]
    assert listing.warnings[0] == record.warnings[0]
    assert not clean[record.id].warnings


def test_aact_pipe_delimited_eligibilities_with_structured_columns(tmp_path):
    (tmp_path / "eligibilities.txt").write_text(
        "id|nct_id|sampling_method|gender|minimum_age|maximum_age|healthy_volunteers|population|criteria\n"
        "1|NCT90000011||Female|18 Years|N/A|No||Inclusion Criteria:\n"
        "2|NCT90000012||All|N/A|N/A|Accepts Healthy Volunteers||\n")
    records, failures = _read(tmp_path)
    record = records["NCT90000011"]
    assert (record.format, record.sex, record.minimum_age, record.healthy_volunteers) == (
        "aact-csv", "Female", "18 Years", False)
    assert [(f.id, f.reason) for f in failures] == [("NCT90000012", "no eligibility criteria (empty criteria column)")]


@pytest.mark.parametrize("value, expected", [
    # listing.json registry_age_units, each coded by a time unit of units.jsonl
    ("18 Years", (18.0, "a")), ("6 Months", (6.0, "mo")), ("2 Weeks", (2.0, "wk")), ("1 Day", (1.0, "d")),
    ("12 hours", (12.0, "h")), ("30 Minutes", (30.0, "min")), ("N/A", None), ("18 yrs", None),
])
def test_structured_ages_read_the_registry_age_units_of_listing_json(value, expected):
    from criteria_parser.model import Comparator
    from criteria_parser.registry.records.structured import age_constraint

    found = age_constraint("minimumAge", value, Comparator.GE)
    assert (None if found is None else (found.value, found.unit)) == expected


def test_every_registry_age_unit_is_a_time_unit_of_units_jsonl():
    from criteria_parser.grammar.loader import load_grammars

    grammars = load_grammars()
    forms = {form.lower() for unit in grammars.units if unit.dimension == "time" for form in unit.forms}
    assert set(grammars.listing.registry_age_units) <= forms
