"""A criterion's clause structure as checks (model 2.1): its logic tree, the conditions its parts depend on, the
exceptions that substitute a limit or exempt, and the assertions of its constraints.

Read from the model, never from the raw text (issue 10):

- the **tree** (``Criterion.tree``) joins the checks of its constraints: ``all`` is :class:`.plan.AllOf`, ``any``
  :class:`.plan.AnyOf`, ``at_least`` n the any of every n of them; members with no check (an entity, a dose a
  window checks) drop out;
- a **negated** constraint (a cue outside its own words: "no stroke within 6 months") is :class:`.plan.Negated`;
- a part that depends on a **condition** clause (``condition``) holds only when the condition does: in an ``any``
  node, or in an exclusion, it is "condition and part" ("creatinine ≤ 1.5 × ULN OR (creatinine > 1.5 × ULN and
  CrCl ≥ 60)"); elsewhere in an inclusion it is "not condition, or part" (false condition: the check is skipped;
  unknown condition: the answer is the part's when it holds, else unknown);
- an **exception** of an inclusion substitutes what it says for what it excepts: a different limit L under its own
  condition E ("AST ≤ 3 × ULN, except liver metastases: AST ≤ 5 × ULN") is "(R and L) or (E and L) or (not E and
  R)" (the first part is implied by the others and lets Kleene logic answer when both limits hold), a limit with
  no condition of its own ("creatinine ≤ 1.5 mg/dL unless CrCl ≥ 60 mL/min") "R or L", an exemption ("except
  Gilbert's syndrome") "E or R"; an exemption whose words no concept knows is unknown in place of E;
- an **exception** of an exclusion is a way out of it: a limit under its own condition substitutes as in an
  inclusion ("ALT > 3 × ULN, except in liver metastases ALT > 5 × ULN": excluded at 6 × ULN, with metastases or
  without); a limit with no condition of its own, or an exemption, is "R and not E" ("creatinine > 1.5 mg/dL
  unless CrCl ≥ 60 mL/min", "hemoglobin < 9 g/dL, except patients with thalassemia"); but where R counts events
  of the record (a window on treatments or conditions: "radiotherapy within 4 weeks, except palliative
  radiotherapy within 2 weeks"), a patient with E may have another event R counts, so E met makes R at most
  unknown, never cleared (a wrong answer is worse than unknown). A dose a window lets pass ("except prednisone
  < 10 mg/d") is the window's own, checked per treatment.
"""

from __future__ import annotations

from itertools import combinations
from typing import Callable, Optional, Union

from .concepts import ConceptReader
from .plan import AllOf, AnyOf, AtMostUnknown, Check, EventWindow, Negated, TreatmentWindow, Unknown
from ..model import Clause, Constraint, Criterion, CriterionException, LogicNode, Section

#: The most members an ``at_least`` node expands into the any of its combinations.
MAX_AT_LEAST = 8


class ClauseChecks:
    """Builds the checks of a criterion's clause structure from the checks of its constraints."""

    def __init__(self, concepts: ConceptReader, constraint: Callable[[Constraint, Criterion], Check]) -> None:
        self.concepts = concepts
        self.constraint = constraint

    def tree(self, section: Section, criterion: Criterion, checks: dict[str, Check]) -> Optional[Check]:
        """The check of ``criterion.tree`` over ``checks`` (constraint id -> its check), or None when no member of
        the tree has a check."""
        if criterion.tree is None:
            return None
        return self._node(section, criterion, criterion.tree, checks, inside_any=False)

    def structured(self, criterion: Criterion) -> bool:
        """Whether the model says whom or when the criterion's parts apply to (a part depends on a condition)."""
        return any(item.condition for item in (*criterion.constraints, *criterion.entities))

    def handled(self, section: Section, criterion: Criterion) -> list[CriterionException]:
        """The exceptions the tree substitutes (with what they except; in an exclusion, not the dose a window lets
        pass, which the window checks per treatment)."""
        def dosed(exception: CriterionException) -> bool:
            limits = [c for c in criterion.constraints if c.id in exception.parts]
            return exception.substitutes == "limit" and all(c.kind == "dose" for c in limits)
        return [x for x in criterion.exceptions if x.excepts and x.substitutes
                and not (section.kind == "exclusion" and dosed(x))]

    def _node(self, section: Section, criterion: Criterion, node: LogicNode, checks: dict[str, Check],
              inside_any: bool) -> Optional[Check]:
        any_node = node.logic in ("any", "at_least")
        parts = [p for p in (self._member(section, criterion, m, checks, any_node) for m in node.members)
                 if p is not None]
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        if node.logic == "at_least":
            return self.at_least(tuple(parts), node.count or 1)
        return AnyOf(tuple(parts)) if node.logic == "any" else AllOf(tuple(parts))

    @staticmethod
    def at_least(parts: tuple[Check, ...], count: int) -> Check:
        """At least ``count`` of ``parts``: the any of every ``count`` of them (Kleene logic answers it exactly)."""
        count = min(count, len(parts))
        if count <= 1:
            return AnyOf(parts)
        if len(parts) > MAX_AT_LEAST:
            return Unknown(f"at least {count} of {len(parts)} parts: too many to check")
        return AnyOf(tuple(AllOf(combo) for combo in combinations(parts, count)))

    def _member(self, section: Section, criterion: Criterion, member: Union[str, LogicNode],
                checks: dict[str, Check], inside_any: bool) -> Optional[Check]:
        if not isinstance(member, str):
            return self._node(section, criterion, member, checks, inside_any)
        check = checks.get(member)
        constraint = next((c for c in criterion.constraints if c.id == member), None)
        if check is None or constraint is None:
            return None
        if _negated(constraint) and not isinstance(check, Unknown):
            check = Negated(check, next(a.cue for a in constraint.assertions if a.kind == "negated"))
        for exception in self.handled(section, criterion):
            if member in exception.excepts:
                check = self._substitute(criterion, exception, check, section.kind == "exclusion")
        if constraint.condition:
            check = self.conditional(section, criterion, constraint.condition, check, inside_any)
        return check

    def conditional(self, section: Section, criterion: Criterion, clause_id: str, check: Check,
                    inside_any: bool) -> Check:
        """``check`` where it applies only when the clause ``clause_id`` holds (module docstring)."""
        clause = next(c for c in criterion.clauses if c.id == clause_id)
        condition = self.condition(criterion, clause)
        if inside_any or section.kind == "exclusion":
            return AllOf((condition, check))
        return AnyOf((Negated(condition, clause.cue.text), check))

    def condition(self, criterion: Criterion, clause: Clause) -> Check:
        """Whether a condition clause holds for the patient: its constraints' and its entities' checks, joined as
        its logic's top node says (unknown when none can be checked)."""
        checks = [check for check in (self._part(criterion, part) for part in clause.parts) if check is not None]
        if not checks:
            return Unknown(f"the condition '{clause.text}' cannot be checked")
        if len(checks) == 1:
            return checks[0]
        either = clause.logic is not None and clause.logic.logic == "any"
        return AnyOf(tuple(checks)) if either else AllOf(tuple(checks))

    def _part(self, criterion: Criterion, part: str) -> Optional[Check]:
        """The check of one part of a clause: a constraint's, or the concept an entity names."""
        constraint = next((c for c in criterion.constraints if c.id == part), None)
        if constraint is not None:
            return self.constraint(constraint, criterion)
        entity = next((e for e in criterion.entities if e.id == part), None)
        return self.concepts.entity(entity) if entity is not None else None

    def _substitute(self, criterion: Criterion, exception: CriterionException, check: Check,
                    exclusion: bool = False) -> Check:
        """The excepted check ``check`` with what the exception puts in its place (an ``exclusion``'s: its way
        out; module docstring)."""
        limits = [self.constraint(c, criterion) for c in criterion.constraints if c.id in exception.parts]
        held = {c.entity for c in criterion.constraints if c.id in exception.parts}
        named = [e for e in criterion.entities if e.id in exception.parts and e.id not in held]
        exempt = [self.concepts.entity(e) or Unknown(f"'{e.text}': no concept the record can answer")
                  for e in named]
        condition = (exempt[0] if len(exempt) == 1 else AnyOf(tuple(exempt))) if exempt else None
        if exclusion and (exception.substitutes == "exemption" or not limits or condition is None):
            way_out = condition if exception.substitutes == "exemption" or not limits else \
                limits[0] if len(limits) == 1 else AllOf(tuple(limits))
            if way_out is None:
                return AtMostUnknown(check, f"an exception cannot be checked: '{exception.text}'")
            if isinstance(check, (TreatmentWindow, EventWindow)):
                way_out = AtMostUnknown(way_out, f"'{exception.text}' may be only one of the events the criterion "
                                                 "counts: another may still exclude")
            return AllOf((check, Negated(way_out, exception.cue.text if exception.cue else "except")))
        if exception.substitutes == "exemption" or not limits:
            return AnyOf((condition, check)) if condition is not None else check
        limit = limits[0] if len(limits) == 1 else AllOf(tuple(limits))
        if condition is None:
            return AnyOf((check, limit))
        cue = exception.cue.text if exception.cue else "except"
        return AnyOf((AllOf((check, limit)), AllOf((condition, limit)), AllOf((Negated(condition, cue), check))))


def _negated(constraint: Constraint) -> bool:
    """Whether a negation cue outside the constraint's own words negates it ("no stroke within 6 months"; a cue in
    its words, "not less than 1.5", is its comparator's)."""
    return any(a.kind == "negated" and not (constraint.text_start <= a.start < constraint.text_end)
               for a in constraint.assertions)

