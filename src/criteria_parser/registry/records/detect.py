"""Tell the format of one input from its content (not its name) and hand it to its reader.

XML is read from its bytes (its declaration names its encoding); everything else is decoded by the one decoder
of listings (:func:`criteria_parser.document.source.decode`): UTF-8 or UTF-16 with a byte order mark, else
Windows-1252 with a warning each record of the input carries into its model; empty and binary inputs are failures.
"""

from __future__ import annotations

from typing import Iterator

from ...document.source import decode
from ...errors import InputError
from .aact_csv import is_csv, read_csv
from .ctgov_json import read_json
from .ctgov_xml import read_xml
from .record import Failure, Item, with_warnings
from .text import read_text

_BOM = b"\xef\xbb\xbf"


def read_document(name: str, data: bytes) -> Iterator[Item]:
    """Yield the records of one decompressed input: v2 JSON, legacy XML, AACT CSV or text."""
    if data.lstrip(_BOM + b" \t\r\n")[:1] == b"<":
        yield from read_xml(name, data)
        return
    try:
        source = decode(data, name)
    except InputError as exc:
        yield Failure(None, name, exc.problem)
        return
    text = source.text
    if text.lstrip("\ufeff \t\r\n")[:1] in ("{", "["):
        items = read_json(name, text)
    elif is_csv(text):
        items = read_csv(name, text)
    else:
        items = read_text(name, text)
    yield from with_warnings(items, source.warnings)
