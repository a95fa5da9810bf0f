"""Files in and out: decoding an input into text (:mod:`.source`), writing outputs whole or not at all
(:mod:`.atomic`), finding a page's layout and trial information (:mod:`.page`) and the numbered criteria tree
(:mod:`.outline`).

May import ``errors``, ``model`` and ``grammar``; no spaCy.
"""
