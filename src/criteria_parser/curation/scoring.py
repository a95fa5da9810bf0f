"""Compare parser output with hand-curated gold files, field by field.

A gold file ``<listing>.gold.json`` sits beside its listing ``<listing>.txt``
and holds the curated :class:`~criteria_parser.model.Listing`. Constraints of
the same section and criterion are paired by their value spans (and subject,
where one value serves several subjects: "ALT/AST <= 3 x ULN"). Each field
then scores precision (agreeing pairs / predicted values of the field),
recall (agreeing pairs / gold values) and F1; an unpaired constraint counts
against every field it fills (``entity``, the entity a constraint limits, is
compared by that entity's span and type, not its id). ``entities`` scores the
criteria's entities (span, type and concept must all agree), ``structure``
the criteria tree (label, span, parent, logic, exception spans) and ``trial``
the trial information.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from pydantic import BaseModel, Field, ValidationError

from ..errors import InputError, validation_problem
from ..export.highlight import describe_entity, limit
from ..model import Constraint, Criterion, Entity, Listing

GOLD_SUFFIX = ".gold.json"

def linked_entity(constraint: Constraint, criterion: Optional[Criterion]) -> Optional[tuple]:
    """The entity a constraint limits, as scored: its span and type (None when it names none)."""
    if constraint.entity is None or criterion is None:
        return None
    entity = next((e for e in criterion.entities if e.id == constraint.entity), None)
    return (entity.start, entity.end, entity.type) if entity else None


#: Constraint fields scored, with how each reads its value from a constraint of a criterion (None: not filled).
CONSTRAINT_FIELDS: dict[str, Callable[[Constraint, Optional[Criterion]], Any]] = {
    "kind": lambda c, _: c.kind,
    "subject": lambda c, _: c.subject,
    "subject_span": lambda c, _: (c.subject_start, c.subject_end) if c.subject_start is not None else None,
    "entity": linked_entity,
    "comparator": lambda c, _: c.comparator,
    "value": lambda c, _: (c.value, c.value_high, c.category),
    "unit": lambda c, _: c.unit,
    "relative_limit": lambda c, _: c.relative_to,
    "time_window": lambda c, _: (c.direction, c.anchor) if c.kind == "time_window" else None,
    "qualifier": lambda c, _: c.qualifier,
    "role": lambda c, _: c.role,
    "logic_group": lambda c, _: c.group,
    "flags": lambda c, _: tuple(sorted((f.kind, f.read, f.start, f.end) for f in c.flags)),
    "span": lambda c, _: (c.start, c.end),
}


def entity_key(entity: Entity) -> tuple:
    """An entity as scored: span, type and concept."""
    return (entity.start, entity.end, entity.type, entity.concept)


class Score(BaseModel):
    """Counts and scores of one field."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "Score") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def tally(self, gold: Any, parsed: Any, empty: tuple = (None,)) -> bool:
        """Count one gold value against the parsed one (an ``empty`` value is not filled); whether they disagree."""
        if gold == parsed:
            self.tp += gold not in empty
            return False
        self.fn += gold not in empty
        self.fp += parsed not in empty
        return True


class Disagreement(BaseModel):
    """One field where parser and gold differ."""

    listing: str
    section: str
    criterion: str
    field: str
    gold: Optional[str]
    parsed: Optional[str]
    text: str
    start: int
    end: int


class ListingEval(BaseModel):
    """Scores of one listing against its gold file."""

    listing: str
    gold_file: str
    scores: dict[str, Score]
    disagreements: list[Disagreement] = Field(default_factory=list)
    status: str = Field("curated", description="Review status of the gold file: curated, or in progress (saved in "
                                                "the workbench with rows not yet accepted, which are parser proposals).")

    @property
    def f1(self) -> float:
        """F1 over every scored field together (micro-average)."""
        total = Score()
        for score in self.scores.values():
            total.add(score)
        return total.f1


class CorpusEval(BaseModel):
    """Scores of a corpus: per listing and summed per field."""

    listings: list[ListingEval]
    scores: dict[str, Score]

    @property
    def disagreements(self) -> list[Disagreement]:
        return [d for listing in self.listings for d in listing.disagreements]


def render_value(value: Any) -> Optional[str]:
    """A field's value as short text for reports ("-" for a missing part of a tuple)."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return " ".join("-" if v is None else render_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def render_field(field: str, constraint: Constraint, criterion: Optional[Criterion] = None) -> Optional[str]:
    """A scored field of a constraint as short text, the way the pages show it: the value with its comparator
    and unit (``> 1 %``, ``between 0-2``), a time window as ``before randomization``, a span as ``1418-1419``,
    the entity limited as its type and words.

    Args:
        field: a key of :data:`CONSTRAINT_FIELDS`.
        constraint: the constraint to read it from.
        criterion: its criterion (whose entities the constraint's ``entity`` names).
    """
    value = CONSTRAINT_FIELDS[field](constraint, criterion)
    if value is None:
        return None
    if field == "entity" and criterion is not None:
        return describe_entity(next(e for e in criterion.entities if e.id == constraint.entity))
    if field == "value":
        return limit(constraint)
    if field == "time_window":
        return f"{constraint.direction} {constraint.anchor or '(no anchor)'}"
    if field in ("span", "subject_span"):
        start, end = value
        return f"{start}-{end}"
    return render_value(value)


def pair_constraints(gold: list[Constraint], parsed: list[Constraint]) -> tuple[list[tuple[Constraint, Constraint]], list[Constraint], list[Constraint]]:
    """Pair constraints by overlapping value span, preferring the same subject."""
    pairs, left = [], list(parsed)
    unpaired_gold = []
    for g in gold:
        candidates = [p for p in left if p.start < g.end and g.start < p.end]
        if not candidates:
            unpaired_gold.append(g)
            continue
        best = next((p for p in candidates if p.subject == g.subject), candidates[0])
        left.remove(best)
        pairs.append((g, best))
    return pairs, unpaired_gold, left


def compare(parsed: Listing, gold: Listing, name: str = "", gold_file: str = "") -> ListingEval:
    """Score ``parsed`` against ``gold``: per-field counts and the disagreements."""
    comparison = _Comparison(name)
    gold_criteria = criteria_by_label(gold)
    parsed_criteria = criteria_by_label(parsed)
    for key in sorted(set(gold_criteria) | set(parsed_criteria), key=lambda k: (k[0], label_sort_key(k[1]))):
        g_crit, p_crit = gold_criteria.get(key), parsed_criteria.get(key)
        g_c, p_c = (g_crit[0] if g_crit else None), (p_crit[0] if p_crit else None)
        comparison.constraints(*key, g_c, p_c)
        comparison.entities(*key, g_c, p_c)
        comparison.structure(*key, g_crit, p_crit)
    comparison.trial(gold, parsed)
    comparison.disagreements.sort(key=lambda d: (d.start, d.field))
    return ListingEval(listing=name, gold_file=gold_file, scores=comparison.scores,
                       disagreements=comparison.disagreements)


class _Comparison:
    """The counts and disagreements of one listing, added to criterion by criterion (``section``, ``label``)."""

    def __init__(self, listing: str) -> None:
        self.listing = listing
        self.scores = {field: Score() for field in [*CONSTRAINT_FIELDS, "entities", "structure", "trial"]}
        self.disagreements: list[Disagreement] = []

    def disagree(self, section: str, label: str, field: str, g: Optional[str], p: Optional[str], where: Any) -> None:
        """Note a disagreement on ``field``, shown at ``where`` (a constraint, an entity or a criterion)."""
        self.disagreements.append(Disagreement(listing=self.listing, section=section, criterion=label, field=field,
                                               gold=g, parsed=p, text=where.text,
                                               start=getattr(where, "text_start", where.start),
                                               end=getattr(where, "text_end", where.end)))

    def constraints(self, section: str, label: str, g_c: Optional[Criterion], p_c: Optional[Criterion]) -> None:
        """Every field of the criterion's constraints, paired by value span."""
        pairs, missed, extra = pair_constraints(g_c.constraints if g_c else [], p_c.constraints if p_c else [])
        for field, read in CONSTRAINT_FIELDS.items():
            score = self.scores[field]
            for g, p in pairs:
                if score.tally(read(g, g_c), read(p, p_c)):
                    self.disagree(section, label, field, render_field(field, g, g_c), render_field(field, p, p_c), g)
            for g in missed:
                if read(g, g_c) is not None:
                    score.fn += 1
                    self.disagree(section, label, field, render_field(field, g, g_c), None, g)
            for p in extra:
                if read(p, p_c) is not None:
                    score.fp += 1
                    self.disagree(section, label, field, None, render_field(field, p, p_c), p)

    def entities(self, section: str, label: str, g_c: Optional[Criterion], p_c: Optional[Criterion]) -> None:
        """The criterion's entities, by span, type and concept."""
        score = self.scores["entities"]
        g_ents = {entity_key(e): e for e in (g_c.entities if g_c else [])}
        p_ents = {entity_key(e): e for e in (p_c.entities if p_c else [])}
        score.tp += len(g_ents.keys() & p_ents.keys())
        for key, entity in g_ents.items():
            if key not in p_ents:
                score.fn += 1
                self.disagree(section, label, "entities", describe_entity(entity), None, entity)
        for key, entity in p_ents.items():
            if key not in g_ents:
                score.fp += 1
                self.disagree(section, label, "entities", None, describe_entity(entity), entity)

    def structure(self, section: str, label: str, g_crit: Optional[tuple[Criterion, str]],
                  p_crit: Optional[tuple[Criterion, str]]) -> None:
        """The criterion's place in the tree (each side a criterion with its parent's label, or None)."""
        g_shape = _shape(*g_crit) if g_crit else None
        p_shape = _shape(*p_crit) if p_crit else None
        if self.scores["structure"].tally(g_shape, p_shape):
            self.disagree(section, label, "structure", render_value(g_shape), render_value(p_shape),
                          (g_crit or p_crit)[0])

    def trial(self, gold: Listing, parsed: Listing) -> None:
        """The trial information, field by field (an empty list is not filled)."""
        for field, g_value in gold.trial.model_dump().items():
            p_value = getattr(parsed.trial, field)
            if self.scores["trial"].tally(g_value, p_value, empty=(None, [])):
                self.disagreements.append(Disagreement(
                    listing=self.listing, section="trial", criterion="", field=f"trial.{field}",
                    gold=render_value(g_value), parsed=render_value(p_value), text="", start=0, end=0))


def criteria_by_label(listing: Listing) -> dict[tuple[str, str], tuple[Criterion, str]]:
    """Criteria by (section, label), each with its parent's label."""
    out: dict[tuple[str, str], tuple[Criterion, str]] = {}
    for section in listing.sections:
        def visit(criterion: Criterion, parent: str) -> None:
            out[(section.kind, criterion.label)] = (criterion, parent)
            for child in criterion.children:
                visit(child, criterion.label)
        for criterion in section.criteria:
            visit(criterion, "")
    return out


def _shape(criterion: Criterion, parent: str) -> tuple:
    exceptions = tuple((e.start, e.end) for e in criterion.exceptions)
    return (parent, criterion.start, criterion.end, criterion.logic, exceptions)


def label_sort_key(label: str) -> tuple:
    """Sort key putting criterion labels in reading order: 2 < 10, 2.1 < 2.c."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in label.split("."))


def load_gold(path: Path) -> Listing:
    """Read a gold file.

    Raises:
        InputError: the file is missing, not JSON, or not a valid criteria model.
    """
    try:
        listing = Listing.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), "gold file not found") from None
    except ValidationError as exc:
        raise InputError(str(path), f"invalid gold file: {validation_problem(exc)}") from None
    listing.fill_ids()  # a gold file of schema 1.0 has none
    return listing


def gold_pairs(corpus: Path) -> list[tuple[Path, Path]]:
    """(listing, gold file) pairs of a corpus directory.

    Raises:
        InputError: the directory is missing, has no gold file, or a gold file has no listing beside it.
    """
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise InputError(str(corpus), "not a directory")
    golds = sorted(corpus.rglob(f"*{GOLD_SUFFIX}"))
    if not golds:
        raise InputError(str(corpus), f"no gold files (*{GOLD_SUFFIX}) found")
    pairs = []
    for gold in golds:
        listing = gold.with_name(gold.name[: -len(GOLD_SUFFIX)] + ".txt")
        if not listing.is_file():
            raise InputError(str(gold), f"no listing {listing.name} beside this gold file")
        pairs.append((listing, gold))
    return pairs


def score_gold_corpus(corpus: Path, parser: Optional[Any] = None) -> CorpusEval:
    """Parse every listing of ``corpus`` that has a gold file and score it."""
    from ..parser import Parser
    from .reviewlog import gold_status

    parser = parser or Parser()
    results = []
    for listing_path, gold_path in gold_pairs(corpus):
        gold = load_gold(gold_path)
        parsed = parser.parse_file(listing_path)
        result = compare(parsed, gold, str(listing_path), str(gold_path))
        result.status = gold_status(gold_path)
        results.append(result)
    return summarize(results)


def summarize(results: Iterable[ListingEval]) -> CorpusEval:
    """Sum per-listing scores per field."""
    results = list(results)
    totals: dict[str, Score] = {}
    for result in results:
        for field, score in result.scores.items():
            totals.setdefault(field, Score()).add(score)
    return CorpusEval(listings=results, scores=totals)


def render_report(report: CorpusEval, max_errors: int = 50) -> str:
    """The evaluation as text: a table of fields, then the disagreements."""
    lines = [f"{'field':<16}{'precision':>10}{'recall':>10}{'F1':>8}{'tp':>6}{'fp':>6}{'fn':>6}"]
    for field, s in report.scores.items():
        lines.append(f"{field:<16}{s.precision:>10.3f}{s.recall:>10.3f}{s.f1:>8.3f}{s.tp:>6}{s.fp:>6}{s.fn:>6}")
    disagreements = report.disagreements
    lines.append("")
    lines.append(f"{len(report.listings)} listing(s), {len(disagreements)} disagreement(s)")
    for listing in report.listings:
        if listing.status != "curated":
            lines.append(f"  note: {Path(listing.gold_file).name} is {listing.status}: rows not yet accepted in the "
                         "workbench are the parser's proposals, so they agree with the parser")
    for d in disagreements[:max_errors]:
        where = f"{d.section} {d.criterion}".strip()
        lines.append(f"  {Path(d.listing).name} [{where}] {d.field}: gold={d.gold!r} parsed={d.parsed!r}  «{d.text}»")
    if len(disagreements) > max_errors:
        lines.append(f"  ... {len(disagreements) - max_errors} more (--errors N)")
    return "\n".join(lines)
