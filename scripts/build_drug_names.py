"""Write ``grammars/drug_names.txt``: drug names of DrugBank's open vocabulary, one a line, for the entity model.

    .venv/bin/pip install drug-named-entity-recognition==2.0.9   # build-time only, not a dependency
    .venv/bin/python scripts/build_drug_names.py

The names come from the dictionary that the ``drug-named-entity-recognition`` package (Fast Data Science, MIT)
ships (``drug_ner_dictionary.pkl.bz2``): every spelling it lists for an entry with a DrugBank id (DrugBank Open
Data, CC0: common names, synonyms, brand names). Entries without a DrugBank id (MeSH headings of proteins and
organisms, Wikipedia-only names) are left out. A name is kept in the form our tokenizer gives it (lower case,
tokens joined by one space), of one to three tokens, at least four characters, with a letter in each token; the
lines are sorted, so the same package version writes the same bytes.
"""

from __future__ import annotations

import bz2
import importlib.util
import pickle
import re
from importlib.metadata import version
from pathlib import Path

from criteria_parser.lct.training import blank_pipeline

PACKAGE = "drug_named_entity_recognition"
VERSION = "2.0.9"
OUTPUT = Path(__file__).resolve().parents[1] / "grammars" / "drug_names.txt"
_WORD = re.compile(r"[^\W_]*[^\W\d_][^\W_]*(?:-[^\W_]+)*")  # has a letter; letters, digits, inner hyphens
HEADER = f"""\
# Drug names for the features of criteria_entities (one lower-case name a line, tokens joined by one space).
# Source: DrugBank Open Data vocabulary (CC0), as shipped in the PyPI package drug-named-entity-recognition
# {VERSION} (Fast Data Science, MIT): every spelling of an entry with a DrugBank id. Rebuild:
# scripts/build_drug_names.py (names of 1-3 tokens, 4+ characters, a letter in each token; sorted).
"""


def names() -> list[str]:
    """The names, tokenized, filtered and sorted."""
    found = version(PACKAGE.replace("_", "-"))
    if found != VERSION:
        raise SystemExit(f"build_drug_names: needs {PACKAGE} {VERSION}, found {found}")
    data = Path(importlib.util.find_spec(PACKAGE).origin).parent / "drug_ner_dictionary.pkl.bz2"
    with bz2.open(data, "rb") as handle:
        dictionary = pickle.load(handle)
    drugbank = {name for name, entry in dictionary["drug_canonical_to_data"].items() if "drugbank_id" in entry}
    tokenizer = blank_pipeline().tokenizer
    kept = set()
    for spelling, canonical in dictionary["drug_variant_to_canonical"].items():
        if not drugbank.intersection(canonical):
            continue
        tokens = [t.lower_ for t in tokenizer(spelling)]
        name = " ".join(tokens)
        if 1 <= len(tokens) <= 3 and len(name) >= 4 and all(_WORD.fullmatch(t) for t in tokens):
            kept.add(name)
    return sorted(kept)


def main() -> None:
    lines = names()
    OUTPUT.write_text(HEADER + "".join(f"{name}\n" for name in lines), encoding="utf-8")
    print(f"{OUTPUT}: {len(lines)} names")


if __name__ == "__main__":
    main()
