"""The token features of the entity model (:mod:`.entities`): what the CRF of ``criteria_entities`` reads.

Per token: the word, its affixes and shape, its neighbours within a window, and what the grammars know of it:
whether ``lexicon.jsonl`` names it (and as what category), whether it is a drug name of ``drug_names.txt``
(DrugBank), a member or the name of a treatment class or a concept phrase of ``matching.json``, and whether it
ends in a drug stem of ``drug_stems.jsonl`` (:mod:`criteria_parser.grammar.entity_knowledge`).

Every feature comes twice: as itself, shared by all corpora, and prefixed with the style, the annotation
convention the mentions should follow (``lct`` or ``chia``), so that the model learns what the corpora share
from both and where their conventions differ from each (Daumé III, "Frustratingly easy domain adaptation",
ACL 2007).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

from spacy.tokens import Doc

from ..grammar.entity_knowledge import EntityKnowledge
from .subjects import SubjectFinder
from .types import Mention


@dataclass(frozen=True)
class FeatureSet:
    """Which features are read (the defaults are the shipped model's).

    ``window``: neighbouring words each side; ``knowledge``: the drug name, treatment class, concept and drug
    stem features.
    """

    window: int = 2
    knowledge: bool = True


@lru_cache(maxsize=1 << 16)
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


class PhraseTagger:
    """Longest-first matching of lower-cased token sequences, left to right: ``B-class``/``I-class``/``O``."""

    def __init__(self, phrases: Iterable[tuple[tuple[str, ...], str]]) -> None:
        self._phrases: dict[tuple[str, ...], str] = {}
        for words, kind in phrases:
            if words:
                self._phrases.setdefault(words, kind)
        self._firsts = {words[0] for words in self._phrases}
        self._longest = max((len(words) for words in self._phrases), default=0)

    def tag(self, lower: list[str]) -> list[str]:
        tags = ["O"] * len(lower)
        i = 0
        while i < len(lower):
            found = 0
            if lower[i] in self._firsts:
                for n in range(min(self._longest, len(lower) - i), 0, -1):
                    kind = self._phrases.get(tuple(lower[i:i + n]))
                    if kind is not None:
                        tags[i:i + n] = ["B-" + kind] + ["I-" + kind] * (n - 1)
                        found = n
                        break
            i += found or 1
        return tags


class Featurizer:
    """Turns a tokenized doc into the CRF's features, with the lexicon's mentions it found on the way."""

    def __init__(self, lexicon: SubjectFinder, knowledge: EntityKnowledge, tokenize: Callable[[str], Doc],
                 settings: FeatureSet = FeatureSet()) -> None:
        self.lexicon = lexicon
        self.settings = settings
        words = lambda text: tuple(t.lower_ for t in tokenize(text))  # noqa: E731
        self.drug_names = PhraseTagger((tuple(name.split(" ")), "drug") for name in knowledge.drug_names)
        self.phrases = PhraseTagger((words(phrase), kind) for phrase, kind in knowledge.phrases)
        self.stems = sorted((s.suffix for s in knowledge.drug_stems), key=len, reverse=True)
        self._words: dict[tuple[str, str], list[str]] = {}

    def _word(self, word: str, style: str) -> list[str]:
        """The features of a word on its own, shared and in ``style`` (remembered: a word always has the same)."""
        known = self._words.get((word, style))
        if known is None:
            w = word.lower()
            known = ["b", f"w={w}", f"s2={w[-2:]}", f"s3={w[-3:]}", f"s4={w[-4:]}", f"p3={w[:3]}", f"sh={_shape(word)}"]
            if self.settings.knowledge:
                stem = next((s for s in self.stems if w.endswith(s) and len(w) >= len(s) + 2), None)
                if stem:
                    known += ["stem", f"stem={stem}"]
            known += [f"{style}:{x}" for x in known]
            if len(self._words) < 1 << 17:
                self._words[word, style] = known
        return known

    def __call__(self, doc: Doc, style: str) -> tuple[list[list[str]], list[Mention]]:
        """Features per token of ``doc`` in ``style``, and the lexicon mentions of ``doc``.

        The lexicon's tag is a feature of every token and its neighbours, ``O`` included; a drug name's or a
        phrase's only where one covers the token (most tokens are in none, and fewer features tag faster).
        """
        mentions = self.lexicon.find(doc, fuzzy=False)
        words = [t.text for t in doc]
        lower = [w.lower() for w in words]
        shapes = [_shape(w) for w in words]
        lexicon = lexicon_tags(doc, mentions)
        marks = [("dn", self.drug_names.tag(lower)), ("gz", self.phrases.tag(lower))] if self.settings.knowledge else []
        window = self.settings.window
        n = len(words)
        features = []
        for i in range(n):
            f = [f"lx={lexicon[i]}"] + [f"{name}={tags[i]}" for name, tags in marks if tags[i] != "O"]
            for offset in (*range(-window, 0), *range(1, window + 1)):
                j = i + offset
                inside = 0 <= j < n
                f.append(f"w{offset}={lower[j] if inside else '_'}")
                if abs(offset) == 1:
                    f.append(f"sh{offset}={shapes[j] if inside else '_'}")
                    f.append(f"s3{offset}={lower[j][-3:] if inside else '_'}")
                    f.append(f"lx{offset}={lexicon[j] if inside else '_'}")
                    if inside:
                        f += [f"{name}{offset}={tags[j]}" for name, tags in marks if tags[j] != "O"]
            f.append(f"w-1w={lower[i - 1] if i else '_'}|{lower[i]}")
            f.append(f"ww+1={lower[i]}|{lower[i + 1] if i + 1 < n else '_'}")
            features.append(self._word(words[i], style) + f + [f"{style}:{x}" for x in f])
        return features, mentions
