"""Write the parser's JSON output for every listing of ../shared, to compare two versions byte for byte.

    .venv/bin/python benchmarks/outputs.py OUT.jsonl            # one line a listing: corpus, name, sha256, json
    .venv/bin/python benchmarks/outputs.py --compare A.jsonl B.jsonl

Covers the seed listing (``corpora/``), the 512 Leaf dev texts, every record of ``../shared/ctgov`` (v2 JSON,
legacy XML, AACT CSV; every copy of an id, in reading order) and the Chia dev texts, each parsed as the
benchmarks parse it (``Parser.parse_text``, headless for all but the seed). A speed change must leave every
line identical; ``--compare`` prints the listings that differ and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def listings():
    """(corpus, name, text, headless) for every listing covered."""
    from criteria_parser.registry.records import Record, read_inputs
    from criteria_parser.registry.records.markdown import unescape

    seed = ROOT / "corpora" / "NCT06633354-listing.txt"
    yield "seed", seed.name, seed.read_text(encoding="utf-8"), False
    for corpus, folder in (("leaf", SHARED / "corpora" / "leaf-dev"), ("chia", SHARED / "corpora" / "chia-dev")):
        for path in sorted(folder.rglob("*.txt")):
            yield corpus, str(path.relative_to(folder)), path.read_text(encoding="utf-8"), True
    for number, item in enumerate(read_inputs([SHARED / "ctgov"])):
        if isinstance(item, Record):
            text = unescape(item.text)[0] if item.escaped else item.text
            yield "ctgov", f"{number}:{item.source}:{item.id}", text, True


def write(out: Path) -> None:
    from criteria_parser.parser import Parser

    parser = Parser()
    count = 0
    with out.open("w", encoding="utf-8") as sink:
        for corpus, name, text, headless in listings():
            try:
                body = parser.parse_text(text, name, headless).model_dump_json()
            except Exception as exc:  # noqa: BLE001 - a refusal is an output too
                body = json.dumps({"error": f"{type(exc).__name__}: {exc}"})
            digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
            sink.write(json.dumps({"corpus": corpus, "name": name, "sha256": digest, "json": body}) + "\n")
            count += 1
    print(f"{count} listings written to {out}")


def compare(a: Path, b: Path) -> int:
    def read(path: Path) -> dict:
        rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
        return {(row["corpus"], row["name"]): row["sha256"] for row in rows}

    left, right = read(a), read(b)
    differ = sorted(key for key in left.keys() | right.keys() if left.get(key) != right.get(key))
    for corpus, name in differ[:50]:
        print(f"differs: {corpus} {name}")
    by_corpus: dict[str, int] = {}
    for corpus, _ in left:
        by_corpus[corpus] = by_corpus.get(corpus, 0) + 1
    print(f"{len(left)} / {len(right)} listings ({', '.join(f'{c} {n}' for c, n in sorted(by_corpus.items()))}); "
          f"{len(differ)} differ")
    return 1 if differ else 0


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("out", nargs="?", type=Path)
    options.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    args = options.parse_args()
    if args.compare:
        sys.exit(compare(*args.compare))
    if args.out is None:
        options.error("give OUT.jsonl or --compare A B")
    write(args.out)


if __name__ == "__main__":
    main()
