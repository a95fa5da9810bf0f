"""Parser output against the saved gold, constraint by constraint and field by field.

Pairs and scored fields are those of :mod:`criteria_parser.curation.scoring`, so the
diff shows exactly what ``criteria-parser eval`` counts. Every difference is
a :class:`Change` the curator may take (the gold gets the parser's value) or
refuse (the gold stays): a differing field of a paired constraint, a gold
constraint the parser no longer finds (taking it deletes it from the gold) or
a constraint only the parser finds (taking it adds it). Changes are named by
position (``p3.unit``, ``m0``, ``e1``), which the gold file's fingerprint keeps
stable between showing the diff and applying it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Optional

from .scoring import CONSTRAINT_FIELDS, criteria_by_label, label_sort_key, pair_constraints, render_field
from ..model import Constraint, Listing
from ..export.highlight import describe

#: The model fields behind each scored field of :data:`~criteria_parser.curation.scoring.CONSTRAINT_FIELDS`.
MODEL_FIELDS: dict[str, tuple[str, ...]] = {
    "kind": ("kind",), "subject": ("subject",), "comparator": ("comparator",),
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
    gold: Optional[Constraint]
    parsed: Optional[Constraint]
    changes: list[Change] = field(default_factory=list)
    same: list[tuple[str, Optional[str]]] = field(default_factory=list)


def diff(parsed: Listing, gold: Listing) -> list[Entry]:
    """Every constraint of either listing, disagreements first, each group in text order."""
    entries = []
    gold_criteria, parsed_criteria = criteria_by_label(gold), criteria_by_label(parsed)
    keys = sorted(set(gold_criteria) | set(parsed_criteria), key=lambda k: (k[0], label_sort_key(k[1])))
    counters = {"p": 0, "m": 0, "e": 0}
    for key in keys:
        g_cons = gold_criteria[key][0].constraints if key in gold_criteria else []
        p_cons = parsed_criteria[key][0].constraints if key in parsed_criteria else []
        pairs, missed, extra = pair_constraints(g_cons, p_cons)
        for g, p in pairs:
            entry = Entry(key[0], key[1], g.text, g.text_start, g, p)
            number = _next(counters, "p")
            for name, read in CONSTRAINT_FIELDS.items():
                if read(g) == read(p):
                    entry.same.append((name, render_field(name, g)))
                else:
                    entry.changes.append(Change(f"p{number}.{name}", name, render_field(name, g), render_field(name, p)))
            entries.append(entry)
        for g in missed:
            entries.append(Entry(key[0], key[1], g.text, g.text_start, g, None,
                                 [Change(f"m{_next(counters, 'm')}", "constraint", describe(g), None)]))
        for p in extra:
            entries.append(Entry(key[0], key[1], p.text, p.text_start, None, p,
                                 [Change(f"e{_next(counters, 'e')}", "constraint", None, describe(p))]))
    return sorted(entries, key=lambda e: (not e.changes, e.start))


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
    applied = set()
    for entry in diff(parsed, new):
        for change in entry.changes:
            if change.id not in taken:
                continue
            constraints = criteria[(entry.section, entry.criterion)][0].constraints \
                if (entry.section, entry.criterion) in criteria else None
            if entry.gold is not None and entry.parsed is not None:
                for name in MODEL_FIELDS[change.field]:
                    setattr(entry.gold, name, copy.deepcopy(getattr(entry.parsed, name)))
            elif entry.gold is not None:
                constraints[:] = [c for c in constraints if c is not entry.gold]
            elif constraints is not None:
                constraints.append(entry.parsed.model_copy(deep=True))
                constraints.sort(key=lambda c: (c.text_start, c.start))
            else:
                continue
            applied.add(change.id)
    return Listing.model_validate(new.model_dump()), sorted(taken - applied)
