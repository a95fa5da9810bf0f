"""Find the parts of a listing page: trial information and the criteria sections.

Reads the decoded text line by line with the vocabularies of
``grammars/listing.json``: headings (exact, or fuzzy for misspellings such as
"Inclution Criteria"), end markers where page chrome starts, statuses, sexes,
phases and the NCT id pattern. Writes nothing but the returned
:class:`PageLayout`; criteria inside a section are split by :mod:`.outline`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple, Optional

from rapidfuzz import fuzz, process

from ..grammar.loader import ListingGrammar
from ..model import SectionKind, TrialInfo

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_LEADING_NOISE = "#*_>•-"
_TRAILING_NOISE = "*_:"
#: A label some registries put before the heading on the same line.
_HEADING_PREFIX = re.compile(r"(?:eligibility\s+)?criteria\s*:\s*", re.IGNORECASE)
#: A heading whose words name criteria ("exclusion criteria", "criteria for inclusion") may be qualified.
_NAMES_CRITERIA = re.compile(r"criteri", re.IGNORECASE)
#: Up to six words qualifying a heading before it: "Cystic Fibrosis Main Study", "Sub-study", "Part 2".
_QUALIFIER_BEFORE = r"(?:[A-Za-z0-9(][\w'/&()-]*[\s,]+){1,6}"
#: The list label of a group of criteria whose heading follows it: "1. Parkinson's Disease (PD) group Inclusion
#: criteria:" (such a heading needs its colon: "2. Patients who do not meet the inclusion criteria" is a criterion).
_GROUP_LABEL = re.compile(r"\d{1,2}[.)]\s+")
#: Up to four words qualifying a heading after it, without a colon: "Disease Related".
_QUALIFIER_AFTER = re.compile(r"(?:\s+[A-Za-z][\w'/&-]*){1,4}\s*")
#: Below this similarity a line is not taken for a misspelled heading.
_FUZZY_HEADING_CUTOFF = 88


@dataclass(frozen=True)
class Line:
    """One line of the input: its text without the line break, and where it starts."""

    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip())


@dataclass
class SectionBlock:
    """A criteria section before its items are split: heading and body lines."""

    kind: SectionKind
    heading: str
    start: int
    lines: list[Line] = field(default_factory=list)

    @property
    def end(self) -> int:
        content = [line for line in self.lines if line.text.strip()]
        return content[-1].end if content else self.start + len(self.heading)


class Heading(NamedTuple):
    """A heading found on a line: its kind and words, where the rest of the line (criteria after its colon)
    starts, and where the heading starts when the words before it are a criterion's (else 0)."""

    kind: SectionKind
    words: str
    body: int
    glued: int = 0


@dataclass
class PageLayout:
    """What :func:`read_page` found."""

    trial: TrialInfo
    sections: list[SectionBlock]
    warnings: list[str]
    page: bool = False  # the text has a listing page's chrome ("Study details", ...), not only criteria


def split_lines(text: str) -> Iterator[Line]:
    """Yield the lines of ``text`` with their offsets (LF, CRLF and CR endings)."""
    for match in _LINE.finditer(text):
        raw = match.group()
        if not raw:
            break
        yield Line(raw.rstrip("\r\n"), match.start())


def _strip_noise(text: str) -> str:
    """``text`` without the marks around a heading ("## Inclusion Criteria: **"), in one pass over it (a regex
    anchored at the end would try every position of a long line of spaces)."""
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or text[start] in _LEADING_NOISE):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _TRAILING_NOISE):
        end -= 1
    return text[start:end]


class PageReader:
    """Reads page layout with one listing grammar; build once, call :meth:`read` per page."""

    def __init__(self, grammar: ListingGrammar) -> None:
        self.grammar = grammar
        self._headings = {h: SectionKind.INCLUSION for h in grammar.inclusion_headings}
        self._headings.update({h: SectionKind.EXCLUSION for h in grammar.exclusion_headings})
        by_length = sorted(self._headings, key=len, reverse=True)
        headings = r"(?P<heading>" + "|".join(re.escape(h) for h in by_length) + r")(?=$|[\s:(\-*_])"
        self._heading_re = re.compile(headings, re.IGNORECASE)
        self._qualified_re = re.compile(_QUALIFIER_BEFORE + headings, re.IGNORECASE)
        self._end_markers = {m.lower() for m in grammar.end_markers}
        self._chrome = {c.lower() for c in grammar.chrome_lines}
        self._statuses = {s.lower(): s for s in grammar.statuses}
        self._sexes = {s.lower() for s in grammar.sexes}
        self._phase = re.compile(grammar.phase_pattern, re.IGNORECASE)
        self._nct = re.compile(grammar.nct_pattern)
        self._conditions_heading = {c.lower() for c in grammar.conditions_heading}
        months = "|".join(re.escape(m) for m in grammar.months)
        self._date = re.compile(rf"^\d{{1,2}} (?:{months})[a-z]* \d{{4}}$|^\d{{4}}-\d{{2}}-\d{{2}}$", re.IGNORECASE)

    def heading(self, line: Line) -> Optional[Heading]:
        """If ``line`` is a section heading, or ends in one: its kind, its words, where they start and where the
        rest of the line starts.

        A heading may have a few words before it ("Sub-study Exclusion Criteria:", "Cystic Fibrosis Main Study
        Inclusion Criteria:") or after it ("Exclusion Criteria Disease Related") when it names criteria, and
        criteria may follow its colon on the same line, however long. A capitalized heading after words in lower
        case that are not a title ("- Signed informed consent Exclusion criteria:", a line break lost) starts
        after them: they are the last criterion of the section before (``Heading.start``).
        """
        stripped = _strip_noise(line.text)
        if not stripped:
            return None
        lead = len(line.text) - len(line.text.lstrip(" \t#*_>•-"))
        prefix = _HEADING_PREFIX.match(line.text, lead)  # "Criteria: Inclusion Criteria:"
        lead = prefix.end() if prefix and self._heading_re.match(line.text, prefix.end()) else lead
        match = self._heading_re.match(line.text, lead)
        glued = None if match else self._glued(line.text, lead)
        if glued is not None:
            lead, match = glued.start(), glued
        match = match or self._qualified(line.text, lead)
        group = None if match else _GROUP_LABEL.match(line.text, lead)
        if group is not None:
            match = self._qualified(line.text, group.end(), colon_only=True)
            lead = group.end() if match else lead
        if match:
            rest = line.text[match.end():]
            colon = rest.find(":")
            tail = rest[colon + 1:] if colon >= 0 else ""
            named = _NAMES_CRITERIA.search(match.group())
            # "Inclusion Criteria for cohort A:" is a heading; "Inclusion of patients who ..." is not.
            if colon < 0 and rest.strip() and not rest.strip().startswith("("):
                if not (named and _QUALIFIER_AFTER.fullmatch(rest)):
                    return None
                return Heading(self._headings[match.group("heading").lower()], line.text[lead:].strip(), len(line.text))
            limits = self.grammar
            if colon > limits.heading_colon_within or (colon < 0 and len(stripped) > limits.heading_line_within):
                return None
            body = match.end() + (colon + 1 if colon >= 0 else len(rest))
            if not tail.strip(" \t*_"):
                body = len(line.text)
            glued_at = lead if glued is not None else 0
            return Heading(self._headings[match.group("heading").lower()], line.text[lead:match.end()], body, glued_at)
        words = stripped.lower()
        if len(words) <= self.grammar.fuzzy_heading_within and ("clu" in words or "crit" in words):
            found = process.extractOne(words, list(self._headings), scorer=fuzz.ratio, score_cutoff=_FUZZY_HEADING_CUTOFF)
            if found:
                return Heading(self._headings[found[0]], stripped, len(line.text))
        return None

    def _qualified(self, text: str, lead: int, colon_only: bool = False) -> Optional[re.Match[str]]:
        """A heading that names criteria after a few words of its own ("Sub-study Exclusion Criteria:"); with
        ``colon_only``, only one a colon ends."""
        found = self._qualified_re.match(text, lead)
        if not found or not _NAMES_CRITERIA.search(found.group("heading")):
            return None
        # a colon ends it, or its words are capitalized as a title's: "Patients who fail the inclusion criteria"
        # is a criterion
        titled = all(word[:1].isupper() or word[:1].isdigit() for word in text[lead:found.start("heading")].split())
        colon = text[found.end():].lstrip().startswith(":")
        return found if colon or (titled and not colon_only) else None

    def _glued(self, text: str, lead: int) -> Optional[re.Match[str]]:
        """A capitalized heading with its colon after words of a criterion in lower case: "Signed informed consent
        Exclusion criteria:" (not a title, "Sub-study Exclusion Criteria:", nor a heading in lower case,
        "Specific inclusion criteria for healthy participants:")."""
        found = None if _GROUP_LABEL.match(text, lead) else self._qualified_re.match(text, lead)
        if not found or not _NAMES_CRITERIA.search(found.group("heading")):
            return None
        words = text[lead:found.start("heading")].split()
        if not text[found.end():].lstrip().startswith(":") or not found.group("heading")[:1].isupper():
            return None
        if not words[-1][:1].islower():
            return None
        return self._heading_re.match(text, found.start("heading"))

    def read(self, text: str) -> PageLayout:
        """Split ``text`` into trial information and criteria sections.

        Args:
            text: the decoded listing.

        Returns:
            The layout; ``sections`` is empty when no heading was found.
        """
        lines = list(split_lines(text))
        sections: list[SectionBlock] = []
        warnings: list[str] = []
        current: Optional[SectionBlock] = None
        outside: list[Line] = []
        for line in lines:
            found = self.heading(line)
            if found:
                kind, words, body, glued = found
                number = _line_number(text, line.start)
                start = glued or len(line.text) - len(line.text.lstrip())
                if glued:
                    before = line.text[:glued].rstrip()
                    where = f"the last {current.kind.value} criterion" if current else "outside any section"
                    warnings.append(f"line {number}: read {_strip_noise(before)!r} before heading {words!r} as {where}")
                    (current.lines if current else outside).append(Line(before, line.start))
                if words.lower() not in self._headings:
                    warnings.append(f"line {number}: read heading {words!r} as {kind.value}")
                current = SectionBlock(kind, words, line.start + start)
                sections.append(current)
                rest = line.text[body:]
                if rest.strip():
                    current.lines.append(Line(rest, line.start + body))
                continue
            if current is not None and self._is_end(line):
                current = None
            if current is not None:
                current.lines.append(line)
            else:
                outside.append(line)
        page = any(self._is_end(line) or line.text.strip().lower() in self._chrome for line in outside)
        return PageLayout(self._trial(outside), sections, warnings, page)

    def headless(self, text: str) -> list[SectionBlock]:
        """The whole of ``text`` as one inclusion section, for criteria fields without headings."""
        return [SectionBlock(SectionKind.INCLUSION, "", 0, list(split_lines(text)))]

    def _is_end(self, line: Line) -> bool:
        words = line.text.strip().rstrip(":").lower()
        return words in self._end_markers

    def _trial(self, lines: list[Line]) -> TrialInfo:
        info = TrialInfo()
        texts = [line.text.strip() for line in lines]
        for index, words in enumerate(texts):
            lower = words.lower()
            if not words:
                continue
            nct = self._nct.search(words)
            if nct and info.nct_id is None:
                info.nct_id = nct.group()
                if words == nct.group():
                    info.sponsor = self._next_value(texts, index + 1)
                continue
            if lower in self._statuses and info.status is None:
                info.status = words
            elif lower in self._sexes and info.sex is None:
                info.sex = words
            elif self._phase.match(lower) and info.phase is None:
                info.phase = re.sub(r"(?i)^phase\s*", "", words) or words
            elif lower in self._conditions_heading and not info.conditions:
                info.conditions = self._block(texts, index + 1)
            elif info.title is None and lower not in self._chrome and len(words) > 8:
                info.title = words
        return info

    def _next_value(self, texts: list[str], start: int) -> Optional[str]:
        for words in texts[start:]:
            if not words:
                continue
            if words.lower() in self._chrome or self._date.match(words):
                return None
            return words
        return None

    @staticmethod
    def _block(texts: list[str], start: int) -> list[str]:
        out = []
        for words in texts[start:]:
            if not words:
                if out:
                    break
                continue
            out.append(words)
        return out


def _line_number(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
