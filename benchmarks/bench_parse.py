"""Benchmark: the parser, the bare scispaCy tokenizer (the floor) and the previous tag, in one run.

    .venv/bin/python benchmarks/bench_parse.py [--rounds 3] [--previous v0.1.0] [--profile] [--corpus leaf ...]
    .venv/bin/python benchmarks/bench_parse.py --previous-dir /tmp/speed-prev   # the tag's venv kept there

On the same criteria of three corpora (the Leaf texts of ../shared/corpora/leaf-dev, every record of
../shared/ctgov, and the seed listing repeated), each round measures in fresh processes, one after another:

- ``tokenizer``: scispaCy's rule-based tokenizer alone (``combined_rule_tokenizer`` on ``spacy.blank("en")``)
  over the text of every criterion the parser finds: the floor of a spaCy design;
- ``parser``: the parser as it is (the default pipeline, the entity model in it);
- ``parser-no-entities``: the same without ``criteria_entities``;
- the previous tag (``v0.1.0``, before the entity model), installed in a scratch venv beside the repository
  (``--previous-dir``; made on first use from a ``git worktree`` of the tag with this venv's versions pinned).

Each is CPU time of one process on one core, cold: a fresh parser (or tokenizer) reads the corpus once, so its
caches fill as they would on new input. Ratios are taken within a round, between measurements taken a few
seconds apart, so load on the machine moves them much less than the absolute figures; the median over rounds is
reported. ``--profile`` adds a py-spy profile of ``parser`` on each corpus, summed by stage. Results (with the
machine, the load average and the date) go to ``benchmarks/results/parse-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = ROOT / "corpora" / "NCT06633354-listing.txt"
#: Seed copies: one listing is too short to time.
SEED_COPIES = 100
VARIANTS = ("tokenizer", "parser", "parser-no-entities", "previous")


# --- corpora (built once by the current version; every variant reads the same file) -------------------------

def leaf_corpus() -> list[dict]:
    folder = SHARED / "corpora" / "leaf-dev"
    return [{"name": str(p.relative_to(folder)), "text": p.read_text(encoding="utf-8"), "headless": True}
            for p in sorted(folder.rglob("*.txt"))]


def ctgov_corpus() -> list[dict]:
    """Every record under ../shared/ctgov (v2 JSON, legacy XML, AACT CSV), first copy of an id, unescaped."""
    from criteria_parser.registry.records import Record, read_inputs
    from criteria_parser.registry.records.markdown import unescape

    seen: dict[str, dict] = {}
    for item in read_inputs([SHARED / "ctgov"]):
        if isinstance(item, Record) and item.id not in seen:
            text = unescape(item.text)[0] if item.escaped else item.text
            seen[item.id] = {"name": item.source, "text": text, "headless": True}
    return list(seen.values())


def seed_corpus() -> list[dict]:
    text = SEED.read_text(encoding="utf-8")
    return [{"name": f"seed-{i}", "text": text, "headless": False} for i in range(SEED_COPIES)]


CORPORA = {"leaf": leaf_corpus, "ctgov": ctgov_corpus, "seed": seed_corpus}


def with_criteria(listings: list[dict]) -> dict:
    """The corpus and the text of every criterion the current parser finds in it (what the floor tokenizes)."""
    from criteria_parser.parser import Parser

    parser = Parser()
    criteria = []
    for item in listings:
        listing = parser.parse_text(item["text"], item["name"], item["headless"])
        criteria += [criterion.text for section in listing.sections for criterion in section.walk()]
    return {"listings": listings, "criteria": criteria}


# --- one measurement: run in a fresh process, by this file, with any version's interpreter -----------------

def measure(variant: str, corpus: dict) -> dict:
    """CPU seconds of one cold pass of ``variant`` over ``corpus``; only the stdlib and the parser's
    ``Parser.parse_text`` (the same in every version) are used."""
    started = time.process_time()
    if variant == "tokenizer":
        import warnings

        import spacy
        from scispacy.custom_tokenizer import combined_rule_tokenizer

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            tokenizer = combined_rule_tokenizer(spacy.blank("en"))
        load = time.process_time() - started
        begin = time.process_time()
        tokens = sum(len(tokenizer(text)) for text in corpus["criteria"])
        return {"seconds": time.process_time() - begin, "load_seconds": load, "criteria": len(corpus["criteria"]),
                "tokens": tokens, "peak_mb": _peak_mb()}
    from criteria_parser.parser import Parser

    parser = Parser()
    if variant == "parser-no-entities" and "criteria_entities" in parser.nlp.pipe_names:
        parser.nlp.remove_pipe("criteria_entities")
    load = time.process_time() - started
    seconds, criteria, constraints, failures = 0.0, 0, 0, 0
    for item in corpus["listings"]:
        begin = time.process_time()
        try:
            listing = parser.parse_text(item["text"], item["name"], item["headless"])
        except Exception:  # noqa: BLE001 - a listing a version refuses counts as a failure; only time matters
            seconds += time.process_time() - begin
            failures += 1
            continue
        seconds += time.process_time() - begin
        for section in listing.sections:
            for criterion in section.walk():
                criteria += 1
                constraints += len(criterion.constraints)
    return {"seconds": seconds, "load_seconds": load, "criteria": criteria, "constraints": constraints,
            "failures": failures, "peak_mb": _peak_mb(), "pipes": list(parser.nlp.pipe_names)}


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: ``ru_maxrss`` would carry the parent's over ``exec``)."""
    status = Path("/proc/self/status").read_text().splitlines()
    return round(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024, 1)


def _worker(variant: str, corpus_file: str) -> None:
    corpus = json.loads(Path(corpus_file).read_text(encoding="utf-8"))
    print(json.dumps(measure(variant, corpus)))


def run_worker(python: str, variant: str, corpus_file: Path, profile: Path | None = None) -> dict:
    command = [python, str(Path(__file__).resolve()), "--worker", variant, str(corpus_file)]
    if profile is not None:
        spy = Path(sys.executable).with_name("py-spy")
        command = [str(spy), "record", "--format", "raw", "--rate", "250", "--output", str(profile), "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise SystemExit(f"{variant}: the worker failed:\n{done.stderr[-2000:]}")
    return json.loads(next(line for line in reversed(done.stdout.splitlines()) if line.startswith("{")))


# --- the previous tag, in a scratch venv -----------------------------------------------------------------------

#: Each release's commit, for a clone that has the history but not the tags (a branch copied alone).
RELEASES = {"v0.1.0": "717d7ea4ba92229c1863849eac1f24a9050540bc"}


def revision(tag: str) -> str:
    """The commit to check out for ``tag``: the tag itself when the clone has it, else its recorded commit."""
    found = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}"],
                           capture_output=True, text=True)
    if found.returncode == 0:
        return found.stdout.strip()
    if tag in RELEASES:
        return RELEASES[tag]
    raise SystemExit(f"bench_parse: --previous {tag}: no such tag or commit in {ROOT} (known releases: "
                     f"{', '.join(RELEASES)})")


def previous_python(tag: str, folder: Path) -> str:
    """The interpreter of a venv with ``tag`` installed (from a git worktree of the tag under ``folder``,
    outside the repository), made on first use with this venv's versions of every shared dependency; a
    checkout of the tag already at ``folder/tag`` (with or without its venv) is used as it is."""
    tree = folder / tag
    python = tree / ".venv" / "bin" / "python"
    if python.exists():
        return str(python)
    folder.mkdir(parents=True, exist_ok=True)
    if not tree.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), revision(tag)], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(tree / ".venv")], check=True)
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], check=True,
                            capture_output=True, text=True).stdout
    pins = folder / f"{tag}-constraints.txt"
    pins.write_text("".join(line + "\n" for line in frozen.splitlines() if not line.startswith("criteria-parser")))
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(tree), "-c", str(pins)], check=True)
    return str(python)


# --- profiles ----------------------------------------------------------------------------------------------------

#: The frame under ``Parser.parse_many`` that a sample falls in, and the stage it counts for.
STAGES = {
    "Parser._layout": "layout (page, outline, criteria tree, prefilter)",
    "Parser._make_doc": "tokenizer",
    "_apply": "model: constraints moved into the criterion (pydantic)",
}


def profile_stages(raw: Path) -> dict[str, float]:
    """Shares of the parse's samples by stage: the frame below ``Parser.parse_many`` (a component's
    ``__call__`` is its stage); ``pydantic`` also counts every sample in pydantic code wherever it is."""
    stages: Counter[str] = Counter()
    pydantic = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        names = [frame.split(" (")[0] for frame in frames]
        if "Parser.parse_many" not in names:
            continue
        below = names[names.index("Parser.parse_many") + 1:]
        stage = "parse_many itself" if not below else STAGES.get(below[0], below[0].replace("Component.__call__", ""))
        stages[stage] += int(count)
        pydantic += int(count) * any("pydantic" in frame for frame in frames)
    total = sum(stages.values()) or 1
    shares = {stage: round(100 * n / total, 1) for stage, n in stages.most_common()}
    shares["pydantic, wherever it runs"] = round(100 * pydantic / total, 1)
    return shares


# --- the run -------------------------------------------------------------------------------------------------------

def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpu": model, "cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version()}


def commit() -> str:
    return subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--tags"],
                          capture_output=True, text=True).stdout.strip()


def summarize(runs: dict[str, dict[str, list[dict]]]) -> dict:
    """Medians per corpus: criteria/s of each variant, and ratios taken within each round."""
    table = {}
    for corpus, variants in runs.items():
        rounds = len(variants["tokenizer"])
        floor = [variants["tokenizer"][r]["seconds"] for r in range(rounds)]
        row = {"criteria": variants["parser"][0]["criteria"],
               "tokenizer_us_per_criterion": round(1e6 * statistics.median(floor) / variants["tokenizer"][0]["criteria"], 1)}
        for name, measured in variants.items():
            if name == "tokenizer":
                continue
            seconds = [m["seconds"] for m in measured]
            row[name] = {
                "criteria_per_s": round(measured[0]["criteria"] / statistics.median(seconds)),
                "us_per_criterion": round(1e6 * statistics.median(seconds) / measured[0]["criteria"], 1),
                "x_tokenizer": round(statistics.median(s / f for s, f in zip(seconds, floor)), 2),
                "x_tokenizer_range": [round(min(s / f for s, f in zip(seconds, floor)), 2),
                                      round(max(s / f for s, f in zip(seconds, floor)), 2)],
                "peak_mb": max(m["peak_mb"] for m in measured),
                "constraints": measured[0]["constraints"], "failures": measured[0]["failures"],
            }
        if "previous" in variants:
            for name in ("parser", "parser-no-entities"):
                row[name]["x_previous"] = round(statistics.median(
                    a["seconds"] / b["seconds"] for a, b in zip(variants[name], variants["previous"])), 2)
        table[corpus] = row
    return table


def report(table: dict) -> None:
    for corpus, row in table.items():
        print(f"{corpus}: {row['criteria']:,} criteria; bare tokenizer {row['tokenizer_us_per_criterion']} us/criterion")
        for name in ("parser", "parser-no-entities", "previous"):
            if name in row:
                r = row[name]
                extra = f", {r['x_previous']}x the previous tag" if "x_previous" in r else ""
                print(f"  {name:20} {r['criteria_per_s']:>7,} criteria/s  {r['us_per_criterion']:>6} us/criterion  "
                      f"{r['x_tokenizer']}x the tokenizer ({r['x_tokenizer_range'][0]}-{r['x_tokenizer_range'][1]})"
                      f"{extra}; peak {r['peak_mb']:.0f} MB")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=3)
    options.add_argument("--corpus", choices=sorted(CORPORA), action="append", help="default: all three")
    options.add_argument("--previous", default="v0.1.0", help="the tag to compare with ('' for none)")
    options.add_argument("--previous-dir", type=Path,
                         default=Path(os.environ.get("CRITERIA_PARSER_BENCH_DIR",
                                                     Path.home() / ".cache" / "criteria-parser-bench")),
                         help="where the tag's worktree and venv are kept, outside the repository (default: "
                              "$CRITERIA_PARSER_BENCH_DIR, else ~/.cache/criteria-parser-bench)")
    options.add_argument("--profile", action="store_true", help="also profile the parser with py-spy")
    options.add_argument("--worker", nargs=2, metavar=("VARIANT", "CORPUS_FILE"), help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.worker:
        return _worker(*args.worker)
    corpora = args.corpus or list(CORPORA)
    pythons = {"tokenizer": sys.executable, "parser": sys.executable, "parser-no-entities": sys.executable}
    if args.previous:
        pythons["previous"] = previous_python(args.previous, args.previous_dir)
    load_before = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    runs: dict[str, dict[str, list[dict]]] = {}
    profiles = {}
    with tempfile.TemporaryDirectory() as scratch:
        files = {}
        for name in corpora:
            files[name] = Path(scratch) / f"{name}.json"
            files[name].write_text(json.dumps(with_criteria(CORPORA[name]())), encoding="utf-8")
        loads = []
        for round_ in range(args.rounds):
            for name in corpora:
                for variant, python in pythons.items():
                    runs.setdefault(name, {}).setdefault(variant, []).append(run_worker(python, variant, files[name]))
            loads.append(os.getloadavg()[0])
            print(f"round {round_ + 1}/{args.rounds} done, load average {loads[-1]:.2f}", file=sys.stderr)
        if args.profile:
            for name in corpora:
                raw = Path(scratch) / f"{name}.profile"
                run_worker(sys.executable, "parser", files[name], profile=raw)
                profiles[name] = profile_stages(raw)
    table = summarize(runs)
    result = {
        "date": started, "commit": commit(), "machine": machine(), "previous": args.previous or None,
        "load_average_before": [round(x, 2) for x in load_before], "load_average_after_each_round": loads,
        "rounds": args.rounds, "summary": table, "profiles": profiles, "runs": runs,
    }
    out = ROOT / "benchmarks" / "results" / f"parse-{time.strftime('%Y%m%d-%H%M', time.gmtime())}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"{started}, {result['machine']['cpu']} x{result['machine']['cpus']}, commit {result['commit']}, "
          f"load average {load_before[0]:.2f} before, {min(loads):.2f}-{max(loads):.2f} during")
    report(table)
    for name, shares in profiles.items():
        print(f"profile of the parser on {name}: " + ", ".join(f"{stage} {share}%" for stage, share in shares.items()))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
