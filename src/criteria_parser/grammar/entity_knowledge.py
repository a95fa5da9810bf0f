"""What the entity model's features know of drugs and concepts, read from ``grammars/``.

- ``drug_stems.jsonl``: word endings of drug names (the WHO INN stems: "-mab", "-platin"), one rule a line;
- ``drug_names.txt``: drug names of DrugBank's open vocabulary (``scripts/build_drug_names.py`` writes it);
- ``matching.json``: the treatment classes (drawn from the WHO ATC index) with their members, and the concepts
  (conditions, treatments) the matcher answers criteria with.

Lines are validated as every grammar's are (``file:line: problem``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Optional

from pydantic import Field

from ..errors import GrammarError
from .loader import Rule, _read_jsonl
from .matching import load_matching_grammar


class DrugStem(Rule):
    """A word ending that marks a drug name; ``group``: the kind of drug the stem names."""

    suffix: str = Field(pattern=r"^[a-z]{3,}$")
    group: str


@dataclass(frozen=True)
class EntityKnowledge:
    """Drug stems, drug names and typed phrases for the gazetteer features of ``criteria_entities``.

    ``phrases`` maps a phrase to its class: ``member`` (a drug or procedure of a treatment class), ``class`` (a
    treatment class's name) or a concept's kind (``condition``, ``treatment``, ``confirmation``).
    """

    drug_stems: tuple[DrugStem, ...]
    drug_names: frozenset[str]  # lower case, tokens joined by one space
    phrases: tuple[tuple[str, str], ...]


def load_entity_knowledge(directory: Optional[Path] = None) -> EntityKnowledge:
    """Read the three sources (the packaged grammars unless ``directory`` is given), once per process.

    Raises:
        GrammarError: a file is missing or a line is invalid.
    """
    if directory is None:
        with resources.as_file(resources.files("criteria_parser.grammars")) as path:
            return _read(Path(path), packaged=True)
    return _read(Path(directory).resolve(), packaged=False)


@lru_cache(maxsize=None)
def _read(directory: Path, packaged: bool) -> EntityKnowledge:
    stems = directory / "drug_stems.jsonl"
    names = directory / "drug_names.txt"
    for path in (stems, names):
        if not path.is_file():
            raise GrammarError(f"{path}: grammar file missing")
    matching = load_matching_grammar(None if packaged else directory)
    phrases = [(member, "member") for c in matching.treatment_classes for member in c.members]
    phrases += [(c.name, "class") for c in matching.treatment_classes]
    phrases += [(phrase, c.kind) for c in matching.concepts for phrase in c.phrases]
    lines = names.read_text(encoding="utf-8").splitlines()
    return EntityKnowledge(
        drug_stems=tuple(_read_jsonl(stems, DrugStem, {})),  # type: ignore[arg-type]
        drug_names=frozenset(line for line in lines if line and not line.startswith("#")),
        phrases=tuple(phrases))
