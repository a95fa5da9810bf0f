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

Importing pint and reading ucumvert's UCUM units into it takes 0.8 s, more than ``match`` on a parsed listing may
take in all. So pint's answers for the units the grammars name (is a code readable, a ratio, a time; how many of
one unit another is) ship in ``ucum_answers.json``, computed by pint with the versions it names
(``python -m criteria_parser.grammar.units`` writes it again); pint is loaded only for a question the file does not
answer, or when other versions of pint or ucumvert are installed.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.metadata import version
from typing import TYPE_CHECKING, Callable, Optional

from .loader import Grammars, load_grammars
from .matching import MatchingGrammar, load_matching_grammar

if TYPE_CHECKING:
    import pint

#: The arbitrary parts of a UCUM code: annotations ``{...}`` and arbitrary units ``[IU]``, ``[arb'U]``.
_ARBITRARY = re.compile(r"\{[^}]*\}|\[[^\]]*(?:IU|U'|arb|CFU|PFU|FFU|BAU|AU|USP)[^\]]*\]")
_EQUIVALENTS = re.compile(r"(?<![A-Za-z])[munpf]?eq(?![A-Za-z])")


class UnitMismatch(ValueError):
    """Two units cannot be converted into one another (or one is not understood)."""


@lru_cache(maxsize=1)
def _ucum() -> tuple["pint.UnitRegistry", Callable[[str], "pint.Quantity"]]:
    """pint's application registry with ucumvert's UCUM units, and a reader of UCUM codes into it."""
    from ucumvert import UcumToPintTransformer, get_ucum_parser, parse_ucum  # only commands that compare units

    transformer = UcumToPintTransformer()  # adds the UCUM units to pint's application registry
    parser = get_ucum_parser()
    return transformer.ureg, lambda code: transformer.transform(parse_ucum(code, parser))


def _registry() -> "pint.UnitRegistry":
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


def quantity(value: float, unit: str, grammar: MatchingGrammar) -> "pint.Quantity":
    """``value unit`` as a pint quantity.

    Raises:
        UnitMismatch: the unit is not a UCUM code.
    """
    import pint

    parsed = _read(unit)
    if parsed is None:
        raise UnitMismatch(f"unit '{unit}' is not understood")
    try:
        return value * parsed  # scaled units (10*9/L) need this form
    except pint.errors.OffsetUnitCalculusError:
        return _registry().Quantity(value, parsed.units)  # offset units (Cel) this one


@lru_cache(maxsize=None)
def _read(unit: str) -> Optional["pint.Quantity"]:
    """A UCUM code as pint reads it, read once; None if it is no UCUM code."""
    import pint

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
        if _code(code) is None:
            raise UnitMismatch(f"unit '{code}' is not understood")
    shown = f"{display_unit(unit, grammar)} cannot be converted to {display_unit(target, grammar)}"
    if _arbitrary(unit, grammar) != _arbitrary(target, grammar):
        raise UnitMismatch(f"{shown} (they count different things)")
    if _code(unit).dimensionless and _code(target).dimensionless:
        raise UnitMismatch(f"{shown} (two ratios of different things)")
    factor = _answers().factors.get((unit, target, molar_mass), _UNKNOWN)
    if factor is _UNKNOWN:
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
    """How many ``target`` one ``unit`` is (through the molar mass if needed), by pint; None if they do not
    convert."""
    import pint

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
    code = _code(unit) if unit else None
    return code is not None and code.time


@dataclass(frozen=True)
class CodeFacts:
    """What the matcher asks pint of a UCUM code it reads."""

    dimensionless: bool
    time: bool


#: A question ``ucum_answers.json`` does not answer.
_UNKNOWN = object()


def _code(unit: str) -> Optional[CodeFacts]:
    """The facts of a UCUM code, None if it is none: from ``ucum_answers.json``, else from pint."""
    known = _answers().codes.get(unit, _UNKNOWN)
    return _pint_code(unit) if known is _UNKNOWN else known


@lru_cache(maxsize=None)
def _pint_code(unit: str) -> Optional[CodeFacts]:
    parsed = _read(unit)
    if parsed is None:
        return None
    return CodeFacts(bool(parsed.dimensionless), parsed.dimensionality == _registry().parse_expression("day").dimensionality)


@dataclass(frozen=True)
class Answers:
    """pint's answers, as ``ucum_answers.json`` holds them: facts by code, factors by (unit, target, molar mass)."""

    codes: dict[str, Optional[CodeFacts]]
    factors: dict[tuple[str, str, Optional[float]], Optional[float]]


def _versions() -> dict[str, str]:
    return {"pint": version("pint"), "ucumvert": version("ucumvert")}


@lru_cache(maxsize=1)
def _answers() -> Answers:
    """The shipped answers when they were computed with the pint and ucumvert installed, else none."""
    data = json.loads(resources.files(__package__).joinpath("ucum_answers.json").read_text(encoding="utf-8"))
    if data["versions"] != _versions():
        return Answers({}, {})
    codes = {code: None if facts is None else CodeFacts(**facts) for code, facts in data["codes"].items()}
    return Answers(codes, {(unit, target, mass): factor for unit, target, mass, factor in data["factors"]})


def compute_answers(grammars: Grammars, matching: MatchingGrammar) -> dict:
    """pint's answers for every UCUM code the grammars name (units, repairs, the lexicon's units and plausible
    ranges, the matching grammar's aliases, canonical and display units), and the factors between each and every
    lexicon unit (through that analyte's molar mass) and between each time unit and the canonical time unit."""
    codes = {u.ucum for u in grammars.units} | {c for r in grammars.unit_repairs for c in r.candidates}
    for entry in grammars.lexicon:
        codes |= set(entry.plausible) | ({entry.unit} if entry.unit else set())
    codes |= set(matching.unit_aliases.values()) | set(matching.canonical_units.values()) | set(matching.display_units)
    facts = {code: _pint_code(code) for code in sorted(codes)}
    readable = [code for code, fact in facts.items() if fact is not None]
    day = matching.canonical_units["time"]
    pairs = {(code, entry.unit, entry.molar_mass) for entry in grammars.lexicon if entry.unit for code in readable}
    pairs |= {pair for code in readable if facts[code].time for pair in ((code, day, None), (day, code, None))}
    factors = [[unit, target, mass, _stored_factor(unit, target, mass)] for unit, target, mass in sorted(pairs, key=str)
               if unit != target and not (facts.get(unit) and facts.get(target)
                                          and facts[unit].dimensionless and facts[target].dimensionless)]
    return {"versions": _versions(),
            "codes": {code: None if fact is None else vars(fact) for code, fact in facts.items()},
            "factors": [row for row in factors if row[3] is not _UNKNOWN]}


def _stored_factor(unit: str, target: str, molar_mass: Optional[float]) -> object:
    """:func:`_factor` (None: they do not convert), or ``_UNKNOWN`` where pint raises: such a pair is not stored, so
    pint is asked again and raises there as before."""
    try:
        return _factor(unit, target, molar_mass)
    except Exception:  # noqa: BLE001 - pint's offset units (Cel) refuse a molar mass
        return _UNKNOWN


def _lines(answers: dict) -> str:
    """The answers as JSON, one code or factor a line (diffs read line by line)."""
    def dump(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    codes = ",\n".join(f"  {dump(code)}: {dump(facts)}" for code, facts in answers["codes"].items())
    factors = ",\n".join(f"  {dump(row)}" for row in answers["factors"])
    return f'{{"versions": {dump(answers["versions"])},\n "codes": {{\n{codes}}},\n "factors": [\n{factors}]}}\n'


if __name__ == "__main__":  # python -m criteria_parser.grammar.units: write ucum_answers.json again
    answers = compute_answers(load_grammars(), load_matching_grammar())
    path = resources.files(__package__).joinpath("ucum_answers.json")
    with resources.as_file(path) as file:
        file.write_text(_lines(answers), encoding="utf-8")
    print(f"{file}: {len(answers['codes'])} codes, {len(answers['factors'])} factors", file=sys.stderr)
