"""``criteria_subjects``: find analytes, measures, treatments and methods of the lexicon.

Reads the tokens, ``doc._.cp_quantities`` and, when scispaCy's
``abbreviation_detector`` ran before it, ``doc._.abbreviations``; writes
``doc._.cp_mentions`` (:class:`Mention` list, by start).

Synonyms of ``grammars/lexicon.jsonl`` are matched as lower-cased token
sequences, longest first; abbreviations case-sensitively. In a document with
a quantity, a word that is not in the lexicon's vocabulary (nor a word of the
subject rules, ``subjects.jsonl``: "injection" is no "infection") but is one
edit or so away from one of its words (rapidfuzz ratio >= ``fuzzy_cutoff``,
same first letter) is read as that word, and the mention records the typo
("proiferation" -> "proliferation"). A short form that scispaCy's detector
ties to a long form found in the lexicon is a mention of that entry too (a
long form with a number in it names nothing: "92% or higher oxygen (state)"). So
is a shortened synonym listed right after a mention ("hepatitis B virus, C
virus": "C virus" is hepatitis C virus): the words that replace the mention's
own, the rest as in the mention, when together they are another synonym.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Optional

from rapidfuzz import fuzz, process
from spacy.language import Language
from spacy.tokens import Doc

from ..grammar.loader import Grammars, LexiconEntry, load_grammars
from .types import Mention, register_extensions, text_of

#: Words shorter than this are never fuzzy-matched: too many short words are one edit apart.
_FUZZY_MIN_LENGTH = 6


class SubjectFinder:
    """Finds lexicon mentions in a tokenized doc."""

    def __init__(self, grammars: Grammars, tokenize, fuzzy_cutoff: float) -> None:
        self.grammars = grammars
        self._phrases: dict[tuple[str, ...], LexiconEntry] = {}
        self._abbreviations: dict[str, LexiconEntry] = {}
        self._fuzzy_words: set[str] = set()
        for entry in grammars.lexicon:
            for synonym in entry.synonyms:
                words = tuple(t.lower_ for t in tokenize(synonym))
                self._phrases.setdefault(words, entry)
                if entry.fuzzy:
                    self._fuzzy_words.update(w for w in words if len(w) >= _FUZZY_MIN_LENGTH and w.isalpha())
            for abbreviation in entry.abbreviations:
                self._abbreviations.setdefault(abbreviation, entry)
        #: words of the lexicon and of the subject rules, which are no misspellings ("injection" is not "infection")
        self._vocabulary = {w for words in self._phrases for w in words} | {
            w for rule in grammars.subjects for phrase in rule.phrases for w in phrase.lower().split()}
        self._first_words = {words[0] for words in self._phrases if words}
        self._fuzzy_choices = sorted(self._fuzzy_words)
        self._longest = max(len(words) for words in self._phrases)
        #: what may stand between listed mentions ("hepatitis B virus, C virus or ...")
        self._joiners = {w for phrase in grammars.cue_phrases("listing") for w in phrase.lower().split()}
        self.fuzzy_cutoff = fuzzy_cutoff
        # a pure function of the word (the lexicon never changes after loading): remember its answers
        self.correct = lru_cache(maxsize=1 << 16)(self.correct)

    def correct(self, word: str) -> Optional[str]:
        """The lexicon word ``word`` is a misspelling of, if any."""
        lower = word.lower()
        if len(lower) < _FUZZY_MIN_LENGTH or not lower.isalpha() or lower in self._vocabulary:
            return None
        found = process.extractOne(lower, self._fuzzy_choices, scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff)
        if found and found[0][0] == lower[0]:
            return found[0]
        return None

    def find(self, doc: Doc, fuzzy: bool) -> list[Mention]:
        """Mentions in ``doc``; misspellings are matched only when ``fuzzy``. Found once per doc and finder (the
        entity model's features ask again: :func:`.entities.featurizer` shares the pipeline's finder)."""
        key = ("cp_lexicon_mentions", id(self), fuzzy)
        known = doc.user_data.get(key)
        if known is None:
            known, corrected = self._find(doc, fuzzy)
            doc.user_data[key] = known
            if fuzzy and not corrected:  # no word read as a misspelling: what a search without them finds
                doc.user_data.setdefault(("cp_lexicon_mentions", id(self), False), known)
        return list(known)

    def _find(self, doc: Doc, fuzzy: bool) -> tuple[list[Mention], bool]:
        """The mentions of ``doc``, and whether any word was read as a misspelling."""
        orths, starts = _pieces(doc)
        words = [w.lower() for w in orths]
        typos: dict[int, str] = {}
        if fuzzy:
            for i, word in enumerate(orths):
                corrected = self.correct(word)
                if corrected:
                    words[i] = corrected
                    typos[i] = corrected
        found: list[tuple[int, int, Mention]] = []  # first and last piece + 1, mention
        i = 0
        while i < len(words):
            match = self._match_at(words, i)
            if match is None and orths[i] in self._abbreviations:
                match = (i + 1, self._abbreviations[orths[i]])
            if match is None:
                i += 1
                continue
            end, entry = match
            typo = next(((orths[j], typos[j], starts[j], starts[j] + len(orths[j])) for j in range(i, end) if j in typos),
                        None)
            found.append((i, end, self._mention(doc, starts, orths, i, end, entry, typo)))
            i = end
        mentions = [m for _, _, m in found]
        mentions.extend(self._elided_mentions(doc, starts, orths, words, found))
        mentions.extend(self._abbreviation_mentions(doc, mentions))
        mentions.sort(key=lambda m: m.start)
        return mentions, bool(typos)

    @staticmethod
    def _mention(doc: Doc, starts: list[int], orths: list[str], first: int, end: int, entry: LexiconEntry,
                 typo: Optional[tuple[str, str, int, int]] = None) -> Mention:
        start_char, end_char = starts[first], starts[end - 1] + len(orths[end - 1])
        return Mention(start_char, end_char, text_of(doc)[start_char:end_char], entry, typo)

    def _elided_mentions(self, doc: Doc, starts: list[int], orths: list[str], words: list[str],
                         found: list[tuple[int, int, Mention]]) -> list[Mention]:
        """Shortened synonyms listed after a mention: "hepatitis B virus, C virus" (see the module docstring)."""
        extra = []
        taken = {i for first, end, _ in found for i in range(first, end)}
        for first, end, mention in found:
            own = words[first:end]
            after = end
            while after < len(words) and words[after] in self._joiners:
                after += 1
            if len(own) < 3 or after == end:
                continue
            for length in range(len(own) - 1, 1, -1):  # "C virus" for "hepatitis B virus": keep the last words
                written = words[after:after + length]
                if written[1:] != own[len(own) - length + 1:] or written[0] == own[len(own) - length]:
                    continue
                entry = self._phrases.get(tuple(own[:len(own) - length]) + tuple(written))
                if entry is not None and not taken & set(range(after, after + length)):
                    extra.append(self._mention(doc, starts, orths, after, after + length, entry))
                    break
        return extra

    def _match_at(self, words: list[str], i: int) -> Optional[tuple[int, LexiconEntry]]:
        if words[i] not in self._first_words:
            return None
        for length in range(min(self._longest, len(words) - i), 0, -1):
            entry = self._phrases.get(tuple(words[i:i + length]))
            if entry is not None:
                return i + length, entry
        return None

    @staticmethod
    def _abbreviation_mentions(doc: Doc, mentions: list[Mention]) -> list[Mention]:
        if not Doc.has_extension("abbreviations") or not doc._.abbreviations:
            return []
        taken = {(m.start, m.end) for m in mentions}
        extra = []
        for short in doc._.abbreviations:
            long_form = short._.long_form
            if any(token.like_num for token in long_form):
                continue  # a long form with a number is no name ("92% or higher oxygen (state)")
            entry = next((m.entry for m in mentions if m.start >= long_form.start_char and m.end <= long_form.end_char), None)
            if entry is not None and (short.start_char, short.end_char) not in taken:
                extra.append(Mention(short.start_char, short.end_char, short.text, entry))
        return extra


#: A slash between two words of a token, which may name two things: "Pregnant/lactating", "ALT/AST".
_SLASHED = re.compile(r"(?<=[^\W\d_]{2})/(?=[^\W\d_]{2})")


def _pieces(doc: Doc) -> tuple[list[str], list[int]]:
    """The words of ``doc`` with their start offsets; a token of words joined by slashes is read as its words
    ("angina/acute" is "angina", "acute"), except a unit ("mg/dL", "and/or" stay whole: one side is short)."""
    orths: list[str] = []
    starts: list[int] = []
    for token in doc:
        text = token.text
        if "/" not in text or not _SLASHED.search(text):
            orths.append(text)
            starts.append(token.idx)
            continue
        at = 0
        for piece in _SLASHED.split(text):
            orths.append(piece)
            starts.append(token.idx + at)
            at += len(piece) + 1
    return orths, starts


@Language.factory(
    "criteria_subjects",
    assigns=["doc._.cp_mentions"],
    default_config={"grammars_dir": None, "fuzzy_cutoff": 88.0},
)
def make_subjects(nlp: Language, name: str, grammars_dir: Optional[str], fuzzy_cutoff: float) -> "SubjectsComponent":
    """Factory: ``nlp.add_pipe("criteria_subjects")``."""
    grammars = load_grammars(Path(grammars_dir) if grammars_dir else None)
    return SubjectsComponent(SubjectFinder(grammars, nlp.tokenizer, fuzzy_cutoff))


class SubjectsComponent:
    """Pipeline step that sets ``doc._.cp_mentions``."""

    def __init__(self, finder: SubjectFinder) -> None:
        register_extensions()
        self.finder = finder

    def __call__(self, doc: Doc) -> Doc:
        doc._.cp_mentions = self.finder.find(doc, fuzzy=bool(doc._.cp_quantities))
        return doc
