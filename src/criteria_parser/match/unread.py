"""What a criterion asks that none of its checks reads (issue 11): content words beyond :data:`PARTIAL_WORDS`, a
number, an item of a list beside an item that is read ("HIV, hepatitis B or | tuberculosis"). A criterion answered
from part of what it asks is kept from the answer the part alone would give (:meth:`.guards.Guards.partly`).

A list's items are separated by the joining cues of ``cues.jsonl`` (``alternative``, ``conjunction``,
``list_separator``), within a clause (``clause_break``, and the ``list_end`` cues: what ends a list but not a
clause). Words that name no requirement of their own are not counted: spaCy's English stop words, the comparator
phrases, the negation cues of ``context.jsonl``, unit forms, anchors, time relations and the cue lists of
``matching.json`` (``active_cues``, ``unchecked_words``); an ``unrecorded_requirements`` word ("English") always
counts.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Optional

from ..grammar.loader import Grammars
from ..grammar.matching import MatchingGrammar
from ..grammar.phrases import compile_phrases, compile_source, normalize, phrase_regex

#: Most content words a criterion may hold beside what its checks read and still be answered whole, for criteria
#: answered from the concepts they name ("able to read the English consent form" is not) and from their limits
#: ("echocardiography showed LVEF >= 50%" is), unless one of them is an ``unrecorded_requirements`` word ("English").
PARTIAL_WORDS = {"concepts": 2, "limits": 3}
#: The joining cues of cues.jsonl that separate a list's items ("and/or", "or", "nor"; "and", "&"; a comma, a slash).
LIST_CUES = ("alternative", "conjunction", "list_separator")
#: The cues of cues.jsonl that end the clause a list stands in: a clause break ("; ", ". ") or a list end (":").
END_CUES = ("clause_break", "list_end")


@lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    """spaCy's English stop words, read from its list (``spacy/lang/en/stop_words.py``, a module of data alone)
    without importing spaCy, which takes half a second that ``match`` on a parsed listing does not need."""
    spacy = importlib.util.find_spec("spacy")  # finds the package without importing it
    path = Path(spacy.origin).parent / "lang" / "en" / "stop_words.py"
    spec = importlib.util.spec_from_file_location("criteria_parser_spacy_en_stop_words", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)

class UnreadWords:
    """What the checks of one grammar leave unread."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar, comparator_words: set[str]) -> None:
        self.matching = matching
        negations = [rule.literal for rule in grammars.context
                     if rule.category == "NEGATED_EXISTENCE" and rule.pattern is None]
        phrases = [*negations, *matching.active_cues, *matching.unchecked_words,
                   *(form for unit in grammars.units for form in unit.forms),
                   *(phrase for rule in grammars.anchors for phrase in rule.phrases),
                   *(phrase for rule in grammars.time_relations for phrase in rule.phrases)]
        cue_words = {word for phrase in phrases for word in re.findall(r"[a-z][a-z'-]*", phrase.lower())}
        self.ignored = comparator_words | english_stop_words() | cue_words
        self.requirements = {w.lower() for w in matching.unrecorded_requirements}
        self.separator = list_separator(grammars)
        self.clause_end = compile_phrases([p for cue in END_CUES for p in grammars.cue_phrases(cue)])
        self.conjunctions = {normalize(p) for p in grammars.cue_phrases("conjunction")}

    def _unread_item(self, text: str, rest: str) -> Optional[str]:
        """An item of a slash list ("HBV/HCV/HIV/syphilis/TB") that no check reads, when another item is read: a list
        is answered whole or not at all, however few its unread words (``rest``: ``text`` with what is read blanked)."""
        for found in re.finditer(r"[\w'-]+(?:\s?/\s?[\w'-]+)+", text):
            items = [(m.start() + found.start(), m.end() + found.start()) for m in re.finditer(r"[\w'-]+", found.group())]
            unread = [rest[a:b] for a, b in items if rest[a:b].strip() == text[a:b]]
            if len(unread) < len(items) and any(w.lower() not in self.ignored for w in unread):
                return next(w for w in unread if w.lower() not in self.ignored)
        return None

    def list_items(self, text: str, read: list[tuple[int, int]]) -> list[tuple[str, bool]]:
        """The items of a list that stand beside an item a check reads but hold a content word no check reads
        ("HIV, hepatitis B or | tuberculosis", "not pregnant and | willing to use contraception"), each with whether
        a conjunction ("and") joins it: a list is answered only when every item is read (``read``: the spans the
        checks read). A parenthesis is a clause of its own, and its words are no item of the list around it."""
        outer = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", lambda m: " " * len(m.group()), text)
        clauses = [(m.start() + 1, m.group()[1:-1]) for m in re.finditer(r"\([^()]*\)|\[[^\[\]]*\]", text)]
        at = 0
        # a full stop ending the text ends its last clause, as ". " does inside it
        for end in [m.start() for m in self.clause_end.finditer(outer + " ") if m.start() < len(outer)] + [len(outer)]:
            clauses.append((at, outer[at:end]))
            at = end + 1
        found: list[tuple[str, bool]] = []
        for offset, clause in clauses:
            items, start = [], 0
            for separator in [*self.separator.finditer(clause), None]:
                end = separator.start() if separator else len(clause)
                joiner = separator.group().strip().lower() if separator else ""
                items.append((offset + start, offset + end, joiner))
                start = separator.end() if separator else end
            if len(items) < 2:
                continue
            is_read = [any(a < e and s < b for s, e in read) for a, b, _ in items]
            if not any(is_read):
                continue
            for index, (a, b, _) in enumerate(items):
                words = [w for w in re.findall(r"[a-z][a-z0-9'-]*", text[a:b].lower())
                         if w.strip("'-") not in self.ignored and not re.search(r"\d", w)]
                if is_read[index] or not words:
                    continue
                joiners = [items[index - 1][2] if index else "", items[index][2] if index + 1 < len(items) else ""]
                found.append((text[a:b].strip(), any(normalize(j.lstrip(", ")) in self.conjunctions for j in joiners)))
        return found

    def partial(self, text: str, read: list[tuple[int, int]], subjects: tuple[str, ...] = (),
                kind: str = "concepts") -> Optional[str]:
        """The words of a criterion that none of its checks reads, when there are more than :data:`PARTIAL_WORDS`
        (``read``: the spans of the concepts' phrases and the constraints' words; ``subjects``: the words the
        constraints name their subjects with, wherever they stand)."""
        rest = list(text)
        for cue in self.matching.citation_cues:  # "According to the NCCN guidelines for ALL, ...": a source, no ask
            for found in re.finditer(phrase_regex(cue).pattern + r"[^,;]*", text, re.IGNORECASE):
                rest[found.start():found.end()] = " " * (found.end() - found.start())
        for start, end in read:
            rest[start:end] = " " * (end - start)
        for subject in subjects:
            for found in re.finditer(rf"(?<!\w){re.escape(subject)}(?!\w)", text, re.IGNORECASE):
                rest[found.start():found.end()] = " " * (found.end() - found.start())
        rest = "".join(rest)
        item = self._unread_item(text, rest)
        if item:
            return f"the list item '{item}'"
        numbers = re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\w)", rest)  # a number no check reads: a limit unread
        if numbers:
            return f"the number {numbers[0]}"
        words = [w for w in re.findall(r"[a-z][a-z0-9'-]*", rest.lower())  # codes (SNDX-5613, T2DM) name
                 if w.strip("'-") not in self.ignored and not re.search(r"\d", w)]  # what other words ask about
        asked = [w for w in words if w in self.requirements]
        return " ".join(words) if len(words) > PARTIAL_WORDS[kind] or asked else None


def list_separator(grammars: Grammars) -> re.Pattern[str]:
    """What separates the items of a list: a phrase of the :data:`LIST_CUES`, with the spaces around it, a word
    after a comma or not ("HIV, hepatitis B, or HCV"), spaces or not around the slash of a word ("and / or").
    """
    phrases = {p.lower() for cue in LIST_CUES for p in grammars.cue_phrases(cue)}
    words = compile_source((p for p in phrases if p[:1].isalnum()), glued=True)
    signs = compile_source(p for p in phrases if not p[:1].isalnum())
    return re.compile(rf"\s*(?:,\s*)?\b(?:{words})\b\s*|\s*(?:{signs})\s*", re.IGNORECASE)
