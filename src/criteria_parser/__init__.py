"""criteria-parser: free-text eligibility criteria to a machine-readable criteria model."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("criteria-parser")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

from .model import SCHEMA_VERSION, Listing  # noqa: E402

__all__ = ["SCHEMA_VERSION", "Listing", "Parser", "parse_file", "parse_text", "__version__"]


def __getattr__(name: str):
    """``Parser``, ``parse_file`` and ``parse_text`` load spaCy on first use, not on import."""
    if name in ("Parser", "parse_file", "parse_text"):
        from . import parser

        return getattr(parser, name)
    raise AttributeError(f"module 'criteria_parser' has no attribute {name!r}")
