"""scispaCy's rule-based tokenizer, with the splits criteria text needs.

Starts from ``scispacy.custom_tokenizer.combined_rule_tokenizer`` and adds
prefix and infix rules; each one says why. The comparator signs that stick to
numbers ("≤176.8", ">90%", "＞5") are those of ``grammars/comparators.jsonl``.
Registered as ``criteria_parser.tokenizer.v1`` so a config can name it.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Optional

import spacy
from scispacy.custom_tokenizer import combined_rule_prefixes, combined_rule_tokenizer
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_prefix_regex

from ..grammar.loader import Grammars, load_grammars
from .comparators import comparator_characters


def _extra_prefixes(signs: str) -> list[str]:
    return [
        # "≤176.8" -> "≤", "176.8": the comparator is its own token
        r"[" + signs + r"]",
        # "(ALT)/Aspartate" -> "(", "ALT", ")", "/", "Aspartate": scispaCy keeps "(" when ")" follows without a space
        r"\((?=[^\s()]+\)/)",
        # "/=" of ">/=" stays one piece after ">" is split off
        r"/=",
    ]


def _extra_infixes(signs: str) -> list[str]:
    return [
        # "(ALT)/Aspartate": split at ")/" so the abbreviation and the next word are tokens of their own
        r"\)(?=/)",
        r"(?<=\))/(?=\w)",
        # "age>=18", "ALT<3": comparators inside a token
        r"(?<=\w)[" + signs + r"]+(?=[\w.])",
        # "72hours", "10mg": number glued to its unit
        r"(?<=\d)(?=[a-zA-Zµμ%](?![0-9]))",
        # "0-2", "18~65": range joiners between numbers
        r"(?<=\d)[~～–—-](?=\d)",
    ]


def criteria_tokenizer(nlp: Language, grammars: Optional[Grammars] = None) -> Tokenizer:
    """Build the tokenizer for ``nlp``: scispaCy's rules plus our prefixes and infixes, with the comparator signs
    of ``grammars`` (the packaged ones when omitted).

    spaCy's tokenizer validates and loads all ~1,350 special cases of English whenever it is built or one of its
    patterns is set, each time ~0.06 s; built here once, with every pattern final (issue 14: start-up).
    """
    signs = re.escape(comparator_characters(grammars or load_grammars()))
    with warnings.catch_warnings():
        # scispaCy's suffix classes compile with a harmless "Possible set union" FutureWarning
        warnings.simplefilter("ignore", FutureWarning)
        scispacy = combined_rule_tokenizer(_WithoutExceptions(nlp))  # its patterns, and its exceptions alone
    prefixes = compile_prefix_regex(_extra_prefixes(signs) + combined_rule_prefixes())
    infixes = compile_infix_regex(_extra_infixes(signs) + [scispacy.infix_finditer.__self__.pattern])
    return Tokenizer(
        nlp.vocab,
        {**nlp.Defaults.tokenizer_exceptions, **scispacy.rules},  # as scispaCy updates the language's exceptions
        prefix_search=prefixes.search,
        suffix_search=scispacy.suffix_search,
        infix_finditer=infixes.finditer,
        token_match=scispacy.token_match,  # and no url_match, as scispaCy's
    )


class _WithoutExceptions:
    """What ``combined_rule_tokenizer`` reads of a language (its vocabulary, default token match and exceptions),
    with no exceptions of the language: scispaCy's own (its abbreviations) are then all the tokenizer it builds
    loads, and the language's need not be loaded twice."""

    def __init__(self, nlp: Language) -> None:
        self.vocab = nlp.vocab
        self.Defaults = type("Defaults", (), {"tokenizer_exceptions": {}})
        self.tokenizer = type("DefaultTokenizer", (), {"token_match": nlp.Defaults.token_match})


@spacy.registry.tokenizers("criteria_parser.tokenizer.v1")
def create_tokenizer(grammars_dir: Optional[str] = None):
    """Registry entry: ``[nlp.tokenizer] @tokenizers = "criteria_parser.tokenizer.v1"`` (``grammars_dir``: a grammar
    directory instead of the packaged one)."""
    grammars = load_grammars(Path(grammars_dir)) if grammars_dir else None
    return lambda nlp: criteria_tokenizer(nlp, grammars)
