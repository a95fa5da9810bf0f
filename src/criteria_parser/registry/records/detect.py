"""Tell the format of one input from its content (not its name) and hand it to its reader."""

from __future__ import annotations

from typing import Iterator

from .aact_csv import is_csv, read_csv
from .ctgov_json import read_json
from .ctgov_xml import read_xml
from .record import Failure, Item
from .text import read_text

_BOM = b"\xef\xbb\xbf"


def read_document(name: str, data: bytes) -> Iterator[Item]:
    """Yield the records of one decompressed input: v2 JSON, legacy XML, AACT CSV or text."""
    start = data.lstrip(_BOM + b" \t\r\n")[:1]
    if not start:
        yield Failure(None, name, "empty file: no records")
        return
    if start == b"<":
        yield from read_xml(name, data)
        return
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield Failure(None, name, "binary file: not a trial record")
        return
    try:
        text = data.decode("utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        yield Failure(None, name, f"not UTF-8: byte 0x{data[exc.start]:02x} on line {line} cannot be decoded")
        return
    if text.lstrip("\ufeff \t\r\n")[:1] in ("{", "["):
        yield from read_json(name, text)
    elif is_csv(text):
        yield from read_csv(name, text)
    else:
        yield from read_text(name, text)
