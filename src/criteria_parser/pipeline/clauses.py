"""``criteria_clauses``: assertions, condition and permission clauses, exceptions and the logic tree of a criterion.

Reads ``doc._.cp_modifiers`` (``criteria_context``), ``doc._.cp_found``, ``doc._.cp_constraints`` and
``doc._.cp_exceptions`` (``criteria_constraints``) and ``doc._.cp_exclusion`` (set by the caller); writes
``doc._.cp_clauses`` (a count of sub-items read as a value, "at least *two* of the following", is in no part), a :class:`ClauseStructure` in the model's terms with the doc's offsets and local ids
(``c1``, ``e2``, ``k1``), which the parser moves into the file and the criterion's ids, and how its sub-items
combine ("any of the following", "at least two of the following").

- **Assertions**: every ConText cue whose scope holds an entity, or a constraint's value or subject, is one of its
  :class:`~..model.Assertion` (negated, hypothetical, permitted, historical, family), with the cue's words and rule.
- **Parts**: the criterion's constraints and the entities no constraint's words hold. The clause reader
  (:mod:`..grammar.clause_logic`) puts each in a condition, permission or exception clause, or among the
  requirements, and reads how the requirements (and each clause's parts) combine: the tree.
- **Conditions**: a condition clause applies to what its rule ``attaches`` to (``grammars/context.jsonl``):
  the nearest part before its cue in its clause that is not in a condition ("CrCl >= 60 mL/min for subjects with
  creatinine > 1.5 x ULN"; ``before``), every such part after it ("Participants with HBV must ..."; ``after``),
  or the first, else the second ("In patients with liver metastases, ALT <= 5 x ULN"; ``before_else_after``).
- **Exceptions** (the spans of ``cp_exceptions``): a constraint inside one is a substitute limit (``limit``) for
  the requirements on the same subject, else for the nearest requirement before it; without one, what it names
  is exempt (``exemption``) from the requirements before it in its clause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from spacy.language import Language
from spacy.tokens import Doc

from ..grammar.clause_logic import ClauseReader, Node, Reading, clause_reader
from ..grammar.clauses import clause_around
from ..grammar.context import Modifier, asserted
from ..grammar.loader import load_grammars
from ..model import (Assertion, AssertionKind, Clause, ClauseKind, Constraint, CriterionException, Excerpt, Joiner,
                     LogicNode, Substitution)
from .context import mentions, scoped_key
from .types import Found, register_extensions, text_of

#: Which ConText category is which assertion (EXCEPTED cues make exceptions, not assertions).
ASSERTIONS = {"NEGATED_EXISTENCE": AssertionKind.NEGATED, "HYPOTHETICAL": AssertionKind.HYPOTHETICAL,
              "PERMITTED": AssertionKind.PERMITTED, "HISTORICAL": AssertionKind.HISTORICAL,
              "FAMILY": AssertionKind.FAMILY}


#: The most constraints and entities a criterion's structure is read for (real criteria hold a few dozen; the red
#: team's "ALT < 3 x ULN except " repeated 1,500 times holds thousands): beyond it, none is read.
MAX_PARTS = 300


@dataclass
class ClauseStructure:
    """What ``criteria_clauses`` found in one doc (offsets into the doc, ids local to it)."""

    assertions: dict[str, list[Assertion]] = field(default_factory=dict)  # by constraint or entity id
    conditions: dict[str, str] = field(default_factory=dict)  # part id -> id of the condition clause
    clauses: list[Clause] = field(default_factory=list)
    exceptions: list[CriterionException] = field(default_factory=list)
    tree: Optional[LogicNode] = None
    #: how the criterion's sub-items combine: (logic, count, span of the words that say so)
    children: tuple[str, Optional[int], Optional[tuple[int, int]]] = ("all", None, None)


@dataclass(frozen=True)
class _Part:
    id: str
    start: int
    end: int
    limit: Optional[tuple[int, int]]  # a constraint's value span
    constraint: Optional[Constraint] = None


class ClauseStructurer:
    """Reads the clause structure of one doc with one grammar set's clause reader."""

    def __init__(self, reader: ClauseReader) -> None:
        self.reader = reader
        self.grammars = reader.grammars
        self._attaches = {rule.id: rule.metadata["attaches"] for rule in self.grammars.context
                          if "attaches" in rule.metadata}

    def read(self, doc: Doc) -> ClauseStructure:
        """The :class:`ClauseStructure` of ``doc``."""
        text = text_of(doc)
        ext = doc._  # each ``doc._`` builds an accessor: one for every read here
        modifiers: list[Modifier] = ext.cp_modifiers
        exclusion = bool(ext.cp_exclusion)
        if modifiers is None:
            modifiers = self.reader.context.modifiers(text, exclusion, mentions(doc))
        structure = ClauseStructure(children=self.reader.sub_items.logic(text))
        said = structure.children[2]
        constraints: list[Constraint] = ext.cp_constraints or []
        found: list[Found] = ext.cp_found or []
        if len(constraints) + len(found) > MAX_PARTS:  # bounded time: pairs of parts and cues are compared
            return structure
        for item in (*constraints, *found):
            marks = _assertions(modifiers, item)
            if marks:
                structure.assertions[item.id] = marks
        # "at least two of the following": a count of sub-items, which is no part of what the criterion asks
        parts = [p for p in _parts(constraints, found) if said is None or not said[0] <= _at(p) < said[1]]
        reading = self.reader.read(text, [(p.start, p.end) for p in parts], exclusion,
                                   [p.limit for p in parts], doc.user_data.get(scoped_key(self.reader.context)))
        exceptions = ext.cp_exceptions or []
        self._clauses(text, parts, reading, exceptions, structure)
        self._exceptions(text, parts, reading, exceptions, structure)
        return structure

    def _clauses(self, text: str, parts: list[_Part], reading: Reading, exceptions: list[tuple[int, int]],
                 structure: ClauseStructure) -> None:
        """Condition and permission clauses (a condition inside an exception is the exception's: "except in
        patients with liver metastases AST <= 5 x ULN"), the tree of the requirements, and what each condition
        applies to."""
        ids: dict[int, str] = {}
        for index, clause in enumerate(reading.clauses):
            if clause.kind not in (ClauseKind.CONDITION.value, ClauseKind.PERMISSION.value) or \
                    any(start <= clause.cue_start < end for start, end in exceptions):
                continue
            ids[index] = f"k{len(ids) + 1}"
            words = text[clause.start:clause.end].rstrip(" ,;:.")
            structure.clauses.append(Clause(
                id=ids[index], kind=clause.kind, text=words, start=clause.start, end=clause.start + len(words),
                cue=Excerpt(text=text[clause.cue_start:clause.cue_end], start=clause.cue_start, end=clause.cue_end),
                rule=clause.rule, parts=[p.id for p, role in zip(parts, reading.roles) if role == index],
                logic=_node(reading.clause_logic[index], parts)))
        in_condition = {i for i, role in enumerate(reading.roles) if role in ids
                        and reading.clauses[role].kind == ClauseKind.CONDITION.value}
        outside = [i for i, role in enumerate(reading.roles) if role is None]
        structure.tree = _counted(_node(reading.logic, parts), parts, structure.children) if outside else None
        for index, clause in enumerate(reading.clauses):
            if ids.get(index) is None or clause.kind != ClauseKind.CONDITION.value:
                continue
            low, high = clause_around(self.grammars, text, clause.cue_start)
            free = [i for i, p in enumerate(parts) if i not in in_condition and low <= p.start < high
                    and (reading.roles[i] is None or reading.roles[i] in ids)]
            attaches = self._attaches.get(clause.rule, "before_else_after")  # the rule's (context.jsonl)
            before = [i for i in free if _at(parts[i]) < clause.cue_start] if attaches != "after" else []
            applies = [max(before, key=lambda i: _at(parts[i]))] if before else \
                [i for i in free if parts[i].start >= clause.end] if attaches != "before" else []
            for i in applies:
                structure.conditions.setdefault(parts[i].id, ids[index])

    def _exceptions(self, text: str, parts: list[_Part], reading: Reading, spans: list[tuple[int, int]],
                    structure: ClauseStructure) -> None:
        """The exceptions at ``spans``: their cue, what they except and what they substitute."""
        found = [c for c in reading.clauses if c.kind == "exception"]
        requirements = [p for p, role in zip(parts, reading.roles) if role is None]
        for number, (start, end) in enumerate(spans, 1):
            words = text[start:end].rstrip()
            cue = next((c for c in found if start <= c.cue_start < end), None)
            inside = [p for p in parts if start <= p.start < end]
            limits = [p for p in inside if p.constraint is not None]
            low = clause_around(self.grammars, text, start)[0]
            before = [p for p in requirements if low <= p.start < start]
            if limits:
                subjects = {_subject(p.constraint) for p in limits}
                excepts = [p for p in requirements if _subject(p.constraint) in subjects - {None}] or \
                    [max((p for p in before if p.constraint is not None), key=lambda p: p.start, default=None)]
            else:
                excepts = [p for p in before if p.constraint is not None] or before[-1:]
            structure.exceptions.append(CriterionException(
                text=words, start=start, end=start + len(words), id=f"x{number}",
                cue=Excerpt(text=text[cue.cue_start:cue.cue_end], start=cue.cue_start, end=cue.cue_end) if cue else None,
                rule=cue.rule if cue else None, excepts=[p.id for p in excepts if p is not None],
                substitutes=Substitution.LIMIT if limits else Substitution.EXEMPTION, parts=[p.id for p in inside]))


def _at(part: _Part) -> int:
    """Where a part's value is (its words' start for an entity)."""
    return part.limit[0] if part.limit else part.start


def _assertions(modifiers: list[Modifier], item: Union[Constraint, Found]) -> list[Assertion]:
    """The assertions on a constraint (its value or its subject) or an entity."""
    if isinstance(item, Constraint):
        spans = [(item.start, item.end)] + ([(item.subject_start, item.subject_end)]
                                            if item.subject_start is not None else [])
    else:
        spans = [(item.start, item.end)]
    marks, seen = [], set()
    for start, end in spans:
        for m in asserted(modifiers, start, end):
            kind = ASSERTIONS.get(m.category)
            if kind is not None and (kind, m.start) not in seen:
                seen.add((kind, m.start))
                marks.append(Assertion(kind=kind, cue=m.text, start=m.start, end=m.end, rule=m.rule))
    return sorted(marks, key=lambda a: (a.start, a.kind))


def _parts(constraints: list[Constraint], found: list[Found]) -> list[_Part]:
    """The constraints, then the entities no constraint's words hold, in text order."""
    parts = [_Part(c.id, *_words(c, constraints), (c.start, c.end), c) for c in constraints]
    parts += [_Part(f.id, f.start, f.end, None) for f in found
              if not any(c.text_start <= f.start and f.end <= c.text_end for c in constraints)]
    return sorted(parts, key=lambda p: (p.start, p.end))


def _words(constraint: Constraint, constraints: list[Constraint]) -> tuple[int, int]:
    """The words of a constraint as a part: its subject's when it shares its value with another constraint
    ("INR or PT <= 1.5 x ULN": "INR", "PT"), from its value on when it shares its subject with an earlier one ("AST
    <= 3 x ULN (<= 5 x ULN ...": "<= 5 x ULN"), else all its words."""
    subject = (constraint.subject_start, constraint.subject_end)
    others = [c for c in constraints if c is not constraint]
    if subject[0] is not None and any((c.start, c.end) == (constraint.start, constraint.end) for c in others):
        return subject
    if subject[0] is not None and any((c.subject_start, c.subject_end) == subject and c.start < constraint.start
                                      for c in others):
        return constraint.start, constraint.text_end
    return constraint.text_start, constraint.text_end


def _subject(constraint: Optional[Constraint]) -> Optional[str]:
    if constraint is None:
        return None
    return constraint.subject_concept or (constraint.subject or "").casefold() or None


def _counted(tree: Optional[LogicNode], parts: list[_Part],
             children: tuple[str, Optional[int], Optional[tuple[int, int]]]) -> Optional[LogicNode]:
    """``tree`` with the parts after "at least one of the following" (written in the criterion's own text, not as
    sub-items: "... at least one of the following criteria is sufficient: FBG 100-125 mg/dL, OGTT ..., HbA1c
    5.7-6.4 %") under one ``any`` (``at_least`` n) node."""
    logic, count, said = children
    if tree is None or said is None:
        return tree
    start = {p.id: p.start for p in parts}
    listed = [i for i in tree.ids() if start[i] >= said[1]]
    if len(listed) < 2:
        return tree
    inside = [set([m] if isinstance(m, str) else m.ids()) & set(listed) for m in tree.members]
    if any(found and found != set([m] if isinstance(m, str) else m.ids()) for m, found in zip(tree.members, inside)):
        return tree  # a node of the tree runs across the cue: leave it as read
    kept = [m for m, found in zip(tree.members, inside) if not found]
    node = LogicNode(logic=logic, count=count, members=listed)
    return node if not kept else LogicNode(logic="all", members=[*kept, node])


def _node(node: Node, parts: list[_Part]) -> Optional[LogicNode]:
    """The model's node of a clause reader's node (part indices as ids); none for an empty one."""
    if not node.members:
        return None
    members: list[Union[str, LogicNode]] = [parts[m].id if isinstance(m, int) else _node(m, parts)
                                            for m in node.members]
    joiners = [Joiner(text=j.text, start=j.start, end=j.end, rule=j.rule) for j in node.joiners]
    return LogicNode(logic=node.logic, count=node.count, members=members, joiners=joiners)


@Language.factory("criteria_clauses", assigns=["doc._.cp_clauses"],
                  requires=["doc._.cp_constraints", "doc._.cp_found"], default_config={"grammars_dir": None})
def make_clauses(nlp: Language, name: str, grammars_dir: Optional[str]) -> "ClausesComponent":
    """Factory: ``nlp.add_pipe("criteria_clauses")`` (after ``criteria_context`` and ``criteria_constraints``)."""
    return ClausesComponent(clause_reader(load_grammars(Path(grammars_dir) if grammars_dir else None)))


class ClausesComponent:
    """Pipeline step that sets ``doc._.cp_clauses``."""

    def __init__(self, reader: ClauseReader) -> None:
        register_extensions()
        self.structurer = ClauseStructurer(reader)

    def __call__(self, doc: Doc) -> Doc:
        doc._.cp_clauses = self.structurer.read(doc)
        return doc
