"""The held-back part of a corpus: a third of its trials kept out of tuning, chosen by a hash of the NCT id.

Every corpus (Leaf, Chia, the ct.gov records) is split the same way, so a trial is on the same side
whatever corpus it appears in, and a file's side never depends on which other files are present. Tune only on
the ``tune`` part; look only at aggregate scores of the ``held`` part.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Iterable, Iterator, Literal, Optional

Part = Literal["tune", "held", "all"]
PARTS: tuple[Part, ...] = ("tune", "held", "all")

_NCT = re.compile(r"NCT\d{8}", re.IGNORECASE)


def trial_id(name: str) -> Optional[str]:
    """The NCT id in a file name or path ("NCT00050349_inc.txt" -> "NCT00050349"), if any."""
    found = _NCT.search(Path(name).name) or _NCT.search(str(name))
    return found.group(0).upper() if found else None


def is_held_back(name: str) -> bool:
    """Whether the trial named by ``name`` (an NCT id, or a file name holding one) is in the held-back third.

    A name without an NCT id is split by its file stem instead.
    """
    key = trial_id(name) or Path(name).stem
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 3 == 0


def in_part(name: str, part: Part) -> bool:
    """Whether ``name`` belongs to ``part`` (``all`` takes every file)."""
    return part == "all" or is_held_back(name) == (part == "held")


def select(paths: Iterable[Path], part: Part) -> Iterator[Path]:
    """The paths of one part, in the order given."""
    return (p for p in paths if in_part(str(p), part))
