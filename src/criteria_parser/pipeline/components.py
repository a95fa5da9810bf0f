"""Our spaCy components; importing this package registers their factories."""

from . import abbreviations, comparators, constraints, entities, quantities, subjects  # noqa: F401
