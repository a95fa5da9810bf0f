"""Commands registered on the typer app of :mod:`criteria_parser.cli`, one module each."""
