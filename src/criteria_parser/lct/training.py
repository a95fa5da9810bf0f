"""Train the entity model of ``criteria_entities`` from the tune parts of the Leaf and Chia corpora.

Each line of a document (a criterion without its numbering: what the parser hands the pipeline) becomes one
spaCy ``Doc`` of ``spacy.blank("en")`` with our tokenizer, its gold entities (:mod:`.entities`) as
``doc.ents``. Where gold mentions overlap (Chia nests some) the longest is kept, as a tagger marks one; a
mention whose edges fall inside a token grows to the token's edges. :func:`train` turns each doc into the
features of :class:`~criteria_parser.pipeline.entity_features.Featurizer` (in the style of its corpus's scheme) and
``B-``/``I-``/``O`` tags and trains CRFsuite with the settings of ``entities.cfg`` (spaCy's config format). The held-back part is never read;
``without_dev`` also leaves out the dev fifth of the tune trials (:func:`is_dev`), for choosing settings.
Beside the model, ``entities.inputs.json`` records a digest of its inputs (:class:`InputDigest`) and of the model
itself, so that a test can tell when the shipped model is stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Iterable, Iterator

import pycrfsuite
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans
from thinc.api import Config

from .entities import EntityDocument, Scheme, corpus_scheme, read_corpus
from .split import trial_id
from ..pipeline.entities import featurizer
from ..pipeline.build import blank_pipeline  # our tokenizer: what the entity model is trained on

#: The training settings shipped with the package.
CONFIG = Path(str(files("criteria_parser.lct") / "entities.cfg"))
#: ``entities.cfg`` keys -> CRFsuite parameter names.
_CRF_PARAMETERS = {"c1": "c1", "c2": "c2", "max_iterations": "max_iterations",
                   "possible_transitions": "feature.possible_transitions"}


@dataclass
class CorpusStats:
    """What training read: lines, mentions kept, and mentions dropped or grown."""

    lines: int = 0
    entities: int = 0
    overlapping: int = 0  # dropped: inside or across a longer mention
    grown: int = 0  # edges moved out to token edges


#: Folds of the tune part for choosing settings by cross-validation (:func:`fold`).
FOLDS = 5


def fold(name: str) -> int:
    """The cross-validation fold (0 to ``FOLDS - 1``) of the trial of ``name``: a hash independent of the split's."""
    key = trial_id(name) or Path(name).stem
    return int(hashlib.sha256(("dev:" + key).encode("utf-8")).hexdigest(), 16) % FOLDS


def is_dev(name: str) -> bool:
    """Whether the trial of ``name`` is in the dev fifth of the tune part (fold 0)."""
    return fold(name) == 0


def line_docs(nlp: Language, document: EntityDocument, stats: CorpusStats) -> Iterator[Doc]:
    """The lines of ``document`` as docs with gold entities."""
    for line in document.lines:
        doc = nlp.make_doc(line.text)
        spans = []
        for entity in line.entities:
            start, end = entity.start - line.start, entity.end - line.start
            span = doc.char_span(start, end, label=entity.type, alignment_mode="expand")
            if span is None:
                continue
            stats.grown += (span.start_char, span.end_char) != (start, end)
            spans.append(span)
        kept = filter_spans(spans)
        stats.overlapping += len(spans) - len(kept)
        stats.entities += len(kept)
        stats.lines += 1
        doc.ents = kept
        yield doc


def gold_tags(doc: Doc) -> list[str]:
    """``B-type``/``I-type``/``O`` per token from ``doc.ents``."""
    tags = ["O"] * len(doc)
    for ent in doc.ents:
        for i in range(ent.start, ent.end):
            tags[i] = ("B-" if i == ent.start else "I-") + ent.label_
    return tags


def training_docs(corpora: Iterable[Path], stats: CorpusStats,
                  without_dev: bool = False) -> Iterator[tuple[Doc, Scheme]]:
    """Docs of every line of the tune part of each corpus, in path order, with the corpus's scheme."""
    nlp = blank_pipeline()
    for corpus in corpora:
        scheme = corpus_scheme(corpus)
        for document in read_corpus(corpus, "tune"):
            if not (without_dev and is_dev(document.name)):
                yield from ((doc, scheme) for doc in line_docs(nlp, document, stats))


def examples(corpora: Iterable[Path], stats: CorpusStats,
             without_dev: bool = False) -> Iterator[tuple[list[list[str]], list[str]]]:
    """What the trainer is given: the features and the gold tags of every token of every training line."""
    features = featurizer(blank_pipeline())
    for doc, scheme in training_docs(corpora, stats, without_dev):
        yield features(doc, scheme)[0], gold_tags(doc)


class InputDigest:
    """A SHA-256 of the training inputs: the CRF settings and every example exactly as the trainer receives it
    (so it changes with the corpora, the tokenizer, the features and the grammars they read, and nothing else)."""

    def __init__(self, settings: dict) -> None:
        self._sha = hashlib.sha256(json.dumps(settings, sort_keys=True).encode("utf-8"))

    def add(self, features: list[list[str]], tags: list[str]) -> None:
        for token, tag in zip(features, tags):
            self._sha.update(("\x1f".join(token) + "\x1e" + tag + "\n").encode("utf-8"))
        self._sha.update(b"\x1d")

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def inputs_file(model: Path) -> Path:
    """The record of what ``model`` was trained on, beside it (``entities.inputs.json``)."""
    return model.with_suffix(".inputs.json")


def input_digest(corpora: list[Path], config: Path = CONFIG) -> str:
    """The digest :func:`train` records for these corpora and settings, without training."""
    digest = InputDigest(Config().from_disk(config)["crf"])
    for features, tags in examples(corpora, CorpusStats()):
        digest.add(features, tags)
    return digest.hexdigest()


def train(corpora: list[Path], output: Path, config: Path = CONFIG, without_dev: bool = False) -> CorpusStats:
    """Train the CRF on the tune parts of ``corpora`` and write it to ``output`` (replaced if there), with the
    digest of its inputs and of the model written in :func:`inputs_file` beside it.

    Raises:
        InputError: a corpus has no annotated documents, or a file is malformed.
    """
    settings = Config().from_disk(config)["crf"]
    digest = InputDigest(settings)
    stats = CorpusStats()
    trainer = pycrfsuite.Trainer(algorithm="lbfgs", verbose=False)
    for features, tags in examples(corpora, stats, without_dev):
        digest.add(features, tags)
        trainer.append(features, tags)
    trainer.set_params({_CRF_PARAMETERS[k]: v for k, v in settings.items()})
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent) as work:
        written = Path(work) / output.name
        trainer.train(str(written))
        record = {"inputs": digest.hexdigest(), "model": hashlib.sha256(written.read_bytes()).hexdigest(),
                  "lines": stats.lines, "mentions": stats.entities}
        noted = Path(work) / inputs_file(output).name
        noted.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        os.replace(written, output)
        os.replace(noted, inputs_file(output))
    return stats
