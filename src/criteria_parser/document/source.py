"""Read an input file into text, refusing what is not a listing: the one decoder of every input.

Decoding keeps every character, so offsets into the returned text are the
offsets the model reports. UTF-8 (with or without BOM) and UTF-16 with a BOM
are read as such; other bytes are decoded as Windows-1252 with a warning.
Empty and binary files raise :class:`~criteria_parser.errors.InputError`.
Registry records are decoded here too (``registry.records.detect``), but XML,
whose declaration names its encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

from ..errors import InputError

#: Control characters that do not occur in text (everything below 0x20 but tab, LF, VT, FF, CR).
_BINARY_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0B, 0x0C, 0x0D))


@dataclass
class SourceText:
    """Decoded input: the text, where it came from and what was odd about it."""

    text: str
    path: str
    warnings: list[str] = field(default_factory=list)


def decode(data: bytes, path: str) -> SourceText:
    """Decode the bytes of one input file.

    Args:
        data: the file's bytes.
        path: the file's name, for messages.

    Returns:
        The decoded text with warnings.

    Raises:
        InputError: the file is empty, binary, or not text in any encoding we read.
    """
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise InputError(path, "empty file: no text to parse")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return SourceText(data.decode("utf-16"), path, ["decoded as UTF-16 (byte order mark found)"])
        except UnicodeDecodeError as exc:
            raise InputError(path, f"invalid UTF-16 at byte {exc.start}") from None
    sample = data[:65536]
    if b"\x00" in sample or sum(sample.count(bytes([b])) for b in _BINARY_BYTES) > len(sample) // 100:
        raise InputError(path, "binary file: not a text listing")
    try:
        return SourceText(data.decode("utf-8-sig"), path)
    except UnicodeDecodeError as exc:
        position = exc.start
    text = data.decode("cp1252", errors="replace")
    line = data.count(b"\n", 0, position) + 1
    return SourceText(text, path, [f"not UTF-8 (first bad byte on line {line}); decoded as Windows-1252"])


#: Listings are kilobytes; a file above this is almost surely not one (a dump, a log, a binary).
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def read_source(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceText:
    """Read and decode one input file.

    Args:
        path: the file.
        max_bytes: refuse larger files (parsing time grows linearly; this bounds it).

    Raises:
        InputError: the file cannot be read, is too large, or :func:`decode` refuses it.
    """
    try:
        size = Path(path).stat().st_size
        if size > max_bytes:
            raise InputError(str(path), f"file is {size / 1e6:.1f} MB, above the {max_bytes / 1e6:g} MB limit "
                             "for one listing (raise it with --max-mb)")
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError(str(path), "is a directory, not a file") from None
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except PermissionError:
        raise InputError(str(path), "permission denied") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from None
    return decode(data, str(path))


def read_stream(stream: BinaryIO, name: str = "<stdin>", max_bytes: int = DEFAULT_MAX_BYTES) -> SourceText:
    """Read and decode one listing from a stream (standard input), refusing more than ``max_bytes``.

    Raises:
        InputError: the stream holds too much, or :func:`decode` refuses it.
    """
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(name, f"more than the {max_bytes / 1e6:g} MB limit for one listing (raise it with --max-mb)")
    return decode(data, name)


def listing_paths(paths: list[Path]) -> Iterator[Path]:
    """Files named (``-``: standard input), and the ``*.txt`` files of directories named, in order."""
    for path in paths:
        if str(path) == "-":
            yield path
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not found:
                raise InputError(str(path), "directory holds no .txt listings")
            yield from found
        else:
            yield path
