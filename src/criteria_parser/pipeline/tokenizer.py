"""scispaCy's rule-based tokenizer, with the splits criteria text needs.

Starts from ``scispacy.custom_tokenizer.combined_rule_tokenizer`` and adds
prefix and infix rules; each one says why. The comparator signs that stick to
numbers ("≤176.8", ">90%", "＞5") are those of ``grammars/comparators.jsonl``.
Registered as ``criteria_parser.tokenizer.v1`` so a config can name it.
"""

from __future__ import annotations

import re
import warnings
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
    of ``grammars`` (the packaged ones when omitted)."""
    signs = re.escape(comparator_characters(grammars or load_grammars()))
    if not hasattr(nlp, "tokenizer"):
        # built from a config, the language has no tokenizer yet; scispaCy's reads the default one's token_match
        nlp.tokenizer = spacy.registry.tokenizers.get("spacy.Tokenizer.v1")()(nlp)
    with warnings.catch_warnings():
        # scispaCy's suffix classes compile with a harmless "Possible set union" FutureWarning
        warnings.simplefilter("ignore", FutureWarning)
        tokenizer = combined_rule_tokenizer(nlp)
    tokenizer.prefix_search = compile_prefix_regex(_extra_prefixes(signs) + combined_rule_prefixes()).search
    scispacy_infixes = tokenizer.infix_finditer.__self__.pattern
    tokenizer.infix_finditer = compile_infix_regex(_extra_infixes(signs) + [scispacy_infixes]).finditer
    return tokenizer


@spacy.registry.tokenizers("criteria_parser.tokenizer.v1")
def create_tokenizer():
    """Registry entry: ``[nlp.tokenizer] @tokenizers = "criteria_parser.tokenizer.v1"``."""
    return criteria_tokenizer
