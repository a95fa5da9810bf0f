"""Compare negation detectors on the annotated targets of Leaf Clinical Trials and Chia (issue 10).

Step 1, in the project's venv, writes the targets of both parts of a corpus (one line of text, the target's offsets
in it, the annotators' negation; read by ``criteria_parser.lct.assertions``) to a file outside the repository::

    .venv/bin/python benchmarks/assertion_libraries.py dump ../shared/corpora/leaf-dev /tmp/leaf-targets.jsonl

Step 2 scores a detector on such a file, per part, as P/R/F1 of the negated class::

    .venv/bin/python benchmarks/assertion_libraries.py score context /tmp/leaf-targets.jsonl   # ours (grammars/)
    .venv/bin/python benchmarks/assertion_libraries.py score window /tmp/leaf-targets.jsonl    # the matcher's old list
    OTHER_VENV/bin/python benchmarks/assertion_libraries.py score negspacy /tmp/leaf-targets.jsonl
    OTHER_VENV/bin/python benchmarks/assertion_libraries.py score medspacy /tmp/leaf-targets.jsonl

negspacy and medspaCy run in venvs of their own: medspaCy 1.3.1 does not install beside our pins (it and PyRuSH
need spaCy < 3.8 on Python 3.11; measured with ``pip install --no-deps``), so this file imports neither unless asked.
Each detector gets the annotators' target spans, as NegEx and ConText are evaluated, and the line they stand in.
Results: ``benchmarks/assertions.md``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: The matcher's negation list before issue 10 (grammars/matching.json ``negation_cues``), read up to six words
#: before a concept in its clause: the baseline.
OLD_NEGATION_CUES = ["no", "not", "without", "never", "unable", "unwilling", "inability", "incapable",
                     "incomprehensible", "refuse", "refuses", "refused", "refusal", "lack of", "absence of", "free of",
                     "denies", "negative for"]


def dump(corpus: Path, out: Path) -> None:
    """Write the targets of both parts of ``corpus`` as JSON Lines."""
    from criteria_parser.lct.assertions import documents, exclusion_at, gold_targets
    from criteria_parser.lct.entities import corpus_scheme

    scheme = corpus_scheme(corpus)
    with out.open("w", encoding="utf-8") as handle:
        for part in ("tune", "held"):
            for path, text, ann in documents(corpus, part):
                exclusion = exclusion_at(text, path)
                for target in gold_targets(ann, text, scheme, str(path)):
                    line = text[target.line_start:target.line_end]
                    handle.write(json.dumps({"part": part, "scheme": scheme, "line": line,
                                             "start": target.start - target.line_start,
                                             "end": target.end - target.line_start,
                                             "negated": target.negated,
                                             "exclusion": exclusion(target.line_start)}) + "\n")


def context_detector():
    """Ours: the ConText rules of grammars/context.jsonl (Chia's negations include exceptions)."""
    from criteria_parser.grammar.context import asserted, context_reader
    from criteria_parser.grammar.loader import load_grammars

    reader = context_reader(load_grammars())

    def detect(line: str, spans: list[tuple[int, int]], scheme: str, exclusion: bool = False) -> list[bool]:
        wanted = {"NEGATED_EXISTENCE", "EXCEPTED"} if scheme == "chia" else {"NEGATED_EXISTENCE"}
        modifiers = reader.modifiers(line, exclusion)  # a cue restating an exclusion negates nothing in one
        return [any(m.category in wanted for m in asserted(modifiers, s, e)) for s, e in spans]
    return detect


def window_detector():
    """The matcher before issue 10: a cue of the old list at most six words before the target, in its clause."""
    from criteria_parser.grammar.clauses import clause_around
    from criteria_parser.grammar.loader import load_grammars
    from criteria_parser.grammar.phrases import phrase_regex

    grammars = load_grammars()

    def detect(line: str, spans: list[tuple[int, int]], scheme: str) -> list[bool]:
        out = []
        for start, _ in spans:
            window = " ".join(line[clause_around(grammars, line, start)[0]:start].split()[-6:])
            out.append(any(phrase_regex(cue).search(window) for cue in OLD_NEGATION_CUES))
        return out
    return detect


def _spacy_with_targets():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def _targets_doc(nlp, line: str, spans: list[tuple[int, int]]):
    doc = nlp.make_doc(line)
    ents, kept = [], []
    for index, (start, end) in enumerate(spans):
        span = doc.char_span(start, end, label="TARGET", alignment_mode="expand")
        if span is not None and not any(span.start < e.end and e.start < span.end for e in ents):
            ents.append(span)
            kept.append(index)
    doc.ents = sorted(ents, key=lambda s: s.start)
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    return doc, kept


def _span_detector(nlp, negated):
    """A detector over ``nlp``, whose targets are entities; ``negated(span)`` reads a library's answer."""
    def detect(line: str, spans: list[tuple[int, int]], scheme: str) -> list[bool]:
        doc, kept = _targets_doc(nlp, line, spans)
        out = [False] * len(spans)
        for index, ent in zip(kept, sorted(doc.ents, key=lambda s: s.start)):
            out[index] = bool(negated(ent))
        return out
    return detect


def negspacy_detector():
    """negspacy 1.1 (NegEx) with its clinical termset."""
    from negspacy.negation import Negex  # noqa: F401  (registers the factory)
    from negspacy.termsets import termset

    nlp = _spacy_with_targets()
    nlp.add_pipe("negex", config={"neg_termset": termset("en_clinical").get_patterns(), "ent_types": ["TARGET"]})
    return _span_detector(nlp, lambda ent: ent._.negex)


def medspacy_detector():
    """medspaCy 1.3.1's ConText with its default rules."""
    import medspacy  # noqa: F401  (registers the factories)

    nlp = _spacy_with_targets()
    nlp.add_pipe("medspacy_context")
    return _span_detector(nlp, lambda ent: ent._.is_negated)


DETECTORS = {"context": context_detector, "window": window_detector, "negspacy": negspacy_detector,
             "medspacy": medspacy_detector}


def score(name: str, targets: Path) -> dict:
    """P/R/F1 of the negated class per part."""
    detect = DETECTORS[name]()
    lines: dict[tuple[str, str, str, bool], list[dict]] = {}
    for row in map(json.loads, targets.read_text(encoding="utf-8").splitlines()):
        lines.setdefault((row["part"], row["scheme"], row["line"], row.get("exclusion", False)), []).append(row)
    counts: dict[str, list[int]] = {}
    for (part, scheme, line, exclusion), rows in lines.items():
        spans = [(r["start"], r["end"]) for r in rows]
        found = detect(line, spans, scheme, exclusion) if name == "context" else detect(line, spans, scheme)
        gold, predicted, both = counts.setdefault(part, [0, 0, 0])
        for row, negated in zip(rows, found):
            counts[part][0] += row["negated"]
            counts[part][1] += negated
            counts[part][2] += row["negated"] and negated
    out = {}
    for part, (gold, predicted, both) in sorted(counts.items(), reverse=True):
        precision, recall = both / predicted if predicted else 0.0, both / gold if gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[part] = {"gold": gold, "predicted": predicted, "precision": round(precision, 3),
                     "recall": round(recall, 3), "f1": round(f1, 3)}
    return out


def main(argv: list[str]) -> None:
    if len(argv) == 3 and argv[0] == "dump":
        dump(Path(argv[1]), Path(argv[2]))
    elif len(argv) == 3 and argv[0] == "score" and argv[1] in DETECTORS:
        print(json.dumps({"detector": argv[1], "targets": argv[2], **score(argv[1], Path(argv[2]))}))
    else:
        sys.exit(f"usage: assertion_libraries.py dump CORPUS OUT | score {'|'.join(DETECTORS)} TARGETS")


if __name__ == "__main__":
    main(sys.argv[1:])
