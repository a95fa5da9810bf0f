"""Clause logic of one criterion: how its parts combine, and which of its clauses are not requirements.

A criterion's *parts* are spans of its text (its constraints' words, or an annotator's mentions). The reader
gives them:

- **clauses** that are not requirements, from the ConText cues of ``grammars/context.jsonl``
  (:mod:`.context`): a *condition* (a ``HYPOTHETICAL`` cue whose rule's ``metadata`` says ``"clause":
  "condition"``: "if eGFR ≥ 45", "for subjects with creatinine > 1.5 × ULN"), a *permission* (``PERMITTED``:
  "palliative radiotherapy ≤ 2 weeks is allowed") and an *exception* (``EXCEPTED``: "except liver metastases");
  each part says which clause, if any, holds it;
- a **logic tree** over the rest, and one over the parts of each clause: ``all`` or ``any`` nodes whose joiners
  are the words between two neighbouring parts (``cues.jsonl``: ``alternative`` "or", ``conjunction`` "and",
  ``list_separator`` "," and "/", which take the list's last joiner, ``clause_break`` ";"). Alternatives
  whatever the joiner: a part in parentheses after another with a condition of its own ("AST ≤ 3 × ULN (≤ 5 ×
  ULN if liver metastases)"), limits for different groups of people (``population``: "< 11.5 g/dL for females
  and < 12.5 g/dL for men"; ``respectively``: "≥ 1.5 and ≥ 1.4 mg/dL in males and females respectively"), bare
  classes of one scale ("NYHA III and IV"), a limit that a condition opening the next clause relaxes ("bilirubin
  < 1.5 × ULN. If taking atazanavir, bilirubin ≤ 5 × ULN is acceptable"), and in an exclusion the coordinated
  subjects of one limit ("ALT, AST and bilirubin > 2 × ULN": any of them excludes). "Or" binds tighter than
  "and" ("creatinine ≤ 1.5 × ULN or CrCl ≥ 60 mL/min, and bilirubin ≤ 1.5 mg/dL"), and a clause break ends
  both.

:class:`ClauseFinder` finds the clauses; what the reader asks of one part (a bound, a class of a scale, the groups
of people a limit is for) and how a criterion's sub-items combine ("any of the following", "at least two of the
following": ``at_least`` 2) are the readers of :mod:`.clause_parts`. No spaCy here; offsets are into the text
given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence, Union

from .clauses import clause_around
from .context import ContextReader, Modifier, context_reader
from .loader import Grammars
from .clause_parts import Bounds, Populations, ScaleClasses, SubItems, cue_rules
from .phrases import compile_phrases, normalize

#: What each joining cue of cues.jsonl makes of two neighbouring parts.
JOINING_CUES = {"clause_break": "break", "alternative": "any", "conjunction": "all", "list_separator": "list"}
#: Which ConText category makes which kind of clause (a HYPOTHETICAL cue only when its rule opens a condition).
CLAUSE_KINDS = {"HYPOTHETICAL": "condition", "PERMITTED": "permission", "EXCEPTED": "exception"}

_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_OPENING = re.compile(r"\s*[(\[]\s*")
_WORDS = re.compile(r"[^\W_]+")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class Joiner:
    """A word joining two neighbouring parts: ``any`` ("or"), ``all`` ("and", nothing), a clause break, or a
    list separator; ``start`` = ``end`` where no word joins them."""

    logic: str
    start: int
    end: int
    text: str
    rule: Optional[str] = None


@dataclass(frozen=True)
class Clause:
    """A clause that is not a requirement: its kind, the words it covers (cue and scope) and its cue."""

    kind: str  # condition, permission, exception
    start: int
    end: int
    cue_start: int
    cue_end: int
    rule: str


@dataclass(frozen=True)
class Node:
    """A node of a logic tree: ``all``, ``any`` or ``at_least`` ``count`` of its members (part indices or nodes),
    with the joiners between neighbouring members."""

    logic: str
    members: tuple[Union[int, "Node"], ...]
    joiners: tuple[Joiner, ...] = ()
    count: Optional[int] = None

    def parts(self) -> list[int]:
        """The part indices under this node, in order."""
        return [p for m in self.members for p in ([m] if isinstance(m, int) else m.parts())]


@dataclass(frozen=True)
class Reading:
    """What the reader makes of one criterion: the clauses, the clause (index) of each part, and the logic of the
    requirement's parts and of each clause's parts."""

    clauses: tuple[Clause, ...]
    roles: tuple[Optional[int], ...]
    logic: Node
    clause_logic: tuple[Node, ...]

    def joined(self, first: int, second: int) -> str:
        """How parts ``first`` and ``second`` combine: ``any`` or ``all`` (the lowest node holding both; parts of
        different clauses must all hold, but a requirement and a part of an exception are alternatives: "creatinine
        ≤ 1.5 mg/dL unless CrCl ≥ 60 mL/min" is met by either, "HCV antibody positive unless HCV RNA negative"
        excludes only without the second)."""
        if self.roles[first] != self.roles[second]:
            kinds = {None if role is None else self.clauses[role].kind for role in (self.roles[first],
                                                                                    self.roles[second])}
            return "any" if kinds == {None, "exception"} else "all"
        node = self.logic if self.roles[first] is None else self.clause_logic[self.roles[first]]
        while True:
            inner = next((m for m in node.members if isinstance(m, Node) and {first, second} <= set(m.parts())), None)
            if inner is None:
                return "any" if node.logic == "any" else "all"
            node = inner


class ClauseFinder:
    """Finds the clauses of criterion texts that are not requirements: conditions, permissions and exceptions, from
    the ConText cues (one finder per grammar set)."""

    def __init__(self, grammars: Grammars, context: ContextReader) -> None:
        self.grammars = grammars
        self.context = context
        self._conditions = {rule.id for rule in grammars.context
                            if rule.metadata.get("clause") in ("condition", "parallel_condition")}
        self._parallel = {rule.id for rule in grammars.context if rule.metadata.get("clause") == "parallel_condition"}
        self._alternatives = [(re.compile(rule.pattern or re.escape(rule.literal), re.IGNORECASE), rule.id)
                              for rule in grammars.context if rule.category == "ALTERNATIVE"]
        self._circumstance = compile_phrases(grammars.cue_phrases("circumstance"))

    def find(self, text: str, modifiers: Optional[list[Modifier]] = None, exclusion: bool = False) -> list[Clause]:
        """The condition, permission and exception clauses of ``text`` (an ``exclusion`` criterion's), in text
        order."""
        found = []
        for m in self.context.modifiers(text, exclusion) if modifiers is None else modifiers:
            kind = CLAUSE_KINDS.get(m.category)
            if kind is None or (m.category == "HYPOTHETICAL" and m.rule not in self._conditions):
                continue
            start, end = min(m.start, m.scope_start), max(m.end, m.scope_end)
            found.append(Clause(kind, start, _unclosed(text, m.start, end), m.start, m.end, m.rule))
            if kind == "condition":
                found.extend(self._alternative_condition(text, found[-1]))
        # an alternative's condition only where no cue of its own opens one ("... or < 8 mmol/L in patients on X")
        alternative = {rule for _, rule in self._alternatives}
        found = [c for c in found if c.rule not in alternative or not any(
            o.kind == "condition" and o.rule not in alternative and o.start <= c.cue_start < o.end for o in found)]
        # a parallel condition only beside a condition in parentheses before it ("(age ≥ 16) or Lansky (< 16)")
        return [c for c in found if c.rule not in self._parallel or any(
            o.rule in self._conditions - self._parallel and text[o.cue_start] == "(" and o.cue_start < c.cue_start
            for o in found)]

    def _alternative_condition(self, text: str, condition: Clause) -> list[Clause]:
        """The condition of the alternative limit an ``ALTERNATIVE`` terminator ends ``condition`` at: the words
        from the first ``circumstance`` word after the limit's number (at most three words on: its unit) to the
        end of the clause ("HbA1c ≤ 9% if on triple therapy or ≤ 10% *on diet & exercise*"); none when no such
        word follows (the limit is a plain alternative)."""
        for pattern, rule in self._alternatives:
            cut = pattern.search(text, condition.end, min(len(text), condition.end + 16))
            if cut is None or text[condition.end:cut.start()].strip():
                continue
            number = _DIGITS.search(text, cut.end())
            end = clause_around(self.grammars, text, cut.start())[1]
            opener = self._circumstance.search(text, number.end(), end) if number and number.end() < end else None
            if opener is None or len(text[number.end():opener.start()].split()) > 3:
                return []
            closed = _unclosed(text, opener.start(), end)
            return [Clause("condition", opener.start(), len(text[:closed].rstrip(" .;,")), opener.start(),
                           opener.end(), rule)]
        return []


class ClauseReader:
    """Reads the clause logic of criterion texts (one reader per grammar set)."""

    def __init__(self, grammars: Grammars, context: ContextReader) -> None:
        self.grammars = grammars
        self.context = context
        self.finder = ClauseFinder(grammars, context)
        self.bounds = Bounds(grammars)
        self.classes = ScaleClasses(grammars, self.bounds)
        self.populations = Populations(grammars)
        self.sub_items = SubItems(grammars)
        self._joiners = {kind: compile_phrases(grammars.cue_phrases(kind)) for kind in JOINING_CUES}
        #: any joining cue: one search tells a gap that holds none (their sources have no groups to clash)
        self._any_joiner = re.compile("|".join(f"(?:{p.pattern})" for p in self._joiners.values()), re.IGNORECASE)
        self._rules = cue_rules(grammars)

    def read(self, text: str, parts: list[tuple[int, int]], exclusion: bool = False,
             limits: Optional[list[Optional[tuple[int, int]]]] = None,
             cues: Optional[Sequence[Modifier]] = None) -> Reading:
        """The clauses of ``text`` and the logic of ``parts`` (spans into ``text``).

        ``limits`` gives the span of each part's value: parts with one value are coordinated subjects ("ALT, AST
        and bilirubin > 2 × ULN"); in an ``exclusion`` criterion they are alternatives (any of them excludes:
        the inclusion "ALT and AST ≤ 2 × ULN" turned round), else the joiner decides. ``cues``: the ConText
        cues of ``text`` before mentions cut any (:meth:`.context.ContextReader.scoped`), if the caller has them.
        """
        clauses = self.finder.find(text, None if cues is None else list(cues), exclusion)
        roles = [self._role(clauses, start, end) for start, end in parts]
        limited = [a for a in range(len(parts)) if limits[a] is not None] if limits else []
        shared = {(a, b) for a in limited for b in limited if a != b and limits[a] == limits[b]} if exclusion else set()
        shared |= set(self._relaxed(text, parts, clauses, roles))
        shared |= {(a, b) for a, b in zip(range(len(parts)), range(1, len(parts)))
                   if self.bounds.disjoint(text, parts[a], parts[b])}
        unclassed = [b for b in limited if not self.classes.is_class(text, parts[b])]
        apart = {(a, b) for a in limited for b in unclassed
                 if limits[a] != limits[b]}  # "ECOG 0, 1, or 2": values of one measure
        trees = [self._tree(text, parts, [i for i, r in enumerate(roles) if r == role], clauses, shared, apart,
                            exclusion)
                 for role in (None, *range(len(clauses)))]
        return Reading(tuple(clauses), tuple(roles), trees[0], tuple(trees[1:]))

    def _relaxed(self, text: str, parts: list[tuple[int, int]], clauses: list[Clause],
                 roles: list[Optional[int]]) -> list[tuple[int, int]]:
        """(a, b) for each limit ``b`` that a condition opening its clause relaxes for the same measure as a
        requirement ``a`` in the clause before ("Total bilirubin < 1.5 × ULN. If taking atazanavir, total
        bilirubin ≤ 5 × ULN is acceptable"): an alternative under its condition, not a second requirement nor a
        permission, so ``roles`` of b becomes None (a requirement). The condition opens b's clause and b's limit
        comes after it; the same measure: the last word before b's comparator is among the words before a's."""
        found: list[tuple[int, int]] = []
        if not any(c.kind == "condition" for c in clauses):
            return found  # no condition opens any part's clause
        for b, (start, end) in enumerate(parts):
            low = clause_around(self.grammars, text, start)[0]
            opening = [i for i, c in enumerate(clauses) if c.kind == "condition" and low <= c.cue_start < start
                       and c.end < end]
            before = [i for i, (_, e) in enumerate(parts) if roles[i] is None and e <= low]
            if not opening or not before or \
                    (roles[b] not in (None, *opening) and clauses[roles[b]].kind != "permission"):
                continue
            a = max(before, key=lambda i: parts[i][1])
            first, second = self.bounds.bound(text, parts[a]), self.bounds.bound(text, parts[b])
            heads = _WORDS.findall(second[0]) if second else []
            if first and heads and heads[-1] in _WORDS.findall(first[0]):
                found.append((a, b))
                roles[b] = None
        return found

    @staticmethod
    def _role(clauses: list[Clause], start: int, end: int) -> Optional[int]:
        """The innermost clause holding the part's first word (none: the part is a requirement)."""
        holding = [i for i, c in enumerate(clauses) if c.start <= start < c.end and not c.cue_start <= start < c.cue_end]
        return min(holding, key=lambda i: clauses[i].end - clauses[i].start) if holding else None

    def _tree(self, text: str, parts: list[tuple[int, int]], members: list[int], clauses: list[Clause],
              shared: set[tuple[int, int]], apart: set[tuple[int, int]] = frozenset(), exclusion: bool = False) -> Node:
        """``all`` over the runs split by clause breaks and "and", each run ``any`` of its parts joined by "or";
        ``shared``: pairs of parts that are alternatives whatever joins them; ``apart``: pairs with limits of their
        own, which a comma separates as requirements ("bilirubin < 2 mg/dL, AST and/or ALT < 3 × ULN": the comma
        ends the list, it does not take the "and/or") and a slash offers as alternatives ("systolic < 80 mmHg /
        mean arterial pressure < 50 mmHg"). In an ``exclusion`` a list no "and" or "or" ends, and a bare comma
        between limits of their own, list what excludes each on its own ("renal dysfunction, including CrCl < 30
        mL/min, creatinine ≥ 2 mg/dL": any)."""
        members = sorted(members, key=lambda i: parts[i])
        joiners = [self._joiner(text, parts[a], parts[b], clauses) for a, b in zip(members, members[1:])]
        bare = [_BRACKETED.sub("", text[parts[a][1]:parts[b][0]]).strip() in (",", "/")
                for a, b in zip(members, members[1:])]
        joiners = [Joiner("any", j.start, j.end, j.text, j.rule) if (a, b) in shared else
                   j if (a, b) not in apart or j.logic != "list" else
                   Joiner("any", j.start, j.end, j.text, j.rule) if j.text.strip() == "/" or (exclusion and alone) else
                   Joiner("break", j.start, j.end, j.text, j.rule) if j.text.strip() == "," else j
                   for a, b, j, alone in zip(members, members[1:], joiners, bare)]
        after = self._joiner(text, parts[members[-1]], _clause_end(self.grammars, text, parts[members[-1]][1]),
                             clauses) if members else None
        logic = _resolve_lists([j.logic for j in joiners], after.logic if after and after.text else "none",
                               "any" if exclusion else "all", bare)
        runs: list[list[int]] = [[members[0]]] if members else []
        run_joiners: list[list[Joiner]] = [[]]
        top_joiners = []
        for member, joiner, kind in zip(members[1:], joiners, logic):
            if kind == "any":
                runs[-1].append(member)
                run_joiners[-1].append(joiner)
            else:
                runs.append([member])
                run_joiners.append([])
                top_joiners.append(joiner)
        nodes: list[Union[int, Node]] = [run[0] if len(run) == 1 else Node("any", tuple(run), tuple(js))
                                         for run, js in zip(runs, run_joiners)]
        if len(nodes) == 1 and isinstance(nodes[0], Node):
            return nodes[0]
        return Node("all", tuple(nodes), tuple(top_joiners))

    def _joiner(self, text: str, first: tuple[int, int], second: tuple[int, int], clauses: list[Clause]) -> Joiner:
        """The word joining two neighbouring parts: the strongest joining cue between them outside parentheses
        (a clause break, then "or", "and", a list separator; an "or" that opens a parenthesis: "BNP > 150 pg/mL
        (or NT-proBNP ≥ 600 pg/mL)"), an alternative in parentheses with a condition of
        its own, else none (all)."""
        start, end = min(first[1], second[0]), second[0]
        if self.classes.of_one_scale(text, first, second, start, end):
            return Joiner("any", start, end, text[start:end], "cue.listing")
        groups = self.populations.of(text, first), self.populations.of(text, second)
        if groups[0] and groups[1] and groups[0] != groups[1]:
            return Joiner("any", start, end, text[start:end], min(groups[0]))
        paired = self.populations.paired(text, second)
        if paired and self._joiners["clause_break"].search(text, start, end) is None:
            return Joiner("any", start, end, text[start:end], paired)
        if self._any_joiner.search(text, start, end) is not None:  # no kind matches where none of them does
            for kind in JOINING_CUES:
                for match in self._joiners[kind].finditer(text, start, end):
                    opens = kind == "alternative" and _OPENING.fullmatch(text, start, match.start())  # "X (or Y)"
                    if opens or _outside(text, start, match.start(), match.end()):
                        rule = self._rules.get((kind, normalize(match.group())))
                        return Joiner(JOINING_CUES[kind], match.start(), match.end(), match.group(), rule)
        opening = max(text.rfind("(", start, end), text.rfind("[", start, end))  # depth counts both brackets
        if _depth(text, start, end) > 0 and any(c.kind == "condition" and opening <= c.start < _close(text, end) for c in clauses):
            return Joiner("any", opening, opening + 1, "(")
        return Joiner("all", end, end, "")


def _resolve_lists(logic: list[str], after: str, unended: str = "all", bare: Optional[list[bool]] = None) -> list[str]:
    """Each list separator takes the logic of the next joiner that is none ("A, B or C": any); the last list
    takes ``after``, the joiner after the last part in its clause ("A, B, C or other ..."), or ``unended`` when
    no "and" or "or" follows it and nothing but the separator stands between its parts (``bare``: "A, having B"
    is no list). A clause break counts as all."""
    resolved = ["all" if kind == "break" else kind for kind in logic]
    following = after if after in ("any", "all") else None
    for index in range(len(resolved) - 1, -1, -1):
        if logic[index] == "list":
            resolved[index] = following or (unended if bare is None or bare[index] else "all")
        else:
            following = "all" if logic[index] == "break" else resolved[index]
    return resolved


def _depth(text: str, start: int, end: int) -> int:
    """The bracket depth at ``end`` of the words from ``start`` (both kinds of bracket count)."""
    words = text[start:end]
    return words.count("(") + words.count("[") - words.count(")") - words.count("]")


def _outside(text: str, start: int, low: int, high: int) -> bool:
    """Whether every character from ``low`` to ``high`` stands outside the brackets opened since ``start`` and is no
    closing bracket."""
    depth = _depth(text, start, low)
    for index in range(low, high):
        char = text[index]
        depth += (char in "([") - (char in ")]")
        if depth > 0 or char in ")]":
            return False
    return True


def _clause_end(grammars: Grammars, text: str, at: int) -> tuple[int, int]:
    """An empty part where the clause holding ``at`` ends."""
    end = clause_around(grammars, text, at)[1]
    return end, end


def _unclosed(text: str, cue: int, end: int) -> int:
    """Where a clause whose cue starts at ``cue`` ends: at ``end``, or before a ")" that closes a parenthesis
    the cue stands in ("(≤ 5 × ULN in case of liver metastases)"), or after the one that closes a parenthesis
    the cue opens ("(age ≥ 16) or Lansky")."""
    depth = 0
    for index in range(cue, end):
        depth += (text[index] == "(") - (text[index] == ")")
        if depth < 0:
            return index
        if depth == 0 and text[index] == ")" and text[cue] == "(":
            return index + 1
    return end


def _close(text: str, at: int) -> int:
    """Where the parenthesis open at ``at`` closes (the text's end if it does not)."""
    depth = 1
    for index in range(at, len(text)):
        depth += (text[index] == "(") - (text[index] == ")")
        if depth == 0:
            return index
    return len(text)


#: One reader per grammar set, by the set's identity.
_READERS: dict[int, tuple[Grammars, ClauseReader]] = {}


def clause_reader(grammars: Grammars) -> ClauseReader:
    """The one clause reader of ``grammars`` (built once per grammar set)."""
    known = _READERS.get(id(grammars))
    if known is None or known[0] is not grammars:
        known = _READERS[id(grammars)] = (grammars, ClauseReader(grammars, context_reader(grammars)))
    return known[1]
