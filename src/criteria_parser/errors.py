"""Errors the parser reports to users as one line, never as a traceback."""


class CriteriaParserError(Exception):
    """A problem with the user's input or set-up, reported as one line."""


class InputError(CriteriaParserError):
    """An input file cannot be read as a listing: ``path: what is wrong``."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class GrammarError(CriteriaParserError):
    """A grammar file is invalid: ``file:line: what is wrong``."""
