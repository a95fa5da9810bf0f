"""Score assertions (negated, hypothetical) against annotators outside the team: Leaf Clinical Trials and Chia.

The gold is read from the brat files (:func:`gold_targets`):

- **LCT**: every clinical event (``Condition``, ``Allergy``, ``Drug``, ``Immunization``, ``Procedure``,
  ``Observation``, ``Encounter``) is a target, at its trigger's span; it is negated when a ``Negation`` event
  ``Negates`` it, hypothetical when an ``Assertion`` event whose ``Assertion-Type-Value`` is ``hypothetical`` or
  ``intention`` asserts it.
- **Chia**: every concept (``Condition``, ``Drug``, ``Procedure``, ``Measurement``, ``Observation``, ``Device``,
  ``Person``, ``Visit``) is a target; it is negated when a ``Has_negation`` relation links it, or a ``Scope``
  holding it, to a ``Negation``, hypothetical the same way through ``Has_mood``.

A negation reaches over an ``Or``/``And`` relation (LCT) or an ``OR`` group (Chia) to a later partner: "no X or
Y" is neither, and LCT links the negation to X alone in 37 of 67 such pairs. Chia reads an exception's words as
negated ("other than", "except", "unless": 77 of its 380 negations); :data:`EXCEPTION_CUES` count them so.

Each line of a text is one criterion; the predicted assertions of a target are those of the ConText cues of its
line whose scope holds it, the line read as an exclusion in Chia's ``_exc`` files and after LCT's "Exclusion
Criteria" heading (:mod:`..grammar.context`). Scores are P/R/F1 of the asserted class over all targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

from .brat import decode_brat, read_ann
from .entities import corpus_scheme
from .split import Part, select
from ..document.page import split_lines
from ..grammar.context import ContextReader, asserted
from ..grammar.loader import Grammars
from ..grammar.phrases import normalize

LCT_TARGETS = frozenset({"Condition", "Allergy", "Drug", "Immunization", "Procedure", "Observation", "Encounter"})
CHIA_TARGETS = frozenset({"Condition", "Drug", "Procedure", "Measurement", "Observation", "Device", "Person",
                          "Visit"})
LCT_HYPOTHETICAL = frozenset({"hypothetical", "intention"})
#: Which of our ConText categories each scored assertion is, per scheme (Chia's negations include exceptions).
SCORED = {"negated": {"NEGATED_EXISTENCE"}, "hypothetical": {"HYPOTHETICAL"}}
CHIA_SCORED = {"negated": {"NEGATED_EXISTENCE", "EXCEPTED"}, "hypothetical": {"HYPOTHETICAL"}}


@dataclass(frozen=True)
class Target:
    """One annotated clinical mention: its line (offsets into the document) and what the annotators assert."""

    start: int
    end: int
    line_start: int
    line_end: int
    negated: bool
    hypothetical: bool


@dataclass
class Counts:
    """Counts of one assertion: gold and predicted asserted targets, and those both assert."""

    gold: int = 0
    predicted: int = 0
    both: int = 0

    def add(self, gold: bool, predicted: bool) -> None:
        """Count one target."""
        self.gold += gold
        self.predicted += predicted
        self.both += gold and predicted

    def scores(self) -> tuple[float, float, float]:
        """Precision, recall, F1 (1.0 where nothing was to find and nothing was found)."""
        precision = self.both / self.predicted if self.predicted else float(self.gold == 0)
        recall = self.both / self.gold if self.gold else float(self.predicted == 0)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


@dataclass
class AssertionReport:
    """Assertion scores of one part of a corpus."""

    scheme: str
    documents: int = 0
    targets: int = 0
    counts: dict[str, Counts] = field(default_factory=lambda: {name: Counts() for name in SCORED})


#: (line, target spans in it, whether the line is an exclusion) -> the categories asserting each target.
Predictor = Callable[[str, list[tuple[int, int]], bool], list[set[str]]]


def gold_targets(ann_text: str, text: str, scheme: str, path: str = "") -> list[Target]:
    """The targets of one annotated document, with the annotators' assertions (module docstring)."""
    annotation = read_ann(path, ann_text, text)
    links = relations(ann_text)
    negated: set[str] = set()
    hypothetical: set[str] = set()
    if scheme == "lct":
        ids = {e.trigger: e.id for e in annotation.events.values() if e.type in LCT_TARGETS}
        spans = {ids[t]: (annotation.entities[t].start, annotation.entities[t].end) for t in ids
                 if t in annotation.entities}
        for event in annotation.events.values():
            asserts = annotation.attributes.get(event.id, {}).get("Assertion-Type-Value")
            for role, arg in event.args:
                if event.type == "Negation" and role.startswith("Negates"):
                    negated.add(arg)
                elif event.type == "Assertion" and role.startswith("Asserted") and asserts in LCT_HYPOTHETICAL:
                    hypothetical.add(arg)
        partners = [(a, b) for kind, a, b in links if kind in ("Or", "And")]
    else:
        spans = {e.id: (e.start, e.end) for e in annotation.entities.values() if e.type in CHIA_TARGETS}
        scopes = {e.id: (e.start, e.end) for e in annotation.entities.values() if e.type == "Scope"}
        for kind, a, _ in links:
            wanted = {"Has_negation": negated, "Has_mood": hypothetical}.get(kind)
            if wanted is None:
                continue
            if a in scopes:
                low, high = scopes[a]
                wanted.update(t for t, (s, e) in spans.items() if low <= s and e <= high)
            wanted.add(a)
        partners = [(a, b) for kind, a, b in links if kind in ("OR", "AND")]
    _carry(negated, partners, spans)
    lines = [(line.start, line.end) for line in split_lines(text)]
    out = []
    for target, (start, end) in sorted(spans.items(), key=lambda item: item[1]):
        line = next(((s, e) for s, e in lines if s <= start <= e), (0, len(text)))
        out.append(Target(start, end, line[0], line[1], target in negated, target in hypothetical))
    return out


def relations(ann_text: str) -> list[tuple[str, str, str]]:
    """(type, first, second) of every relation (``R``) and of each neighbouring pair of an equivalence group
    (``*``: Chia's ``OR``)."""
    out = []
    for line in ann_text.split("\n"):
        parts = line.rstrip("\r").split("\t")
        if len(parts) < 2:
            continue
        if parts[0].startswith("R"):
            fields = parts[1].split()
            if len(fields) == 3:
                out.append((fields[0], fields[1].split(":", 1)[-1], fields[2].split(":", 1)[-1]))
        elif parts[0].startswith("*"):
            kind, *members = parts[1].split()
            out.extend((kind, a, b) for a, b in zip(members, members[1:]))
    return out


def _carry(negated: set[str], partners: list[tuple[str, str]], spans: dict[str, tuple[int, int]]) -> None:
    """Negate the later partner of a negated target over an or/and ("no X or Y")."""
    changed = True
    while changed:
        changed = False
        for a, b in partners:
            for first, second in ((a, b), (b, a)):
                if (first in negated and second not in negated and first in spans and second in spans
                        and spans[second][0] > spans[first][0]):
                    negated.add(second)
                    changed = True


def documents(corpus: Path, part: Part) -> Iterator[tuple[Path, str, str]]:
    """(path, document text, annotation text) of every annotated text of ``part``."""
    for path in select(sorted(corpus.rglob("*.txt")), part):
        ann = path.with_suffix(".ann")
        if ann.is_file():
            yield path, decode_brat(path), decode_brat(ann)


def context_predictor(reader: ContextReader, scheme: str = "lct") -> Predictor:
    """Our ConText reader as a predictor: the categories of the cues whose scope holds each target, the targets
    given as the line's mentions (as the pipeline gives its entities and constraints). On Chia a ``capacity`` cue
    of cues.jsonl ("inability to", "unwilling to") is its own category, ``CAPACITY``: Chia annotates the incapacity
    as the concept ("{Inability} to use the PCA device") and leaves its object unnegated (2 of 12 negated after
    "inability to" in its tune part), where LCT negates the object (10 of 14) and the matcher needs it so."""
    capacity = {normalize(p) for p in reader.grammars.cue_phrases("capacity")} if scheme == "chia" else set()

    def predict(line: str, targets: list[tuple[int, int]], exclusion: bool = False) -> list[set[str]]:
        modifiers = reader.modifiers(line, exclusion, targets)
        return [{"CAPACITY" if normalize(m.text) in capacity else m.category for m in asserted(modifiers, start, end)}
                for start, end in targets]
    return predict


def score_predictor(corpus: Path, predict: Predictor, part: Part = "all") -> AssertionReport:
    """Score ``predict`` on the targets of ``part`` of a brat corpus."""
    report = AssertionReport(corpus_scheme(corpus))
    for path, text, ann in documents(corpus, part):
        report.documents += 1
        exclusion = exclusion_at(text, path)
        targets = gold_targets(ann, text, report.scheme, str(path))
        by_line: dict[tuple[int, int], list[Target]] = {}
        for target in targets:
            by_line.setdefault((target.line_start, target.line_end), []).append(target)
        for (start, end), line_targets in by_line.items():
            found = predict(text[start:end], [(t.start - start, t.end - start) for t in line_targets],
                            exclusion(start))
            for target, categories in zip(line_targets, found):
                report.targets += 1
                for name, wanted in (CHIA_SCORED if report.scheme == "chia" else SCORED).items():
                    report.counts[name].add(getattr(target, name), bool(wanted & categories))
    return report


def exclusion_at(text: str, path: Path) -> Callable[[int], bool]:
    """Whether a line of a document is an exclusion criterion: Chia's ``_exc`` files; in LCT's, the lines after
    an "Exclusion Criteria" heading."""
    if path.stem.lower().endswith("_exc"):
        return lambda at: True
    heading = re.search(r"^\s*exclusion criteria", text, re.IGNORECASE | re.MULTILINE)
    return lambda at: heading is not None and at >= heading.start()


def assertion_summary(report: AssertionReport) -> dict:
    """Scores as plain data."""
    return {"scheme": report.scheme, "documents": report.documents, "targets": report.targets,
            **{name: dict(zip(("gold", "predicted", "precision", "recall", "f1"),
                              (c.gold, c.predicted, *c.scores()))) for name, c in report.counts.items()}}


def score_assertions(corpus: Path, grammars: Optional[Grammars] = None) -> dict:
    """The ConText rules' scores on the tune and the held part of a brat corpus (aggregates only)."""
    from ..grammar.context import context_reader
    from ..grammar.loader import load_grammars

    predict = context_predictor(context_reader(grammars or load_grammars()), corpus_scheme(corpus))
    return {part: assertion_summary(score_predictor(corpus, predict, part)) for part in ("tune", "held")}


def render_assertions(scores: dict) -> str:
    """The scores of :func:`score_assertions` as a text table."""
    lines = ["assertions (ConText rules on the annotators' targets)", "",
             f"{'part':<6} {'assertion':<13} {'gold':>6} {'found':>6} {'P':>6} {'R':>6} {'F1':>6}"]
    for part, summary in scores.items():
        for name in SCORED:
            row = summary[name]
            lines.append(f"{part:<6} {name:<13} {row['gold']:>6} {row['predicted']:>6} {row['precision']:>6.3f} "
                         f"{row['recall']:>6.3f} {row['f1']:>6.3f}")
    return "\n".join(lines)
