"""The curator workbench: review parser output in the browser and save it as gold.

``corpus`` finds listings and their gold files safely inside one directory,
``edits`` turns a curator's rows back into a validated
:class:`~criteria_parser.model.Listing`, ``saving`` writes gold and the
append-only ``reviewlog``, ``diff`` sets parser output against gold,
``propose`` fills a row from selected text, ``highlight`` marks constraint
spans, ``security`` guards the web app, ``app`` serves the pages and ``serve``
runs it (``criteria-parser review``); ``reports`` writes the self-contained
HTML pages and ``labelstudio`` the Label Studio interchange.
"""
