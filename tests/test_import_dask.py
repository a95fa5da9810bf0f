"""The import on a Dask LocalCluster of two worker processes writes Parquet shards and resumes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("distributed")
import pyarrow.parquet as pq  # noqa: E402

from criteria_parser.registry.dask_engine import DaskEngine, ShardErrors  # noqa: E402
from criteria_parser.registry.importer import run_import  # noqa: E402
from criteria_parser.model import Listing  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "records"


def _run(records: Path, out: Path, engine: DaskEngine):
    sink = ShardErrors(out)
    summary = run_import([records], sink, engine, chunk_size=3)
    sink.close()
    return summary


def test_dask_import_writes_shards_and_skips_them_on_a_rerun(tmp_path):
    records, out = tmp_path / "records", tmp_path / "shards"
    shutil.copytree(FIXTURES, records)
    engine = DaskEngine(out, workers=2, scheduler=None, grammars=None)
    try:
        assert len(engine.client.scheduler_info()["workers"]) == 2
        first = _run(records, out, engine)
        assert (first.imported, first.failed) == (8, 2)
        table = pq.read_table(sorted(out.glob("part-*.parquet")))
        assert sorted(table.column("nct_id").to_pylist()) == sorted(
            f"NCT9000000{n}" for n in (1, 2, 4, 5, 6, 7, 8)) + ["NCT90000010"]
        listing = Listing.model_validate_json(table.filter(
            table.column("nct_id").to_numpy() == "NCT90000001").column("listing")[0].as_py())
        assert any(c.subject == "radiotherapy" for _, _, c in listing.constraints())
        errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
        assert sorted(e["record_id"] for e in errors) == ["NCT90000003", "NCT90000009"]

        shards = sorted(p.name for p in out.glob("part-*.parquet"))
        second = _run(records, out, engine)
        assert (second.imported, second.unchanged, second.failed) == (0, 8, 2)
        assert sorted(p.name for p in out.glob("part-*.parquet")) == shards
    finally:
        engine.close()
