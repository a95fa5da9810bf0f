"""The lexicon's name for what a patient record names: a result, a drug, a method, a confirmation."""

from __future__ import annotations

from typing import Optional

from ..grammar.loader import Grammars, LexiconEntry


class LexiconNames:
    """Looks a record's names up in the lexicon: by LOINC code, name or synonym (any case), or abbreviation."""

    def __init__(self, grammars: Grammars) -> None:
        self.entries: dict[str, LexiconEntry] = {entry.name: entry for entry in grammars.lexicon}
        self.names: dict[str, str] = {}
        self.abbreviations: dict[str, str] = {}
        self.loinc: dict[str, str] = {}
        for entry in grammars.lexicon:
            for synonym in [entry.name, *entry.synonyms]:
                self.names.setdefault(synonym.lower(), entry.name)
            for abbreviation in entry.abbreviations:
                self.abbreviations.setdefault(abbreviation, entry.name)
            if entry.loinc:
                self.loinc.setdefault(entry.loinc, entry.name)

    def resolve(self, name: str, loinc: Optional[str] = None) -> str:
        """The lexicon name for a name or LOINC code as a record writes it; else the name, lower-cased."""
        if loinc and loinc in self.loinc:
            return self.loinc[loinc]
        name = name.strip()
        return self.names.get(name.lower()) or self.abbreviations.get(name) or name.lower()

    def entry(self, name: str) -> Optional[LexiconEntry]:
        """The lexicon entry of a lexicon name, if there is one."""
        return self.entries.get(name)
