"""``criteria_entities``: the clinical things a criterion names, found by the entity model shipped in the package.

The model is a linear-chain conditional random field (CRFsuite, through python-crfsuite) that tags each token
``B-``/``I-``/``O`` of seven types from the features of :func:`token_features`: the word, its affixes and
shape, its neighbours, and whether ``grammars/lexicon.jsonl`` knows it (and as what category). It is trained
by ``criteria-parser train entities`` (:mod:`criteria_parser.lct.training`) on the Leaf and Chia corpora and
loaded once per process. Each mention is then looked up in the lexicon: the longest lexicon words inside it
name its concept.

Writes ``doc.ents`` and ``doc._.cp_entities`` (:class:`ClinicalEntity` list, by start). Types: condition, drug
(or drug class), procedure (procedures and therapies), measurement (labs and measurements), observation
(observations and scores), device, person (age, sex, ...). Mentions follow Leaf's conventions unless the
component's ``style`` is ``chia``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Optional

import pycrfsuite
from spacy.language import Language
from spacy.tokens import Doc, Span

from ..grammar.loader import load_grammars
from .subjects import SubjectFinder
from .types import Mention

#: The entity model shipped with the package.
MODEL = Path(str(files("criteria_parser.pipeline") / "models" / "entities.crfsuite"))
#: Named in every mention's ``rule``; bump when the features change (a model needs the features it was trained on).
FEATURES = "entities.crf.v1"
#: Annotation conventions the model can follow: Leaf's (LCT: "chronic kidney disease" without a separate
#: modifier's words, "history of" left out) and Chia's (longer mentions, "history" an observation).
STYLES = ("lct", "chia")


@dataclass(frozen=True)
class ClinicalEntity:
    """One mention: character offsets into ``doc.text``, its words, type and the lexicon concept, if known.

    ``rule`` names what found it: the model and its feature set (``model.entities.crf.v1``).
    """

    start: int
    end: int
    text: str
    type: str
    concept: Optional[str] = None  # lexicon id ("lex.creatinine")
    name: Optional[str] = None  # the concept's normalized name ("creatinine")
    rule: str = "model." + FEATURES


def _shape(word: str) -> str:
    """"Xxxx" for "Warfarin", "XXd" for "HbA1c"'s kin: letter case and digits, runs cut to two."""
    out: list[str] = []
    for char in word:
        kind = "X" if char.isupper() else "x" if char.islower() else "d" if char.isdigit() else char
        if len(out) < 2 or out[-1] != kind or out[-2] != kind:
            out.append(kind)
    return "".join(out)


def lexicon_tags(doc: Doc, mentions: list[Mention]) -> list[str]:
    """Per token, ``B-category``/``I-category`` where a lexicon mention covers it, else ``O``."""
    tags = ["O"] * len(doc)
    for mention in mentions:
        span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
        if span is None:
            continue
        for i in range(span.start, span.end):
            tags[i] = ("B-" if i == span.start else "I-") + mention.entry.category
    return tags


def token_features(doc: Doc, mentions: list[Mention], style: str) -> list[list[str]]:
    """The CRF's features of each token of ``doc`` (``mentions``: the lexicon's, from :class:`SubjectFinder`).

    Every feature comes twice: as itself, shared by all corpora, and prefixed with ``style``, the annotation
    convention the mentions should follow (``lct`` or ``chia``), so that the model learns what the corpora
    share from both and where their conventions differ from each (Daumé III, "Frustratingly easy domain
    adaptation", ACL 2007).
    """
    words = [t.text for t in doc]
    lower = [w.lower() for w in words]
    shapes = [_shape(w) for w in words]
    lexicon = lexicon_tags(doc, mentions)
    features = []
    for i, word in enumerate(words):
        w = lower[i]
        f = ["b", f"w={w}", f"s2={w[-2:]}", f"s3={w[-3:]}", f"s4={w[-4:]}", f"p3={w[:3]}", f"sh={shapes[i]}",
             f"lx={lexicon[i]}"]
        for offset in (-2, -1, 1, 2):
            j = i + offset
            inside = 0 <= j < len(words)
            f.append(f"w{offset}={lower[j] if inside else '_'}")
            if abs(offset) == 1:
                f.append(f"sh{offset}={shapes[j] if inside else '_'}")
                f.append(f"lx{offset}={lexicon[j] if inside else '_'}")
                f.append(f"s3{offset}={lower[j][-3:] if inside else '_'}")
        f.append(f"w-1w={lower[i - 1] if i else '_'}|{w}")
        f.append(f"ww+1={w}|{lower[i + 1] if i + 1 < len(words) else '_'}")
        features.append(f + [f"{style}:{x}" for x in f])
    return features


def tags_to_spans(doc: Doc, tags: list[str]) -> list[Span]:
    """Spans of a ``B-``/``I-``/``O`` tagging; an ``I-`` after another type starts a mention."""
    spans: list[Span] = []
    start, label = None, None
    for i, tag in enumerate([*tags, "O"]):
        inside = tag.startswith("I-") and tag[2:] == label
        if start is not None and not inside:
            spans.append(Span(doc, start, i, label=label))
            start, label = None, None
        if tag != "O" and not inside:
            start, label = i, tag[2:]
    return spans


@lru_cache(maxsize=4)
def load_model(path: Path) -> pycrfsuite.Tagger:
    """The CRF at ``path``, opened once per process."""
    tagger = pycrfsuite.Tagger()
    tagger.open(str(path))
    return tagger


class EntityFinder:
    """Tags docs with the CRF and names the lexicon concept of each mention."""

    def __init__(self, model: Path, lexicon: SubjectFinder, style: str) -> None:
        if style not in STYLES:
            raise ValueError(f"criteria_entities: style must be one of {', '.join(STYLES)}, not '{style}'")
        self.tagger = load_model(model)
        self.lexicon = lexicon
        self.style = style
        self.labels = sorted({label[2:] for label in self.tagger.labels() if label != "O"})

    def annotate(self, doc: Doc) -> Doc:
        """Set ``doc.ents`` and ``doc._.cp_entities``."""
        mentions = self.lexicon.find(doc, fuzzy=False)
        spans = tags_to_spans(doc, self.tagger.tag(token_features(doc, mentions, self.style))) if len(doc) else []
        doc.ents = spans
        doc._.cp_entities = [self._entity(span, mentions) for span in spans]
        return doc

    @staticmethod
    def _entity(span: Span, mentions: list[Mention]) -> ClinicalEntity:
        start, end = span.start_char, span.end_char
        inside = [m for m in mentions if start <= m.start and m.end <= end]
        if not inside:
            return ClinicalEntity(start, end, span.text, span.label_)
        best = max(inside, key=lambda m: (m.end - m.start, -m.start))  # the longest lexicon words inside
        return ClinicalEntity(start, end, span.text, span.label_, best.entry.id, best.entry.name)


@Language.factory(
    "criteria_entities",
    assigns=["doc.ents", "doc._.cp_entities"],
    default_config={"model": None, "grammars_dir": None, "style": "lct"},
)
def make_entities(nlp: Language, name: str, model: Optional[str], grammars_dir: Optional[str],
                  style: str) -> "EntitiesComponent":
    """Factory: ``nlp.add_pipe("criteria_entities")``; ``model`` replaces the shipped model file, ``style`` picks
    the corpus convention of the mentions (:data:`STYLES`)."""
    grammars = load_grammars(Path(grammars_dir) if grammars_dir else None)
    lexicon = SubjectFinder(grammars, nlp.tokenizer, fuzzy_cutoff=100.0)
    finder = EntityFinder(Path(model) if model else MODEL, lexicon, style)
    for label in finder.labels:  # the doc's vocabulary must know the labels written on it
        nlp.vocab.strings.add(label)
    return EntitiesComponent(finder)


class EntitiesComponent:
    """Pipeline step that sets ``doc.ents`` and ``doc._.cp_entities``."""

    def __init__(self, finder: EntityFinder) -> None:
        if not Doc.has_extension("cp_entities"):
            Doc.set_extension("cp_entities", default=None)
        self.finder = finder

    def __call__(self, doc: Doc) -> Doc:
        return self.finder.annotate(doc)
