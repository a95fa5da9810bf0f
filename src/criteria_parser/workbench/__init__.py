"""The curator workbench: review parser output in the browser and save it as gold.

``corpus`` finds listings and their gold files safely inside one directory,
``reviewlog`` keeps the append-only review log, ``edits`` turns a curator's
rows back into a validated :class:`~criteria_parser.model.Listing`,
``highlight`` marks constraint spans in the listing text, ``security`` guards
the web app and ``app`` serves the pages (``criteria-parser review``).
"""
