"""Our spaCy components; importing this package registers their factories."""

from . import comparators, constraints, quantities, subjects  # noqa: F401
