"""Unit conversion: UCUM codes read by ucumvert's UCUM grammar into pint, with the matching grammar's own rules.

Units are UCUM codes; a patient file may also use the clinical spellings of ``matching.json``'s ``unit_aliases``
("K/uL" is ``10*3/uL``, "mEq/L" is ``meq/L``). ucumvert (a parser of the full UCUM grammar, its units defined for
pint) reads every code, so no unit is guessed from its look. On top of plain factors:

- mass <-> substance concentrations convert through the analyte's molar mass;
- equivalents <-> moles through the ion's charge (``equivalent_charges``: 1 mEq of calcium is 0.5 mmol);
- conversions no factor gives are affine lines per analyte (``affine_conversions``: HbA1c % (NGSP) to mmol/mol
  (IFCC) by the master equation);
- units whose arbitrary parts differ never convert ([IU] is no count of copies, ``{1.73_m2}`` is a clearance per
  body surface, not mL/min), and neither do two different dimensionless units (% is no mmol/mol but through the
  analyte's line).

Anything else that does not convert raises :class:`UnitMismatch` with a sentence saying why, so the matcher answers
``unknown`` instead of a wrong answer.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Callable, Optional

import pint

from .matching import MatchingGrammar

#: The arbitrary parts of a UCUM code: annotations ``{...}`` and arbitrary units ``[IU]``, ``[arb'U]``.
_ARBITRARY = re.compile(r"\{[^}]*\}|\[[^\]]*(?:IU|U'|arb|CFU|PFU|FFU|BAU|AU|USP)[^\]]*\]")
_EQUIVALENTS = re.compile(r"(?<![A-Za-z])[munpf]?eq(?![A-Za-z])")


class UnitMismatch(ValueError):
    """Two units cannot be converted into one another (or one is not understood)."""


@lru_cache(maxsize=1)
def _ucum() -> tuple[pint.UnitRegistry, Callable[[str], pint.Quantity]]:
    """pint's application registry with ucumvert's UCUM units, and a reader of UCUM codes into it."""
    from ucumvert import UcumToPintTransformer, get_ucum_parser, parse_ucum  # only commands that compare units

    transformer = UcumToPintTransformer()  # adds the UCUM units to pint's application registry
    parser = get_ucum_parser()
    return transformer.ureg, lambda code: transformer.transform(parse_ucum(code, parser))


def _registry() -> pint.UnitRegistry:
    return _ucum()[0]


def normalize_unit(unit: Optional[str], grammar: MatchingGrammar) -> Optional[str]:
    """A unit as written -> its UCUM code (clinical spellings of ``unit_aliases`` applied, spaces trimmed)."""
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
        UnitMismatch: the unit is not a UCUM code.
    """
    parsed = _read(unit)
    if parsed is None:
        raise UnitMismatch(f"unit '{unit}' is not understood")
    try:
        return value * parsed  # scaled units (10*9/L) need this form
    except pint.errors.OffsetUnitCalculusError:
        return _registry().Quantity(value, parsed.units)  # offset units (Cel) this one


@lru_cache(maxsize=None)
def _read(unit: str) -> Optional[pint.Quantity]:
    """A UCUM code as pint reads it, read once; None if it is no UCUM code."""
    registry, read = _ucum()
    try:
        parsed = read(unit)
        return parsed if isinstance(parsed, pint.Quantity) else registry.Quantity(1)  # "{score}": annotation only
    except Exception:  # noqa: BLE001 - ucumvert and pint raise many kinds for an unreadable unit: not understood
        return None


def convert(value: float, unit: str, target: str, grammar: MatchingGrammar, molar_mass: Optional[float] = None,
            analyte: Optional[str] = None) -> float:
    """Convert ``value`` from ``unit`` to ``target``.

    Args:
        value: the number.
        unit: its UCUM unit.
        target: the UCUM unit wanted.
        grammar: the matching grammar (clinical rules on top of UCUM).
        molar_mass: g/mol of the analyte, to convert mass to substance concentrations.
        analyte: the analyte's lexicon name, for its affine conversions and its charge.

    Raises:
        UnitMismatch: the units measure different things (and nothing known about the analyte bridges them).
    """
    if unit == target:
        return value
    line = grammar.affine(analyte, unit, target)
    if line is not None:
        return line(value)
    for code in (unit, target):
        if _read(code) is None:
            raise UnitMismatch(f"unit '{code}' is not understood")
    shown = f"{display_unit(unit, grammar)} cannot be converted to {display_unit(target, grammar)}"
    if _arbitrary(unit, grammar) != _arbitrary(target, grammar):
        raise UnitMismatch(f"{shown} (they count different things)")
    if _read(unit).dimensionless and _read(target).dimensionless:
        raise UnitMismatch(f"{shown} (two ratios of different things)")
    factor = _factor(unit, target, molar_mass)
    if factor is None:
        bridge = "" if molar_mass else " (no molar mass known to bridge mass and substance)"
        raise UnitMismatch(f"{shown}{bridge}")
    converted = value * factor * _charge_factor(unit, target, analyte, grammar, shown)
    if not math.isfinite(converted):
        raise UnitMismatch(f"{value:g} {display_unit(unit, grammar)} is too large to convert")
    return converted


def _arbitrary(unit: str, grammar: MatchingGrammar) -> frozenset[str]:
    """The arbitrary parts of a code that change what it counts (not the ``count_annotations``: {cells})."""
    return frozenset(part for part in _ARBITRARY.findall(unit) if part not in grammar.count_annotations)


def _charge_factor(unit: str, target: str, analyte: Optional[str], grammar: MatchingGrammar, shown: str) -> float:
    """How many moles one equivalent is for the analyte (UCUM counts an equivalent as a mole), when only one side is
    in equivalents."""
    source, goal = bool(_EQUIVALENTS.search(unit)), bool(_EQUIVALENTS.search(target))
    if source == goal:
        return 1.0
    charge = grammar.equivalent_charges.get(analyte or "")
    if charge is None:
        raise UnitMismatch(f"{shown} (the charge of {analyte or 'the analyte'} is not known)")
    return 1 / charge if source else float(charge)


@lru_cache(maxsize=None)
def _factor(unit: str, target: str, molar_mass: Optional[float]) -> Optional[float]:
    """How many ``target`` one ``unit`` is (through the molar mass if needed); None if they do not convert."""
    given, goal = _read(unit), _read(target)
    candidates = [given]
    if molar_mass:
        mass = _registry().Quantity(molar_mass, "g/mol")
        candidates += [given / mass, given * mass]
    for candidate in candidates:
        if candidate.dimensionality == goal.dimensionality:
            try:
                return float((candidate / goal).to("dimensionless").magnitude)
            except pint.errors.PintError:  # offset units (Cel) have no factor
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
