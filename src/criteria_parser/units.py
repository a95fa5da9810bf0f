"""Unit conversion with pint, including mass <-> substance via the lexicon's molar masses.

Units are UCUM codes (or common spellings listed in ``matching.json``'s
``unit_aliases``); ``pint_units`` says how pint reads the codes it does not know.
Incompatible units raise :class:`UnitMismatch` with a sentence saying why, so the
matcher can answer ``unknown`` instead of a wrong answer.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

import pint

from .matching_grammar import MatchingGrammar


class UnitMismatch(ValueError):
    """Two units cannot be converted into one another (or one is not understood)."""


@lru_cache(maxsize=1)
def _registry() -> pint.UnitRegistry:
    return pint.UnitRegistry()


def normalize_unit(unit: Optional[str], grammar: MatchingGrammar) -> Optional[str]:
    """A unit as written -> its UCUM code (aliases applied, spaces trimmed)."""
    if unit is None or not unit.strip():
        return None
    unit = unit.strip()
    return grammar.unit_aliases.get(unit, unit)


def display_unit(unit: Optional[str], grammar: MatchingGrammar) -> str:
    """How a UCUM code is shown to people: umol/L -> µmol/L."""
    if not unit:
        return ""
    return grammar.display_units.get(unit, unit)


def _quantity(value: float, unit: str, grammar: MatchingGrammar) -> pint.Quantity:
    registry = _registry()
    try:
        return value * registry.parse_expression(grammar.pint_units.get(unit, unit))
    except (pint.errors.PintError, SyntaxError, TypeError, AttributeError, ValueError):
        raise UnitMismatch(f"unit '{unit}' is not understood") from None


def convert(value: float, unit: str, target: str, grammar: MatchingGrammar, molar_mass: Optional[float] = None) -> float:
    """Convert ``value`` from ``unit`` to ``target``.

    Args:
        value: the number.
        unit: its UCUM unit.
        target: the UCUM unit wanted.
        grammar: the matching grammar (pint spellings).
        molar_mass: g/mol of the analyte, to convert mass to substance concentrations.

    Raises:
        UnitMismatch: the units measure different things (and no molar mass bridges them).
    """
    if unit == target:
        return value
    quantity = _quantity(value, unit, grammar)
    goal = _quantity(1.0, target, grammar)
    candidates = [quantity]
    if molar_mass:
        mass = _registry().Quantity(molar_mass, "g/mol")
        candidates += [quantity / mass, quantity * mass]
    for candidate in candidates:
        if candidate.dimensionality == goal.dimensionality:
            return float((candidate / goal).to("dimensionless").magnitude)
    bridge = "" if molar_mass else " (no molar mass known to bridge mass and substance)"
    raise UnitMismatch(f"{display_unit(unit, grammar)} cannot be converted to {display_unit(target, grammar)}{bridge}")


def is_time(unit: Optional[str], grammar: MatchingGrammar) -> bool:
    """Whether ``unit`` measures time."""
    if not unit:
        return False
    try:
        return _quantity(1.0, unit, grammar).dimensionality == _registry().parse_expression("day").dimensionality
    except UnitMismatch:
        return False
