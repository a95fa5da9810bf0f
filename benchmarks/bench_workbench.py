"""Benchmark: how long the workbench takes to answer a curator (run on demand).

    .venv/bin/python benchmarks/bench_workbench.py [--rounds 30]

On a temporary copy of the seed listing, through the app in-process (no network): the corpus page, the
listing page (parser proposal, then gold), a save of every row, the diff page and a row proposal from a
selection. Prints the median and the slowest time of each, in milliseconds.
"""

from __future__ import annotations

import argparse
import platform
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

from criteria_parser.parser import Parser
from criteria_parser.workbench.app import create_app
from criteria_parser.curation.corpus import fingerprint
from criteria_parser.curation.edits import criterion_key, row_values

SEED = Path(__file__).resolve().parents[1] / "corpora" / "NCT06633354-listing.txt"


def timed(rounds: int, call) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=30)
    rounds = options.parse_args().rounds
    parser = Parser()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp)
        shutil.copy(SEED, corpus / SEED.name)
        client = TestClient(create_app(corpus, "bench", parser=parser, allowed_hosts=["testserver"]))
        name = SEED.name
        page = f"/listing/{name}"
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get(page).text).group(1)
        listing = parser.parse_file(corpus / name)
        rows = []
        for index, section in enumerate(listing.sections):
            for criterion in section.walk():
                rows.extend({"id": f"c{len(rows)}", "criterion": criterion_key(index, criterion), "accepted": True,
                             "fields": row_values(constraint)} for constraint in criterion.constraints)
        gold = corpus / name.replace(".txt", ".gold.json")
        start = SEED.read_text(encoding="utf-8").index("creatinine ≤176.8")

        def save() -> None:
            answer = client.post(f"/api/save/{name}", json={"fingerprint": fingerprint(gold), "rows": rows},
                                 headers={"X-CSRF-Token": csrf})
            assert answer.status_code == 200, answer.text

        results = {"listing page (parser proposal)": timed(rounds, lambda: client.get(page))}
        results["save every row"] = timed(rounds, save)
        results["listing page (gold)"] = timed(rounds, lambda: client.get(page))
        results["corpus page (with F1)"] = timed(rounds, lambda: client.get("/"))
        results["diff page"] = timed(rounds, lambda: client.get(f"/diff/{name}"))
        results["propose a row from a selection"] = timed(rounds, lambda: client.post(
            f"/api/propose/{name}", json={"start": start, "end": start + 25}, headers={"X-CSRF-Token": csrf}))
    print(f"{platform.machine()}, Python {platform.python_version()}, {rounds} rounds, {len(rows)} constraints")
    for what, (median, slowest) in results.items():
        print(f"  {what:<34} median {median:7.1f} ms   slowest {slowest:7.1f} ms")


if __name__ == "__main__":
    main()
