"""The one error type for a user's mistake, and how a validation error reads as one line.

A :class:`CriteriaParserError` says what is wrong (``problem``), in which file (``path``) and on which line
(``line``), each known or not, and reads ``file:line: problem``; the command line prints it as
``criteria-parser: file:line: problem`` (:mod:`criteria_parser.cli.base`), the workbench as the message of its
refusal. Its subclasses only name the kind of mistake (an input that is not a listing, an invalid grammar, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional

if TYPE_CHECKING:  # only an annotation: importing pydantic here would slow down every command's start-up
    from pydantic import ValidationError


class CriteriaParserError(Exception):
    """A problem with the user's input or set-up, reported as one line: ``file:line: problem``.

    Args:
        problem: what is wrong.
        path: the file it is in, when there is one.
        line: the line of the file (1-based), when known.
    """

    def __init__(self, problem: str, path: Optional[str] = None, line: Optional[int] = None) -> None:
        self.problem = problem
        self.path = None if path is None else str(path)
        self.line = line
        super().__init__(self.message)

    def __reduce__(self):  # a worker process's error arrives whole in the parent, whatever the subclass takes
        return _rebuild, (type(self), self.problem, self.path, self.line, self.__dict__)

    @property
    def message(self) -> str:
        """The one line: ``file:line: problem`` (what is known of it)."""
        where = ":".join(str(part) for part in (self.path, self.line) if part is not None)
        return f"{where}: {self.problem}" if where else self.problem


class InputError(CriteriaParserError):
    """An input file cannot be read as what it should be (a listing, a patient, a gold file): its path first."""

    def __init__(self, path: str, problem: str, line: Optional[int] = None) -> None:
        super().__init__(problem, path, line)


class GrammarError(CriteriaParserError):
    """A grammar file is invalid."""


def _rebuild(cls: type, problem: str, path: Optional[str], line: Optional[int], state: dict) -> CriteriaParserError:
    error = cls.__new__(cls)
    CriteriaParserError.__init__(error, problem, path, line)
    error.__dict__.update(state)
    return error


def validation_reason(error: Mapping[str, Any]) -> str:
    """What one pydantic error says, without pydantic's ``Value error, `` before a validator's own message."""
    return error["msg"].removeprefix("Value error, ")


def validation_problem(exc: ValidationError) -> str:
    """A pydantic validation error as one line: where the first problem is and what it is, and how many more.

    ``plausible.mg/dL: Value error, low > high``; ``concepts.0.kind: Input should be ... (and 2 more problems)``.
    """
    errors = exc.errors()
    first = errors[0]
    where = ".".join(map(str, first["loc"]))
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}" if where else f"{first['msg']}{more}"
