"""Scraped listing pages (like the seed) and plain criteria text.

A text is taken for a trial record when it has a criteria heading or its
file name holds an NCT id; its id is the NCT id of its name, else the first
one in the text, else the file's stem. Trial information on the page is
read later by the parser's page reader.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Iterator

from .record import Failure, Item, Record

_NCT = re.compile(r"NCT\d{8}")
_HEADING = re.compile(r"^\W*(?:inclusion|exclusion|eligibility)\b[^\n]{0,40}\bcriteria\b", re.IGNORECASE | re.MULTILINE)


def read_text(name: str, text: str) -> Iterator[Item]:
    """Yield one record for a listing page or criteria text, or a failure when it is neither."""
    in_name = _NCT.search(PurePosixPath(name).name)
    if not in_name and not _HEADING.search(text):
        yield Failure(None, name, "not a trial record: no criteria heading and no NCT id in the file name")
        return
    in_text = _NCT.search(text)
    nct_id = (in_name or in_text).group() if (in_name or in_text) else PurePosixPath(name).stem
    yield Record(id=nct_id, source=name, format="text", text=text)
