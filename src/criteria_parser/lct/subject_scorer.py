"""Score what each number limits: our subjects against the events (LCT) or relations (Chia) that own a comparison.

LCT: an ``Eq-Comparison`` is owned by the event that has it as an argument (``Numeric-Filter``, ``Temporality``,
``Dose``, ``Duration``, ...); the owner's ``*-Name`` entity (else its trigger) holds the words of what is limited,
and an ``Age`` event is an age. Chia: a ``Value`` (``Temporal``, ``Multiplier``) span is owned by the first
argument of a ``Has_value`` (``Has_temporal``) relation; a ``Person`` owner is an age. Each gold comparison with
an owner (one per value, as the tuple scorer reads them) is paired with our constraints on the same line and
value (:func:`~criteria_parser.lct.scorer.match_tuples`); then, of the constraints at that value:

- *given*: one has a subject;
- *right*: every subject given is the owner's: an age for an age owner, else words overlapping the owner's;
- *kind*: the kind agrees with the role: a time window for a temporal role (``Temporality``, ``Duration``,
  ``Has_temporal``), an age that is no window for an age owner, a dose for ``Dose``, no window for a
  ``Numeric-Filter``;
- *end to end*: the full tuple is right and so is the subject, over every gold comparison with an owner;
- *window with its event*: for a temporal role, a time window whose subject is right.

:class:`SubjectEvaluator` is the tuple scorer with these counts beside it, by the owner's type.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .brat import Annotation, comparisons_of, read_ann
from .chia import VALUE_TYPES, unmodeled
from .scorer import LeafEvaluator, Report, Tuple, match_tuples
from .split import Part
from ..model import Constraint, Listing

#: Roles (LCT event arguments, Chia relations) that make a comparison a time window on its owner.
TEMPORAL_ROLES = frozenset({"Temporality", "Duration", "Has_temporal"})
#: LCT's age event, and Chia's person concept, whose values are ages.
AGE_OWNERS = frozenset({"Age", "Person"})
_AGE_CONCEPT = "lex.age"


@dataclass(frozen=True)
class Owner:
    """What a gold comparison limits: the owner's type, the role of the comparison, and the owner's words."""

    type: str
    role: str
    spans: tuple[tuple[int, int], ...]
    words: str

    @property
    def age(self) -> bool:
        return self.type in AGE_OWNERS

    @property
    def temporal(self) -> bool:
        return self.role in TEMPORAL_ROLES


@dataclass
class Counts:
    """Subject counts of one slice of gold comparisons with an owner."""

    gold: int = 0
    matched: int = 0  # our constraints on the same value
    given: int = 0
    right: int = 0
    kind: int = 0
    full: int = 0  # the full tuple is right
    end_to_end: int = 0  # the full tuple and the subject are right
    windows: int = 0  # temporal roles
    window_right: int = 0  # ... read as a time window on the right subject

    def add(self, other: "Counts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def rates(self) -> dict[str, float]:
        """given of matched, right of given, kind of matched, end to end of gold, window of windows."""
        def share(part: int, whole: int) -> float:
            return part / whole if whole else 0.0
        return {"given": share(self.given, self.matched), "right": share(self.right, self.given),
                "kind": share(self.kind, self.matched), "end_to_end": share(self.end_to_end, self.gold),
                "windows": share(self.window_right, self.windows)}


@dataclass
class SubjectReport:
    """Subject counts overall and by the owner's type, with the disagreements."""

    overall: Counts = field(default_factory=Counts)
    by_type: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    misses: list[tuple[str, int, str, str, str]] = field(default_factory=list)  # document, line, owner, ours, text


def lct_owned(annotation: Annotation, evaluator: LeafEvaluator, text: str) -> list[tuple[Tuple, list[Owner]]]:
    """The scored tuples of LCT's comparisons, each with the events that own it."""
    owners: dict[str, list[Owner]] = defaultdict(list)
    for event in annotation.events.values():
        words = [annotation.entities[t] for r, t in event.args if r.startswith("Name") and t in annotation.entities]
        if not words and event.trigger in annotation.entities:
            words = [annotation.entities[event.trigger]]  # an Age has no name: its trigger is the word
        for role, target in event.args:
            owned = annotation.events.get(target)
            if owned is not None and owned.type == "Eq-Comparison" and words:
                owners[target].append(Owner(event.type, role.rstrip("0123456789"),
                                            tuple(p for e in words for p in e.fragments or ((e.start, e.end),)),
                                            " ".join(e.text for e in words)))
    return [(item, owners[c.event]) for c, items in evaluator.lct_gold(annotation, text) if owners.get(c.event)
            for item in items]


def chia_owned(annotation: Annotation, evaluator: LeafEvaluator, text: str) -> list[tuple[Tuple, list[Owner]]]:
    """The scored tuples of Chia's value spans, each with the concepts a ``Has_value``/``Has_temporal`` gives it."""
    skip = unmodeled(annotation)
    owners: dict[str, list[Owner]] = defaultdict(list)
    for relation in annotation.relations:
        value, owner = annotation.entities.get(relation.arg2), annotation.entities.get(relation.arg1)
        if (relation.type in ("Has_value", "Has_temporal") and value is not None and owner is not None
                and value.type in VALUE_TYPES and not any(s <= value.start < e for s, e in skip)):
            owners[value.id].append(Owner(owner.type, relation.type, owner.fragments or ((owner.start, owner.end),),
                                          owner.text))
    read = dict(evaluator.chia_gold(annotation, text))
    found = []
    for value_id, owned_by in owners.items():
        value = annotation.entities[value_id]
        pieces = value.fragments or ((value.start, value.end),)
        for item in read.get(pieces) or evaluator.chia_items(text, pieces):
            found.append((item, owned_by))
    return found


def agrees(constraint: Constraint, owner: Owner) -> bool:
    """Whether our subject is the owner: an age for an age, else words overlapping the owner's."""
    if owner.age:
        return constraint.subject_concept == _AGE_CONCEPT
    if constraint.subject_start is None:
        return False
    return any(s < constraint.subject_end and constraint.subject_start < e for s, e in owner.spans)


def kind_agrees(constraint: Constraint, owner: Owner) -> bool:
    """Whether the constraint's kind is what the owner's role says."""
    window = constraint.kind == "time_window"
    if owner.age:
        return constraint.subject_concept == _AGE_CONCEPT and not window
    if owner.temporal:
        return window
    if owner.role == "Dose":
        return constraint.kind == "dose"
    return not window


class SubjectEvaluator(LeafEvaluator):
    """The tuple scorer of :class:`~criteria_parser.lct.scorer.LeafEvaluator`, counting subjects as it goes."""

    def score_tuples_and_subjects(self, corpus: Path, part: Part = "all") -> tuple[Report, SubjectReport]:
        """Tuple scores and subject scores of ``part`` of the corpus under ``corpus``."""
        self._subjects = SubjectReport()
        report = self.score_corpus(corpus, part)
        return report, self._subjects

    def score_document(self, name: str, text: str, annotation_text: str, listing: Listing, report: Report) -> None:
        super().score_document(name, text, annotation_text, listing, report)
        subjects: Optional[SubjectReport] = getattr(self, "_subjects", None)
        if subjects is None:
            return
        annotation = read_ann(str(Path(name).with_suffix(".ann")), annotation_text, text)
        owned = lct_owned(annotation, self, text) + chia_owned(annotation, self, text)
        at_value: dict[tuple, list[Constraint]] = defaultdict(list)
        for _, _, constraint in listing.constraints():
            at_value[(constraint.start, constraint.end, constraint.comparator, constraint.unit,
                      constraint.relative_to)].append(constraint)
        standing = comparisons_of(listing)
        predicted = [self.predicted_tuple(c, text) for c in standing]
        matches = {gi: (pi, full) for gi, pi, full in match_tuples([g for g, _ in owned], predicted)}
        lines = text.splitlines()
        for index, (item, owners) in enumerate(owned):
            counts = Counts(gold=1, windows=int(owners[0].temporal))
            if index in matches:
                pi, full = matches[index]
                c = standing[pi]
                ours = at_value[(c.start, c.end, c.comparator, c.unit, c.relative_to)]
                with_subject = [o for o in ours if o.subject is not None]
                right = bool(with_subject) and all(any(agrees(o, w) for w in owners) for o in with_subject)
                counts.matched = 1
                counts.given = int(bool(with_subject))
                counts.right = int(right)
                counts.kind = int(all(any(kind_agrees(o, w) for w in owners) for o in ours))
                counts.full = int(full)
                counts.end_to_end = int(full and right)
                counts.window_right = int(owners[0].temporal and right and all(o.kind == "time_window" for o in ours))
                if not right:
                    shown = "; ".join(f"{o.subject or '-'} ({o.kind})" for o in ours)
                    subjects.misses.append((name, item.line + 1, f"{owners[0].type}: {owners[0].words}", shown,
                                            lines[item.line].strip() if item.line < len(lines) else ""))
            subjects.overall.add(counts)
            subjects.by_type[owners[0].type].add(counts)


def render_subjects(report: SubjectReport, errors: int = 0) -> str:
    """The subject table: overall and by owner type, then up to ``errors`` comparisons whose subject is not right."""
    head = f"{'owner':<14}{'gold':>6}{'matched':>8}{'given':>7}{'right':>7}{'kind':>7}{'e2e':>7}{'windows':>9}"
    out = ["subjects (given: of matched numbers; right: of given; kind: of matched; e2e: tuple and subject right, "
           "of gold; windows: temporal roles read as a window on the right event)", head]

    def row(label: str, c: Counts) -> str:
        r = c.rates()
        window = f"{r['windows']:.3f}" if c.windows else "-"
        return (f"{label:<14}{c.gold:>6}{c.matched:>8}{r['given']:>7.3f}{r['right']:>7.3f}{r['kind']:>7.3f}"
                f"{r['end_to_end']:>7.3f}{window:>9}")
    out.append(row("all", report.overall))
    for kind in sorted(report.by_type, key=lambda k: -report.by_type[k].gold):
        out.append(row(kind, report.by_type[kind]))
    if errors:
        out.append("")
        for document, line, owner, ours, text in report.misses[:errors]:
            out.append(f"{document}:{line}: subject: gold {owner}  ours {ours}")
            out.append(f"    | {text[:200]}")
    return "\n".join(out)


def subject_summary(report: SubjectReport) -> dict:
    """Subject counts and rates as plain data, overall and by owner type."""
    def data(c: Counts) -> dict:
        return {**{k: getattr(c, k) for k in c.__dataclass_fields__}, **c.rates()}
    return {"overall": data(report.overall), "by_type": {k: data(v) for k, v in sorted(report.by_type.items())}}


__all__ = ["Counts", "Owner", "SubjectEvaluator", "SubjectReport", "agrees", "chia_owned", "kind_agrees", "lct_owned",
           "render_subjects", "subject_summary"]
