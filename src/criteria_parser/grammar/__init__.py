"""Rules as data: the one loader of ``grammars/`` (:mod:`.loader`), the matching grammar (:mod:`.matching`),
the one phrase matcher (:mod:`.phrases`) and unit conversion (:mod:`.units`).

May import ``errors`` and ``model`` only.
"""
