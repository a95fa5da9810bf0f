"""criteria-parser: free-text eligibility criteria to a machine-readable criteria model.

:data:`SCHEMA_VERSION` is the criteria model's version (:mod:`criteria_parser.model` stamps it on every
:class:`~criteria_parser.model.Listing`); :func:`grammars_version` is the packaged grammars' version. Both are read
here with the standard library only, so that ``criteria-parser --version`` starts without pydantic or spaCy.
"""

import json
from importlib import resources
from importlib.metadata import PackageNotFoundError, version

SCHEMA_VERSION = "2.1"

try:
    __version__ = version("criteria-parser")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["SCHEMA_VERSION", "Listing", "Parser", "parse_file", "parse_text", "__version__"]


def grammars_version() -> str:
    """The packaged grammars' version (``listing.json``), read without validating every grammar."""
    listing = resources.files("criteria_parser.grammars").joinpath("listing.json").read_text(encoding="utf-8")
    return json.loads(listing)["version"]


def __getattr__(name: str):
    """``Listing`` loads pydantic, and ``Parser``, ``parse_file`` and ``parse_text`` spaCy, on first use, not on
    import (``criteria-parser --version`` imports this package)."""
    if name == "Listing":
        from .model import Listing

        return Listing
    if name in ("Parser", "parse_file", "parse_text"):
        from . import parser

        return getattr(parser, name)
    raise AttributeError(f"module 'criteria_parser' has no attribute {name!r}")
