"""The versions ``criteria-parser --version`` prints, readable without importing pydantic or spaCy.

:data:`SCHEMA_VERSION` is the criteria model's version (:mod:`criteria_parser.model` re-exports it and stamps it on
every :class:`~criteria_parser.model.Listing`); :func:`grammars_version` is the packaged grammars' version. This
module imports only the standard library, so that ``--version`` starts fast.
"""

from __future__ import annotations

import json
from importlib import resources

SCHEMA_VERSION = "2.1"


def grammars_version() -> str:
    """The packaged grammars' version (``listing.json``), read without validating every grammar."""
    listing = resources.files("criteria_parser.grammars").joinpath("listing.json").read_text(encoding="utf-8")
    return json.loads(listing)["version"]
