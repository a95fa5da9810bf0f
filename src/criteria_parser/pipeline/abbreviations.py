"""``criteria_abbreviations``: scispaCy's abbreviation detection without per-document matcher changes.

Reads the tokens; writes ``doc._.abbreviations`` (short-form spans with
``span._.long_form``), the interface of scispaCy's ``abbreviation_detector``.
It runs scispaCy's Schwartz & Hearst (2003) implementation
(``scispacy.abbreviation.filter_matches`` and ``find_abbreviation``) on
"long form (SF)" candidates, then finds the other uses of each short form by
comparing token texts. scispaCy's own component adds and removes a matcher
rule for every document; this one keeps no per-document state, and skips
texts without a parenthesis, where no definition can be.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from scispacy.abbreviation import filter_matches, find_abbreviation

from .types import text_of


@Language.factory("criteria_abbreviations", assigns=["doc._.abbreviations"])
def make_abbreviations(nlp: Language, name: str) -> "AbbreviationsComponent":
    """Factory: ``nlp.add_pipe("criteria_abbreviations")``."""
    return AbbreviationsComponent(nlp)


class AbbreviationsComponent:
    """Pipeline step that sets ``doc._.abbreviations``."""

    def __init__(self, nlp: Language) -> None:
        if not Doc.has_extension("abbreviations"):
            Doc.set_extension("abbreviations", default=[])
        if not Span.has_extension("long_form"):
            Span.set_extension("long_form", default=None)
        self.matcher = Matcher(nlp.vocab)
        # scispaCy's pattern takes any tokens between "(" and ")", so "(a) (a) (a) ..." matches every pair of
        # parentheses with everything between them: quadratically many candidates. A short form is a few tokens
        # inside one pair of parentheses (scispaCy skips candidates of more than 8 tokens).
        inner = {"ORTH": {"NOT_IN": ["(", ")"]}, "OP": "{1,10}"}
        self.matcher.add("parenthesis", [[{"ORTH": "("}, inner, {"ORTH": ")"}]])

    def __call__(self, doc: Doc) -> Doc:
        if "(" not in text_of(doc):
            return doc
        inner = [(match, start + 1, end - 1) for match, start, end in self.matcher(doc)]
        found: list[Span] = []
        seen_short: set[str] = set()
        for long_candidate, short_candidate in filter_matches(inner, doc):
            short, long_form = find_abbreviation(long_candidate, short_candidate)
            if long_form is None or short.text in seen_short:
                continue
            seen_short.add(short.text)
            short._.long_form = long_form
            found.append(short)
            for other in self._uses(doc, short):
                other._.long_form = long_form
                found.append(other)
        doc._.abbreviations = found
        return doc

    @staticmethod
    def _uses(doc: Doc, short: Span) -> list[Span]:
        """Other places where the short form's tokens occur."""
        words = [t.text for t in short]
        texts = [t.text for t in doc]
        width = len(words)
        return [doc[i:i + width] for i in range(len(texts) - width + 1)
                if i != short.start and texts[i:i + width] == words]
