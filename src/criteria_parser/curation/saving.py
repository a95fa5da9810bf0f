"""Save a gold file and log it: the one way every workbench path (page, diff, import) writes gold."""

from __future__ import annotations

from typing import Any, Optional

from ..model import Listing
from . import reviewlog
from .corpus import Corpus, ListingFiles
from .edits import changes


def record_save(corpus: Corpus, files: ListingFiles, before: Listing, listing: Listing, expected: str,
                curator: str, action: str, accepted: Optional[list[int]] = None, **extra: Any) -> dict[str, Any]:
    """Write ``listing`` as the gold file (refused when it is not at fingerprint ``expected``) and append the
    review log entry: who, what action, the status, and the changes from ``before``.

    Args:
        accepted: indexes of the rows the curator accepted (constraints, then entities:
            :func:`~criteria_parser.curation.edits.apply_rows`); all when None. Fewer than all leaves the listing
            in progress.

    Returns:
        The log entry written.

    Raises:
        StaleGoldError: the gold file changed since ``expected``.
    """
    new_print = corpus.save_gold(files, listing, expected)
    total = sum(len(c.constraints) + len(c.entities) for _, c in listing.walk())
    accepted = list(range(total)) if accepted is None else accepted
    return reviewlog.append(files.log, {
        "curator": curator, "listing": files.name, "action": action,
        "status": reviewlog.CURATED if len(accepted) == total else reviewlog.IN_PROGRESS,
        "base": expected, "gold": new_print, "accepted": accepted, **extra, "changes": changes(before, listing),
    })
