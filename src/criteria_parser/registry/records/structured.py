"""Turn a registry's structured eligibility fields (sex, minimum and maximum age) into constraints.

The constraints sit in one criterion labelled ``registry`` of the inclusion
section; they are not in the criteria text, so their spans are empty (0, 0)
and each carries a ``structured_field`` flag saying which field it came from.
Their subjects are the lexicon's ``age`` and ``sex`` concepts, with no words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from ...grammar.loader import load_grammars
from ...model import Comparator, Constraint, ConstraintKind, Criterion, Flag, FlagKind, Listing, Section, SectionKind
from .record import Record

_SEXES = {"female": "female", "male": "male"}
LABEL = "registry"


@lru_cache(maxsize=1)
def _age_units() -> tuple[re.Pattern[str], dict[str, str]]:
    """How a structured age field reads ("18 Years"), and the UCUM code of each of its units: the
    ``registry_age_units`` of listing.json, coded by the time units of units.jsonl."""
    grammars = load_grammars()
    codes = {form.lower(): unit.ucum for unit in grammars.units if unit.dimension == "time" for form in unit.forms}
    units = {word: codes[word] for word in grammars.listing.registry_age_units}
    words = "|".join(map(re.escape, units))
    return re.compile(rf"^\s*(\d+(?:\.\d+)?)\s*({words})s?\s*$", re.IGNORECASE), units


def age_constraint(field_name: str, value: Optional[str], comparator: Comparator) -> Optional[Constraint]:
    """``minimumAge: 18 Years`` as ``age >= 18 a``; None for "N/A", empty or unreadable values."""
    pattern, units = _age_units()
    match = pattern.match(value or "")
    if not match:
        return None
    number, unit_text = float(match.group(1)), match.group(2)
    unit = units[unit_text.lower()]
    understood = f"age {comparator.value} {number:g} {unit}"
    return _constraint(field_name, value, understood, kind=ConstraintKind.THRESHOLD, subject="age",
                       comparator=comparator, value=number, unit=unit, unit_text=unit_text)


def sex_constraint(value: Optional[str]) -> Optional[Constraint]:
    """``sex: FEMALE`` as ``sex = female``; None for all sexes or no value."""
    category = _SEXES.get((value or "").strip().lower())
    if category is None:
        return None
    return _constraint("sex", value, f"sex = {category}", kind=ConstraintKind.CATEGORY, subject="sex",
                       comparator=Comparator.EQ, category=category)


def _constraint(field_name: str, written_value: Optional[str], understood: str, **fields) -> Constraint:
    written = f"{field_name}: {written_value}"
    entry = next((e for e in load_grammars().lexicon if e.name == fields["subject"]), None)
    if entry is not None:
        fields.update(subject_concept=entry.id, subject_code=entry.code)
    flag = Flag(kind=FlagKind.STRUCTURED_FIELD, read=written, understood=understood, start=0, end=0,
                rule=f"structured.{field_name}")
    return Constraint(**fields, start=0, end=0, text=written, text_start=0, text_end=0, flags=[flag],
                      rule=f"structured.{field_name}")


def add_structured(listing: Listing, record: Record) -> None:
    """Append the record's structured constraints to the listing's inclusion section (made if missing)."""
    constraints = [c for c in (
        sex_constraint(record.sex),
        age_constraint("minimumAge", record.minimum_age, Comparator.GE),
        age_constraint("maximumAge", record.maximum_age, Comparator.LE),
    ) if c is not None]
    if not constraints:
        return
    for group, constraint in enumerate(constraints):
        constraint.group = group  # each field must hold: "18 to 65 years" is both limits, not either
    criterion = Criterion(label=LABEL, text="; ".join(c.text for c in constraints), start=0, end=0,
                          constraints=constraints)
    inclusion = next((s for s in listing.sections if s.kind == SectionKind.INCLUSION.value), None)
    if inclusion is None:
        inclusion = Section(kind=SectionKind.INCLUSION, heading="", start=0, end=0)
        listing.sections.insert(0, inclusion)
    inclusion.criteria.append(criterion)
    listing.number_criteria()  # by position: the criteria before it keep their ids
    for number, constraint in enumerate(constraints, 1):
        constraint.id = f"{criterion.id}.c{number}"
