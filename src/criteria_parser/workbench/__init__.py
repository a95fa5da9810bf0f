"""The curator workbench, the web app only: pages and API routes (:mod:`.app`), request guards
(:mod:`.security`) and the server (:mod:`.serve`, ``criteria-parser review``). What it shows and saves comes
from :mod:`criteria_parser.curation`.

May import every layer up to ``curation``; not ``cli``.
"""
