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

from .matching import MatchingGrammar


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


def quantity(value: float, unit: str, grammar: MatchingGrammar) -> pint.Quantity:
    """``value unit`` as a pint quantity.

    Raises:
        UnitMismatch: pint cannot read the unit.
    """
    parsed = _parse(grammar.pint_units.get(unit, unit))
    if parsed is None:
        raise UnitMismatch(f"unit '{unit}' is not understood")
    try:
        return value * parsed  # scaled units (1e9 / L) need this form
    except pint.errors.OffsetUnitCalculusError:
        return _registry().Quantity(value, parsed.units)  # offset units (degC) this one


@lru_cache(maxsize=None)
def _parse(expression: str) -> Optional[pint.Quantity]:
    """A pint unit expression, read once; None if pint cannot read it."""
    try:
        return _registry().parse_expression(expression)
    except (pint.errors.PintError, SyntaxError, TypeError, AttributeError, ValueError, AssertionError):
        return None


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
    source, goal = grammar.pint_units.get(unit, unit), grammar.pint_units.get(target, target)
    for expression, written in ((source, unit), (goal, target)):
        if _parse(expression) is None:
            raise UnitMismatch(f"unit '{written}' is not understood")
    factor = _factor(source, goal, molar_mass)
    if factor is None:
        bridge = "" if molar_mass else " (no molar mass known to bridge mass and substance)"
        raise UnitMismatch(f"{display_unit(unit, grammar)} cannot be converted to {display_unit(target, grammar)}{bridge}")
    return value * factor


@lru_cache(maxsize=None)
def _factor(source: str, target: str, molar_mass: Optional[float]) -> Optional[float]:
    """How many ``target`` one ``source`` is (through the molar mass if needed); None if they do not convert."""
    given, goal = _parse(source), _parse(target)
    candidates = [given]
    if molar_mass:
        mass = _registry().Quantity(molar_mass, "g/mol")
        candidates += [given / mass, given * mass]
    for candidate in candidates:
        if candidate.dimensionality == goal.dimensionality:
            try:
                return float((candidate / goal).to("dimensionless").magnitude)
            except pint.errors.PintError:  # offset units (degC) have no factor
                return None
    return None


def is_time(unit: Optional[str], grammar: MatchingGrammar) -> bool:
    """Whether ``unit`` measures time."""
    if not unit:
        return False
    try:
        return quantity(1.0, unit, grammar).dimensionality == _registry().parse_expression("day").dimensionality
    except UnitMismatch:
        return False
