"""Criteria without limits: the conditions, treatments and confirmations they name (concepts of the matching
grammar), each answered from the record, negated, or capped at unknown when the text qualifies it or asks more
than it names (:meth:`.guards.Guards.partly`)."""

from __future__ import annotations

import re
from typing import Optional

from .guards import Guards
from .plan import Agreeing, AnyOf, AtMostUnknown, Check, ConceptCheck, Negated, Unknown, Variable, VariableRegistry, slug
from ..grammar.context import asserted, context_reader
from ..grammar.loader import Grammars
from ..grammar.matching import MatchingGrammar
from ..model import Criterion, Section


class ConceptReader:
    """Reads the concepts a criterion's text names."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar, variables: VariableRegistry,
                 guards: Guards) -> None:
        self.grammars = grammars
        self.matching = matching
        self.variables = variables
        self.guards = guards

    def read(self, section: Section, criterion: Criterion) -> Check:
        """The concepts a criterion without limits names, outside its exceptions; a stated exception makes a met
        answer unknown ('malignancy, except adequately treated skin cancer')."""
        text = criterion.text
        for excerpt in criterion.exceptions:
            start, end = max(excerpt.start - criterion.start, 0), max(excerpt.end - criterion.start, 0)
            text = text[:start] + " " * (end - start) + text[end:]
        check = self._named(section, text)
        if not isinstance(check, Unknown):
            check = self.guards.partly(section, criterion, check, text)
        for excerpt in criterion.exceptions:
            check = AtMostUnknown(check, f"an exception cannot be checked: '{excerpt.text}'")
        return check

    def _named(self, section: Section, text: str) -> Check:
        spans = self.matching.concept_spans(text)
        if not spans:
            return Unknown("not machine-checkable: no limit or known condition in the text")
        active = self.matching.has_cue(text, self.matching.active_cues)
        modifiers = context_reader(self.grammars).modifiers(text)
        checks: list[Check] = []
        for start, end, concept in spans:
            variable = self.variables.add(Variable(f"concepts.{slug(concept.name)}", "concept", concept.name,
                                               description=f"{concept.kind} '{concept.name}': "
                                               "present, inactive, absent or null"))
            check: Check = ConceptCheck(variable, active, concept.name)
            vague = self.matching.cue_in(text, self.matching.vague_time_cues)
            if vague:
                check = AtMostUnknown(check, f"'{vague}' does not say how recent: a person must check the dates")
            narrower = self._narrower(text, start)
            if narrower:
                check = AtMostUnknown(check, f"'{narrower}' may be narrower than {concept.name}: a person must check")
            if self.matching.in_example(text, start):
                check = AtMostUnknown(check, f"{concept.name} is named as an example only: a person must check")
            negation = asserted(modifiers, start, end, "NEGATED_EXISTENCE")
            if negation and not self._restates(section, negation[-1].text):
                check = Negated(check, negation[-1].text)
            hypothetical = asserted(modifiers, start, end, "HYPOTHETICAL")
            if hypothetical:  # "planned surgery", "if HBsAg positive": the record's answer is not the criterion's
                check = AtMostUnknown(check, f"'{hypothetical[0].text}' makes {concept.name} conditional or planned, "
                                             "not a fact of the record")
            checks.append(check)
        if len(checks) == 1:
            return checks[0]
        alternatives = self.alternatives(text)
        return AnyOf(tuple(checks)) if section.kind == "exclusion" and alternatives else Agreeing(tuple(checks))

    def _restates(self, section: Section, cue: str) -> bool:
        """Whether a negation cue restates an exclusion ("pregnant women | are excluded"): what it bars is what the
        exclusion is about, so it negates nothing there."""
        return section.kind == "exclusion" and any(cue.lower() == barring.lower()
                                                   for barring in self.matching.barring_cues)

    def _narrower(self, text: str, start: int) -> Optional[str]:
        """The words naming a narrower kind of the concept named at ``start`` ("breast | cancer", "anti-| cancer"):
        the word right before it, when it is one of the matching grammar's narrowing modifiers."""
        before = re.search(r"(\w+-|\w+\s+)$", text[:start])
        if before is None:
            return None
        word = before.group(1).strip()
        if not any(word.lower() == m.lower() or (m.endswith("-") and word.lower().endswith(m.lower()))
                   for m in self.matching.narrowing_modifiers):
            return None
        end = re.match(r"[\w-]+", text[start:])
        return f"{before.group(1)}{end.group() if end else ''}"

    def alternatives(self, text: str) -> bool:
        """Whether an alternative cue (\"or\") stands in ``text``."""
        return self.matching.has_cue(text, self.grammars.cue_phrases("alternative"))
