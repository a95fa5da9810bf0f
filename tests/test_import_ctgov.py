"""The real ClinicalTrials.gov records of ../shared/ctgov (skipped when absent)."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import SHARED
from criteria_parser.registry.importer import LocalEngine, run_import
from criteria_parser.model import Listing
from criteria_parser.registry.records.markdown import unescape
from criteria_parser.registry.store import Store

CTGOV = SHARED / "ctgov"
pytestmark = pytest.mark.skipif(not CTGOV.is_dir(), reason="../shared/ctgov is absent")


def test_the_real_records_import_with_spans_into_the_stored_text(tmp_path):
    db = tmp_path / "trials.db"
    engine = LocalEngine(2)
    try:
        with Store(db) as store:
            summary = run_import([CTGOV], store, engine)
            again = run_import([CTGOV], store, engine)
    finally:
        engine.close()
    con = sqlite3.connect(db)
    trials = con.execute("SELECT count(*) FROM trials").fetchone()[0]
    assert trials == summary.imported and trials > 550  # 494 v2 JSON + 62 XML + 20 CSV, less failures
    assert dict(con.execute("SELECT format, count(*) > 0 FROM trials GROUP BY format")) == {
        "aact-csv": 1, "ctgov-json": 1, "ctgov-xml": 1}
    reasons = {source.rsplit("/", 1)[-1]: reason for source, reason in con.execute("SELECT source, reason FROM errors")}
    assert "no eligibility criteria" in reasons["NCT03182660.xml"]  # the one XML without <eligibility>
    assert "nctId" in reasons["eligibility_module_fragment.json"]
    assert (again.imported, again.unchanged + again.failed) == (0, summary.records)
    sponsored = {f: n for f, n in con.execute("SELECT format, count(*) = count(sponsor) FROM trials GROUP BY format")}
    assert sponsored == {"aact-csv": 0, "ctgov-json": 1, "ctgov-xml": 1}  # issue 16: it was null for every trial
    checked = 0
    for text, fmt, listing_json in con.execute("SELECT criteria_text, format, listing FROM trials"):
        for _, criterion, constraint in Listing.model_validate_json(listing_json).constraints():
            if criterion.label != "registry":
                written = text[constraint.text_start:constraint.text_end]
                assert (unescape(written)[0] if fmt == "ctgov-json" else written) == constraint.text
                checked += 1
    assert checked > 3000
