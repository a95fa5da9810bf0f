"""scispaCy's rule-based tokenizer, with the splits criteria text needs.

Starts from ``scispacy.custom_tokenizer.combined_rule_tokenizer`` and adds
prefix and infix rules; each one says why. Registered as
``criteria_parser.tokenizer.v1`` so a config can name it.
"""

from __future__ import annotations

import warnings

import spacy
from scispacy.custom_tokenizer import combined_rule_prefixes, combined_rule_tokenizer
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_prefix_regex

#: Comparator characters that stick to numbers in listings ("≤176.8", ">90%", "＞5").
_COMPARATOR_CHARS = "≤≥≦≧<>＜＞=±⩽⩾"

_EXTRA_PREFIXES = [
    # "≤176.8" -> "≤", "176.8": the comparator is its own token
    r"[" + _COMPARATOR_CHARS + r"]",
    # "(ALT)/Aspartate" -> "(", "ALT", ")", "/", "Aspartate": scispaCy keeps "(" when ")" follows without a space
    r"\((?=[^\s()]+\)/)",
    # "/=" of ">/=" stays one piece after ">" is split off
    r"/=",
]

_EXTRA_INFIXES = [
    # "(ALT)/Aspartate": split at ")/" so the abbreviation and the next word are tokens of their own
    r"\)(?=/)",
    r"(?<=\))/(?=\w)",
    # "age>=18", "ALT<3": comparators inside a token
    r"(?<=\w)[" + _COMPARATOR_CHARS + r"]+(?=[\w.])",
    # "72hours", "10mg": number glued to its unit
    r"(?<=\d)(?=[a-zA-Zµμ%](?![0-9]))",
    # "0-2", "18~65": range joiners between numbers
    r"(?<=\d)[~～–—-](?=\d)",
]


def criteria_tokenizer(nlp: Language) -> Tokenizer:
    """Build the tokenizer for ``nlp``: scispaCy's rules plus :data:`_EXTRA_PREFIXES` and :data:`_EXTRA_INFIXES`."""
    with warnings.catch_warnings():
        # scispaCy's suffix classes compile with a harmless "Possible set union" FutureWarning
        warnings.simplefilter("ignore", FutureWarning)
        tokenizer = combined_rule_tokenizer(nlp)
    tokenizer.prefix_search = compile_prefix_regex(_EXTRA_PREFIXES + combined_rule_prefixes()).search
    scispacy_infixes = tokenizer.infix_finditer.__self__.pattern
    tokenizer.infix_finditer = compile_infix_regex(_EXTRA_INFIXES + [scispacy_infixes]).finditer
    return tokenizer


@spacy.registry.tokenizers("criteria_parser.tokenizer.v1")
def create_tokenizer():
    """Registry entry: ``[nlp.tokenizer] @tokenizers = "criteria_parser.tokenizer.v1"``."""
    return criteria_tokenizer
