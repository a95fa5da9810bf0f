"""Walk the inputs of an import: files, directories, ``.zip``/``.gz``/``.tar`` archives and stdin.

Archives are read member by member, never unpacked to disk, and JSON Lines
(plain or gzipped) one line at a time; the kind of archive is told by its
first bytes. Every file or member becomes a
name (``archive.zip/member.json``) and its bytes for :mod:`.detect`.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import os
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator, Union

from .ctgov_json import read_json_lines
from .detect import read_document
from .record import Failure, Item

_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_GZIP = b"\x1f\x8b"


def read_inputs(paths: list[Union[str, Path]]) -> Iterator[Item]:
    """Yield every record (or failure) of the inputs, in order; ``-`` reads standard input."""
    for path in paths:
        if str(path) == "-":
            yield from read_bytes("<stdin>", sys.stdin.buffer.read())
        elif Path(path).is_dir():
            for file in _walk(Path(path)):
                yield from read_file(file)
        else:
            yield from read_file(Path(path))


def _walk(directory: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def read_file(path: Path) -> Iterator[Item]:
    """Yield the records of one file, streaming zip archives and JSON Lines (also gzipped) from disk."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
            handle.seek(0)
            if head in _ZIP:
                yield from _read_zip(str(path), handle)
                return
            name = str(path)
            stream: BinaryIO = handle
            if head[:2] == _GZIP:
                name, stream = (name[:-3] if name.endswith(".gz") else name), gzip.GzipFile(fileobj=handle)
            first, second = stream.readline(), stream.readline()
            if _json_line(first) and second.strip():
                yield from read_json_lines(name, itertools.chain([first, second], stream))
                return
            data = first + second + stream.read()
    except OSError as exc:
        yield Failure(None, str(path), f"cannot read: {exc.strerror or exc}")
        return
    except (EOFError, zlib.error) as exc:
        yield Failure(None, str(path), f"broken gzip file: {exc}")
        return
    yield from read_bytes(name, data)


def _json_line(line: bytes) -> bool:
    """Whether ``line`` is a whole JSON object on its own (the first line of JSON Lines)."""
    if not line.lstrip(b"\xef\xbb\xbf \t").startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def read_bytes(name: str, data: bytes) -> Iterator[Item]:
    """Yield the records of one input given as bytes, opening archives inside it."""
    if data[:4] in _ZIP:
        yield from _read_zip(name, io.BytesIO(data))
    elif data[:2] == _GZIP:
        try:
            inner = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            yield Failure(None, name, f"broken gzip file: {exc}")
            return
        yield from read_bytes(name[:-3] if name.endswith(".gz") else name, inner)
    elif data[257:262] == b"ustar":
        yield from _read_tar(name, data)
    else:
        yield from read_document(name, data)


def _read_zip(name: str, handle: BinaryIO) -> Iterator[Item]:
    try:
        with zipfile.ZipFile(handle) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if not members:
                yield Failure(None, name, "empty archive: no files in it")
            for member in members:
                try:
                    data = archive.read(member)
                except (zipfile.BadZipFile, OSError, zlib.error) as exc:
                    yield Failure(None, f"{name}/{member.filename}", f"cannot read archive member: {exc}")
                    continue
                yield from read_bytes(f"{name}/{member.filename}", data)
    except zipfile.BadZipFile as exc:
        yield Failure(None, name, f"broken zip archive: {exc}")


def _read_tar(name: str, data: bytes) -> Iterator[Item]:
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            members = [m for m in archive.getmembers() if m.isfile()]
            if not members:
                yield Failure(None, name, "empty archive: no files in it")
            for member in members:
                handle = archive.extractfile(member)
                yield from read_bytes(f"{name}/{member.name}", handle.read() if handle else b"")
    except tarfile.TarError as exc:
        yield Failure(None, name, f"broken tar archive: {exc}")
