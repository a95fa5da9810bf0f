"""Score the clause logic against annotators outside the team: "or" vs "and" between the constraints of one
criterion (LCT ``Or``/``And`` relations, Chia ``OR``/``AND`` groups), and clauses on cases of our own.

**Or vs and.** A gold pair is an ``Or``/``And`` relation (LCT) or a neighbouring pair of an ``OR`` group or an
``AND`` relation (Chia) between two mentions of one line that each carry a value (a constraint):

- **LCT**: an ``Eq-Comparison`` event with a ``Value``, or an event with one as an argument (``Numeric-Filter``,
  ``Temporality``, ...); its words run from its trigger over its comparisons' triggers;
- **Chia**: a ``Value``, a concept with a ``Has_value``, or a ``Scope`` holding a ``Value``; the words of a
  concept take in its values.

**Scored apart**: a pair of an inclusion's coordinated subjects that share one value ("AST, ALT < 2.5 × ULN",
"TBIL, ALT, AST > 2.5 × ULN"). Both corpora link such subjects as alternatives (Chia ``OR``: 20 of 20 in its tune
and held parts; LCT ``Or``: 9 of 11 in its tune part), though the criterion asks each of them to hold: the link
groups the subjects the one value is for (Chia has no other way to give several concepts one ``Value``); it says
nothing of any vs all. The reader's ``all`` there is what the matcher needs, so these pairs are counted apart
(``coordinated``), not in the accuracy; in an exclusion, where any of them excludes, they are scored as before.

The reader (:mod:`..grammar.clause_logic`) is given the line and the words of every part of the line's pairs,
as the assertions are scored, and says for each pair whether the two combine with any or all.

**Clauses.** ``tests/cases/clauses.jsonl``: each line a criterion ``text`` and its condition, permission and
exception ``clauses`` (kind and words, cue included); P/R/F1 per kind, a found clause counting when its kind and
words are the expected ones (exact) or overlap them (overlap).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..errors import InputError
from ..grammar.clause_logic import ClauseReader, clause_reader
from ..grammar.loader import Grammars, load_grammars
from .assertions import Counts, documents, exclusion_at, relations
from .brat import Annotation, read_ann
from .entities import corpus_scheme
from .split import Part

#: The relation types of each scheme that join alternatives ("or") and requirements ("and").
LOGIC = {"lct": {"Or": "any", "And": "all"}, "chia": {"OR": "any", "AND": "all"}}
KINDS = ("condition", "permission", "exception")


@dataclass
class LogicReport:
    """"Or" vs "and" on one part of a corpus: gold pairs by their logic, and the pairs the reader got right."""

    scheme: str
    documents: int = 0
    pairs: dict[str, int] = field(default_factory=lambda: {"any": 0, "all": 0})
    right: dict[str, int] = field(default_factory=lambda: {"any": 0, "all": 0})
    #: pairs of an inclusion's coordinated subjects of one value ("AST, ALT < 2.5 × ULN"), scored apart (below)
    coordinated: dict[str, int] = field(default_factory=lambda: {"pairs": 0, "right": 0})

    def accuracy(self) -> float:
        """The share of pairs read right (1.0 when there are none)."""
        total = sum(self.pairs.values())
        return sum(self.right.values()) / total if total else 1.0


def valued_spans(annotation: Annotation, links: list[tuple[str, str, str]],
                 scheme: str) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    """The words and the head (trigger, or the concept's own words) of every annotation that carries a value, by
    id (module docstring); ``links`` are the document's relations (:func:`.assertions.relations`)."""
    entities = annotation.entities
    spans = {}
    if scheme == "lct":
        comparisons = {e.id for e in annotation.events.values()
                       if e.type == "Eq-Comparison" and any(role.startswith("Value") for role, _ in e.args)}
        for event in annotation.events.values():
            held = [arg for _, arg in event.args if arg in comparisons]
            if (event.id in comparisons or held) and event.trigger in entities:
                head = entities[event.trigger]
                pieces = [entities[annotation.events[e].trigger] for e in held] + [head]
                spans[event.id] = ((min(p.start for p in pieces), max(p.end for p in pieces)), (head.start, head.end))
        return spans
    values = {i: (e.start, e.end) for i, e in entities.items() if e.type == "Value"}
    spans = {i: (span, span) for i, span in values.items()}
    for kind, concept, value in links:
        if kind == "Has_value" and concept in entities and value in values:
            head = (entities[concept].start, entities[concept].end)
            low, high = spans.get(concept, (head, head))[0]
            spans[concept] = ((min(low, values[value][0]), max(high, values[value][1])), head)
    for i, e in entities.items():
        if e.type == "Scope" and any(e.start <= s and t <= e.end for s, t in values.values()):
            spans[i] = ((e.start, e.end), (e.start, e.end))
    return spans


Pair = tuple[tuple[int, int], tuple[int, int], str, bool]


def gold_pairs(ann_text: str, text: str, scheme: str, path: str = "") -> list[Pair]:
    """(words of the first part, of the second, ``any`` or ``all``, whether they share their value) of every gold
    pair of a document, the first part before the second, both on one line; parts whose words overlap (one
    value: "ALT or AST > 2 × ULN", a window two drugs share: "inotuzumab or gemtuzumab within 3 months") are
    given by their heads."""
    links = relations(ann_text)
    spans = valued_spans(read_ann(path, ann_text, text), links, scheme)
    found = []
    for kind, a, b in links:
        logic = LOGIC[scheme].get(kind)
        if logic is None or a not in spans or b not in spans or spans[a][1] == spans[b][1]:
            continue
        (first, first_head), (second, second_head) = sorted((spans[a], spans[b]))
        shared = first[1] > second[0]
        if shared:
            first, second = sorted((first_head, second_head))
        if "\n" in text[first[0]:second[1]] or "\r" in text[first[0]:second[1]]:
            continue
        found.append((first, second, logic, shared))
    return found


def score_clause_logic(corpus: Path, reader: ClauseReader, part: Part = "all") -> LogicReport:
    """Score the reader's "or" vs "and" on the gold pairs of ``part`` of a brat corpus."""
    report = LogicReport(corpus_scheme(corpus))
    for path, text, ann in documents(corpus, part):
        report.documents += 1
        exclusion = exclusion_at(text, path)
        by_line: dict[int, list[Pair]] = {}
        for pair in gold_pairs(ann, text, report.scheme, str(path)):
            line_start = max(text.rfind("\n", 0, pair[0][0]), text.rfind("\r", 0, pair[0][0])) + 1
            by_line.setdefault(line_start, []).append(pair)
        for line_start, pairs in by_line.items():
            parts = sorted({span for first, second, _, _ in pairs for span in (first, second)})
            index = {span: i for i, span in enumerate(parts)}
            limits: list[Optional[tuple[int, int]]] = [None] * len(parts)
            for number, (first, second, _, shared) in enumerate(pairs):
                if shared:
                    limits[index[second]] = limits[index[first]] = limits[index[first]] or (number, number)
            end = max(e for _, e in parts)
            line_end = min([i for i in (text.find("\n", end), text.find("\r", end)) if i >= 0] or [len(text)])
            reading = reader.read(text[line_start:line_end], [(s - line_start, e - line_start) for s, e in parts],
                                  exclusion(line_start), limits)
            for first, second, logic, shared in pairs:
                right = reading.joined(index[first], index[second]) == logic
                if shared and not exclusion(line_start):  # apart: what it asks is not what the annotation says
                    report.coordinated["pairs"] += 1
                    report.coordinated["right"] += right
                    continue
                report.pairs[logic] += 1
                report.right[logic] += right
    return report


def score_logic(corpus: Path, grammars: Optional[Grammars] = None) -> dict:
    """"Or" vs "and" on the tune and the held part of a brat corpus (aggregates only)."""
    reader = clause_reader(grammars or load_grammars())
    out = {}
    for part in ("tune", "held"):
        report = score_clause_logic(corpus, reader, part)  # type: ignore[arg-type]
        out[part] = {"scheme": report.scheme, "documents": report.documents, "pairs": dict(report.pairs),
                     "right": dict(report.right), "accuracy": report.accuracy(),
                     "coordinated": dict(report.coordinated)}
    return out


def render_logic(scores: dict) -> str:
    """The scores of :func:`score_logic` as a text table."""
    lines = ['"or" vs "and" between the constraints of one criterion (the annotators\' parts)', "",
             f"{'part':<6} {'or pairs':>9} {'right':>6} {'and pairs':>10} {'right':>6} {'accuracy':>9} "
             f"{'apart: coordinated subjects of one value in an inclusion (right)':>10}"]
    for part, row in scores.items():
        lines.append(f"{part:<6} {row['pairs']['any']:>9} {row['right']['any']:>6} {row['pairs']['all']:>10} "
                     f"{row['right']['all']:>6} {row['accuracy']:>9.3f} {row['coordinated']['pairs']:>5} "
                     f"({row['coordinated']['right']})")
    return "\n".join(lines)


def read_cases(path: Path) -> list[dict]:
    """The clause cases of ``path`` (one JSON object a line: ``text``, ``clauses`` of ``kind`` and ``text``).

    Raises:
        InputError: the file is missing or a line is not such an object.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(str(path), exc.strerror or "unreadable") from None
    cases = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
            for clause in case["clauses"]:
                if clause["kind"] not in KINDS or clause["text"] not in case["text"]:
                    raise ValueError(f"clause {clause} is not a {'/'.join(KINDS)} of the text")
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(str(path), f"line {number}: {exc}") from None
        cases.append(case)
    return cases


def score_clauses(cases: list[dict], reader: ClauseReader) -> dict:
    """P/R/F1 per clause kind over ``cases``, exact and overlap (module docstring)."""
    counts = {(kind, level): Counts() for kind in KINDS for level in ("exact", "overlap")}
    for case in cases:
        text = case["text"]
        gold = [(c["kind"], *_span(text, c["text"])) for c in case["clauses"]]
        found = [(c.kind, *_trimmed(text, c.start, c.end)) for c in reader.finder.find(text)]
        for level, same in (("exact", lambda a, b: a == b),
                            ("overlap", lambda a, b: a[0] == b[0] and a[1] < b[2] and b[1] < a[2])):
            for kind in KINDS:
                wanted = [g for g in gold if g[0] == kind]
                got = [f for f in found if f[0] == kind]
                counts[kind, level].gold += len(wanted)
                counts[kind, level].predicted += len(got)
                counts[kind, level].both += sum(any(same(g, f) for f in got) for g in wanted)
    return {kind: {level: dict(zip(("gold", "found", "precision", "recall", "f1"),
                                   (counts[kind, level].gold, counts[kind, level].predicted,
                                    *counts[kind, level].scores())))
                   for level in ("exact", "overlap")} for kind in KINDS}


def render_clauses(scores: dict, source: str) -> str:
    """The scores of :func:`score_clauses` as a text table."""
    lines = [f"condition, permission and exception clauses ({source})", "",
             f"{'kind':<11} {'gold':>5} {'found':>6} {'exact F1':>9} {'overlap F1':>11}"]
    for kind, row in scores.items():
        lines.append(f"{kind:<11} {row['exact']['gold']:>5} {row['exact']['found']:>6} {row['exact']['f1']:>9.3f} "
                     f"{row['overlap']['f1']:>11.3f}")
    return "\n".join(lines)


def _span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """A clause's words without the spaces and punctuation at its edges."""
    while start < end and (text[start].isspace() or text[start] in ",;:()."):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:()."):
        end -= 1
    return start, end
