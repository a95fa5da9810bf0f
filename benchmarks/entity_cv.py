"""Choose the entity model's features and settings by cross-validation over the tune trials of Leaf and Chia.

    .venv/bin/python benchmarks/entity_cv.py [VARIANT ...] [--folds 0 1 ...] [--jobs 2] [--json OUT]

Every tune trial is in one of five folds (``criteria_parser.lct.training.fold``, a hash independent of the
split's); each fold scored (``--folds``, all five by default) is tagged by a CRF trained on the other four, and
the mentions of the folds scored are scored together, per corpus in its own style: exact and overlap F1 per
type. The held-back part is never read.
``VARIANT`` names rows of :data:`VARIANTS` (all when none is given); each prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pycrfsuite
from thinc.api import Config

from criteria_parser.grammar.entity_knowledge import load_entity_knowledge
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.lct.entities import ENTITY_TYPES, EntitySpan, corpus_scheme, read_corpus
from criteria_parser.lct.entity_scorer import Counts, score_document
from criteria_parser.lct.training import CONFIG, FOLDS, CorpusStats, blank_pipeline, fold, gold_tags, line_docs
from criteria_parser.pipeline.entities import tags_to_spans
from criteria_parser.pipeline.entity_features import Featurizer, FeatureSet
from criteria_parser.pipeline.subjects import SubjectFinder

HERE = Path(__file__).resolve().parent
CORPORA = {"leaf": HERE.parent.parent / "shared" / "corpora" / "leaf-dev",
           "chia": HERE.parent.parent / "shared" / "corpora" / "chia-dev"}
SHIPPED = dict(Config().from_disk(CONFIG)["crf"])
NO_KNOWLEDGE = FeatureSet(knowledge=False)
#: name -> (features, CRFsuite settings over entities.cfg's)
VARIANTS: dict[str, tuple[FeatureSet, dict]] = {
    "base": (NO_KNOWLEDGE, {}),
    "knowledge": (FeatureSet(), {}),
    "knowledge-w1": (FeatureSet(window=1), {}),
    "knowledge-w3": (FeatureSet(window=3), {}),
    "knowledge-c1=0.05": (FeatureSet(), {"c1": 0.05}),
    "knowledge-c1=0.1": (FeatureSet(), {"c1": 0.1}),
    "knowledge-c1=0.01": (FeatureSet(), {"c1": 0.01}),
    "knowledge-c2=0.05": (FeatureSet(), {"c2": 0.05}),
    "knowledge-c2=0.005": (FeatureSet(), {"c2": 0.005}),
    "knowledge-minfreq2": (FeatureSet(), {"feature.minfreq": 2}),
}
_CRF_KEYS = {"possible_transitions": "feature.possible_transitions"}

# filled in by the parent before forking: the lines, their features and tags, and the variant's settings
LINES: list = []
SETTINGS: dict = {}


def tune_lines() -> list[dict]:
    """Every line of the tune part of both corpora: its doc, gold tags, corpus, style, document and fold."""
    nlp, stats, out = blank_pipeline(), CorpusStats(), []
    for corpus, path in CORPORA.items():
        scheme = corpus_scheme(path)
        for number, document in enumerate(read_corpus(path, "tune")):
            for line, doc in zip(document.lines, line_docs(nlp, document, stats)):
                out.append({"doc": doc, "tags": gold_tags(doc), "corpus": corpus, "style": scheme,
                            "document": (corpus, number), "fold": fold(document.name), "offset": line.start})
    return out


def train_fold(k: int) -> tuple[int, list[list[str]], float, int]:
    """Train on every fold but ``k``; the tags of fold ``k``'s lines, the CPU seconds of training, the model's bytes."""
    started = time.process_time()
    trainer = pycrfsuite.Trainer(algorithm="lbfgs", verbose=False)
    for line in LINES:
        if line["fold"] != k:
            trainer.append(line["x"], line["tags"])
    trainer.set_params(SETTINGS)
    with tempfile.TemporaryDirectory() as work:
        model = os.path.join(work, "m.crfsuite")
        trainer.train(model)
        seconds = time.process_time() - started
        tagger = pycrfsuite.Tagger()
        tagger.open(model)
        size = os.path.getsize(model)
        return k, [tagger.tag(line["x"]) for line in LINES if line["fold"] == k], seconds, size


def run(name: str, features: FeatureSet, crf: dict, folds: list[int], jobs: int, documents: dict) -> dict:
    global SETTINGS
    nlp = blank_pipeline()
    lexicon = SubjectFinder(load_grammars(), nlp.tokenizer, fuzzy_cutoff=100.0)
    featurize = Featurizer(lexicon, load_entity_knowledge(), nlp.tokenizer, features)
    for line in LINES:
        line["x"] = pycrfsuite.ItemSequence(featurize(line["doc"], line["style"])[0])
    SETTINGS = {_CRF_KEYS.get(k, k): v for k, v in {**SHIPPED, **crf}.items()}
    predicted = defaultdict(list)
    seconds, sizes = 0.0, []
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for k, tags, cpu, size in pool.imap_unordered(train_fold, folds):
            seconds += cpu
            sizes.append(size)
            for line, tagging in zip([x for x in LINES if x["fold"] == k], tags):
                predicted[line["document"]] += [
                    EntitySpan(s.start_char + line["offset"], s.end_char + line["offset"], s.label_)
                    for s in tags_to_spans(line["doc"], tagging)]
    scores = {}
    for corpus, docs in documents.items():
        counts = defaultdict(Counts)
        for number, document in enumerate(docs):
            if fold(document.name) not in folds:
                continue
            for (level, kind), count in score_document(document.entities, predicted[corpus, number]).items():
                counts[level, kind].add(count)
                counts[level, "all"].add(count)
        scores[corpus] = {f"{level}:{kind}": round(counts[level, kind].scores()[2], 3)
                          for level in ("exact", "overlap") for kind in (*ENTITY_TYPES, "all")
                          if counts[level, kind].gold}
    return {"variant": name, "features": features.__dict__, "crf": crf, "folds": folds, "scores": scores,
            "train_cpu_s_per_fold": round(seconds / len(folds), 1), "model_mb": round(sum(sizes) / len(sizes) / 1e6, 1)}


def main() -> None:
    global LINES
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("variants", nargs="*")
    options.add_argument("--folds", type=int, nargs="+", default=list(range(FOLDS)), choices=range(FOLDS))
    options.add_argument("--jobs", type=int, default=2)
    options.add_argument("--json", type=Path, help="append each result as a JSON line to this file")
    args = options.parse_args()
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        sys.exit(f"entity_cv: unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    LINES = tune_lines()
    documents = {corpus: list(read_corpus(path, "tune")) for corpus, path in CORPORA.items()}
    print(f"load average {open('/proc/loadavg').read().split()[0]}; {len(LINES)} tune lines", flush=True)
    for name in args.variants or VARIANTS:
        result = run(name, *VARIANTS[name], sorted(set(args.folds)), args.jobs, documents)
        print(json.dumps(result), flush=True)
        if args.json:
            with args.json.open("a") as out:
                out.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
