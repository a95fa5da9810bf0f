"""Walk the inputs of an import: files, directories, ``.zip``/``.gz``/``.tar`` archives and stdin.

Everything is streamed: archives are read member by member (a gzip or tar
stream as it is decompressed), never unpacked to disk, and JSON Lines (plain
or inside an archive) one line at a time; the kind of archive is told by its
first bytes. Every other file or member is read whole, up to a size cap
(:data:`MAX_DOCUMENT_BYTES`, decompressed), so an archive bomb costs at most
the cap in memory; past it the member becomes a failure. Every file or member
becomes a name (``archive.zip/member.json``) and its bytes for :mod:`.detect`.
Anything in a directory that is not a regular file (a FIFO, a device, a
socket, a symlink to one) is skipped with a failure, never opened.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import stat
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator, Optional, Union

from .ctgov_json import read_json_lines
from .detect import read_document
from .record import Failure, Item

_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_GZIP = b"\x1f\x8b"
_STREAMED = (".jsonl", ".ndjson", ".gz", ".tgz", ".zip", ".tar")  # members that may hold many records
_CHUNK = 16 << 20
_HEAD = 512  # enough to tell a tar archive (its magic is at byte 257)
#: The most one file or archive member may hold once decompressed (a JSON Lines file is read line by line,
#: and the cap applies to each line).
MAX_DOCUMENT_BYTES = 512_000_000


def read_inputs(paths: list[Union[str, Path]], max_bytes: int = MAX_DOCUMENT_BYTES) -> Iterator[Item]:
    """Yield every record (or failure) of the inputs, in order; ``-`` reads standard input."""
    reader = _Reader(max_bytes)
    for path in paths:
        if str(path) == "-":
            yield from reader.stream("<stdin>", sys.stdin.buffer)
        elif Path(path).is_dir():
            for file in _walk(Path(path)):
                yield from reader.file(file, in_directory=True)
        else:
            yield from reader.file(Path(path))


def _walk(directory: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def _not_regular(path: Path) -> Optional[str]:
    """Why ``path`` (followed through symlinks) is no file to read, or None for a regular file."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else \
        "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
    return f"skipped: {kind}, not a regular file"


class _Joined(io.RawIOBase):
    """Bytes already read from a stream, followed by the rest of the stream (so a stream can be peeked at)."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 - a writable buffer
        if self.head:
            size = min(len(buffer), len(self.head))
            buffer[:size], self.head = self.head[:size], self.head[size:]
            return size
        data = self.rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class _TooLarge(Exception):
    """A file or member holds more than the cap."""


class _Reader:
    """Reads files and streams into records, with one size cap for every document."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def file(self, path: Path, in_directory: bool = False) -> Iterator[Item]:
        """The records of one file; in a directory, anything but a regular file is skipped."""
        problem = _not_regular(path)
        if problem and (in_directory or not problem.startswith("skipped: a FIFO")):
            # a FIFO named on the command line is the user's own stream (``<(zcat x.gz)``): read it
            yield Failure(None, str(path), problem)
            return
        try:
            handle = open(path, "rb")
        except OSError as exc:
            yield Failure(None, str(path), f"cannot read: {exc.strerror or exc}")
            return
        with handle:
            if not problem and handle.read(4) in _ZIP:  # a zip file is read through its central directory
                handle.seek(0)
                yield from self._zip(str(path), handle)
                return
            if not problem:
                handle.seek(0)
            yield from self.stream(str(path), handle)

    def stream(self, name: str, stream: BinaryIO) -> Iterator[Item]:
        """The records of one input read as a stream: archives opened, JSON Lines line by line, the rest whole."""
        try:
            head = stream.read(_HEAD)
            joined = io.BufferedReader(_Joined(head, stream), 1 << 16)
            if head[:4] in _ZIP:
                yield from self._zip(name, io.BytesIO(self._read(joined)))
            elif head[:2] == _GZIP:
                inner = gzip.GzipFile(fileobj=joined)
                yield from self.stream(name[:-3] if name.endswith(".gz") else name, inner)
            elif head[257:262] == b"ustar":
                yield from self._tar(name, joined)
            else:
                # a first line longer than 64 MB is read as part of a whole document (which may still be JSON Lines)
                first = joined.readline(min(self.max_bytes + 1, 4 * _CHUNK))
                second = joined.readline(self.max_bytes + 1 - len(first)) if _json_line(first) else b""
                if second.strip():
                    yield from read_json_lines(name, self._lines([first, second], joined))
                else:
                    yield from read_document(name, first + second + self._read(joined, len(first + second)))
        except _TooLarge:
            yield Failure(None, name, f"more than {self.max_bytes / 1e6:g} MB (decompressed): not read "
                                      "(raise the limit with --max-mb)")
        except OSError as exc:
            yield Failure(None, name, f"cannot read: {exc.strerror or exc}")
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            yield Failure(None, name, f"broken gzip file: {exc}")

    def _read(self, stream: BinaryIO, already: int = 0) -> bytes:
        """The rest of ``stream``, read in 16 MB chunks so that one over the cap costs the cap, not twice it."""
        limit, size, chunks = self.max_bytes - already, 0, []
        if limit < 0:  # the first line alone was over the cap
            raise _TooLarge
        while chunk := stream.read(min(_CHUNK, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise _TooLarge
        return b"".join(chunks)

    def _lines(self, first: list[bytes], stream: BinaryIO) -> Iterator[Optional[bytes]]:
        """The lines of JSON Lines, each up to the cap (None for a longer line, which is skipped)."""
        yield from first
        while line := stream.readline(self.max_bytes + 1):
            if len(line) > self.max_bytes:
                while line and not line.endswith(b"\n"):  # the rest of the long line
                    line = stream.readline(1 << 20)
                yield None
                continue
            yield line

    def _zip(self, name: str, handle: BinaryIO) -> Iterator[Item]:
        try:
            with zipfile.ZipFile(handle) as archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
                if not members:
                    yield Failure(None, name, "empty archive: no files in it")
                for member in members:
                    try:
                        opened = archive.open(member)
                    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
                        yield Failure(None, f"{name}/{member.filename}", f"cannot read archive member: {exc}")
                        continue
                    with opened:
                        yield from self._member(f"{name}/{member.filename}", opened)
        except zipfile.BadZipFile as exc:
            yield Failure(None, name, f"broken zip archive: {exc}")

    def _member(self, name: str, opened: BinaryIO) -> Iterator[Item]:
        try:
            yield from self.stream(name, opened)
        except (zipfile.BadZipFile, zlib.error) as exc:  # a corrupt member, found while reading it
            yield Failure(None, name, f"cannot read archive member: {exc}")

    def _tar(self, name: str, stream: BinaryIO) -> Iterator[Item]:
        files = 0
        try:
            with tarfile.open(fileobj=stream, mode="r|") as archive:  # streamed: member after member
                for member in archive:
                    if not member.isfile():
                        continue
                    files += 1
                    handle = archive.extractfile(member)
                    if handle is not None:
                        yield from self._member(f"{name}/{member.name}", handle)
        except tarfile.TarError as exc:
            yield Failure(None, name, f"broken tar archive: {exc}")
            return
        if not files:
            yield Failure(None, name, "empty archive: no files in it")


def _json_line(line: bytes) -> bool:
    """Whether ``line`` is a whole JSON object on its own (the first line of JSON Lines)."""
    if not line.lstrip(b"\xef\xbb\xbf \t").startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        return False


def count_items(paths: list[Union[str, Path]]) -> Optional[int]:
    """How many records the inputs hold, without decompressing anything; None when that cannot be told so.

    Plain files are read (JSON Lines counted line by line); a zip archive of single documents counts one
    record per member, from its directory; gzip and tar streams, archives in archives, JSON Lines in a zip
    and standard input would have to be decompressed or read a second time, so with one of them there is no
    count.
    """
    reader = _Reader(MAX_DOCUMENT_BYTES)
    total = 0
    for path in paths:
        if str(path) == "-":
            return None
        files = _walk(Path(path)) if Path(path).is_dir() else [Path(path)]
        for file in files:
            if _not_regular(file):
                total += 1
                continue
            with contextlib.suppress(OSError), open(file, "rb") as handle:
                head = handle.read(_HEAD)
                if head[:2] == _GZIP or head[257:262] == b"ustar":
                    return None
                if head[:4] in _ZIP:
                    handle.seek(0)
                    try:
                        with zipfile.ZipFile(handle) as archive:
                            names = [m.filename for m in archive.infolist() if not m.is_dir()]
                    except zipfile.BadZipFile:
                        names = [file.name]
                    if any(n.lower().endswith(_STREAMED) for n in names):
                        return None
                    total += len(names) or 1
                    continue
            total += sum(1 for _ in reader.file(file))
    return total
