"""Label Studio round trip: export tasks with pre-annotations, import curated annotations as gold files."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from typer.testing import CliRunner

from criteria_parser.cli import app
from criteria_parser.model import Listing

from .conftest import NAME

runner = CliRunner()
GOLD = NAME.replace(".txt", ".gold.json")


def exported(corpus: Path, tmp_path: Path) -> list[dict]:
    out, config = tmp_path / "tasks.json", tmp_path / "config.xml"
    result = runner.invoke(app, ["export", "--format", "label-studio", str(corpus), "-o", str(out), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert '<Labels name="kind" toName="text">' in config.read_text() and 'value="time_window"' in config.read_text()
    return json.loads(out.read_text(encoding="utf-8"))


def annotated(tasks: list[dict], edit=lambda result: result) -> list[dict]:
    """What Label Studio exports after a curator accepted the predictions and edited them with ``edit``."""
    tasks = copy.deepcopy(tasks)
    for item in tasks:
        item["annotations"] = [{"id": 1, "was_cancelled": False, "result": edit(item["predictions"][0]["result"])}]
    return tasks


def import_(tmp_path: Path, corpus: Path, tasks: list[dict], *options: str):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return runner.invoke(app, ["import-annotations", str(path), "--corpus", str(corpus), "--curator", "dana", *options])


def subjects(listing: Listing) -> dict:
    return {c.subject: c for _, _, c in listing.constraints()}


def test_round_trip_loses_nothing(corpus: Path, parser, tmp_path: Path):
    tasks = exported(corpus, tmp_path)
    assert tasks[0]["data"]["source"] == NAME
    result = import_(tmp_path, corpus, annotated(tasks))
    assert result.exit_code == 0, result.output
    gold = Listing.model_validate_json((corpus / GOLD).read_text())
    parsed = parser.parse_file(corpus / NAME)
    assert list(c for _, _, c in gold.constraints()) == list(c for _, _, c in parsed.constraints())
    assert [c.entities for _, c in gold.walk()] == [c.entities for _, c in parsed.walk()]  # with the links to them
    entry = json.loads((corpus / NAME.replace(".txt", ".review.jsonl")).read_text())
    assert entry["curator"] == "dana" and entry["action"] == "import label-studio" and entry["changes"] == []


def test_curated_edits_come_back(corpus: Path, tmp_path: Path):
    def edit(result):
        kept = []
        for region in result:
            if region.get("from_name") != "kind":  # entities and the relations to them stay
                kept.append(region)
                continue
            constraint = json.loads(region["meta"]["text"][0])
            if constraint["subject"] == "creatinine":  # deleted in Label Studio, then drawn again by hand
                region = {"id": "drawn", "from_name": "kind", "to_name": "text", "type": "labels",
                          "value": {**region["value"], "labels": ["threshold"]}}
            elif constraint["subject"] == "total bilirubin":
                constraint["unit"] = "mmol/L"
                region["meta"]["text"] = [json.dumps(constraint)]
            elif constraint["subject"] == "ECOG":
                continue
            kept.append(region)
        return kept

    result = import_(tmp_path, corpus, annotated(exported(corpus, tmp_path), edit))
    assert result.exit_code == 0, result.output
    gold = subjects(Listing.model_validate_json((corpus / GOLD).read_text()))
    assert gold["total bilirubin"].unit == "mmol/L" and "ECOG" not in gold
    assert gold["creatinine"].value == 176.8 and gold["creatinine"].text == "creatinine ≤176.8 (mol/L)"


def test_offsets_count_utf16_units_in_label_studio(corpus: Path, tmp_path: Path):
    text = (corpus / NAME).read_text(encoding="utf-8").replace("Inclusion Criteria:", "Inclusion Criteria: 🧪", 1)
    (corpus / NAME).write_text(text, encoding="utf-8")
    tasks = exported(corpus, tmp_path)
    region = next(r for r in tasks[0]["predictions"][0]["result"]
                  if r["type"] == "labels" and r["value"]["text"].startswith("Total bilirubin"))
    assert region["value"]["start"] == text.index("Total bilirubin") + 1  # the test tube is two UTF-16 units
    assert import_(tmp_path, corpus, annotated(tasks)).exit_code == 0
    gold = subjects(Listing.model_validate_json((corpus / GOLD).read_text()))
    assert gold["total bilirubin"].text_start == text.index("Total bilirubin")


def test_refusals_write_nothing(corpus: Path, tmp_path: Path):
    tasks = exported(corpus, tmp_path)
    escaping = annotated(tasks)
    escaping[0]["data"]["source"] = "../outside.txt"
    result = import_(tmp_path, corpus, escaping)
    assert result.exit_code == 2 and "only names inside the corpus" in result.output

    def outside(result):
        result[0]["value"].update(start=0, end=5)
        return result

    result = import_(tmp_path, corpus, annotated(tasks, outside))
    assert result.exit_code == 2 and "task 1: region c0 does not lie inside one criterion" in result.output

    def bad_value(result):
        constraint = json.loads(result[0]["meta"]["text"][0])
        result[0]["meta"]["text"] = [json.dumps({**constraint, "value": "many"})]
        return result

    result = import_(tmp_path, corpus, annotated(tasks, bad_value))
    assert result.exit_code == 2 and "region c0: value: Input should be a valid number" in result.output
    assert not (corpus / GOLD).exists()

    assert import_(tmp_path, corpus, annotated(tasks)).exit_code == 0
    result = import_(tmp_path, corpus, annotated(tasks))
    assert result.exit_code == 2 and "exists already (--overwrite replaces it)" in result.output
    assert import_(tmp_path, corpus, annotated(tasks), "--overwrite").exit_code == 0
    assert import_(tmp_path, corpus, {"not": "a list"}).exit_code == 2


def test_unannotated_tasks_are_skipped(corpus: Path, tmp_path: Path):
    result = import_(tmp_path, corpus, exported(corpus, tmp_path))
    assert result.exit_code == 0 and "0 gold file(s) written" in result.output
    assert not (corpus / GOLD).exists()
