"""Our spaCy components; importing this package registers their factories."""

from . import abbreviations, clauses, comparators, constraints, context, entities, quantities, subjects  # noqa: F401
