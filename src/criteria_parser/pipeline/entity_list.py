"""The entities of one criterion: lexicon mentions and the entity model's mentions, merged; then numbered.

Used by ``criteria_constraints`` (:mod:`.constraints`). Reads ``doc._.cp_mentions`` (the lexicon's) and, when
``criteria_entities`` ran, ``doc._.cp_entities`` (the entity model's typed spans). A lexicon mention is one
entity with its concept; a method ("by flow cytometry") is none. A short form in brackets right after a mention
of the same concept joins it ("Alanine aminotransferase (ALT)"). A model mention that holds a lexicon mention
with only words before it or head words after it (``head`` in ``subjects.jsonl``: "severe heart disease",
"systemic corticosteroids therapy") gives way to it; one that holds a lexicon mention and other words after it
("weight loss" holding "weight") names something else and has no concept, and the mention inside it is not an
entity of its own; one that holds several lexicon mentions ("ALT and AST") gives way to them. A mention of a
method, or of generic words only ("conditions", "drug", "treated": ``generic``), is none. :func:`number` then
gives the
entities their local ids (``e1``, ``e2``, ... by position) and each constraint its id and the id of the
entity it limits.
"""

from __future__ import annotations

import re
from typing import Optional

from spacy.tokens import Doc

from ..model import Constraint
from ..grammar.loader import load_grammars
from .types import Found, Mention, text_of

#: Between a mention and its short form in brackets: "Alanine aminotransferase (ALT".
_SHORT_FORM_GAP = re.compile(r"\s*\(\s*")
_SHORT_FORM_END = re.compile(r"\s*\)")


def lexicon_entities(doc: Doc) -> list[Found]:
    """The lexicon's mentions of ``doc`` as entities, by position (a method is none)."""
    return _joined(text_of(doc), [m for m in (doc._.cp_mentions or []) if m.entry.type is not None])


def as_entity(found: list[Found], subject: Found) -> Found:
    """The entity of ``found`` a subject is (the same words; for an age, a person entity its words overlap),
    adding the subject to ``found`` when none is; an age without words (start -1) is no entity."""
    if subject.start < 0:
        return subject
    same = next((f for f in found if (f.start, f.end) == (subject.start, subject.end)), None)
    if same is None and subject.type == "person":  # "18 years of age": the age words are the person entity there
        same = next((f for f in found if f.type == "person" and f.entry in (None, subject.entry)
                     and f.start < subject.end and subject.start < f.end), None)
    if same is None:
        found.append(subject)
        return subject
    if same.entry is None and subject.entry is not None:  # the model's words, the lexicon's concept
        same.entry, same.type, same.rule, same.typo = subject.entry, subject.type, subject.rule, subject.typo
    return same


def entities_of(doc: Doc) -> list[Found]:
    """The entities of ``doc``, by position, before any open subject is added."""
    text = text_of(doc)
    lexicon = lexicon_entities(doc)
    methods = [(m.start, m.end) for m in doc._.cp_mentions or [] if m.entry.type is None]
    model = [m for m in doc._.cp_entities or [] if (m.start, m.end) not in methods and not _generic(text[m.start:m.end])]
    if not model:
        return lexicon
    found: list[Found] = []
    taken: set[int] = set()  # lexicon entities a model mention replaced or took the concept of
    for mention in model:
        inside = [i for i, f in enumerate(lexicon) if mention.start <= f.start and f.end <= mention.end]
        overlapping = [i for i, f in enumerate(lexicon) if f.start < mention.end and mention.start < f.end]
        if len(inside) > 1 or len(overlapping) > len(inside):
            continue  # "ALT and AST" as one mention, or one that cuts a lexicon mention: the lexicon's stand
        if inside and _heads_only(text[lexicon[inside[0]].end:mention.end]):
            continue  # "severe heart disease", "systemic corticosteroids therapy": the lexicon's mention stands
        taken.update(inside)
        found.append(Found(mention.start, mention.end, text[mention.start:mention.end], mention.type, None,
                           mention.rule))
    found.extend(f for i, f in enumerate(lexicon) if i not in taken)
    found.sort(key=lambda f: (f.start, -f.end))
    return found


def _heads_only(words: str) -> bool:
    """Whether the words after a lexicon mention only keep its concept ("level", "therapy"; none at all)."""
    return all(w.lower() in _words("head") for w in re.findall(r"[^\W\d_]+", words))


def _generic(words: str) -> bool:
    """Whether a mention's words name no clinical thing by themselves ("conditions", "drug", "treated")."""
    found = [w.lower() for w in re.findall(r"[^\W\d_]+", words)]
    return bool(found) and all(w in _words("generic") or w in _words("stop") for w in found)


def _words(role: str) -> frozenset[str]:
    """The words of a ``subjects.jsonl`` role (the packaged grammars: entity merging has no grammar of its own)."""
    cached = _WORDS.get(role)
    if cached is None:
        cached = _WORDS[role] = frozenset(w.lower() for w in load_grammars().subject_phrases(role))
    return cached


_WORDS: dict[str, frozenset[str]] = {}


def _joined(text: str, mentions: list[Mention]) -> list[Found]:
    """Lexicon mentions as entities, a bracketed short form of the same concept joined to its long form."""
    found: list[Found] = []
    for mention in sorted(mentions, key=lambda m: m.start):
        last = found[-1] if found else None
        if last is not None and last.entry is mention.entry and _SHORT_FORM_GAP.fullmatch(text[last.end:mention.start]):
            close = _SHORT_FORM_END.match(text, mention.end)
            if close:
                last.end = close.end()
                last.text = text[last.start:last.end]
                continue
        found.append(Found.of(mention))
    return found


def number(found: list[Found], constraints: list[Constraint], limited: list[Optional[Found]]) -> list[Found]:
    """Give ``found`` (sorted by position) the ids ``e1``, ``e2``, ..., each constraint the id ``c1``, ``c2``, ...
    and, from ``limited`` (the entity each constraint limits, or None), the id of its entity."""
    found.sort(key=lambda f: (f.start, -f.end))
    for index, entity in enumerate(found, 1):
        entity.id = f"e{index}"
    for index, (constraint, entity) in enumerate(zip(constraints, limited), 1):
        constraint.id = f"c{index}"
        constraint.entity = entity.id if entity is not None else None
    return found
