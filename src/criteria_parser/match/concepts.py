"""Criteria without limits: the conditions, treatments and confirmations they name (concepts of the matching
grammar), each answered from the record, negated, or capped at unknown when the text qualifies it or asks more
than it names (:meth:`.guards.Guards.partly`)."""

from __future__ import annotations

import re
from typing import Callable, Optional, Union

from .guards import UNRECORDED_TYPES, Guards
from .unread import english_stop_words
from .plan import (MET, NOT_MET, UNKNOWN, Agreeing, AllOf, AnyOf, AtMostUnknown, Check, ConceptCheck, Negated, Permission, Unknown, Variable,
                   VariableRegistry, slug)
from ..grammar.context import asserted, context_reader
from ..grammar.loader import Grammars
from ..grammar.matching import MatchingGrammar
from ..model import Clause, Constraint, Criterion, Entity, Excerpt, LogicNode, Section

#: Wraps the check of an entity that depends on a condition clause (:meth:`.clause_checks.ClauseChecks.conditional`).
Conditional = Callable[[Entity, Check], Check]


class ConceptReader:
    """Reads the concepts a criterion's text names."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar, variables: VariableRegistry,
                 guards: Guards) -> None:
        self.grammars = grammars
        self.matching = matching
        self.variables = variables
        self.guards = guards

    def read(self, section: Section, criterion: Criterion, conditional: Optional[Conditional] = None,
             handled: tuple = ()) -> Check:
        """The concepts a criterion without limits names, outside its exceptions, conditions and permissions (the
        model's clauses); a stated exception makes a met answer unknown ('malignancy, except adequately treated
        skin cancer') unless it is one of ``handled`` (substituted by the caller); a criterion that only permits
        is unknown (it neither requires nor excludes). ``conditional`` wraps the check of a concept whose entity
        depends on a condition clause."""
        text = criterion.text
        for excerpt in (*criterion.exceptions, *criterion.clauses):
            start, end = located(criterion, excerpt)
            text = text[:start] + " " * (end - start) + text[end:]
        permissions = [c for c in criterion.clauses if c.kind == "permission"]
        if permissions and not self.matching.finder.concept_spans(text):
            return self.permission(section, criterion, permissions[0])
        check = self._named(section, criterion, text, conditional)
        if not isinstance(check, Unknown):
            check = self.guards.partly(section, criterion, check, text)
        for excerpt in criterion.exceptions:
            if excerpt not in handled:
                check = AtMostUnknown(check, f"an exception cannot be checked: '{excerpt.text}'")
        return check

    def permission(self, section: Section, criterion: Criterion, permission: Clause) -> Check:
        """The check of a criterion that only permits ("palliative radiotherapy ≤ 2 weeks before is allowed"). A
        permission neither requires nor excludes: in an exclusion it is never met (:class:`.plan.Permission`), but
        only when nothing else in the criterion may ask something, since a wrong answer is worse than unknown: no
        condition ("radiotherapy is permitted if completed within 5 days": what the condition leaves out is
        excluded), no restriction (``restriction`` cues: "only palliative radiotherapy is allowed"), no exception,
        no sub-items, no content word outside its permissions; else, and in an inclusion, unknown."""
        unknown = Unknown(f"'{permission.text}': a permission, which neither requires nor excludes")
        if section.kind != "exclusion" or criterion.children or criterion.exceptions or \
                any(c.kind != "permission" for c in criterion.clauses) or \
                self.matching.has_cue(criterion.text, self.grammars.cue_phrases("restriction")):
            return unknown
        rest = criterion.text
        for clause in criterion.clauses:
            start, end = located(criterion, clause)
            rest = rest[:start] + " " * (end - start) + rest[end:]
        stop = english_stop_words()
        if any(word.lower() not in stop for word in re.findall(r"[^\W\d_]+", rest)):
            return unknown
        return Permission(f"'{permission.text}': a permission, which never excludes")

    def entity(self, entity: Entity) -> Optional[Check]:
        """The check of the concept an entity names (its lexicon name, else its words; negated when the entity is),
        or None when they name none ("C virus" of "hepatitis B virus, C virus": hepatitis C)."""
        spans = self.matching.finder.concept_spans(entity.name or "") or self.matching.finder.concept_spans(entity.text)
        if not spans:
            return None
        concept = spans[0][2]
        past = any(a.kind == "historical" for a in entity.assertions)
        check: Check = ConceptCheck(self._variable(concept), MET if past else UNKNOWN, concept.name)
        negation = next((a for a in entity.assertions if a.kind == "negated"), None)
        return Negated(check, negation.cue) if negation else check

    def _future(self, concept) -> Variable:
        """The variable of a concept to come ("become pregnant"): absent only where the record rules it out."""
        return self.variables.add(Variable(f"concepts.{slug(concept.name)}_to_come", "concept_to_come", concept.name,
                                           description=f"{concept.kind} '{concept.name}' to come: absent where a sex "
                                           "or a diagnosis rules it out, else null"))

    def _variable(self, concept) -> Variable:
        return self.variables.add(Variable(f"concepts.{slug(concept.name)}", "concept", concept.name,
                                           description=f"{concept.kind} '{concept.name}': present, inactive, "
                                           "absent or null"))

    def _named(self, section: Section, criterion: Criterion, text: str,
               conditional: Optional[Conditional] = None) -> Check:
        spans = self.matching.finder.concept_spans(text)
        entities = [(e, *located(criterion, e)) for e in criterion.entities]
        if not spans:
            unchecked: Check = Unknown("not machine-checkable: no limit or known condition in the text")
            dependent = [e for e, low, high in entities if e.condition and text[low:high].strip()]
            # what applies only under a condition the record answers: skipped when the condition is false
            return conditional(dependent[0], unchecked) if dependent and conditional is not None else unchecked
        active = self.matching.has_cue(text, self.matching.active_cues)
        modifiers = context_reader(self.grammars).modifiers(text, section.kind == "exclusion",
                                                            [(start, end) for start, end, _ in spans])
        checks: list[Check] = []
        negated = 0  # how many of the checks a negation cue asserts
        for start, end, concept in spans:
            entity = next((e for e, low, high in entities if low < end and start < high), None)
            vague = self.matching.cue_in(text, self.matching.vague_time_cues)  # "recent": some time past
            inactive = NOT_MET if active else MET if vague or _past(entity, modifiers, start, end) else UNKNOWN
            check: Check = ConceptCheck(self._variable(concept), inactive, concept.name)
            if self.matching.finder.future(text, start, concept):
                check = ConceptCheck(self._future(concept), UNKNOWN, f"{concept.name} to come")  # "become pregnant"
            if vague:
                check = AtMostUnknown(check, f"'{vague}' does not say how recent: a person must check the dates")
            narrower = self._narrower(text, start)
            if narrower:
                check = AtMostUnknown(check, f"'{narrower}' may be narrower than {concept.name}: a person must check")
            if self.matching.finder.in_example(text, start):
                check = AtMostUnknown(check, f"{concept.name} is named as an example only: a person must check")
            negation, hypothetical = _assertions(entity, modifiers, start, end)
            if concept.required and section.kind == "exclusion" and not negation:
                # no exclusion excludes a consent given: the words that turn it went unread
                check = Unknown(f"{concept.name}, which trials require, in an exclusion with no words read that turn "
                                f"it: what about it excludes is not checked")
            if negation:
                check = Negated(check, negation)
                negated += 1
            if hypothetical and not (entity is not None and entity.condition):
                # "planned surgery", "if HBsAg positive": the record's answer is not the criterion's
                check = AtMostUnknown(check, f"'{hypothetical}' makes {concept.name} conditional or planned, "
                                             "not a fact of the record")
            if entity is not None and entity.condition and conditional is not None:
                check = conditional(entity, check)
            checks.append(check)
        read = [(start, end) for start, end, _ in spans]
        covered = {e.id for e, low, high in entities if any(start < high and low < end for start, end in read)}
        mates = _list_mates(criterion.tree, covered)
        listed = list(self.matching.finder.phrase_spans(text))
        for entity, low, high in entities:  # a listed item the text's concepts miss: checked by its name, or unknown
            if entity.id in covered or entity.id not in mates or entity.type not in UNRECORDED_TYPES or \
                    not text[low:high].strip() or _restated(text, low, high, read):
                continue
            after = self.matching.finder.names_else(entity.name or entity.text, text[high:])  # "diabetes | secondary to"
            check = None if after else self.entity(entity)
            checks.append(check or Unknown(f"'{entity.text}': no concept the record can answer"
                                           + (f" ('{after}' after it)" if after else "")))
            listed.append((low, high))
        # an item of the list no check reads, whether or not the model holds it as an entity: the list is unknown
        unread = self.guards.unread.list_items(text, listed)
        checks += [Unknown(f"'{item}': an item of the list no check reads") for item, _ in unread]
        if len(checks) == 1:
            return checks[0]
        alternatives = self.alternatives(text)
        if negated == len(checks):  # "No history of the following: MI, epilepsy", "no A or B": none of them
            return AllOf(tuple(checks))
        if unread and not alternatives and all(joined for _, joined in unread):
            return AllOf(tuple(checks))  # "not pregnant and willing to use contraception": every part must hold
        if any(joined for _, joined in unread):
            return Agreeing(tuple(checks))  # "and" beside "or": which joins which is unclear
        return AnyOf(tuple(checks)) if section.kind == "exclusion" and alternatives else Agreeing(tuple(checks))

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


def located(criterion: Criterion, entity: Union[Entity, Excerpt, Clause, Constraint]) -> tuple[int, int]:
    """Where an entity's, an excerpt's or a constraint's words stand in the criterion's text: at its offsets (a
    constraint's ``text_start``), else (the stored text held Markdown escapes the text here no longer has,
    "cells/mm\\^3") where its words are found nearest them; when nowhere, (0, 0), or a constraint at its offset."""
    low = (entity.text_start if isinstance(entity, Constraint) else entity.start) - criterion.start
    if criterion.text[low:low + len(entity.text)] == entity.text:
        return low, low + len(entity.text)
    found = criterion.text.find(entity.text, max(low - 8, 0))
    found = criterion.text.find(entity.text) if found < 0 else found
    if found < 0 and isinstance(entity, Constraint):
        found = max(low, 0)
    return (found, found + len(entity.text)) if found >= 0 else (0, 0)


def _assertions(entity: Optional[Entity], modifiers, start: int, end: int) -> tuple[Optional[str], Optional[str]]:
    """The cues that negate and make hypothetical a concept named at ``start``-``end``: its entity's assertions
    (the model's), else the ConText cues of the text for words no entity holds."""
    if entity is not None:
        negated = next((a.cue for a in entity.assertions if a.kind == "negated"), None)
        hypothetical = next((a.cue for a in entity.assertions if a.kind == "hypothetical"), None)
        return negated, hypothetical
    negation = asserted(modifiers, start, end, "NEGATED_EXISTENCE")
    hypothetical = asserted(modifiers, start, end, "HYPOTHETICAL")
    return (negation[-1].text if negation else None), (hypothetical[0].text if hypothetical else None)


def _past(entity: Optional[Entity], modifiers, start: int, end: int) -> bool:
    """Whether the words ask about a concept named at ``start``-``end`` in the past too ("history of", "prior"): its
    entity's historical assertion (the model's), else a ConText cue of the text."""
    if entity is not None and any(a.kind == "historical" for a in entity.assertions):
        return True
    return bool(asserted(modifiers, start, end, "HISTORICAL"))


def _list_mates(tree: Optional[LogicNode], covered: set[str]) -> set[str]:
    """The ids that share a node of the logic tree with a part in ``covered``: the other items of a list that
    names a known concept ("HBV/HCV/HIV/syphilis/TB")."""
    if tree is None:
        return set()
    own = {m for m in tree.members if isinstance(m, str)}
    mates = own if own & covered else set()
    for member in tree.members:
        if not isinstance(member, str):
            mates |= _list_mates(member, covered)
    return mates


def _restated(text: str, low: int, high: int, read: list[tuple[int, int]]) -> bool:
    """Whether the words at ``low``-``high`` restate a concept read beside them in brackets ("myocardial infarction
    (MI)", "MI (myocardial infarction)")."""
    return any(text[end:low].strip() == "(" or text[high:start].strip() == "(" for start, end in read)
