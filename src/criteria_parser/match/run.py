"""Screening: load a listing (text or parsed JSON), compile its checks, and match one patient against it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from pydantic import ValidationError

from ..errors import InputError
from ..model import Listing

if TYPE_CHECKING:  # pint and the checks load only when a command needs them
    from .plan import ListingPlan


def load_listing(path: Path, grammars: Optional[Path] = None) -> Listing:
    """A listing from a text file (parsed) or from the JSON the ``parse`` command writes."""
    if path.suffix.lower() == ".json":
        try:
            return Listing.model_validate_json(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(str(path), f"cannot read: {exc.strerror}") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InputError(str(path), f"not a parsed listing: {'.'.join(map(str, first['loc']))}: "
                             f"{first['msg']}") from None
    from ..parser import Parser

    return Parser(grammars).parse_file(path)


def plan_for(listing: Listing, grammars: Optional[Path] = None) -> "ListingPlan":
    """Compile ``listing`` with the (packaged or given) grammars."""
    from .plan import compile_listing
    from ..grammar.loader import load_grammars
    from ..grammar.matching import load_matching_grammar

    return compile_listing(listing, load_grammars(grammars), load_matching_grammar(grammars))


def run_match(listing: Listing, patient_path: Path, grammars: Optional[Path] = None):
    """Match one patient file against ``listing``; returns the :class:`~.matcher.MatchResult`."""
    from .plan import compile_listing
    from .facts import build_facts
    from ..grammar.loader import load_grammars
    from .screen import match
    from ..grammar.matching import load_matching_grammar
    from .patient_files import load_patient

    patient = load_patient(patient_path)
    lexicon, matching = load_grammars(grammars), load_matching_grammar(grammars)
    plan = compile_listing(listing, lexicon, matching)
    facts = build_facts(patient, plan, lexicon, matching)
    return match(plan, facts, matching, patient.id, patient.screening_date().date().isoformat())
