"""Parse records into listings: Markdown unescaped, spans moved back to the stored text, structured fields added."""

from __future__ import annotations

from typing import Optional, Union

from ...model import Listing
from ...parser import Parser
from ...document.source import SourceText
from .markdown import unescape
from .record import Failure, Record
from .structured import add_structured


def parse_records(parser: Parser, records: list[Record]) -> list[Union[tuple[Record, Listing], Failure]]:
    """Parse a batch through ``nlp.pipe``; a record the parser fails on becomes a failure, the rest go on."""
    prepared = [_prepare(record) for record in records]
    sources = [SourceText(text, record.source, list(record.warnings)) for record, (text, _) in zip(records, prepared)]
    listings: list[Union[Listing, Exception]] = []
    while len(listings) < len(sources):
        try:  # parse_many yields in order, so an exception belongs to the record after the last yielded
            listings.extend(parser.parse_many(sources[len(listings):], assume_inclusion=True))
        except Exception as exc:  # noqa: BLE001 - reported as that record's failure; the rest go on
            listings.append(exc)
    results: list[Union[tuple[Record, Listing], Failure]] = []
    for record, (_, offsets), listing in zip(records, prepared, listings):
        try:
            if isinstance(listing, Exception):
                raise listing
            results.append((record, _finish(record, listing, offsets)))
        except Exception as exc:  # noqa: BLE001 - reported as the record's failure
            results.append(Failure(record.id, record.source, f"parser failed: {type(exc).__name__}: {exc}"))
    return results


def _prepare(record: Record) -> tuple[str, Optional[list[int]]]:
    return unescape(record.text) if record.escaped else (record.text, None)


def _finish(record: Record, listing: Listing, offsets: Optional[list[int]]) -> Listing:
    if offsets is not None:
        _remap(listing, offsets)
    trial = listing.trial
    trial.nct_id = record.id
    trial.title = record.title or trial.title
    trial.sponsor = record.sponsor or trial.sponsor
    trial.status = record.status or trial.status
    trial.phase = record.phase or trial.phase
    trial.conditions = record.conditions or trial.conditions
    trial.sex = record.sex or trial.sex
    listing.source = record.source
    add_structured(listing, record)
    return listing


def _remap(listing: Listing, offsets: list[int]) -> None:
    """Move every span from the unescaped text to the escaped text the record holds."""
    def move(node: object, start: str = "start", end: str = "end") -> None:
        s, e = getattr(node, start), getattr(node, end)
        setattr(node, start, offsets[s])
        setattr(node, end, offsets[e - 1] + 1 if e > s else offsets[s])

    for section in listing.sections:
        move(section)
        for criterion in section.walk():
            move(criterion)
            for excerpt in criterion.exceptions:
                move(excerpt)
            for constraint in criterion.constraints:
                move(constraint)
                move(constraint, "text_start", "text_end")
                for flag in constraint.flags:
                    move(flag)
