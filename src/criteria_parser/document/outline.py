"""Split the lines of one criteria section into a tree of items, as numbered in the source.

An item starts at a line with a label ("1.", "7.Refers", "a)", "(2)", "iii.")
or a bullet; other lines continue the item above them (wrapped text).
Nesting follows the label style and indentation: a new style opens a
sub-list, a style already open closes the deeper ones. A lettered item that
follows a sub-list at a shallower indent (the seed's stray "c.Multiple
recurrences.") joins that sub-list; any other item less indented than an
open bullet closes it (a list restarting "1." under a bullet ending with ":"
nests there). Items without labels are numbered by
position. Reads :class:`~criteria_parser.document.page.Line` objects; writes
:class:`Item` trees that keep the span of each item's own text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from .page import Line


@lru_cache(maxsize=1)
def _roman_units() -> frozenset[str]:
    """The roman numerals 1 to 9 of grammars/numbers.jsonl, in lower case ("i" ... "ix"): a label's last part."""
    from ..grammar.loader import load_grammars  # the packaged grammars, read once per process

    return frozenset(numeral.lower() for rule in load_grammars().numbers if 1 <= rule.value <= 9
                     for numeral in rule.numerals if numeral.isascii())


def _is_roman(value: str) -> bool:
    """A roman label up to 39 in lower case: up to three "x", then a numeral of 1 to 9 or nothing ("xiv", "xx")."""
    units = value.lstrip("x")
    return len(value) <= 5 and len(value) - len(units) <= 3 and (not units or units in _roman_units())


@dataclass
class Item:
    """One criterion before extraction: label, own-text span, children."""

    label: str
    style: str
    indent: int
    start: int
    end: int
    opens_list: bool = False  # its text ends with ":" ("any of the following:")
    children: list["Item"] = field(default_factory=list)
    flattened: bool = False  # nested deeper than MAX_DEPTH: kept as a sibling at that depth


#: The deepest an item may nest; deeper items become siblings at this depth (real listings nest 4 or 5 deep).
MAX_DEPTH = 24


class Outliner:
    """Builds item trees; ``bullets`` are the characters that mark an unnumbered item."""

    def __init__(self, bullets: list[str]) -> None:
        bullet_class = "".join(re.escape(b) for b in bullets if len(b) == 1 and not b.isalnum())
        self._label = re.compile(
            r"^(?P<lead>\s*(?:[" + bullet_class + r"](?=\s|\d)\s*)?)"
            r"(?:(?P<paren>\((?P<pl>\d{1,2}|[a-zA-Z]|[ivx]{1,5})\))"
            r"|(?P<plain>(?P<num>\d{1,2}(?:\.\d{1,2})*)|(?P<letter>[a-zA-Z])|(?P<roman>[ivxIVX]{1,5}))"
            r"[.)](?!\d))"
            r"\s*"
        )
        self._bullet = re.compile(r"^(?P<lead>\s*)[" + bullet_class + r"](?=\s)\s*")

    def label(self, line: Line) -> Optional[tuple[str, str, int, int]]:
        """If ``line`` starts an item: (label, style, indent, offset of its text within the line)."""
        text = line.text
        match = self._label.match(text)
        if match and match.end() < len(text):
            if match.group("paren"):
                value = match.group("pl")
                style = "paren-" + _style(value)
            else:
                value = match.group("num") or match.group("letter") or match.group("roman")
                style = _style(value)
                if style == "letter" and not _looks_like_letter_label(text, match):
                    return None
            if style == "roman" and value.isupper():
                style = "ROMAN"
            indent = len(text) - len(text.lstrip())
            return value, style, indent, match.end()
        bullet = self._bullet.match(text)
        if bullet and bullet.end() < len(text):
            return "", "bullet:" + text.strip()[0], len(bullet.group("lead")), bullet.end()
        return None

    def outline(self, lines: list[Line]) -> list[Item]:
        """Build the item tree of one section's lines."""
        roots: list[Item] = []
        stack: list[Item] = []  # open items, outermost first
        last: Optional[Item] = None
        for line in lines:
            if not line.text.strip():
                continue
            found = self.label(line) or _glued_label(line, last)
            if found is None:
                if last is not None and self._continues(line, last):
                    last.end = line.end
                    last.opens_list = line.text.rstrip().endswith(":")
                    continue
                found = ("", "plain", line.indent, line.indent)
            value, style, indent, offset = found
            if style == "letter" and value.lower() in "ivx" and not _continues_letters(stack, value, indent):
                style = "roman"  # "i." opens a roman list unless it follows "h." at the same indent
            body_start = line.start + offset
            item = Item(value, style, indent, body_start, line.end, line.text.rstrip().endswith(":"))
            parent_depth = self._depth(stack, item)
            if parent_depth >= MAX_DEPTH:
                parent_depth, item.flattened = MAX_DEPTH - 1, True
            del stack[parent_depth:]
            siblings = stack[-1].children if stack else roots
            if not item.label:
                item.label = str(len(siblings) + 1)
            siblings.append(item)
            stack.append(item)
            last = item
        return roots

    @staticmethod
    def _continues(line: Line, last: Item) -> bool:
        if last.style == "plain":
            # unlabelled items: a wrapped line is indented more, or the item has not ended its sentence
            return line.indent > last.indent
        return True

    @staticmethod
    def _depth(stack: list[Item], item: Item) -> int:
        """How many open items stay open above ``item`` (its depth in the tree)."""
        restart = item.label in ("1", "a", "A", "i", "I")
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth].style == item.style and _follows(stack[depth].label, item.label):
                return depth  # "3." after "2." is its sibling, whatever the indent (innermost list first)
        for depth, open_item in enumerate(stack):
            if open_item.style == item.style and abs(open_item.indent - item.indent) <= 1:
                if not (restart and open_item.opens_list):
                    return depth  # a list restarting "1." under "following:" nests; elsewhere it is a sibling
        for depth, open_item in enumerate(stack):
            if open_item.style == item.style and item.indent < open_item.indent:
                return depth
        if len(stack) > 1 and item.style == "letter" and item.indent < stack[-1].indent:
            return len(stack) - 1  # a stray lettered item after a sub-list joins it
        for depth, open_item in enumerate(stack):
            if (open_item.style.startswith("bullet:") and item.indent < open_item.indent
                    and not (restart and open_item.opens_list)):
                return depth  # "2. Healthy participants:" after indented bullets closes them (by style, never label)
        return len(stack)


def _ordinal(label: str) -> Optional[int]:
    if label.isdigit():
        return int(label)
    lower = label.lower()
    if len(lower) > 1 or lower in "ivx":
        values = {"i": 1, "v": 5, "x": 10}
        if all(ch in values for ch in lower):
            total = 0
            for a, b in zip(lower, lower[1:] + " "):
                total += -values[a] if values.get(b, 0) > values[a] else values[a]
            return total
    return ord(lower) - ord("a") + 1 if len(lower) == 1 and lower.isalpha() else None


def _follows(previous: str, label: str) -> bool:
    """Whether ``label`` comes right after ``previous`` in its numbering (2 -> 3, b -> c, ii -> iii)."""
    if "." in previous or "." in label or not previous or not label:
        return False
    before, after = _ordinal(previous), _ordinal(label)
    return before is not None and after is not None and after == before + 1


def _continues_letters(stack: list[Item], value: str, indent: int) -> bool:
    return any(item.style == "letter" and item.indent == indent and len(item.label) == 1
               and ord(item.label.lower()) == ord(value.lower()) - 1 for item in stack)


#: A number glued to its text by a space only, before a capital: "1 Participant must be >18 years".
_GLUED = re.compile(r"^\s*(?P<num>\d{1,2})\s+(?=[A-Z][a-z])")


def _glued_label(line: Line, last: Optional[Item]) -> Optional[tuple[str, str, int, int]]:
    """A list label without its full stop: "1 " opening the first item, or the number after the last one so
    labelled ("2 " after "1 "); else the number is the text's own ("2 Participants")."""
    found = _GLUED.match(line.text)
    if found is None:
        return None
    expected = int(last.label) + 1 if last is not None and last.style == "glued" else 1
    if int(found.group("num")) != expected or (last is not None and last.style != "glued"):
        return None
    return found.group("num"), "glued", line.indent, found.end()


def _style(value: str) -> str:
    if value[0].isdigit():
        return "number"
    if len(value) > 1 and _is_roman(value.lower()):
        return "roman"
    return "letter"


def _looks_like_letter_label(text: str, match: re.Match[str]) -> bool:
    """'c.Multiple' and 'a) age' are labels; 'e.g. ...' and 'A. baumannii' are not."""
    after = text[match.end():match.end() + 3]
    if re.match(r"[a-zA-Z]\.", after):
        return False
    raw = text[len(match.group("lead")):match.end()].strip()
    return raw.endswith((".", ")"))
