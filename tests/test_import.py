"""Importing records into the store and into files; resuming; failures; show and export."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from criteria_parser.cli import app
from criteria_parser.errors import CriteriaParserError
from criteria_parser.registry import importer
from criteria_parser.registry.importer import LocalEngine, run_import
from criteria_parser.model import Listing, TrialInfo
from criteria_parser.registry.outputs import FileOutput
from criteria_parser.registry.records.markdown import unescape
from criteria_parser.registry.records.sources import count_items
from criteria_parser.registry.lock import ImportLocked
from criteria_parser.registry.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "records"
README = Path(__file__).parents[1] / "README.md"
TRIALS = 8


@pytest.fixture(scope="module")
def engine():
    runner = LocalEngine(1)
    yield runner
    runner.close()


@pytest.fixture
def records(tmp_path) -> Path:
    folder = tmp_path / "records"
    shutil.copytree(FIXTURES, folder)
    return folder


def _import(records: Path, db: Path, engine):
    with Store(db) as store:
        store.lock()
        return run_import([records], store, engine)


def test_import_writes_trials_criteria_constraints_and_errors(records, tmp_path, engine):
    db = tmp_path / "trials.db"
    summary = _import(records, db, engine)
    assert (summary.imported, summary.unchanged, summary.failed) == (TRIALS, 0, 2)
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM trials").fetchone()[0] == TRIALS
    assert sorted(con.execute("SELECT record_id FROM errors")) == [("NCT90000003",), ("NCT90000009",)]
    listing_json, text, version = con.execute(
        "SELECT listing, criteria_text, parser_version FROM trials WHERE nct_id = 'NCT90000001'").fetchone()
    listing = Listing.model_validate_json(listing_json)
    assert version == listing.parser_version
    for _, criterion, constraint in listing.constraints():
        if criterion.label != "registry":  # spans point into the stored (escaped) text
            assert unescape(text[constraint.text_start:constraint.text_end])[0] == constraint.text
    structured = con.execute("SELECT subject, comparator, value, unit, category FROM constraints "
                             "WHERE nct_id = 'NCT90000001' AND structured ORDER BY id").fetchall()
    assert structured == [("sex", "=", None, None, "female"), ("age", ">=", 18.0, "a", None),
                          ("age", "<=", 75.0, "a", None)]
    counted = con.execute("SELECT count(*) FROM constraints WHERE nct_id = 'NCT90000001'").fetchone()[0]
    assert counted == len(list(listing.constraints()))


def test_reimport_is_a_no_op_and_a_new_parser_version_reparses(records, tmp_path, engine):
    db = tmp_path / "trials.db"
    _import(records, db, engine)
    again = _import(records, db, engine)
    assert (again.imported, again.unchanged, again.failed) == (0, TRIALS, 2)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE trials SET parser_version = '0.0.1' WHERE nct_id = 'NCT90000006'")
    (records / "NCT90000001.json").write_text((records / "NCT90000001.json").read_text().replace("4 weeks", "6 weeks"))
    third = _import(records, db, engine)
    assert (third.imported, third.unchanged) == (2, TRIALS - 2)
    con = sqlite3.connect(db)
    assert con.execute("SELECT value FROM constraints WHERE nct_id = 'NCT90000001' AND subject = 'radiotherapy'"
                       ).fetchall() == [(6.0,)]
    assert con.execute("SELECT count(*) FROM trials").fetchone()[0] == TRIALS
    search = ("SELECT c.nct_id, c.text FROM criteria c JOIN criteria_fts f ON f.rowid = c.id "
              "WHERE criteria_fts MATCH ?")
    assert con.execute(search, ('"within 6 weeks"',)).fetchall() == [
        ("NCT90000001", "Radiotherapy within 6 weeks prior to enrollment")]
    assert con.execute(search, ('"within 4 weeks"',)).fetchall() == []  # the replaced text left the index
    assert con.execute("INSERT INTO criteria_fts(criteria_fts, rank) VALUES ('integrity-check', 1)")


AACT_WITH_SPONSOR = (
    "nct_id,brief_title,lead_sponsor,overall_status,phase,conditions,gender,criteria\n"
    'NCT90000031,An AACT row with a sponsor,Fixture Cooperative Group,Recruiting,Phase 2,Asthma|COPD,Male,'
    '"Inclusion Criteria:\n - FEV1 >= 50%"\n')
TRIAL_INFO = {  # every field of TrialInfo, as each registry format gives it
    "NCT90000001.json": TrialInfo(nct_id="NCT90000001", title="Single study file", sponsor="Fixture University Hospital",
                                  status="RECRUITING", sex="FEMALE", phase="PHASE1, PHASE2", conditions=["Lymphoma"]),
    "NCT90000006.xml": TrialInfo(nct_id="NCT90000006", title="A legacy XML record", sponsor="Fixture Neonatal Network",
                                 status="Completed", sex="All", phase="Phase 3", conditions=["Candidiasis", "Prematurity"]),
    "sponsored.csv": TrialInfo(nct_id="NCT90000031", title="An AACT row with a sponsor", sponsor="Fixture Cooperative Group",
                               status="Recruiting", sex="Male", phase="Phase 2", conditions=["Asthma", "COPD"]),
}


@pytest.mark.parametrize("name", sorted(TRIAL_INFO))
def test_issue_16_every_registry_field_of_the_model_is_imported(tmp_path, engine, name):
    expected = TRIAL_INFO[name]
    assert expected.model_fields_set == set(TrialInfo.model_fields)  # a new field needs reading in every format
    source = tmp_path / name
    if name == "sponsored.csv":
        source.write_text(AACT_WITH_SPONSOR)
    else:
        shutil.copy(FIXTURES / name, source)
    db = tmp_path / "trials.db"
    assert _import(source, db, engine).imported == 1
    with Store(db, create=False) as store:
        assert store.listing(expected.nct_id).trial == expected
    row = sqlite3.connect(db).execute("SELECT title, sponsor, status, phase, sex FROM trials").fetchone()
    assert row == (expected.title, expected.sponsor, expected.status, expected.phase, expected.sex)
    for suffix in (".jsonl", ".parquet"):
        assert [r["sponsor"] for r in _file_rows_of(source, tmp_path / f"parsed{suffix}", engine)] == [expected.sponsor]


def _file_rows_of(source: Path, out: Path, engine) -> list[dict]:
    _import_to_file(source, out, engine)
    return list(_file_rows(out).values())


def _store_of_an_older_version(records: Path, db: Path, engine, version: str, *changes: str) -> None:
    """An import into ``db`` made to look as version ``version`` wrote it (by ``changes``), then refused as old and
    imported into again: every record re-parses."""
    _import(records, db, engine)
    with sqlite3.connect(db) as con:
        for change in (*changes, f"UPDATE meta SET value = '{version}' WHERE key = 'store_version'"):
            con.execute(change)
    with pytest.raises(CriteriaParserError, match=f"store version {version}, this tool reads 4; import into it once"):
        Store(db, create=False)
    again = _import(records, db, engine)
    assert (again.imported, again.unchanged) == (TRIALS, 0)


def test_a_store_of_version_1_gains_the_sponsor_column_and_reparses(records, tmp_path, engine):
    db = tmp_path / "trials.db"
    # as version 1 wrote it: no sponsor column, hashes without the sponsor
    _store_of_an_older_version(records, db, engine, "1", "ALTER TABLE trials DROP COLUMN sponsor",
                               "UPDATE trials SET text_hash = 'old'")
    assert sqlite3.connect(db).execute("SELECT sponsor FROM trials WHERE nct_id = 'NCT90000001'").fetchone() == (
        "Fixture University Hospital",)


def test_a_store_of_version_2_gains_subjects_and_entities_and_reparses(records, tmp_path, engine):
    db = tmp_path / "trials.db"
    # as version 2 wrote it: no subject or entity columns, no entities table
    _store_of_an_older_version(records, db, engine, "2", *(
        f"ALTER TABLE constraints DROP COLUMN {column}" for column in (
            "constraint_id", "subject_start", "subject_end", "subject_concept", "subject_code", "open_subject",
            "entity", "entity_type")), "DROP TABLE entities")
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM constraints WHERE constraint_id IS NULL").fetchone() == (0,)
    linked = con.execute("SELECT count(*) FROM constraints c JOIN entities e ON e.nct_id = c.nct_id "
                         "AND e.entity_id = c.entity").fetchone()[0]
    assert linked == con.execute("SELECT count(*) FROM constraints WHERE entity IS NOT NULL").fetchone()[0] > 0


def test_a_store_of_version_3_gains_assertions_and_conditions_and_reparses(records, tmp_path, engine):
    db = tmp_path / "trials.db"
    # as version 3 wrote it (model schema 2.0): no assertion or condition columns
    _store_of_an_older_version(records, db, engine, "3", *(
        f'ALTER TABLE {table} DROP COLUMN "{column}"' for table in ("constraints", "entities")
        for column in ("assertions", "condition")))
    con = sqlite3.connect(db)
    for table in ("constraints", "entities"):
        assert {"assertions", "condition"} <= {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
    assert con.execute("SELECT version FROM (SELECT value AS version FROM meta WHERE key = 'store_version')"
                       ).fetchone() == ("4",)


def test_a_fixed_record_leaves_the_errors_table(records, tmp_path, engine):
    db = tmp_path / "trials.db"
    _import(records, db, engine)
    csv = records / "aact_trials.csv"
    csv.write_text(csv.read_text().replace('Asthma,""', 'Asthma,"Inclusion Criteria:\n - FEV1 >= 50%"'))
    summary = _import(records, db, engine)
    assert summary.imported == 1 and summary.failed == 1
    con = sqlite3.connect(db)
    assert con.execute("SELECT record_id FROM errors").fetchall() == [("NCT90000003",)]


def test_a_second_import_into_the_same_store_is_refused(tmp_path):
    with Store(tmp_path / "trials.db") as first:
        first.lock()
        with Store(tmp_path / "trials.db") as second, pytest.raises(ImportLocked, match="another import"):
            second.lock()
    with Store(tmp_path / "trials.db") as third:
        third.lock()  # released when the first closed
    assert not (tmp_path / "trials.db.lock").exists()


@pytest.mark.parametrize("target", ["trials.db", "parsed.jsonl", "parsed.parquet"])
def test_issue_16_the_lock_is_removed_at_the_end_and_a_stale_one_is_taken_over(tmp_path, target):
    cli = CliRunner()
    where = ["--db", str(tmp_path / target)] if target.endswith(".db") else ["--out", str(tmp_path / target)]
    args = ["import", str(FIXTURES / "studies.jsonl"), *where, "--workers", "1", "--quiet"]
    result = cli.invoke(app, args)
    assert result.exit_code == 0 and "stale" not in result.output
    lock = tmp_path / f"{target}.lock"
    assert not lock.exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock.write_text(dead.stdout)  # as an import killed with SIGKILL leaves it
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (f"{lock}: a stale lock left by import pid {dead.stdout.strip()}, which is no longer running; "
            "taking it over") in result.output
    assert not lock.exists()


def test_readme_queries_answer_on_the_store(records, tmp_path, engine):
    exclusion = "Exclusion Criteria:\n\n* Untreated brain metastases"
    study = json.loads((FIXTURES / "NCT90000001.json").read_text())
    more = []
    for nct_id, sex, minimum, maximum in (("NCT90000021", "ALL", "18 Years", "65 Years"),
                                          ("NCT90000022", "MALE", "18 Years", None),
                                          ("NCT90000023", "ALL", "50 Years", None)):
        copy = json.loads(json.dumps(study))
        protocol = copy["protocolSection"]
        protocol["identificationModule"]["nctId"] = nct_id
        protocol["eligibilityModule"].update(eligibilityCriteria=exclusion, sex=sex, minimumAge=minimum)
        protocol["eligibilityModule"].pop("maximumAge")
        if maximum:
            protocol["eligibilityModule"]["maximumAge"] = maximum
        more.append(copy)
    (records / "more.json").write_text(json.dumps(more))
    db = tmp_path / "trials.db"
    _import(records, db, engine)
    queries = re.findall(r"```sql\n(.*?)```", README.read_text(), re.DOTALL)
    assert len(queries) == 5
    con = sqlite3.connect(db)
    answers = [{row[0] for row in con.execute(query)} for query in queries]
    # NCT90000001: female, 18-75 years, creatinine <= 1.5 x ULN, radiotherapy within 4 weeks, hepatitis B and
    # brain metastases excluded; 21 is 18-65 and 22 male only; NCT90000006's "< 750 g birth weight" is the one
    # open subject of the records
    assert answers == [{"NCT90000001"}, {"NCT90000001"}, {"birth weight"}, {"NCT90000001"},
                       {"NCT90000001", "NCT90000023"}]


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_out_writes_files_instead_of_the_store(records, tmp_path, engine, suffix):
    out = tmp_path / f"parsed{suffix}"
    output = FileOutput(out)
    summary = run_import([records], output, engine)
    output.close()
    assert summary.imported == TRIALS
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        listings = {r["nct_id"]: Listing.model_validate(r["listing"]) for r in rows}
    else:
        table = pq.read_table(out)
        rows = table.to_pylist()
        listings = {r["nct_id"]: Listing.model_validate_json(r["listing"]) for r in rows}
        for row in rows:
            assert len(row["constraints"]) == len(list(listings[row["nct_id"]].constraints()))
        unnested = duckdb.sql(f"SELECT nct_id, c.value FROM (SELECT nct_id, unnest(constraints) AS c "
                              f"FROM '{out}') WHERE c.subject = 'creatinine' ORDER BY nct_id").fetchall()
        assert unnested == [("NCT90000001", 1.5), ("NCT90000006", 2.0)]
    assert sorted(listings) == sorted(r["nct_id"] for r in rows) and len(rows) == TRIALS
    errors = [json.loads(line) for line in (tmp_path / f"parsed{suffix}.errors.jsonl").read_text().splitlines()]
    assert sorted(e["record_id"] for e in errors) == ["NCT90000003", "NCT90000009"]
    assert not list(tmp_path.glob(".*.tmp"))


def _file_rows(out: Path) -> dict[str, dict]:
    rows = ([json.loads(line) for line in out.read_text().splitlines()] if out.suffix == ".jsonl"
            else pq.read_table(out).to_pylist())
    for row in rows:
        row.pop("imported_at")
        if isinstance(row["listing"], str):
            row["listing"] = json.loads(row["listing"])
    return {row["nct_id"]: row for row in rows}


def _import_to_file(records: Path, out: Path, engine, **options):
    output = FileOutput(out)
    complete = False
    try:
        summary = run_import([records], output, engine, **options)
        complete = True
    finally:
        output.close(complete)
    return summary


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_out_file_resumes_like_the_store(records, tmp_path, engine, suffix):
    out = tmp_path / f"parsed{suffix}"
    first = _import_to_file(records, out, engine)
    written = _file_rows(out)
    assert (first.imported, first.unchanged, len(written)) == (TRIALS, 0, TRIALS)
    assert out.stat().st_mode & 0o777 == 0o644
    again = _import_to_file(records, out, engine)
    assert (again.imported, again.unchanged, again.failed) == (0, TRIALS, 2)
    assert _file_rows(out) == written
    errors = (tmp_path / f"parsed{suffix}.errors.jsonl").read_text().splitlines()
    assert sorted(json.loads(e)["record_id"] for e in errors) == ["NCT90000003", "NCT90000009"]

    xml = records / "NCT90000006.xml"
    xml.write_text(xml.read_text().replace("creatinine &gt; 2 mg/dL", "creatinine &gt; 2.5 mg/dL"))
    changed = _import_to_file(records, out, engine)
    assert (changed.imported, changed.unchanged) == (1, TRIALS - 1)
    now = _file_rows(out)
    assert sorted(now) == sorted(written) and now["NCT90000001"] == written["NCT90000001"]
    assert now["NCT90000006"]["text_hash"] != written["NCT90000006"]["text_hash"]


def test_an_interrupted_out_file_keeps_whole_trials_and_resumes(records, tmp_path, engine, monkeypatch):
    """Ctrl-C (or SIGTERM, or a dead worker) mid-import: what was written is renamed into place; a re-run resumes."""
    monkeypatch.setattr(importer, "_WRITE_BATCH", 1)

    class Interrupted:
        slots, chunk_size, version = engine.slots, 1, engine.version

        def __init__(self) -> None:
            self.submitted = 0

        def submit(self, chunk):
            self.submitted += 1
            if self.submitted == 5:
                raise KeyboardInterrupt
            return engine.submit(chunk)

    out = tmp_path / "parsed.jsonl"
    with pytest.raises(KeyboardInterrupt):
        _import_to_file(records, out, Interrupted())
    kept = _file_rows(out)
    assert 0 < len(kept) < TRIALS and not list(tmp_path.glob(".*.tmp"))
    for row in kept.values():
        assert Listing.model_validate(row["listing"]).source
    resumed = _import_to_file(records, out, engine)
    assert (resumed.imported, resumed.unchanged) == (TRIALS - len(kept), len(kept))
    assert len(_file_rows(out)) == TRIALS


def test_records_are_counted_in_the_background_for_the_progress_bar(records):
    counted = []
    done = threading.Event()
    importer.count_records_in_background([records], lambda total: (counted.append(total), done.set()))
    assert done.wait(60) and counted == [count_items([records])] and counted[0] >= TRIALS


def test_two_imports_into_one_out_file_are_refused(tmp_path):
    out = tmp_path / "parsed.parquet"
    first = FileOutput(out)
    with pytest.raises(ImportLocked, match="is writing to this output file"):
        FileOutput(out)
    first.close()
    FileOutput(out).close()
    assert not (tmp_path / "parsed.parquet.lock").exists()


def test_cli_import_show_export(records, tmp_path, engine):
    cli = CliRunner()
    db = str(tmp_path / "trials.db")
    result = cli.invoke(app, ["import", str(records), "--db", db, "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert f"imported {TRIALS}, unchanged 0, failed 2" in result.output
    shown = cli.invoke(app, ["show", "NCT90000006", "--db", db])
    assert shown.exit_code == 0 and Listing.model_validate_json(shown.output).trial.nct_id == "NCT90000006"
    several = cli.invoke(app, ["show", "NCT90000006", "nct90000001", "--db", db])  # issue 16: several ids
    assert several.exit_code == 0, several.output
    assert [Listing.model_validate(m).trial.nct_id for m in json.loads(several.output)] == ["NCT90000006", "NCT90000001"]
    missing = cli.invoke(app, ["show", "NCT90000006", "NCT00000000", "NCT00000001", "--db", db])
    assert missing.exit_code == 2 and "NCT00000000, NCT00000001: not in" in missing.output and "{" not in missing.output
    flat = cli.invoke(app, ["export", "--db", db, "--format", "flat"]).output.splitlines()
    count = sqlite3.connect(db).execute("SELECT count(*) FROM constraints").fetchone()[0]
    assert len(flat) == count and json.loads(flat[0])["nct_id"].startswith("NCT")
    models = cli.invoke(app, ["export", "--db", db, "--format", "json"]).output.splitlines()
    assert len(models) == TRIALS and all(Listing.model_validate_json(m) for m in models)


def test_cli_imports_standard_input(tmp_path, engine):
    db = str(tmp_path / "trials.db")
    result = CliRunner().invoke(app, ["import", "-", "--db", db, "--workers", "1", "--quiet"],
                                input=(FIXTURES / "studies.jsonl").read_bytes())
    assert result.exit_code == 0 and "imported 2, unchanged 0, failed 0" in result.output
    sources = sqlite3.connect(db).execute("SELECT source FROM trials ORDER BY source").fetchall()
    assert sources == [("<stdin>:1",), ("<stdin>:2",)]


def test_cli_refuses_user_mistakes_in_one_line(tmp_path):
    cli = CliRunner()
    (tmp_path / "notes.jsonl").write_text("my own notes, not an import\n")
    for args, message in (
        (["import", str(tmp_path / "nope")], "no such file or directory"),
        (["import", str(FIXTURES), "--out", str(tmp_path / "x.csv")], "must end in .jsonl or .parquet"),
        (["import", str(FIXTURES), "--engine", "dask"], "give --out DIRECTORY"),
        (["show", "NCT1", "--db", str(tmp_path / "none.db")], "no such store"),
        (["export", str(FIXTURES), "--format", "flat"], "exports the store given by --db"),
        (["export", str(FIXTURES), "--format", "brat"], "give it with --output DIR"),
        (["export", str(FIXTURES), "--format", "brat", "-o", str(tmp_path / "b"), "--config", "c.xml"],
         "--config is for --format label-studio"),
        (["export", str(FIXTURES / "NCT90000001.json"), "--format", "label-studio"], "one corpus directory"),
        (["export", "--format", "jsonlogic"], "the criteria of one listing: give its file"),
        (["import", str(FIXTURES), "--out", str(tmp_path / "notes.jsonl")], "notes.jsonl:1: cannot resume"),
    ):
        result = cli.invoke(app, args)
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    (tmp_path / "junk.db").write_text("not sqlite at all, just some words in a file" * 50)
    result = cli.invoke(app, ["export", "--db", str(tmp_path / "junk.db")])
    assert result.exit_code == 2 and "not a criteria-parser store" in result.output


def test_issue_16_the_readme_reads_parquet_with_the_duckdb_it_installs(tmp_path, engine):
    """The README suggested the duckdb command, which no extra installs; its Python one-liner must run as written."""
    one_liner = re.search(r'`\.venv/bin/python -c "(import duckdb;[^"]*)"`', README.read_text()).group(1)
    (tmp_path / "shards").mkdir()
    _import_to_file(FIXTURES / "studies.jsonl", tmp_path / "shards" / "part-1.parquet", engine)
    shown = subprocess.run([sys.executable, "-c", one_liner], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert re.search(r"│\s+2\s+│", shown.stdout), shown.stdout
