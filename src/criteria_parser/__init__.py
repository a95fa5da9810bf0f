"""criteria-parser: free-text eligibility criteria to a machine-readable criteria model."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("criteria-parser")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

from .versions import SCHEMA_VERSION  # noqa: E402

__all__ = ["SCHEMA_VERSION", "Listing", "Parser", "parse_file", "parse_text", "__version__"]


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
