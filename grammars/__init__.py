"""Grammar data (JSON Lines rule files), shipped as ``criteria_parser.grammars``; see README.md here."""
