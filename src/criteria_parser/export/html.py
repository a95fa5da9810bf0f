"""Self-contained HTML pages to look at rather than read: a parsed listing (``parse --format html``).

One file with the stylesheet inlined and no script at all (its Content-Security-Policy
forbids any), to open in a browser or attach to a ticket. Listing text is escaped
everywhere. The curator workbench and the evaluation page share these templates
and this stylesheet.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

import jinja2
from markupsafe import Markup

from ..document.source import read_source
from ..model import ConstraintKind, Listing
from .highlight import describe, marks, segments

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATE_DIR = HERE / "templates"
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=jinja2.StrictUndefined,
    trim_blocks=True, lstrip_blocks=True,
)


@lru_cache(maxsize=1)
def stylesheet() -> Markup:
    """The stylesheet, safe to inline in a ``<style>`` element."""
    return Markup((STATIC / "workbench.css").read_text(encoding="utf-8").replace("</", "<\\/"))


def listing_text(path: str) -> str:
    """The text a listing was parsed from."""
    return read_source(Path(path)).text


def listing_page(listings: Iterable[Listing], texts: Optional[list[str]] = None) -> str:
    """One page showing every listing's criteria text with its constraints highlighted and labelled.

    Args:
        listings: the parsed listings.
        texts: the text each was parsed from (read again from its source file when not given; standard input
            cannot be read again).
    """
    shown = []
    for index, listing in enumerate(listings):
        text = texts[index] if texts is not None else listing_text(listing.source)
        start, end = (listing.sections[0].start, listing.sections[-1].end) if listing.sections else (0, len(text))
        shown.append({"listing": listing, "segments": segments(text, start, end, marks(listing, labelled=True)),
                      "criteria": [(s, c) for s, c in listing.walk()], "describe": describe})
    return TEMPLATES.get_template("report_listing.html").render(
        style=stylesheet(), listings=shown, kinds=[k.value for k in ConstraintKind])
