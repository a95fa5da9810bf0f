"""The model for other tools: flat rows and CSV (:mod:`.flat`), JsonLogic and FHIR compiled from the match
plan (:mod:`.jsonlogic`, :mod:`.fhir`), and self-contained HTML pages (:mod:`.html`, :mod:`.highlight`).

May import every layer up to ``match``.
"""
