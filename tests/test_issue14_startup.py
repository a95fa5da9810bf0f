"""Issue 14, start-up: commands that do not parse import neither spaCy nor the entity model nor pint, and the answers
of pint shipped for them (``grammar/ucum_answers.json``) are those pint gives now."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from criteria_parser.grammar import units
from criteria_parser import SCHEMA_VERSION
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.grammar.matching import load_matching_grammar

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "fixtures" / "records" / "NCT90000001.json"
PATIENT = ROOT / "examples" / "patient-creatinine-mgdl.json"
MATCHING = load_matching_grammar()

#: What a command that does not parse must not import: spaCy, scispaCy, the entity model's CRF, our pipeline, pint.
HEAVY = ("spacy", "thinc", "scispacy", "pycrfsuite", "criteria_parser.pipeline", "pint", "ucumvert")

#: Runs the command line with the arguments given, then prints the heavy modules it imported.
_RUN = f"""
import atexit, json, sys
atexit.register(lambda: print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr))
sys.argv = ["criteria-parser", *sys.argv[1:]]
from criteria_parser.cli import main
main()
"""


def _heavy_imports(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_issue_14_version_loads_neither_pydantic_nor_the_grammars():
    """``--version`` reads the schema version from the package root (``criteria_parser``) and the grammars' from their listing."""
    found = subprocess.run([sys.executable, "-c", _RUN.replace(repr(HEAVY), repr(("pydantic", "criteria_parser.model",
                                                                                   "criteria_parser.grammar"))),
                            "--version"], capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stderr.strip().splitlines()[-1]) == []
    assert f"model schema {SCHEMA_VERSION}" in found.stdout


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("store") / "trials.db"
    _cli("import", str(RECORD), "--db", str(db))
    return db


def _cli(*args: str) -> None:
    done = subprocess.run([sys.executable, "-c", "from criteria_parser.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def parsed(seed_listing, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("parsed") / "seed.json"
    path.write_text(seed_listing.model_dump_json(), encoding="utf-8")
    return path


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["schema"], ["match", "--help"]])
def test_issue_14_commands_that_parse_nothing_load_nothing_heavy(args):
    assert _heavy_imports(*args) == []


def test_issue_14_show_and_export_from_a_store_load_nothing_heavy(store):
    assert _heavy_imports("show", "NCT90000001", "--db", str(store)) == []
    assert _heavy_imports("export", "--db", str(store), "--format", "flat") == []


def test_issue_14_match_from_parsed_json_loads_nothing_heavy(parsed):
    """The creatinine patient's mg/dL is converted to the listing's µmol/L by the shipped answers, not by pint."""
    assert _heavy_imports("match", str(parsed), str(PATIENT)) == []


@pytest.mark.parametrize("form", ["jsonlogic", "fhir"])
def test_issue_14_rule_exports_from_parsed_json_load_nothing_heavy(parsed, form):
    assert _heavy_imports("export", str(parsed), "--format", form) == []


def test_issue_14_ucum_answers_are_what_pint_answers_now():
    """Rebuild with ``python -m criteria_parser.grammar.units`` when a grammar's units or pint change."""
    shipped = json.loads(resources.files(units.__package__).joinpath("ucum_answers.json").read_text(encoding="utf-8"))
    assert units.compute_answers(load_grammars(), MATCHING) == shipped, \
        "ucum_answers.json is stale: run python -m criteria_parser.grammar.units"


def test_issue_14_without_answers_pint_answers_the_same(monkeypatch):
    """Another pint or ucumvert than the answers were computed with: the answers are ignored, pint is asked."""
    monkeypatch.setattr(units, "_versions", lambda: {"pint": "other", "ucumvert": "other"})
    units._answers.cache_clear()
    try:
        assert units._answers().factors == {}
        assert units.convert(1.0, "mg/dL", "umol/L", MATCHING, 113.12) == pytest.approx(88.40, abs=0.01)
        assert units.is_time("wk", MATCHING) and not units.is_time("mg/dL", MATCHING)
        with pytest.raises(units.UnitMismatch, match="cannot be converted"):
            units.convert(1.0, "mg/dL", "umol/L", MATCHING)
    finally:
        units._answers.cache_clear()


def test_issue_14_the_pipeline_imports_spacy_without_its_command_line_which_still_works():
    """spaCy's ``__init__`` imports its command line (weasel, httpx, requests) only for ``spacy.info``: the pipeline
    package imports spaCy without it, and ``spacy.cli`` and ``spacy.info`` still work afterwards."""
    script = """
import sys
import criteria_parser.pipeline, spacy
print(sorted(m for m in sys.modules if m.startswith(("spacy.cli", "weasel", "httpx", "requests"))))
import spacy.cli
from spacy.cli.info import info
print(spacy.cli.__file__ is not None, hasattr(spacy.cli, "setup_cli"), sorted(spacy.info(markdown=False, silent=True))[:1])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.strip().splitlines()
    assert before == "[]"
    assert after.startswith("True True [")
