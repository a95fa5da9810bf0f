"""The Leaf Clinical Trials scheme: brat standoff read and written (:mod:`.brat`, :mod:`.export`), the scorer of
``eval --brat`` (:mod:`.scorer`) and garbled copies of a corpus (:mod:`.garble`).

May import every layer up to ``export``; not ``registry``, ``curation`` or above.
"""
