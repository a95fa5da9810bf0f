"""Parser output against the saved gold, constraint by constraint and field by field.

Pairs and scored fields are those of :mod:`criteria_parser.curation.scoring`, so the
diff shows exactly what ``criteria-parser eval`` counts. Every difference is
a :class:`Change` the curator may take (the gold gets the parser's value) or
refuse (the gold stays): a differing field of a paired constraint, a gold
constraint the parser no longer finds (taking it deletes it from the gold) or
a constraint only the parser finds (taking it adds it); entities likewise
(``n0`` a gold entity the parser no longer finds, ``a0`` one only the parser
finds, ``t0.entity`` one whose type or concept differs). Taking the ``entity`` a
constraint limits points the gold constraint at the gold entity with the
parser's span, added first when the gold has none. Changes are named by
position (``p3.unit``, ``m0``, ``e1``), which the gold file's fingerprint keeps
stable between showing the diff and applying it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Optional

from .scoring import (CONSTRAINT_FIELDS, criteria_by_label, entity_key, label_sort_key, pair_constraints,
                      render_field)
from ..model import Constraint, Criterion, Entity, Listing
from ..export.highlight import describe, describe_entity

#: The model fields behind each scored field of :data:`~criteria_parser.curation.scoring.CONSTRAINT_FIELDS`.
MODEL_FIELDS: dict[str, tuple[str, ...]] = {
    "kind": ("kind",), "subject": ("subject", "subject_concept", "subject_code", "open_subject"),
    "subject_span": ("subject_start", "subject_end", "subject_text"), "entity": ("entity",), "comparator": ("comparator",),
    "value": ("value", "value_high", "category"), "unit": ("unit",), "relative_limit": ("relative_to",),
    "time_window": ("direction", "anchor"), "qualifier": ("qualifier",), "role": ("role",),
    "logic_group": ("group",), "flags": ("flags",), "span": ("start", "end"),
}


@dataclass
class Change:
    """One difference the curator can take or refuse."""

    id: str
    field: str
    gold: Optional[str]
    parsed: Optional[str]


@dataclass
class Entry:
    """A gold constraint, a parsed one, or a pair, with their differences."""

    section: str
    criterion: str
    text: str
    start: int
    gold: Optional[Constraint | Entity]
    parsed: Optional[Constraint | Entity]
    changes: list[Change] = field(default_factory=list)
    same: list[tuple[str, Optional[str]]] = field(default_factory=list)


def diff(parsed: Listing, gold: Listing) -> list[Entry]:
    """Every constraint of either listing, disagreements first, each group in text order."""
    entries = []
    gold_criteria, parsed_criteria = criteria_by_label(gold), criteria_by_label(parsed)
    keys = sorted(set(gold_criteria) | set(parsed_criteria), key=lambda k: (k[0], label_sort_key(k[1])))
    counters = {"p": 0, "m": 0, "e": 0, "n": 0, "a": 0, "t": 0}
    for key in keys:
        g_crit = gold_criteria[key][0] if key in gold_criteria else None
        p_crit = parsed_criteria[key][0] if key in parsed_criteria else None
        g_cons = g_crit.constraints if g_crit else []
        p_cons = p_crit.constraints if p_crit else []
        pairs, missed, extra = pair_constraints(g_cons, p_cons)
        for g, p in pairs:
            entry = Entry(key[0], key[1], g.text, g.text_start, g, p)
            number = _next(counters, "p")
            for name, read in CONSTRAINT_FIELDS.items():
                if read(g, g_crit) == read(p, p_crit):
                    entry.same.append((name, render_field(name, g, g_crit)))
                else:
                    entry.changes.append(Change(f"p{number}.{name}", name, render_field(name, g, g_crit),
                                                render_field(name, p, p_crit)))
            entries.append(entry)
        entries.extend(_entity_entries(key, g_crit, p_crit, counters))
        for g in missed:
            entries.append(Entry(key[0], key[1], g.text, g.text_start, g, None,
                                 [Change(f"m{_next(counters, 'm')}", "constraint", describe(g), None)]))
        for p in extra:
            entries.append(Entry(key[0], key[1], p.text, p.text_start, None, p,
                                 [Change(f"e{_next(counters, 'e')}", "constraint", None, describe(p))]))
    return sorted(entries, key=lambda e: (not e.changes, e.start))


def _entity_entries(key: tuple[str, str], gold: Optional[Criterion], parsed: Optional[Criterion],
                    counters: dict[str, int]) -> list[Entry]:
    """The entities of one criterion that differ: by span (only one side has it), or by type or concept."""
    g_ents = {(e.start, e.end): e for e in (gold.entities if gold else [])}
    p_ents = {(e.start, e.end): e for e in (parsed.entities if parsed else [])}
    found = []
    for span in sorted(g_ents.keys() | p_ents.keys()):
        g, p = g_ents.get(span), p_ents.get(span)
        if g is not None and p is not None:
            if entity_key(g) != entity_key(p):
                found.append(Entry(key[0], key[1], g.text, g.start, g, p, [Change(
                    f"t{_next(counters, 't')}.entity", "entity", describe_entity(g), describe_entity(p))]))
        elif g is not None:
            found.append(Entry(key[0], key[1], g.text, g.start, g, None,
                               [Change(f"n{_next(counters, 'n')}", "entity", describe_entity(g), None)]))
        else:
            found.append(Entry(key[0], key[1], p.text, p.start, None, p,
                               [Change(f"a{_next(counters, 'a')}", "entity", None, describe_entity(p))]))
    return found


def _next(counters: dict[str, int], kind: str) -> int:
    counters[kind] += 1
    return counters[kind] - 1


def take(parsed: Listing, gold: Listing, taken: set[str]) -> tuple[Listing, list[str]]:
    """A copy of ``gold`` with the parser's side of every change in ``taken``.

    Returns:
        The new gold (validated again) and the ids in ``taken`` that name no change that can be taken.

    Raises:
        pydantic.ValidationError: the changes taken make a constraint invalid (a range's high value without its low).
    """
    new = gold.model_copy(deep=True)
    criteria = criteria_by_label(new)
    parsed_criteria = criteria_by_label(parsed)
    applied = set()
    for entry in diff(parsed, new):
        for change in entry.changes:
            if change.id not in taken:
                continue
            criterion = criteria[(entry.section, entry.criterion)][0] \
                if (entry.section, entry.criterion) in criteria else None
            if isinstance(entry.gold or entry.parsed, Entity):
                if criterion is None:
                    continue
                _take_entity(criterion, entry.gold, entry.parsed)
                applied.add(change.id)
                continue
            constraints = criterion.constraints if criterion is not None else None
            if entry.gold is not None and entry.parsed is not None and change.field == "entity":
                entry.gold.entity = _gold_entity(criterion, parsed_criteria, entry, entry.parsed.entity)
            elif entry.gold is not None and entry.parsed is not None:
                for name in MODEL_FIELDS[change.field]:
                    setattr(entry.gold, name, copy.deepcopy(getattr(entry.parsed, name)))
            elif entry.gold is not None:
                constraints[:] = [c for c in constraints if c is not entry.gold]
            elif constraints is not None:
                added = entry.parsed.model_copy(deep=True)
                added.id = criterion.next_id("c")
                added.entity = _gold_entity(criterion, parsed_criteria, entry, entry.parsed.entity)
                constraints.append(added)
                constraints.sort(key=lambda c: (c.text_start, c.start))
            else:
                continue
            applied.add(change.id)
    return Listing.model_validate(new.model_dump()), sorted(taken - applied)


def _take_entity(criterion: Criterion, gold: Optional[Entity], parsed: Optional[Entity]) -> None:
    """The parser's side of an entity change: its type and concept, the entity added, or the gold one removed
    (and no constraint pointing at it any more)."""
    if gold is not None and parsed is not None:
        for name in ("type", "concept", "name", "code"):
            setattr(gold, name, getattr(parsed, name))
    elif gold is not None:
        criterion.entities[:] = [e for e in criterion.entities if e is not gold]
        for constraint in criterion.constraints:
            if constraint.entity == gold.id:
                constraint.entity = None
    else:
        _add_entity(criterion, parsed)


def _add_entity(criterion: Criterion, parsed: Entity) -> Entity:
    """The parser's entity added to the gold criterion (or the gold one already there with its span and type)."""
    same = next((e for e in criterion.entities if (e.start, e.end, e.type) == (parsed.start, parsed.end, parsed.type)),
                None)
    if same is not None:
        return same
    added = parsed.model_copy(update={"id": criterion.next_id("e")})
    criterion.entities.append(added)
    criterion.entities.sort(key=lambda e: (e.start, -e.end))
    return added


def _gold_entity(criterion: Criterion, parsed_criteria: dict, entry: Entry, parsed_id: Optional[str]) -> Optional[str]:
    """The id of the gold entity with the span of the parser's entity ``parsed_id`` (added when missing)."""
    if parsed_id is None:
        return None
    parsed_criterion = parsed_criteria[(entry.section, entry.criterion)][0]
    return _add_entity(criterion, next(e for e in parsed_criterion.entities if e.id == parsed_id)).id
