"""Listings of one corpus directory, their gold files, and nothing outside it.

A listing is a ``.txt`` file anywhere under the corpus directory, named by its
path relative to it (``NCT06633354-listing.txt``); its gold file is
``<name>.gold.json`` beside it and its review log ``<name>.review.jsonl``.
Names are checked before any file is touched: no absolute paths, no ``..``,
no hidden parts, and the resolved file (symlinks followed) must still lie
inside the corpus directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator, Optional

from pydantic import ValidationError

from ..document.atomic import write_atomic
from ..errors import CriteriaParserError, validation_problem
from ..model import Listing
from ..document.source import read_source

#: Fingerprint of a gold file that does not exist yet.
ABSENT = "absent"


class UnsafePathError(CriteriaParserError):
    """A name that would reach outside the corpus directory, or no listing at all."""


class StaleGoldError(CriteriaParserError):
    """The gold file changed on disk since the curator loaded it."""


@dataclass(frozen=True)
class ListingFiles:
    """The files of one listing: text, gold and review log."""

    name: str
    text: Path
    gold: Path
    log: Path


def fingerprint(path: Path) -> str:
    """SHA-256 of a file's bytes, or :data:`ABSENT` when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ABSENT
    except OSError as exc:  # a directory named like a gold file
        raise CriteriaParserError(f"cannot read: {exc.strerror}", path.name) from None


class Corpus:
    """A corpus directory: finds its listings and reads and writes their gold files."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise CriteriaParserError("not a directory", root)

    def names(self) -> list[str]:
        """Names of every listing under the root (hidden directories and links out skipped), sorted."""
        found = []
        for path in self.root.rglob("*.txt"):
            name = path.relative_to(self.root).as_posix()
            try:
                self.files(name)
            except UnsafePathError:
                continue
            found.append(name)
        return sorted(found)

    def files(self, name: str) -> ListingFiles:
        """The files of listing ``name``.

        Raises:
            UnsafePathError: the name is absolute, climbs out, is hidden, is not a ``.txt`` file, or resolves
                (through a symlink) outside the corpus directory.
        """
        if not name or "\\" in name or "\x00" in name:
            raise UnsafePathError(f"{name!r}: not a listing name")
        pure = PurePosixPath(name)
        if pure.is_absolute() or any(part in ("", ".", "..") or part.startswith(".") for part in pure.parts):
            raise UnsafePathError(f"{name}: only names inside the corpus directory are allowed")
        if pure.suffix != ".txt":
            raise UnsafePathError(f"{name}: a listing is a .txt file")
        text = self._inside(self.root.joinpath(*pure.parts), name)
        if not text.is_file():
            raise UnsafePathError(f"{name}: no such listing")
        stem = pure.name[: -len(".txt")]
        gold = self._inside(text.parent / f"{stem}.gold.json", name)
        log = self._inside(text.parent / f"{stem}.review.jsonl", name)
        return ListingFiles(name, text, gold, log)

    def _inside(self, path: Path, name: str) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise UnsafePathError(f"{name}: resolves outside the corpus directory")
        return path

    def text(self, files: ListingFiles) -> str:
        """The decoded listing text (offsets into it are the model's offsets)."""
        return read_source(files.text).text

    def gold(self, files: ListingFiles) -> Optional[Listing]:
        """The gold listing, or None when there is none yet.

        Raises:
            CriteriaParserError: the gold file is not valid JSON of the model.
        """
        try:
            data = files.gold.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except UnicodeDecodeError as exc:
            raise CriteriaParserError(f"not a valid gold file: not UTF-8 (byte {exc.start})", files.gold.name) from None
        except OSError as exc:  # a directory named like a gold file
            raise CriteriaParserError(f"cannot read the gold file: {exc.strerror}", files.gold.name) from None
        try:
            listing = Listing.model_validate_json(data)
        except ValidationError as exc:
            raise CriteriaParserError(f"not a valid gold file: {validation_problem(exc)}", files.gold.name) from None
        listing.fill_ids()  # a gold file of schema 1.0 has none
        return listing

    def save_gold(self, files: ListingFiles, listing: Listing, expected: str) -> str:
        """Write ``listing`` as the gold file, unless it changed since the curator saw fingerprint ``expected``.

        Returns:
            The fingerprint of the new gold file.

        Raises:
            StaleGoldError: the gold file on disk is not the one the curator loaded.
        """
        content = listing.model_dump_json(indent=2) + "\n"
        with _locked(files.gold.parent):
            if fingerprint(files.gold) != expected:
                raise StaleGoldError(
                    f"{files.gold.name} changed on disk since this page was loaded (another curator or a git pull); "
                    "reload the page to see the current gold, then redo your edits"
                )
            write_atomic(files.gold, content)
        return hashlib.sha256(content.encode("utf-8")).hexdigest()


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` so that check-then-write is one step for every workbench."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)

