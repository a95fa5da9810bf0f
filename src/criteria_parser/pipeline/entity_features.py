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


#: The names of the drug name and phrase tags' features.
_MARKS = ("dn", "gz")


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
    """Longest-first matching of lower-cased token sequences, left to right: ``B-class``/``I-class``/``O``.

    Phrases are given as their words joined by single spaces (the first kind given to a phrase is kept): the drug
    names of the grammars are stored so already, and 38,000 of them need no other form.
    """

    def __init__(self, phrases: Iterable[tuple[str, str]]) -> None:
        self._phrases: dict[str, str] = {}
        for words, kind in phrases:
            if words:
                self._phrases.setdefault(words, kind)
        self._firsts = {words.partition(" ")[0] for words in self._phrases}
        self._longest = max((words.count(" ") + 1 for words in self._phrases), default=0)

    def tag(self, lower: list[str]) -> list[str]:
        tags = ["O"] * len(lower)
        i = 0
        while i < len(lower):
            found = 0
            if lower[i] in self._firsts:
                for n in range(min(self._longest, len(lower) - i), 0, -1):
                    kind = self._phrases.get(" ".join(lower[i:i + n]))
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
        words = lambda text: " ".join(t.lower_ for t in tokenize(text))  # noqa: E731
        self.drug_names = PhraseTagger((name, "drug") for name in knowledge.drug_names)
        self.phrases = PhraseTagger((words(phrase), kind) for phrase, kind in knowledge.phrases)
        self.stems = sorted((s.suffix for s in knowledge.drug_stems), key=len, reverse=True)
        # the stems by length, longest first: a word's stem is the first length whose ending is one (as the first
        # of ``stems`` it ends in: two stems of one length that a word ends in are the same string)
        self._stems = [(n, {s for s in self.stems if len(s) == n}) for n in sorted({len(s) for s in self.stems},
                                                                                    reverse=True)]
        self._words: dict[tuple[str, str], list[str]] = {}

    def _word(self, word: str, style: str) -> list[str]:
        """The features of a word on its own, shared and in ``style`` (remembered: a word always has the same)."""
        known = self._words.get((word, style))
        if known is None:
            w = word.lower()
            known = ["b", f"w={w}", f"s2={w[-2:]}", f"s3={w[-3:]}", f"s4={w[-4:]}", f"p3={w[:3]}", f"sh={_shape(word)}"]
            if self.settings.knowledge:
                stem = next((w[-n:] for n, stems in self._stems if len(w) >= n + 2 and w[-n:] in stems), None)
                if stem:
                    known += ["stem", f"stem={stem}"]
            known += [f"{style}:{x}" for x in known]
            if len(self._words) < 1 << 17:
                self._words[word, style] = known
        return known

    def groups(self, doc: Doc) -> tuple[list[list[tuple]], list[Mention]]:
        """The feature groups of each token of ``doc`` (keys that :meth:`strings` spells out), and the lexicon's
        mentions of ``doc``.

        A token's groups, in order: its word (``w``); its lexicon, drug name and phrase tags (``t``; a name's or a
        phrase's ``O`` gives no feature); each neighbour within the window (``n``: its word, and for the next words
        their tags; ``None`` beyond the text); the word pairs it is in (``p``). Flat tuples of strings: they hash
        fast. Most groups repeat across criteria, so a caller
        can work out once what each stands for (:class:`~.entities.EntityFinder` sums their weights once).
        """
        mentions = self.lexicon.find(doc, fuzzy=False)
        words = [t.text for t in doc]
        lower = [w.lower() for w in words]
        lexicon = lexicon_tags(doc, mentions)
        n = len(words)
        if self.settings.knowledge:
            names, phrases = self.drug_names.tag(lower), self.phrases.tag(lower)
        else:
            names = phrases = ["O"] * n
        window = self.settings.window
        offsets = (*range(-window, 0), *range(1, window + 1))
        groups = []
        for i in range(n):
            token = [("w", words[i]), ("t", lexicon[i], names[i], phrases[i])]
            for offset in offsets:
                j = i + offset
                if not 0 <= j < n:
                    token.append(("n", offset, None, "", "O", "O"))
                elif abs(offset) == 1:
                    token.append(("n", offset, words[j], lexicon[j], names[j], phrases[j]))
                else:
                    token.append(("n", offset, words[j], "", "O", "O"))
            token.append(("p", "w-1w=", lower[i - 1] if i else "_", lower[i]))
            token.append(("p", "ww+1=", lower[i], lower[i + 1] if i + 1 < n else "_"))
            groups.append(token)
        return groups, mentions

    def strings(self, group: tuple, style: str) -> tuple[list[str], list[str]]:
        """The features of one group of :meth:`groups`: shared, and in ``style`` (a word's group: all of them in
        the first list, the second empty)."""
        kind = group[0]
        if kind == "p":  # the most groups a text has not had before
            own = group[1] + group[2] + "|" + group[3]
            return [own], [f"{style}:{own}"]
        if kind == "w":
            return self._word(group[1], style), []
        if kind == "t":
            _, lexicon, *marks = group
            f = [f"lx={lexicon}"] + [f"{name}={tag}" for name, tag in zip(_MARKS, marks) if tag != "O"]
        elif kind == "n":
            _, offset, word, lexicon, *marks = group
            near = abs(offset) == 1
            if word is None:
                f = [f"w{offset}=_"] + ([f"sh{offset}=_", f"s3{offset}=_", f"lx{offset}=_"] if near else [])
            else:
                lower = word.lower()
                f = [f"w{offset}={lower}"]
                if near:
                    f += [f"sh{offset}={_shape(word)}", f"s3{offset}={lower[-3:]}", f"lx{offset}={lexicon}"]
                    f += [f"{name}{offset}={tag}" for name, tag in zip(_MARKS, marks) if tag != "O"]
        return f, [f"{style}:{x}" for x in f]

    def __call__(self, doc: Doc, style: str) -> tuple[list[list[str]], list[Mention]]:
        """Features per token of ``doc`` in ``style`` (each token's groups spelled out, the shared features before
        those in the style), and the lexicon mentions of ``doc``.

        The lexicon's tag is a feature of every token and its neighbours, ``O`` included; a drug name's or a
        phrase's only where one covers the token (most tokens are in none, and fewer features tag faster).
        """
        groups, mentions = self.groups(doc)
        features = []
        for (_, word), *others in groups:
            shared, styled = [], []
            for group in others:
                own, in_style = self.strings(group, style)
                shared += own
                styled += in_style
            features.append(self._word(word, style) + shared + styled)
        return features, mentions
