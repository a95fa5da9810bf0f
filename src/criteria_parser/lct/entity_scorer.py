"""Score entity mentions against a brat corpus (Leaf/LCT or Chia): precision, recall and F1 per type.

Gold mentions come from :mod:`.entities`; predictions from a pipeline with ``criteria_entities``, run on each
line of a document (a criterion without its numbering, as the parser hands it over). Two levels:

- **exact**: same type, same start and end;
- **overlap**: same type and at least one character in common with one of the gold mention's pieces.

Precision counts predictions that match some gold mention, recall gold mentions that some prediction matches
(so at overlap level one long prediction may match two gold mentions). Scores are kept per corpus part
(:mod:`.split`): ``tune``, ``held`` and ``all``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from spacy.language import Language

from .entities import ENTITY_TYPES, EntityDocument, EntitySpan, read_corpus
from .split import Part, is_held_back
from ..pipeline import entities as _entities

#: Imported for the factory it registers (``criteria_entities``).
REGISTERED = (_entities,)

LEVELS = ("exact", "overlap")
_HEADS = ("ex P", "ex R", "ex F1", "ov P", "ov R", "ov F1")


@dataclass
class Counts:
    """Gold, predicted and matched counts of one type at one level."""

    gold: int = 0
    predicted: int = 0
    found: int = 0  # gold mentions matched (recall)
    correct: int = 0  # predictions matching (precision)

    def add(self, other: "Counts") -> None:
        self.gold += other.gold
        self.predicted += other.predicted
        self.found += other.found
        self.correct += other.correct

    def scores(self) -> tuple[float, float, float]:
        """Precision, recall, F1."""
        p = self.correct / self.predicted if self.predicted else 0.0
        r = self.found / self.gold if self.gold else 0.0
        return p, r, 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EntityReport:
    """Counts by part, level and type (``all`` types too), and the number of documents of each part."""

    counts: dict[tuple[str, str, str], Counts] = field(default_factory=lambda: defaultdict(Counts))
    documents: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def get(self, part: str, level: str, kind: str) -> Counts:
        return self.counts.get((part, level, kind), Counts())


def _overlaps(predicted: EntitySpan, gold: EntitySpan) -> bool:
    return predicted.type == gold.type and any(
        predicted.start < end and start < predicted.end for start, end in gold.pieces())


def score_document(gold: list[EntitySpan], predicted: list[EntitySpan]) -> dict[tuple[str, str], Counts]:
    """Counts by (level, type) for one document."""
    counts: dict[tuple[str, str], Counts] = defaultdict(Counts)
    exact_gold = {(g.start, g.end, g.type) for g in gold}
    exact_predicted = {(p.start, p.end, p.type) for p in predicted}
    for level in LEVELS:
        for g in gold:
            hit = (g.start, g.end, g.type) in exact_predicted if level == "exact" else any(
                _overlaps(p, g) for p in predicted)
            counts[level, g.type].add(Counts(gold=1, found=int(hit)))
        for p in predicted:
            hit = (p.start, p.end, p.type) in exact_gold if level == "exact" else any(
                _overlaps(p, g) for g in gold)
            counts[level, p.type].add(Counts(predicted=1, correct=int(hit)))
    return counts


def predict(nlp: Language, documents: list[EntityDocument]) -> list[list[EntitySpan]]:
    """The mentions ``nlp`` finds in each document, line by line, in document offsets."""
    lines = [(i, line) for i, document in enumerate(documents) for line in document.lines]
    found: list[list[EntitySpan]] = [[] for _ in documents]
    docs = nlp.pipe((line.text for _, line in lines), batch_size=256)
    for (i, line), doc in zip(lines, docs):
        found[i].extend(EntitySpan(e.start + line.start, e.end + line.start, e.type)  # type: ignore[arg-type]
                        for e in doc._.cp_entities)
    return found


def score_entities(corpus: Path, nlp: Language, part: Part = "all") -> EntityReport:
    """Score ``nlp``'s mentions on the documents of ``part`` of ``corpus``, kept by part and for all.

    ``nlp`` should follow the corpus's convention: ``entity_pipeline(style=corpus_scheme(corpus))``.

    Raises:
        InputError: the corpus has no annotated documents, or one is malformed.
    """
    documents = list(read_corpus(corpus, part))
    report = EntityReport()
    for document, predicted in zip(documents, predict(nlp, documents)):
        side = "held" if is_held_back(document.name) else "tune"
        counts = score_document(document.entities, predicted)
        for target in (side, "all"):
            report.documents[target] += 1
            for (level, kind), count in counts.items():
                report.counts[target, level, kind].add(count)
                report.counts[target, level, "all"].add(count)
    return report


def render_entities(report: EntityReport, parts: Iterable[str]) -> str:
    """One table: a row per type; for each part its gold count and exact and overlap P/R/F1."""
    parts = [p for p in parts if report.documents.get(p)]
    block = 6 + 7 * 6
    out = ["documents: " + ", ".join(f"{p} {report.documents[p]}" for p in parts),
           " " * 12 + " | ".join(f"{p + ' part':^{block}}" for p in parts),
           f"{'entity':<12}" + " | ".join(f"{'gold':>6}" + "".join(f"{h:>7}" for h in _HEADS) for _ in parts)]
    for kind in (*ENTITY_TYPES, "all"):
        if not any(report.get(p, "exact", kind).gold or report.get(p, "exact", kind).predicted for p in parts):
            continue
        cells = []
        for p in parts:
            exact, overlap = report.get(p, "exact", kind), report.get(p, "overlap", kind)
            cells.append(f"{exact.gold:>6}" + "".join(f"{x:>7.3f}" for x in (*exact.scores(), *overlap.scores())))
        out.append(f"{kind:<12}" + " | ".join(cells))
    return "\n".join(out)


def entity_summary(report: EntityReport, parts: Iterable[str]) -> dict:
    """The scores as plain data: part -> type -> level -> gold, predicted, precision, recall, F1."""
    def one(count: Counts) -> dict:
        return {"gold": count.gold, "predicted": count.predicted,
                **dict(zip(("precision", "recall", "f1"), count.scores()))}
    return {p: {"documents": report.documents.get(p, 0),
                **{kind: {level: one(report.get(p, level, kind)) for level in LEVELS}
                   for kind in (*ENTITY_TYPES, "all")}}
            for p in parts}


def entity_pipeline(model: Optional[Path] = None, style: str = "lct") -> Language:
    """A blank pipeline with our tokenizer and ``criteria_entities`` (``model`` replaces the shipped one), its
    mentions in the convention of ``style``."""
    from .training import blank_pipeline

    nlp = blank_pipeline()
    nlp.add_pipe("criteria_entities", config={"model": str(model) if model else None, "style": style})
    return nlp
