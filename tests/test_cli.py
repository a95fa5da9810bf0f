"""The command line as a user meets it: outputs, and bad input reported in one line without a traceback."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from conftest import SEED
from criteria_parser.cli import app
from criteria_parser.export.flat import FLAT_COLUMNS

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_parse_json_is_the_model(tmp_path):
    result = run("parse", str(SEED))
    assert result.exit_code == 0
    model = json.loads(result.stdout)
    assert model["schema_version"] == "2.1"
    assert [s["kind"] for s in model["sections"]] == ["inclusion", "exclusion"]


def test_parse_flat_has_the_documented_keys():
    result = run("parse", str(SEED), "--format", "flat")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 19
    assert list(rows[0]) == list(FLAT_COLUMNS)
    creatinine = next(r for r in rows if r["subject"] == "creatinine")
    assert (creatinine["section"], creatinine["criterion"], creatinine["comparator"], creatinine["value"],
            creatinine["unit"], creatinine["source"]) == ("inclusion", "5", "<=", 176.8, "umol/L", str(SEED))


def test_parse_csv_matches_flat():
    rows = list(csv.DictReader(io.StringIO(run("parse", str(SEED), "--format", "csv").stdout)))
    assert len(rows) == 19
    ecog = next(r for r in rows if r["subject"] == "ECOG")
    assert (ecog["comparator"], ecog["value"], ecog["value_high"]) == ("between", "0.0", "2.0")


def test_parse_a_directory(tmp_path):
    (tmp_path / "a.txt").write_text("Inclusion Criteria:\n1. ECOG 0-1\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Exclusion Criteria:\n1. QTc > 470 ms\n", encoding="utf-8")
    result = run("parse", str(tmp_path), "--format", "flat")
    assert [json.loads(line)["subject"] for line in result.stdout.splitlines()] == ["ECOG", "QTc"]


def test_schema_is_json_schema():
    schema = json.loads(run("schema").stdout)
    assert schema["title"] == "Listing"
    assert "Constraint" in schema["$defs"]


@pytest.mark.parametrize("content,message", [
    (b"", "empty file: no text to parse"),
    (b"   \n\n", "empty file: no text to parse"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file: not a text listing"),
    (b"A trial page\nOverview\nNo criteria on it.\nContacts and Locations\n", "no inclusion or exclusion criteria section found"),
])
def test_bad_input_is_one_line(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    result = run("parse", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"criteria-parser: {path}: {message}" or message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_file_and_empty_directory(tmp_path):
    result = run("parse", str(tmp_path / "nope.txt"))
    assert result.exit_code == 1 and result.stderr.strip().endswith("nope.txt: no such file")
    result = run("parse", str(tmp_path))
    assert result.exit_code == 2 and "directory holds no .txt listings" in result.stderr


def test_other_encoding_is_read_with_a_warning(parser, tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Inclusion Criteria:\n1. Temp\xe9rature < 38 \xb0C\n2. Creatinine \xb5mol/L\n".encode("cp1252"))
    listing = parser.parse_file(path)
    assert listing.warnings == ["not UTF-8 (first bad byte on line 2); decoded as Windows-1252"]
    assert "Température" in listing.sections[0].criteria[0].text


def test_utf16_with_bom(parser, tmp_path):
    path = tmp_path / "u16.txt"
    path.write_bytes("Exclusion Criteria:\n1. ALT > 3 x ULN\n".encode("utf-16"))
    listing = parser.parse_file(path)
    assert listing.sections[0].criteria[0].constraints[0].relative_to == "ULN"


def test_failed_input_writes_nothing(tmp_path):
    good, bad, out = tmp_path / "good.txt", tmp_path / "bad.txt", tmp_path / "out.jsonl"
    good.write_text("Inclusion Criteria:\n1. ECOG 0-1\n", encoding="utf-8")
    bad.write_bytes(b"")
    result = run("parse", str(good), str(bad), "--format", "flat", "--output", str(out))
    assert result.exit_code == 1 and not out.exists()
    result = run("parse", str(good), str(bad), "--format", "flat", "--output", str(out), "--keep-going")
    assert result.exit_code == 1
    assert [json.loads(line)["subject"] for line in out.read_text().splitlines()] == ["ECOG"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left
    assert out.stat().st_mode & 0o777 == 0o644  # readable by others, like any file the user writes
    out.chmod(0o600)
    run("parse", str(good), "--format", "flat", "--output", str(out))
    assert out.stat().st_mode & 0o777 == 0o600  # a replaced file keeps its permissions


def test_eval_reports_every_field(tmp_path):
    result = run("eval")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["field", "precision", "recall", "F1", "tp", "fp", "fn"]
    assert any(line.startswith("structure") and "1.000" in line for line in lines)
    assert run("eval", str(tmp_path)).stderr.strip().endswith("no gold files (*.gold.json) found")


def test_eval_refuses_an_invalid_gold_file(tmp_path):
    (tmp_path / "x.txt").write_text("Inclusion Criteria:\n1. ECOG 0-1\n", encoding="utf-8")
    (tmp_path / "x.gold.json").write_text('{"parser_version": "gold", "sections": [{"kind": "maybe"}]}', encoding="utf-8")
    result = run("eval", str(tmp_path))
    assert result.exit_code == 2
    assert "x.gold.json: invalid gold file: sections.0.kind: Input should be" in result.stderr


def test_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as out:
        out.truncate(20 * 1024 * 1024)  # 20 MB, sparse
    result = run("parse", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"criteria-parser: {path}: file is 21.0 MB, above the 10 MB limit "
                                     "for one listing (raise it with --max-mb)")
    result = run("parse", str(path), "--max-mb", "30")
    assert result.stderr.strip() == f"criteria-parser: {path}: binary file: not a text listing"


def test_large_file_parses(parser, tmp_path):
    block = SEED.read_text(encoding="utf-8").split("Exclusion Criteria:")[0].split("Inclusion Criteria:")[1]
    text = "Inclusion Criteria:\n" + block * 500  # about 0.6 MB; speed is measured in benchmarks/
    listing = parser.parse_text(text, "big.txt")
    assert len(listing.sections[0].criteria) == 11 * 500
    assert sum(1 for _ in listing.constraints()) == 13 * 500


def test_console_script_reports_without_traceback(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    script = Path(sys.executable).with_name("criteria-parser")
    done = subprocess.run([str(script), "parse", str(empty)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 1
    assert done.stderr == f"criteria-parser: {empty}: empty file: no text to parse\n"


def test_version_names_the_tool_grammars_and_schema(parser):
    from criteria_parser import SCHEMA_VERSION, __version__

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == (f"criteria-parser {__version__} (grammars {parser.grammars.version}, "
                                     f"model schema {SCHEMA_VERSION})")
    assert parser.version == f"{__version__}+grammars.{parser.grammars.version}"  # what stores and models record


def test_parse_reads_standard_input():
    result = runner.invoke(app, ["parse", "-", "--format", "flat"], input="Inclusion Criteria:\n1. ALT <= 3 x ULN\n")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert (row["source"], row["subject"], row["relative_to"], row["start"]) == ("<stdin>", "ALT", "ULN", 30)
    too_long = runner.invoke(app, ["parse", "-", "--max-mb", "0.001"], input="Inclusion Criteria:\n" + "1. x\n" * 300)
    assert too_long.exit_code == 1 and "<stdin>: more than the 0.001 MB limit" in too_long.output


def test_issue_16_every_flag_reads_as_a_flag_in_the_help():
    """Rich help printed ``--keep-going <bool>``, so users typed ``--keep-going true`` and 'true' was read as a file."""
    root = typer.main.get_command(app)
    flags = 0
    for name, command in [("", root), *root.commands.items()]:
        shown = run(*([name] if name else []), "--help")
        assert shown.exit_code == 0 and "<bool>" not in shown.output, name
        for option in command.params:
            if option.param_type_name == "option" and option.is_flag:
                for opt in option.opts:
                    flags += 1
                    assert re.search(rf"(^|[ ,]){re.escape(opt)}(,|  |$)", shown.output, re.M), (name, opt)
    assert flags >= 9  # --version, --keep-going, --assume-inclusion, --json, --html, --quiet and -q, ...
    result = run("parse", "--keep-going", "--assume-inclusion", "--format", "flat", str(SEED))
    assert result.exit_code == 0 and result.stdout.count("\n") == 19
