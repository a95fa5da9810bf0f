"""brat round trip: export --format brat writes our extractions, import-annotations reads corrected .ann files as gold."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from conftest import SEED
from criteria_parser.cli import app
from criteria_parser.curation.scoring import compare, load_gold

runner = CliRunner()
GOLD_NAME = SEED.name.replace(".txt", ".gold.json")


def exported(tmp_path: Path) -> Path:
    out = tmp_path / "brat"
    result = runner.invoke(app, ["export", "--format", "brat", str(SEED), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_round_trip_loses_nothing(parser, tmp_path):
    out = exported(tmp_path)
    result = runner.invoke(app, ["import-annotations", str(out), "--curator", "tester"])
    assert result.exit_code == 0, result.output
    gold = load_gold(out / GOLD_NAME)
    scores = compare(parser.parse_file(out / SEED.name), gold).scores
    assert {field: s.f1 for field, s in scores.items() if s.f1 != 1.0} == {}
    assert sum(1 for _ in gold.constraints()) == 19  # ALT and AST share one LCT comparison, both come back
    assert '"curator": "tester"' in (out / SEED.name.replace(".txt", ".review.jsonl")).read_text()


def _operator_of(ann: str, words: str, text: str) -> str:
    """The id of the Eq-Operator entity over ``words``."""
    start = text.index(words)
    for line in ann.splitlines():
        found = re.match(r"(T\d+)\tEq-Operator (\d+) (\d+)\t", line)
        if found and int(found.group(2)) == start:
            return found.group(1)
    raise AssertionError(f"no operator at {words!r}")


def test_a_correction_in_brat_becomes_gold(tmp_path):
    out = exported(tmp_path)
    ann_path = out / SEED.name.replace(".txt", ".ann")
    text = (out / SEED.name).read_text(encoding="utf-8")
    ann = ann_path.read_text(encoding="utf-8")
    operator = _operator_of(ann, "≤176.8", text)
    ann = re.sub(rf"(Eq-Operator-Value {operator}) LTEQ", r"\1 LT", ann)
    ann_path.write_text(ann, encoding="utf-8")
    assert runner.invoke(app, ["import-annotations", str(out)]).exit_code == 0
    creatinine = next(c for _, _, c in load_gold(out / GOLD_NAME).constraints() if c.subject == "creatinine")
    assert (creatinine.comparator, creatinine.value, creatinine.unit) == ("<", 176.8, "umol/L")


def test_existing_gold_is_kept_without_overwrite(tmp_path):
    out = exported(tmp_path)
    (out / GOLD_NAME).write_text("{}", encoding="utf-8")
    result = runner.invoke(app, ["import-annotations", str(out)])
    assert result.exit_code == 2
    assert "exists already (--overwrite replaces it)" in result.stderr
    assert (out / GOLD_NAME).read_text() == "{}"


def test_a_directory_without_ann_files_is_refused(tmp_path):
    (tmp_path / "x.txt").write_text("Inclusion Criteria:\n1. ECOG 0-1\n", encoding="utf-8")
    result = runner.invoke(app, ["import-annotations", str(tmp_path)])
    assert result.exit_code == 2 and "no brat .ann files" in result.stderr
