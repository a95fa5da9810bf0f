"""Instructions per stage of a parse, counted by valgrind's callgrind: a measure that load does not move.

    .venv/bin/python benchmarks/stage_instructions.py [--corpus leaf] [--every 8] [--out results/x.json]

On a fixed subset of a corpus (every ``--every``-th text of the sorted Leaf dev texts, or of the CT.gov records),
one process under ``valgrind --tool=callgrind`` (instrumentation off until the parser is built) runs the parse
stage by stage over all the subset's criteria: the layout (page, outline, criteria tree, the value test), the
bare scispaCy tokenizer over every criterion's text (the floor, a fresh one: its cache cold), our tokenizer,
each pipeline component over the criteria it runs on (all for the full ones, ``ENTITY_PIPES`` for the others),
and moving what the pipeline found into the model (pydantic). A small C helper, compiled on first use with
``gcc`` (``valgrind/callgrind.h``), dumps callgrind's counters after each stage, so each stage's count is its
own. Counts are deterministic up to a few tenths of a percent (``PYTHONHASHSEED=0``); each stage is reported in
instructions per criterion and in multiples of the floor. The stage-by-stage order gives the same work as the
parser's criterion-by-criterion loop (each component reads one doc; caches fill with the same entries), as long as
no step remembers only the last criterion it read (such a cache would miss here and hit in the parser: hand what
a later step needs over in the doc instead).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

HELPER = """#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void cg_zero(void) { CALLGRIND_ZERO_STATS; }
void cg_dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
"""


def subset(corpus: str, every: int) -> list[dict]:
    from bench_parse import CORPORA

    return CORPORA[corpus]()[::every]


def worker(corpus_file: str, helper: str) -> None:
    import warnings

    import spacy
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    from criteria_parser.parser import MAX_CRITERION_CHARS, Parser, _apply
    from criteria_parser.pipeline.build import ENTITY_PIPES
    from criteria_parser.document.source import SourceText

    listings = json.loads(Path(corpus_file).read_text(encoding="utf-8"))
    marks = ctypes.CDLL(helper)
    parser = Parser()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        floor = combined_rule_tokenizer(spacy.blank("en"))
    stages = []

    def dump(name: str) -> None:
        marks.cg_dump(name.encode())
        stages.append(name)

    marks.cg_start()
    marks.cg_zero()
    jobs = []
    for item in listings:
        jobs += parser._layout(SourceText(item["text"], item["name"]), item["headless"])[1]
    dump("layout")
    texts = [job.criterion.text[:MAX_CRITERION_CHARS] for job in jobs]
    for text in texts:
        floor(text)
    dump("floor")
    docs = []
    for job, text in zip(jobs, texts):
        doc = parser._make_doc(text)
        if job.context:
            doc._.cp_context = job.context
        doc._.cp_exclusion = job.exclusion
        docs.append(doc)
    dump("tokenizer")
    for name, component in parser.nlp.pipeline:
        for i, (job, doc) in enumerate(zip(jobs, docs)):
            if job.full or name in ENTITY_PIPES:
                docs[i] = component(doc)
        dump(name)
    for job, doc in zip(jobs, docs):
        _apply(job.criterion, doc)
    dump("model")
    print(json.dumps({"stages": stages, "criteria": len(jobs), "full": sum(job.full for job in jobs),
                      "tokens": sum(len(doc) for doc in docs)}))


_TRIGGER = "desc: Trigger: Client Request: "


def totals(folder: Path) -> dict[str, int]:
    """Each dump's instruction count, by the name it was dumped at."""
    counts = {}
    for path in folder.glob("cg.out*"):
        name, total = None, None
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(_TRIGGER):
                name = line[len(_TRIGGER):].strip()
            elif line.startswith(("totals:", "summary:")):
                total = int(line.split()[1])
        if name:
            counts[name] = total
    return counts


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--corpus", default="leaf", choices=("leaf", "ctgov", "seed"))
    options.add_argument("--every", type=int, default=8, help="every N-th listing of the corpus (default 8)")
    options.add_argument("--out", type=Path, help="also write the table as JSON here")
    options.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.worker:
        return worker(*args.worker)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "cgmark.c").write_text(HELPER)
        helper = folder / "libcgmark.so"
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(helper), str(folder / "cgmark.c")], check=True)
        corpus_file = folder / "corpus.json"
        listings = subset(args.corpus, args.every)
        corpus_file.write_text(json.dumps(listings), encoding="utf-8")
        started = time.time()
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={folder}/cg.out.%p",
             sys.executable, str(Path(__file__).resolve()), "--worker", str(corpus_file), str(helper)],
            capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, cwd=scratch)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        info = json.loads(next(line for line in reversed(done.stdout.splitlines()) if line.startswith("{")))
        counts = totals(folder)
    criteria = info["criteria"]
    floor = counts["floor"]
    parse = sum(n for name, n in counts.items() if name != "floor")
    no_entities = parse - counts.get("criteria_entities", 0)
    rows = [{"stage": name, "instructions": counts[name], "per_criterion": round(counts[name] / criteria),
             "x_floor": round(counts[name] / floor, 2), "share": round(100 * counts[name] / parse, 1)}
            for name in info["stages"]]
    result = {"corpus": args.corpus, "every": args.every, "listings": len(listings), **info,
              "parse_instructions": parse, "x_floor": round(parse / floor, 2),
              "x_floor_without_entities": round(no_entities / floor, 2), "rows": rows,
              "valgrind_seconds": round(time.time() - started)}
    print(f"{args.corpus}, every {args.every}th listing: {len(listings)} listings, {criteria} criteria "
          f"({info['full']} through the whole pipeline), {info['tokens']} tokens")
    print(f"{'stage':28} {'instructions':>14} {'per criterion':>14} {'x floor':>8} {'share':>6}")
    for row in rows:
        print(f"{row['stage']:28} {row['instructions']:>14,} {row['per_criterion']:>14,} {row['x_floor']:>8} "
              f"{row['share'] if row['stage'] != 'floor' else '':>6}")
    print(f"parse (all but the floor): {parse:,} instructions, {result['x_floor']}x the floor; "
          f"without criteria_entities {result['x_floor_without_entities']}x")
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
