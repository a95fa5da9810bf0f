"""Screening: load a listing (text or parsed JSON), compile its plan once, and screen patients against it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from pydantic import ValidationError

from ..errors import InputError, validation_problem
from ..model import Listing

if TYPE_CHECKING:  # pint and the checks load only when a command needs them
    from .patients import Patient
    from .plan import ListingPlan
    from .screen import MatchResult


def load_listing(path: Path, grammars: Optional[Path] = None) -> Listing:
    """A listing from a text file (parsed) or from the JSON the ``parse`` command writes."""
    if path.suffix.lower() == ".json":
        try:
            return Listing.model_validate_json(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(str(path), f"cannot read: {exc.strerror}") from None
        except ValidationError as exc:
            raise InputError(str(path), f"not a parsed listing: {validation_problem(exc)}") from None
    from ..parser import Parser

    return Parser(grammars).parse_file(path)


def plan_for(listing: Listing, grammars: Optional[Path] = None) -> "ListingPlan":
    """Compile ``listing`` with the (packaged or given) grammars."""
    from .compiler import compile_listing
    from ..grammar.loader import load_grammars
    from ..grammar.matching import load_matching_grammar

    return compile_listing(listing, load_grammars(grammars), load_matching_grammar(grammars))


def screen_patient(plan: "ListingPlan", patient: "Patient", grammars: Optional[Path] = None) -> "MatchResult":
    """One patient against a compiled plan: the patient's facts for it, then every criterion's answer."""
    from .facts import build_facts
    from .screen import assess
    from ..grammar.loader import load_grammars
    from ..grammar.matching import load_matching_grammar

    matching = load_matching_grammar(grammars)
    facts = build_facts(patient, plan, load_grammars(grammars), matching)
    return assess(plan, facts, matching, patient.id, patient.screening_date().date().isoformat())


def screen_files(listing: Listing, patient_paths: list[Path], grammars: Optional[Path] = None) -> list["MatchResult"]:
    """Every patient file (JSON or a FHIR Bundle) against ``listing``, whose plan is compiled once for all."""
    from .patient_files import load_patient

    plan = plan_for(listing, grammars)
    return [screen_patient(plan, load_patient(path), grammars) for path in patient_paths]
