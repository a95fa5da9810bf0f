"""The ``match`` and ``export-rules`` commands: a patient against a listing, and rules for other engines."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from pydantic import ValidationError

from .errors import CriteriaParserError, InputError
from .model import Listing

if TYPE_CHECKING:  # pint and the checks load only when a command needs them
    from .checks import ListingPlan


class MatchFormat(str, Enum):
    text = "text"
    json = "json"


class RulesFormat(str, Enum):
    jsonlogic = "jsonlogic"
    fhir = "fhir"


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
    from .parser import Parser

    return Parser(grammars).parse_file(path)


def plan_for(listing: Listing, grammars: Optional[Path] = None) -> "ListingPlan":
    """Compile ``listing`` with the (packaged or given) grammars."""
    from .checks import compile_listing
    from .grammar import load_grammars
    from .matching_grammar import load_matching_grammar

    return compile_listing(listing, load_grammars(grammars), load_matching_grammar(grammars))


def run_match(listing: Listing, patient_path: Path, grammars: Optional[Path] = None):
    """Match one patient file against ``listing``; returns the :class:`~.matcher.MatchResult`."""
    from .checks import compile_listing
    from .facts import build_facts
    from .grammar import load_grammars
    from .matcher import match
    from .matching_grammar import load_matching_grammar
    from .patients import load_patient

    patient = load_patient(patient_path)
    lexicon, matching = load_grammars(grammars), load_matching_grammar(grammars)
    plan = compile_listing(listing, lexicon, matching)
    facts = build_facts(patient, plan, lexicon, matching)
    return match(plan, facts, matching, patient.id, patient.screening_date().date().isoformat())


def match_command(
    listing: Path = typer.Argument(..., help="A listing (.txt), or the JSON written by 'parse'."),
    patients: list[Path] = typer.Argument(..., help="Patient JSON files or FHIR R4 Bundles."),
    format: MatchFormat = typer.Option(MatchFormat.text, "--format", "-f", help="text (a screening note) or json."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout."),
    grammars: Optional[Path] = typer.Option(None, "--grammars", help="Use this grammar directory."),
) -> None:
    """Check patients against a listing: met / not met / unknown per criterion, and eligibility."""
    from .cli import emit, fail
    from .screening_note import render_note

    try:
        parsed = load_listing(listing, grammars)
        results = [run_match(parsed, path, grammars) for path in patients]
    except CriteriaParserError as exc:
        fail(str(exc))
    if format is MatchFormat.json:
        body = [r.model_dump(mode="json") for r in results]
        chunks = [json.dumps(body[0] if len(body) == 1 else body, indent=2, ensure_ascii=False) + "\n"]
    else:
        chunks = ["\n".join(render_note(r) for r in results)]
    try:
        emit(chunks, output)
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror}")


def export_rules_command(
    listing: Path = typer.Argument(..., help="A listing (.txt), or the JSON written by 'parse'."),
    format: RulesFormat = typer.Option(..., "--format", "-f", help="jsonlogic, or fhir (R5 EvidenceVariable + ResearchStudy)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout."),
    grammars: Optional[Path] = typer.Option(None, "--grammars", help="Use this grammar directory."),
) -> None:
    """Export a listing's criteria as rules for other engines: JsonLogic or FHIR R5."""
    from .cli import emit, fail

    try:
        parsed = load_listing(listing, grammars)
        if format is RulesFormat.jsonlogic:
            from .export_jsonlogic import export_jsonlogic

            document = export_jsonlogic(plan_for(parsed, grammars))
        else:
            from .export_fhir import export_fhir
            from .grammar import load_grammars

            document = export_fhir(parsed, load_grammars(grammars))
    except CriteriaParserError as exc:
        fail(str(exc))
    try:
        emit([json.dumps(document, indent=2, ensure_ascii=False) + "\n"], output)
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror}")
