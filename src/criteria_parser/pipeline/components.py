"""Our spaCy components; importing this package registers their factories."""

from . import abbreviations, comparators, constraints, quantities, subjects  # noqa: F401
