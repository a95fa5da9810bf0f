"""What every input reader yields: a trial record to parse, or a failure to report."""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from dataclasses import dataclass, field, fields
from typing import Iterable, Iterator, Optional, Union


@dataclass
class Record:
    """One trial as read from an input, before parsing.

    ``text`` is the criteria text exactly as the input holds it (after XML or
    CSV decoding); the stored spans point into it. ``escaped`` says the text
    uses Markdown escapes (``\\>=``) that are removed before parsing.
    """

    id: str
    source: str
    format: str
    text: str
    escaped: bool = False
    title: Optional[str] = None
    sponsor: Optional[str] = None
    status: Optional[str] = None
    phase: Optional[str] = None
    conditions: list[str] = field(default_factory=list)
    sex: Optional[str] = None
    minimum_age: Optional[str] = None
    maximum_age: Optional[str] = None
    healthy_volunteers: Optional[bool] = None
    std_ages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What was odd about the input the record came from ("decoded as Windows-1252"), for its model."""

    @cached_property
    def text_hash(self) -> str:
        """SHA-256 of everything parsed from the record (not where it was read from, nor how it was decoded:
        the text says that); travels with the record."""
        content = [getattr(self, f.name) for f in fields(self) if f.name not in ("source", "warnings")]
        return hashlib.sha256(json.dumps(content).encode("utf-8")).hexdigest()


@dataclass
class Failure:
    """A record (or a whole input) that could not be read or parsed."""

    id: Optional[str]
    source: str
    reason: str


Item = Union[Record, Failure]


def with_warnings(items: Iterable[Item], warnings: list[str]) -> Iterator[Item]:
    """``items``, each record carrying ``warnings`` (about the input they were read from)."""
    for item in items:
        if warnings and isinstance(item, Record):
            item.warnings = [*warnings, *item.warnings]
        yield item
