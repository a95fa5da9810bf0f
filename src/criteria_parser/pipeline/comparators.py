"""``criteria_comparators``: find comparators, time relations, anchors and logic cues.

Reads ``text_of(doc)``; writes ``doc._.cp_cues`` (:class:`Cue` list, by start).
Phrases come from ``comparators.jsonl`` (prefix "at least", postfix "or
higher", respelled "=<" flagged), ``time_relations.jsonl`` ("within",
"after"), ``anchors.jsonl`` ("the last cell infusion") and ``cues.jsonl``
("and/or", "except", "any of the following"); range joiners and clause breaks
of ``cues.jsonl`` are used by other steps. Where phrases of one kind overlap
the longest wins.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from ..grammar.loader import Grammars, load_grammars
from .types import Cue, register_extensions, text_of
from ..grammar.phrases import compile_phrases, normalize

#: The widest gap looked at between a value and a cue of it (every gap rule allows a few words at most); a
#: bound keeps reading a criterion linear in its quantities and cues, not in their product with its length.
GAP_LIMIT = 80
#: Cue kinds of cues.jsonl that this step finds (range joiners and clause breaks are read elsewhere).
_LOGIC_CUES = ("alternative", "exception", "any_children")
#: Cue kinds that say what a bare number is: a count of items, a label, the size of a scale, part of a name.
_ITEM_CUES = ("count", "label", "scale", "kind_name", "kind_scale", "kind_head")


class CueFinder:
    """Finds cues with the rules of one grammar set."""

    def __init__(self, grammars: Grammars) -> None:
        self._tables: list[tuple[re.Pattern[str], dict[str, Cue]]] = []
        comparators: dict[str, Cue] = {}
        for rule in grammars.comparators:
            for phrase in rule.phrases:
                key = f"{rule.position}:{normalize(phrase)}"
                comparators[key] = Cue(0, 0, phrase, "comparator", rule.comparator, None, rule.position,
                                       rule.respelled, rule.id)
        for positions in (("prefix",), ("postfix", "measure")):  # "minimum" is a prefix and a measure phrase
            # a postfix may touch the digit a unit ends in: "50 cells/mm3or less"
            self._add({k.split(":", 1)[1]: v for k, v in comparators.items() if k.split(":", 1)[0] in positions},
                      after_digit="postfix" in positions)
        relations = {
            normalize(p): Cue(0, 0, p, "time_relation", r.comparator, r.direction, r.position, False, r.id)
            for r in grammars.time_relations for p in r.phrases
        }
        self._add(relations)
        anchors = {normalize(p): Cue(0, 0, p, "anchor", a.name, rule=a.id) for a in grammars.anchors for p in a.phrases}
        self._add(anchors)
        logic = {
            normalize(p): Cue(0, 0, p, c.cue, rule=c.id)
            for c in grammars.cues if c.cue in _LOGIC_CUES for p in c.phrases
        }
        self._add(logic)
        # a table of their own: "of the following" lies inside "one of the following"
        self._add({normalize(p): Cue(0, 0, p, c.cue, rule=c.id) for c in grammars.cues if c.cue in _ITEM_CUES
                   for p in c.phrases})

    def _add(self, table: dict[str, Cue], after_digit: bool = False) -> None:
        self._tables.append((compile_phrases(table, after_digit=after_digit), table))

    def find(self, text: str) -> list[Cue]:
        """Every cue of ``text``, ordered by start."""
        found = []
        for pattern, table in self._tables:
            for match in pattern.finditer(text):
                proto = table[normalize(match.group())]
                found.append(Cue(match.start(), match.end(), match.group(), proto.kind, proto.value,
                                 proto.direction, proto.position, proto.respelled, proto.rule))
        found.sort(key=lambda cue: (cue.start, -cue.end))
        return _restated_symbols(text, found)


_BRACKETED = re.compile(r"\s*\(\s*(?P<symbol>[^\w\s()]{1,3})\s*\)")


def _restated_symbols(text: str, cues: list[Cue]) -> list[Cue]:
    """A comparator in words restated by its sign in brackets ("less than (<) 90", "at least (≥)50%") is one
    comparator spanning both; the sign, which is the more precise, gives its value."""
    signs = {(c.start, c.end): c for c in cues if c.kind == "comparator"}
    out: list[Cue] = []
    merged: set[tuple[int, int]] = set()
    for cue in cues:
        if (cue.start, cue.end) in merged and cue.kind == "comparator":
            continue
        bracket = _BRACKETED.match(text, cue.end) if cue.kind == "comparator" and cue.position != "postfix" else None
        sign = signs.get((bracket.start("symbol"), bracket.end("symbol"))) if bracket else None
        if bracket and sign is not None:
            merged.add((sign.start, sign.end))
            cue = Cue(cue.start, bracket.end(), text[cue.start:bracket.end()], cue.kind, sign.value,
                      cue.direction, cue.position, cue.respelled, cue.rule)
        out.append(cue)
    return out


def postfix_cue(text: str, cues: list[Cue], position: int, kind: str) -> Optional[Cue]:
    """The cue of ``kind`` that starts right after ``position`` (only spaces, ')' or 'the' between)."""
    best = None
    for cue in cues:
        if (cue.kind != kind or not position <= cue.start <= position + GAP_LIMIT
                or (kind == "comparator" and cue.position != "postfix")):
            continue
        if re.match(r"^[\s)]*(?:the\s+)?$", text[position:cue.start], re.IGNORECASE):
            if best is None or cue.end - cue.start > best.end - best.start:
                best = cue
    return best


def comparator_characters(grammars: Grammars) -> str:
    """The comparator signs of ``comparators.jsonl``: its one-character phrases that are not letters ("≤", "＞",
    "±"), postfix ones aside ("18+")."""
    return "".join(sorted({p for c in grammars.comparators if c.position != "postfix" for p in c.phrases
                           if len(p) == 1 and not p.isalnum()}))


def comparator_signs(grammars: Grammars) -> str:
    """A pattern for the comparators of ``comparators.jsonl`` written in signs, not words ("<=", "=<", "≥",
    ">/="), that bound a value (not "±")."""
    return compile_phrases(p for c in grammars.comparators if c.position != "postfix" and c.comparator != "+-"
                           for p in c.phrases if not any(ch.isalpha() for ch in p)).pattern


@Language.factory(
    "criteria_comparators",
    assigns=["doc._.cp_cues"],
    default_config={"grammars_dir": None},
)
def make_comparators(nlp: Language, name: str, grammars_dir: Optional[str]) -> "ComparatorsComponent":
    """Factory: ``nlp.add_pipe("criteria_comparators")``."""
    return ComparatorsComponent(load_grammars(Path(grammars_dir) if grammars_dir else None))


class ComparatorsComponent:
    """Pipeline step that sets ``doc._.cp_cues``."""

    def __init__(self, grammars: Grammars) -> None:
        register_extensions()
        self.finder = CueFinder(grammars)

    def __call__(self, doc: Doc) -> Doc:
        doc._.cp_cues = self.finder.find(text_of(doc))
        return doc
