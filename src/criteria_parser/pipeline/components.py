"""Our spaCy components; importing this package registers their factories."""

from . import abbreviations, clauses, comparators, constraints, context, entities, quantities, subjects

#: The modules whose import registers a factory (``@Language.factory``), one a component.
__all__ = ["abbreviations", "clauses", "comparators", "constraints", "context", "entities", "quantities", "subjects"]
