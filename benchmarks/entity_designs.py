"""Compare entity model designs on the dev fifth of the tune parts of Leaf and Chia: accuracy and speed.

    .venv/bin/python benchmarks/entity_designs.py [--ner] [--ner-model DIR] [--crf-config CFG...] [--json OUT]

Designs, each trained on the tune trials outside the dev fifth (``criteria_parser.lct.training.is_dev``):

- ``crf``: the shipped design, ``criteria_parser.lct.training.train`` with ``entities.cfg`` (or each
  ``--crf-config``, to choose its settings), scored on each corpus in that corpus's style;
- ``ner`` (``--ner``): spaCy's transition-based NER over a hash-embedding CNN, ``benchmarks/entity_ner.cfg``,
  trained by spaCy's own loop (a few minutes of CPU); ``--ner-model DIR`` scores one trained before.

Scores are exact and overlap F1 per type on the dev trials only (the held-back part is never read); speed is
lines per second of CPU time on one core, tokenizer included, over every tune line of Leaf after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import spacy
from spacy.tokens import DocBin

from criteria_parser.lct.entities import ENTITY_TYPES, EntitySpan, corpus_scheme, read_corpus
from criteria_parser.lct.entity_scorer import Counts, entity_pipeline, predict, score_document
from criteria_parser.lct.training import CONFIG, CorpusStats, is_dev, line_docs, blank_pipeline, train
from criteria_parser.pipeline import tokenizer as _tokenizer  # noqa: F401  (entity_ner.cfg names it)

HERE = Path(__file__).resolve().parent
CORPORA = {"leaf": HERE.parent.parent / "shared" / "corpora" / "leaf-dev",
           "chia": HERE.parent.parent / "shared" / "corpora" / "chia-dev"}


def dev_documents() -> dict:
    return {name: [d for d in read_corpus(path, "tune") if is_dev(d.name)] for name, path in CORPORA.items()}


def score(dev: dict, predictors: dict) -> dict:
    """F1 per corpus, level and type; ``predictors``: corpus name -> documents -> mentions."""
    out = {}
    for name, documents in dev.items():
        counts = defaultdict(Counts)
        for document, predicted in zip(documents, predictors[name](documents)):
            for (level, kind), count in score_document(document.entities, predicted).items():
                counts[level, kind].add(count)
                counts[level, "all"].add(count)
        out[name] = {f"{level}:{kind}": round(counts[level, kind].scores()[2], 3)
                     for level in ("exact", "overlap") for kind in (*ENTITY_TYPES, "all") if counts[level, kind].gold}
    return out


def speed(lines: list[str], run) -> float:
    run(lines[:200])
    started = time.process_time()
    run(lines)
    return len(lines) / (time.process_time() - started)


def train_ner(out: Path) -> Path:
    """spaCy NER trained with entity_ner.cfg on the same lines; returns the last model."""
    from spacy.cli.train import train as spacy_train

    nlp, stats = blank_pipeline(), CorpusStats()
    bins = {"train": DocBin(), "dev": DocBin()}
    for path in CORPORA.values():
        for document in read_corpus(path, "tune"):
            for doc in line_docs(nlp, document, stats):
                bins["dev" if is_dev(document.name) else "train"].add(doc)
    for name, docs in bins.items():
        docs.to_disk(out / f"{name}.spacy")
    spacy_train(HERE / "entity_ner.cfg", out / "ner", use_gpu=-1,
                overrides={"paths.train": str(out / "train.spacy"), "paths.dev": str(out / "dev.spacy")})
    return out / "ner" / "model-last"


def ner_predictor(model: Path):
    nlp = spacy.load(model)

    def predictor(documents):
        lines = [(i, line) for i, d in enumerate(documents) for line in d.lines]
        found = [[] for _ in documents]
        for (i, line), doc in zip(lines, nlp.pipe(line.text for _, line in lines)):
            found[i].extend(EntitySpan(e.start_char + line.start, e.end_char + line.start, e.label_) for e in doc.ents)
        return found

    return predictor, (lambda lines: list(nlp.pipe(lines))), sum(f.stat().st_size for f in model.rglob("*") if f.is_file())


def main() -> None:
    options = argparse.ArgumentParser()
    options.add_argument("--ner", action="store_true")
    options.add_argument("--ner-model", type=Path)
    options.add_argument("--crf-config", type=Path, nargs="*", default=[CONFIG])
    options.add_argument("--json", type=Path)
    args = options.parse_args()
    dev = dev_documents()
    leaf_lines = [line.text for d in read_corpus(CORPORA["leaf"], "tune") for line in d.lines]
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for config in args.crf_config:
            model = Path(work) / f"{config.stem}.crfsuite"
            started = time.process_time()
            train(list(CORPORA.values()), model, config, without_dev=True)
            seconds = time.process_time() - started
            nlp = entity_pipeline(model)
            styled = {name: entity_pipeline(model, corpus_scheme(path)) for name, path in CORPORA.items()}
            results[f"crf:{config.name}"] = {
                "scores": score(dev, {name: (lambda docs, n=n: predict(n, docs)) for name, n in styled.items()}),
                "train_cpu_s": round(seconds),
                "lines_per_s": round(speed(leaf_lines, lambda lines: list(nlp.pipe(lines)))),
                "size_mb": round(model.stat().st_size / 1e6, 1)}
            print(f"crf:{config.name}", json.dumps(results[f"crf:{config.name}"]), flush=True)
        ner_model = args.ner_model
        if args.ner and ner_model is None:
            started = time.process_time()
            ner_model = train_ner(Path(work))
            results["ner:train_cpu_s"] = round(time.process_time() - started)
        if ner_model is not None:
            predictor, run, size = ner_predictor(ner_model)
            results["ner"] = {"scores": score(dev, {name: predictor for name in CORPORA}),
                              "lines_per_s": round(speed(leaf_lines, run)),
                              "size_mb": round(size / 1e6, 1)}
            print("ner", json.dumps(results["ner"]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
