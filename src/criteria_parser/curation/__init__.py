"""Gold files and the work on them: the corpus on disk, curators' edits, the review log, saving, the diff of
parser against gold, scoring against gold (:mod:`.scoring`, with its HTML page in :mod:`.reports`), proposals
from selected text, and the Label Studio and brat interchange.

May import every layer up to ``lct``; not ``workbench`` or ``cli``.
"""
