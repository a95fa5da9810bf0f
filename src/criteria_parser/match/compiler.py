"""Compile a parsed listing into its match plan (:mod:`.plan`): one check per criterion, its sub-items included.

The criterion tree and how each criterion's own limits combine are read here (constraint groups, doses, exceptions,
the sex a criterion names); the check of one limit by :mod:`.limits`, dose limits by :mod:`.doses`, windows before
an anchor by :mod:`.windows`, criteria without limits by :mod:`.concepts`, and what the words do not back by
:mod:`.guards`.
"""

from __future__ import annotations

import re

from dataclasses import replace
from typing import Iterator, Optional, Union

from .clause_checks import ClauseChecks
from .concepts import ConceptReader, located
from .doses import DoseReader
from .guards import Guards, unsure
from .limits import LimitReader
from .plan import (
    Agreeing, AllOf, AnyOf, AtLeastUnknown, AtMostUnknown, Check, Compare, ConceptCheck, CriterionPlan,
    DoseLimit, EventWindow, ListingPlan, Negated, TreatmentWindow, Unknown, Unless, VariableRegistry,
    intervals_apart, slug,
)
from .windows import WindowReader
from ..grammar.clauses import clause_around
from ..grammar.loader import Grammars
from ..grammar.matching import MatchingGrammar
from ..model import Comparator, Constraint, ConstraintKind, Criterion, Entity, Listing, Section

#: The sexes a criterion's person entities may name (as the registry's sex field does).
SEXES = ("female", "male")


class Compiler:
    """Turns a listing's criteria into checks, using the lexicon and the matching grammar."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar) -> None:
        self.grammars = grammars
        self.matching = matching
        self.lexicon = {entry.name: entry for entry in grammars.lexicon}
        self.variables = VariableRegistry(matching)
        self.guards = Guards(grammars, matching)
        self.windows = WindowReader(grammars, matching, self.variables)
        self.concepts = ConceptReader(grammars, matching, self.variables, self.guards)
        self.limits = LimitReader(grammars, matching, self.variables, self.guards, self.windows)
        self.doses = DoseReader(grammars, matching, self.variables)
        self.clauses = ClauseChecks(self.concepts, self.limits.constraint)
        self.index: set[str] = set()  # the concepts the listing's own conditions name ("NSCLC": malignancy)

    def compile(self, listing: Listing) -> ListingPlan:
        """Checks for every criterion of ``listing``."""
        plan = ListingPlan(listing, self.matching)
        self.index = self.matching.finder.index_concepts(listing.trial.conditions)
        for section in listing.sections:
            for top in section.criteria:
                plan.criteria.extend(self.criterion(section, top, top_level=True).walk())
        plan.variables = dict(sorted(self.variables.known.items()))
        return plan

    def criterion(self, section: Section, criterion: Criterion, top_level: bool = False,
                  applies: Optional[str] = None) -> CriterionPlan:
        """The plan of one criterion, its children included (``applies``: why a parent applies to some patients only,
        which holds for its sub-items too)."""
        # a criterion whose parts name the condition they depend on applies to every patient: its checks say when
        # (its sub-items, which the model does not link to it, still apply to some patients only)
        inherited = applies or self.guards.applies(criterion.text)
        applies = (applies or self.guards.cohort_only(criterion.text)) if self.clauses.structured(criterion) else inherited
        own = self._own(section, criterion)
        if own is not None and section.kind == "inclusion" and _excepts(own):
            own = AtLeastUnknown(own, "an exception in an inclusion relaxes it: failing the rest is unknown")
        if own is not None:
            own = self.guards.partly(section, criterion, own)
        if own is not None and applies:
            own = unsure(section.kind, own, applies, fails=True)
        if own is not None and section.kind == "exclusion":
            own = self._not_the_index(own)
        children = [self.criterion(section, child, applies=inherited) for child in criterion.children]
        # sub-items of an exclusion are reasons to exclude each on its own unless the text says "all"; the parser
        # marks only "any", so in an exclusion its "all" is no more than the default
        either = criterion.logic in ("any", "at_least") or section.kind == "exclusion"
        if not children:
            check = own
            if own is None:
                # an exclusion's exceptions are substituted in its limits' checks only: on concepts, at most unknown
                handled = self.clauses.handled(section, criterion) if section.kind == "inclusion" else ()
                check = self.concepts.read(section, criterion, self._entity_condition(section, criterion),
                                           tuple(handled))
                check = unsure(section.kind, check, applies, fails=True) if applies else check
                check = self._not_the_index(check) if section.kind == "exclusion" else check
        else:
            parts = tuple(child.check for child in children)
            combined: Check = AnyOf(parts) if either else AllOf(parts)
            if criterion.logic == "at_least" and (criterion.logic_count or 1) > 1:
                combined = self.clauses.at_least(parts, criterion.logic_count)
            # an exclusion's own line and its sub-items: "X, or any of the following" are alternatives, "X within 6
            # months: any of the following" one condition; the text does not say which, so "all" and "any" must agree
            joined = Agreeing((own, combined)) if section.kind == "exclusion" else AllOf((own, combined))
            check = combined if own is None else joined
        if not children:  # the sex a criterion names is its own check's, which FHIR states too
            gated = self._sex_named(section, criterion, check)
            own, check = (gated, gated) if gated is not check else (own, check)
        return CriterionPlan(section.kind, criterion.label, criterion.text, check, top_level, criterion, own,
                             children, bool(children) and either)

    def _sex_named(self, section: Section, criterion: Criterion, check: Check) -> Check:
        """``check`` of a criterion that names one sex only (its person entities: "Adult females 18 years or older",
        "Women with hemoglobin < 10 g/dL"), for a patient of that sex; for one of the other sex an exclusion is not
        met (it excludes those it names) and an inclusion unknown: the sex may be what it asks ("adult females") or
        whom it asks it of ("women of childbearing potential must agree to ..."). The sex is read as the registry's
        (``sex = female``), at the words that name it."""
        named = {e.name: e for e in criterion.entities if e.type == "person" and e.name in SEXES}
        if len(named) != 1 or isinstance(check, Unknown):
            return check
        (sex, entity), = named.items()
        if not self._names_whom(criterion, entity):
            return check
        said = Constraint(kind=ConstraintKind.CATEGORY, subject="sex", comparator=Comparator.EQ, category=sex,
                          start=entity.start, end=entity.end, text=entity.text, text_start=entity.start,
                          text_end=entity.end, rule="match.sex_named")
        same = self.limits.constraint(said, criterion)
        if section.kind == "exclusion":
            return AllOf((same, check))
        other = Unknown(f"'{entity.text}': for a patient of another sex the criterion may ask the sex or not apply")
        return AnyOf((AllOf((same, check)), AllOf((Negated(same, entity.text), other))))

    def _names_whom(self, criterion: Criterion, entity: Entity) -> bool:
        """Whether a sex the criterion names says whom it is about: named in its first clause, outside brackets,
        conditions and exceptions ("Women who are pregnant", "For females only: ..."; not "... [multiply by 0.85 if
        female]", "(for women of childbearing age)")."""
        low, high = located(criterion, entity)
        before = criterion.text[:low]
        if high == 0 or before.count("(") > before.count(")") or before.count("[") > before.count("]"):
            return False
        if any(item.start <= entity.start < item.end for item in (*criterion.clauses, *criterion.exceptions)):
            return False
        end = clause_around(self.grammars, criterion.text, 0)[1]
        # "Pregnant or lactating, or male patients whose partners ...": a sex named right after "or", with words
        # before it, names one alternative of the criterion, not whom all of it is about ("lactating women" does)
        alternative = re.search(r"(?:^|\W)(?:%s)\W*$" % "|".join(
            re.escape(cue) for cue in self.grammars.cue_phrases("alternative")), before, re.IGNORECASE)
        if alternative is not None and re.search(r"\w", before[:alternative.start()]):
            return False
        # "Women who are pregnant or anyone with HIV": someone else named beside the sex, who may be of either sex
        return low < end and not self.matching.cue_in(criterion.text[high:end], self.matching.other_person_cues)

    def _not_the_index(self, check: Check) -> Check:
        """An exclusion's check kept from ``met`` when it reads a concept the trial's own condition is one of ("prior
        malignancy within 3 years" in a lung cancer trial): the record does not tell the index condition from a
        prior one."""
        named = next((name for name in _concepts_read(check) if name in self.index), None)
        if named is None:
            return check
        return AtMostUnknown(check, f"the trial's own condition is also a {named}: a person must tell the patient's "
                                    f"index condition from a prior one")

    def _entity_condition(self, section: Section, criterion: Criterion):
        """What wraps the check of an entity that depends on a condition clause."""
        return lambda entity, check: self.clauses.conditional(section, criterion, entity.condition, check, False)

    def _own(self, section: Section, criterion: Criterion) -> Optional[Check]:
        conditions = [c for c in criterion.constraints if c.role == "condition"
                      and not self.guards.timing_rule(c, criterion)  # the site's timing: no fact
                      and not _counts(criterion, c)]
        exceptions = [c for c in criterion.constraints if c.role == "exception"]
        if not conditions:
            return None
        doses = [c for c in exceptions if c.kind == "dose" and c.subject]
        dose = self.doses.limit(doses[0], criterion.exceptions) if doses else None
        compiled: list[tuple[Constraint, Union[Check, DoseLimit]]] = []
        for constraint in conditions:
            limit = self.doses.condition(constraint, criterion)
            compiled.append((constraint, limit if limit is not None else self.limits.constraint(constraint, criterion)))
        asked = {c.subject: check for c, check in compiled if isinstance(check, DoseLimit)}
        windows = {c.subject for c, check in compiled if isinstance(check, TreatmentWindow)}
        groups: dict[int, list[Check]] = {}
        checks: dict[str, Check] = {}  # constraint id -> its check, for the model's logic tree
        used_dose = False
        for constraint, check in compiled:
            if isinstance(check, DoseLimit):
                if constraint.subject in windows:
                    continue  # the dose a window asks for: checked per treatment with the window
                check = self.doses.ongoing(constraint, check)
            elif isinstance(check, TreatmentWindow) and constraint.subject in asked:
                check = replace(check, dose=asked[constraint.subject])
            if isinstance(check, TreatmentWindow) and dose is not None:
                check = replace(check, exception=dose)
                used_dose = True
            if isinstance(check, TreatmentWindow) and not self._members_known(check.treatment_class):
                check = replace(check, listed=False)
            if isinstance(check, (TreatmentWindow, EventWindow)):
                check = _washout(check, self.matching)
            groups.setdefault(constraint.group, []).append(check)
            checks[constraint.id or ""] = check
        parts = tuple(g[0] if len(g) == 1 else AnyOf(tuple(g)) for _, g in sorted(groups.items()))
        result: Check = parts[0] if len(parts) == 1 else AllOf(parts)
        if len(parts) > 1 and (self._or_between_groups(criterion, conditions)
                               or _exclusive_values(parts, self.matching) or _table(parts) or _same_bounds(parts)):
            result = Agreeing(parts)  # "A (x < 90) or B (y > 170)" read as separate groups: "all" is not sure
        handled = self.clauses.handled(section, criterion)
        if criterion.tree is not None or criterion.clauses:  # the model's clause structure (schema 2.1)
            result = self._from_tree(section, criterion, checks, parts, result)
        substituted = {c.id for x in handled for c in criterion.constraints if c.id in x.parts}
        rest = [c for c in exceptions if not (used_dose and c.kind == "dose" and c is doses[0])
                and c.id not in substituted]
        if rest:
            result = Unless(result, tuple(self.limits.constraint(c, criterion) for c in rest))
        for excerpt in criterion.exceptions:
            if excerpt not in handled and not any(excerpt.start <= c.text_start < excerpt.end for c in exceptions):
                result = AtMostUnknown(result, f"an exception cannot be checked: '{excerpt.text}'")
        return result

    def _from_tree(self, section: Section, criterion: Criterion, checks: dict[str, Check], parts: tuple[Check, ...],
                   grouped: Check) -> Check:
        """The check of the criterion's logic tree; ``grouped`` (the groups' reading) where the tree holds no
        check, or joins with "all" what the groups found unclear (an "or" between the words of two groups, values
        that cannot all hold: "Age ≥ 60 years. Patients aged < 60 years ... may be eligible", a table of limits by
        age)."""
        tree = self.clauses.tree(section, criterion, checks)
        if tree is None:  # every limit is in a clause: a condition, a permission, an exception
            permission = next((c for c in criterion.clauses if c.kind == "permission"), None)
            if permission is not None:
                return self.concepts.permission(section, criterion, permission)
            if criterion.clauses:
                return Unknown(f"the limits say whom or when it applies to ('{criterion.clauses[0].text}'); what "
                               "it asks has no limit")
            return grouped
        if isinstance(tree, AllOf) and isinstance(grouped, Agreeing):  # "or" between groups, values apart, a table
            return grouped
        return tree

    def _members_known(self, treatment_class: str) -> bool:
        """Whether the matching grammar lists what counts as the class, or the class is one named drug."""
        entry = next((e for e in self.lexicon.values() if slug(e.name) == treatment_class), None)
        return (entry is not None and entry.category == "drug") or any(
            slug(c.name) == treatment_class for c in self.matching.treatment_classes)

    def _or_between_groups(self, criterion: Criterion, conditions: list[Constraint]) -> bool:
        """Whether an alternative cue ("or") stands between the words of two groups of the criterion: between the
        end of one and the start of the next, or, when the first one's words run into the next ("creatinine and /
        or BUN ≥ 1.5 × ULN"), between their starts."""
        spans: dict[int, tuple[int, int]] = {}
        for c in conditions:
            start, end = located(criterion, c)
            low, high = spans.get(c.group, (start, end))
            spans[c.group] = (min(low, start), max(high, end))
        ordered = sorted(spans.values())
        between = (criterion.text[a_end if a_end <= b_start else a_start:b_start]
                   for (a_start, a_end), (b_start, _) in zip(ordered, ordered[1:]))
        return any(self.concepts.alternatives(words) for words in between)

def _concepts_read(check: Check) -> Iterator[str]:
    """The names of the conditions and concepts a check reads, its parts' included."""
    if isinstance(check, (ConceptCheck, EventWindow)):
        yield check.variable.subject
    for part in (*getattr(check, "parts", ()), *getattr(check, "exceptions", ())):
        yield from _concepts_read(part)
    for name in ("part", "condition"):
        if getattr(check, name, None) is not None:
            yield from _concepts_read(getattr(check, name))


def _washout(window: Union[TreatmentWindow, EventWindow], matching: MatchingGrammar) -> Check:
    """A window bounded from below ("major surgery at least 28 days before the first dose") is a washout: none of it
    inside the time, whatever came before (no surgery at all meets it). Compiled as not the window inside it."""
    allowed = matching.interval(window.comparator, window.days)
    if allowed is None or allowed[0] <= 0 or allowed[2] != float("inf"):
        return window
    inside = next(name for name, forms in matching.comparators.items()
                  if forms.test == ("lt" if allowed[1] else "le"))
    return Negated(replace(window, comparator=inside), f"at least {window.shown}")


def _counts(criterion: Criterion, constraint: Constraint) -> bool:
    """Whether a constraint is the count of sub-items the criterion's words state ("at least *two* of the
    following": ``logic_cue``), not a limit."""
    cue = criterion.logic_cue
    return cue is not None and cue.start <= constraint.start < cue.end


def _excepts(check: Check) -> bool:
    """Whether a check holds an exception (:class:`Unless`)."""
    if isinstance(check, Unless):
        return True
    return isinstance(check, (AtMostUnknown, AtLeastUnknown)) and _excepts(check.part)


def _table(parts: tuple[Check, ...]) -> bool:
    """Whether more than two groups read one variable: a table of limits by age or sex ("Age 1 to < 2 years: 0.6;
    Age 2 to < 6 years: 0.8 ..."), whose rows are alternatives, not all required."""
    groups: dict[str, set[int]] = {}
    for index, part in enumerate(parts):
        for check in part.parts if isinstance(part, AnyOf) else (part,):
            if isinstance(check, Compare):
                groups.setdefault(check.variable.path, set()).add(index)
    return any(len(indices) > 2 for indices in groups.values())


def _same_bounds(parts: tuple[Check, ...]) -> bool:
    """Whether two groups bound one variable from the same side at different values ("BMI > 25 kg/m² to > 40 kg/m²",
    a range written as two lower bounds): both together say no more than the stricter one, so "all" is likely a
    misreading."""
    seen: dict[tuple[str, str], set[tuple[int, float]]] = {}
    for index, part in enumerate(parts):
        for check in part.parts if isinstance(part, AnyOf) else (part,):
            if not isinstance(check, Compare) or check.value is None or check.reference or check.value_high is not None:
                continue
            side = {">": "low", ">=": "low", "<": "high", "<=": "high"}.get(check.comparator)
            if side is None:
                continue
            seen.setdefault((check.variable.path, side), set()).add((index, check.value))
    return any(len({i for i, _ in found}) > 1 and len({v for _, v in found}) > 1 for found in seen.values())


def _exclusive_values(parts: tuple[Check, ...], matching: MatchingGrammar) -> bool:
    """Whether two groups ask one variable for values that cannot both hold: two different "=" values ("ASA 1 or 2
    (ASA 1 meaning ... and ASA 2 meaning ...)") or ranges apart ("Age ≥ 60 years. Patients aged < 60 years who
    are unsuitable ... may be eligible"): "all" is then a misreading."""
    seen: dict[str, list[tuple[int, tuple]]] = {}
    for index, part in enumerate(parts):
        for check in part.parts if isinstance(part, AnyOf) else (part,):
            if not isinstance(check, Compare) or check.value is None or check.reference:
                continue
            allowed = matching.interval(check.comparator, check.value, check.value_high)
            if allowed is None:
                continue
            for other, interval in seen.get(check.variable.path, []):
                if other != index and intervals_apart(allowed, interval):
                    return True
            seen.setdefault(check.variable.path, []).append((index, allowed))
    return False


def compile_listing(listing: Listing, grammars: Grammars, matching: MatchingGrammar) -> ListingPlan:
    """Checks for every criterion of ``listing`` (see :class:`Compiler`)."""
    return Compiler(grammars, matching).compile(listing)
