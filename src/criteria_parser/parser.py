"""Parse listings: page layout -> criteria tree -> spaCy pipeline -> criteria model.

:class:`Parser` loads the grammars and the pipeline once; ``parse_text`` and
``parse_file`` turn one listing into a :class:`~criteria_parser.model.Listing`,
``parse_many`` streams many. Only criteria that may hold
a value (a digit, a number word, an "except", or sub-items whose logic the
text may state) go through the pipeline; all offsets in the model are offsets
into the decoded input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional, Union

from . import __version__
from .pipeline.types import register_extensions, text_of  # first: the pipeline package imports spaCy (fast)
from spacy.tokens import Doc  # noqa: E402, I001
from .errors import InputError
from .grammar.loader import Grammars, load_grammars
from .model import (Clause, Constraint, Criterion, CriterionException, Entity, Excerpt, Joiner, Listing, Logic,
                    LogicNode, Section, SectionKind)
from .pipeline.clauses import ClauseStructure
from .document.outline import MAX_DEPTH, Item, Outliner
from .document.page import PageReader
from .pipeline.build import ENTITY_PIPES, ValueTest, build_pipeline
from .document.source import DEFAULT_MAX_BYTES, SourceText, read_source

_NCT_IN_NAME = re.compile(r"NCT\d{8}")
#: The most of one criterion the pipeline reads (real criteria stay under 3,000 characters); the rest is kept
#: as text, with a warning. Bounds the pipeline's time and memory per criterion (spaCy refuses 1,000,000).
MAX_CRITERION_CHARS = 10_000
#: The longest token the tokenizer is given: a longer run without spaces ("((((...", a pasted hash) is cut into
#: pieces of this size first, so scispaCy's prefix and suffix rules never scan a long run again and again.
MAX_TOKEN_CHARS = 64
_TOO_DEEP = "items nest deeper than"
_LONG_RUN = re.compile(r"\S{%d,}" % (MAX_TOKEN_CHARS + 1))


@dataclass
class _Job:
    """One criterion waiting for the pipeline; ``full`` when it may hold a value (else only its entities are
    looked for)."""

    criterion: Criterion
    context: list[tuple[str, int]]
    full: bool = True
    exclusion: bool = False


class Parser:
    """Parses listings with one set of grammars and one pipeline."""

    def __init__(self, grammars_dir: Optional[Path] = None) -> None:
        register_extensions()
        self.grammars: Grammars = load_grammars(grammars_dir)
        self.version = f"{__version__}+grammars.{self.grammars.version}"
        self.nlp = build_pipeline(grammars_dir)
        self.page = PageReader(self.grammars.listing)
        self.outliner = Outliner(self.grammars.listing.bullets)
        self._worth = ValueTest(self.grammars)

    def parse_file(self, path: Path, assume_inclusion: bool = False, max_bytes: int = DEFAULT_MAX_BYTES) -> Listing:
        """Read, decode and parse one file (see :meth:`parse_source`); larger files than ``max_bytes`` are refused."""
        return self.parse_source(read_source(Path(path), max_bytes), assume_inclusion)

    def parse_text(self, text: str, source: Optional[str] = None, assume_inclusion: bool = False) -> Listing:
        """Parse a listing given as text (see :meth:`parse_source`)."""
        return self.parse_source(SourceText(text, source or "<text>"), assume_inclusion)

    def parse_source(self, source: SourceText, assume_inclusion: bool = False) -> Listing:
        """Parse one decoded listing.

        Args:
            source: the decoded text and its path.
            assume_inclusion: read a listing page without section headings as one inclusion section too (for
                registry fields that hold only criteria); plain text without headings is always read so, with a
                warning.

        Raises:
            InputError: a listing page (with page chrome) has no criteria section and ``assume_inclusion`` is
                false.
        """
        return next(self.parse_many([source], assume_inclusion))

    def parse_many(self, sources: Iterable[SourceText], assume_inclusion: bool = False) -> Iterator[Listing]:
        """Parse many listings; yields in input order. Each criterion goes through the pipeline on its own
        (the components are rules, so batching gains nothing), and one the pipeline fails on is left without
        constraints, with a warning in the listing: no parser exception escapes.

        Raises:
            InputError: as :meth:`parse_source`, for the first listing without sections.
        """
        every = [component for _, component in self.nlp.pipeline]  # spaCy builds the list on each access
        entity_only = [component for name, component in self.nlp.pipeline if name in ENTITY_PIPES]
        for source in sources:
            listing, jobs = self._layout(source, assume_inclusion)
            for job in jobs:
                try:
                    doc = self._make_doc(job.criterion.text[:MAX_CRITERION_CHARS])
                    if job.context:
                        doc._.cp_context = job.context
                    doc._.cp_exclusion = job.exclusion
                    for component in every if job.full else entity_only:  # without a value, the entities only
                        doc = component(doc)
                    _apply(job.criterion, doc)
                except Exception as exc:  # noqa: BLE001 - one criterion the pipeline fails on; the rest parse
                    job.criterion.constraints, job.criterion.exceptions, job.criterion.entities = [], [], []
                    job.criterion.clauses, job.criterion.tree = [], None
                    listing.warnings.append(f"criterion {job.criterion.label} was not read for constraints: the "
                                            f"parser failed on it ({type(exc).__name__}: {str(exc)[:200]})")
            yield listing

    def _make_doc(self, text: str) -> Doc:
        """The tokens of ``text``; a run longer than :data:`MAX_TOKEN_CHARS` without a space is tokenized in pieces
        cut after punctuation where it has some ("WBC=3.0×109/L,Neutrophils=..." keeps its words whole)."""
        if not _LONG_RUN.search(text):
            return self.nlp.make_doc(text)
        words: list[str] = []
        spaces: list[bool] = []
        position = 0
        for run in _LONG_RUN.finditer(text):
            if run.start() > position:
                _add_tokens(self.nlp.make_doc(text[position:run.start()]), words, spaces)
            for piece in _pieces(run.group()):
                if any(char.isalnum() for char in piece):
                    _add_tokens(self.nlp.make_doc(piece), words, spaces)
                else:  # "((((...": nothing to read, one token (thousands of "(" tokens slow every matcher)
                    words.append(piece)
                    spaces.append(False)
            position = run.end()
            if text.startswith(" ", position):  # the space after the run is its last token's, as in one pass
                spaces[-1], position = True, position + 1
        if position < len(text):
            _add_tokens(self.nlp.make_doc(text[position:]), words, spaces)
        return Doc(self.nlp.vocab, words=words, spaces=spaces)

    def _layout(self, source: SourceText, assume_inclusion: bool) -> tuple[Listing, list[_Job]]:
        layout = self.page.read(source.text)
        warnings = list(source.warnings) + layout.warnings
        blocks = layout.sections
        if not blocks:
            # plain criteria text is read, with a warning; a listing page without a criteria section is refused
            if not assume_inclusion and layout.page:
                raise InputError(source.path, "no inclusion or exclusion criteria section found "
                                 "(expected a heading such as 'Inclusion Criteria:')")
            blocks = self.page.headless(source.text)
            warnings.append("no criteria headings found; read the whole text as inclusion criteria")
        trial = layout.trial
        if trial.nct_id is None:
            named = _NCT_IN_NAME.search(Path(source.path).name)
            trial.nct_id = named.group() if named else None
        jobs: list[_Job] = []
        sections = []
        for block in blocks:
            items = self.outliner.outline(block.lines)
            exclusion = block.kind.value == SectionKind.EXCLUSION.value
            criteria = [self._criterion(source.text, item, "", [], jobs, warnings, exclusion) for item in items]
            if not criteria:
                warnings.append(f"{block.kind.value} section '{block.heading}' has no criteria")
            sections.append(Section(kind=block.kind, heading=block.heading, start=block.start, end=block.end,
                                    criteria=criteria))
        listing = Listing(parser_version=self.version, source=source.path, trial=trial, sections=sections,
                          warnings=warnings)
        listing.number_criteria()
        return listing, jobs

    def _criterion(self, text: str, item: Item, parent_label: str, ancestors: list[Criterion],
                   jobs: list[_Job], warnings: list[str], exclusion: bool = False) -> Criterion:
        own = text[item.start:item.end].rstrip()
        criterion = Criterion(label=f"{parent_label}.{item.label}" if parent_label else item.label,
                              text=own, start=item.start, end=item.start + len(own))
        if item.flattened and not any(w.startswith(_TOO_DEEP) for w in warnings):
            warnings.append(f"{_TOO_DEEP} {MAX_DEPTH} levels (the first is {criterion.label}): read at that depth")
        if len(own) > MAX_CRITERION_CHARS:
            warnings.append(f"criterion {criterion.label} has {len(own):,} characters: only the first "
                            f"{MAX_CRITERION_CHARS:,} were read for constraints")
        chain = [criterion, *ancestors]
        criterion.children = [self._criterion(text, child, criterion.label, chain, jobs, warnings, exclusion)
                              for child in item.children]
        full = bool(item.children) or self._worth.search(own)
        context = [(a.text, a.start - criterion.start) for a in ancestors] if full else []
        jobs.append(_Job(criterion, context, full, exclusion))
        return criterion


def _pieces(run: str) -> Iterator[str]:
    """``run`` in pieces of at most :data:`MAX_TOKEN_CHARS`, each cut after its last "," or ";", else after its
    last other punctuation, else at the limit."""
    start = 0
    while len(run) - start > MAX_TOKEN_CHARS:
        window = run[start:start + MAX_TOKEN_CHARS]
        cut = max(window.rfind(","), window.rfind(";"))
        if cut <= 0:
            cut = max((i for i, char in enumerate(window) if not char.isalnum()), default=-1)
        end = start + (cut + 1 if cut > 0 else MAX_TOKEN_CHARS)
        yield run[start:end]
        start = end
    yield run[start:]


def _add_tokens(doc: Doc, words: list[str], spaces: list[bool]) -> None:
    """Append ``doc``'s tokens; a piece ending in a space gives its last token that space (else a space token)."""
    for token in doc:
        words.append(token.text)
        spaces.append(bool(token.whitespace_))


def _apply(criterion: Criterion, doc: Doc) -> None:
    """Copy what the pipeline found in ``doc`` onto ``criterion``, moving offsets into the file."""
    delta, text = criterion.start, text_of(doc)  # doc.text joins every token again on each access
    prefix = f"{criterion.id}."
    criterion.entities = [
        Entity(id=prefix + f.id, type=f.type, text=f.text, start=f.start + delta, end=f.end + delta,
               concept=f.entry.id if f.entry else None, name=f.entry.name if f.entry else None,
               code=f.entry.code if f.entry else None, rule=f.rule or None)
        for f in doc._.cp_found or []
    ]
    criterion.constraints = [move_constraint(c, delta, prefix) for c in doc._.cp_constraints or []]
    structure: ClauseStructure = doc._.cp_clauses or ClauseStructure()
    for item in (*criterion.entities, *criterion.constraints):
        local = item.id[len(prefix):]
        item.assertions = [a.model_copy(update={"start": a.start + delta, "end": a.end + delta})
                           for a in structure.assertions.get(local, [])]
        condition = structure.conditions.get(local)
        item.condition = prefix + condition if condition else None
    criterion.clauses = [shift_clause(c, delta, prefix) for c in structure.clauses]
    criterion.exceptions = [shift_clause(x, delta, prefix) for x in structure.exceptions]
    criterion.tree = shift_node(structure.tree, delta, prefix)
    logic, count, said = structure.children
    if criterion.children and logic != Logic.ALL.value:  # "any of the following", "at least two of the following"
        criterion.logic, criterion.logic_count = logic, count
        criterion.logic_cue = Excerpt(text=text[said[0]:said[1]], start=said[0] + delta, end=said[1] + delta)
    elif doc._.cp_any_children and criterion.children:
        criterion.logic = Logic.ANY.value


def shift_constraint(constraint: Constraint, delta: int, prefix: str = "") -> Constraint:
    """A copy of ``constraint`` moved as :func:`move_constraint` moves it (``constraint`` stays as it is)."""
    return move_constraint(constraint.model_copy(), delta, prefix)


def move_constraint(constraint: Constraint, delta: int, prefix: str = "") -> Constraint:
    """``constraint`` itself, every offset (value, words, subject, flags, assertions) moved by ``delta``, and its id
    and the id of its entity prefixed with ``prefix`` (the criterion's id and a dot). Its flags and assertions are
    replaced by moved copies (constraints of one value share its flags); the rest is changed in place: one
    criterion's constraints are built once, in criterion coordinates, and only moved (copying each was most of the
    time spent moving them)."""
    constraint.flags = [f.model_copy(update={"start": f.start + delta, "end": f.end + delta}) for f in constraint.flags]
    constraint.assertions = [a.model_copy(update={"start": a.start + delta, "end": a.end + delta})
                             for a in constraint.assertions]
    constraint.start += delta
    constraint.end += delta
    constraint.text_start += delta
    constraint.text_end += delta
    constraint.id = prefix + constraint.id if constraint.id else None
    constraint.entity = prefix + constraint.entity if constraint.entity else None
    if constraint.subject_start is not None:
        constraint.subject_start += delta
        constraint.subject_end += delta
    return constraint


def shift_node(node: Optional[LogicNode], delta: int, prefix: str) -> Optional[LogicNode]:
    """A copy of a logic tree with its members' ids prefixed with ``prefix`` and its joiners moved by ``delta``."""
    if node is None:
        return None
    return node.model_copy(update={
        "members": [prefix + m if isinstance(m, str) else shift_node(m, delta, prefix) for m in node.members],
        "joiners": [Joiner(text=j.text, start=j.start + delta, end=j.end + delta, rule=j.rule) for j in node.joiners],
    })


def shift_clause(clause: Union[Clause, CriterionException], delta: int, prefix: str) -> Union[Clause, CriterionException]:
    """A copy of a clause or exception moved by ``delta``, its id and the ids it names prefixed with ``prefix``."""
    update = {"start": clause.start + delta, "end": clause.end + delta, "id": prefix + clause.id if clause.id else None,
              "parts": [prefix + i for i in clause.parts]}
    if clause.cue is not None:
        update["cue"] = Excerpt(text=clause.cue.text, start=clause.cue.start + delta, end=clause.cue.end + delta)
    if isinstance(clause, Clause):
        update["logic"] = shift_node(clause.logic, delta, prefix)
    else:
        update["excepts"] = [prefix + i for i in clause.excepts]
    return clause.model_copy(update=update)


_DEFAULT: Optional[Parser] = None


def default_parser() -> Parser:
    """A shared :class:`Parser` with the packaged grammars, built on first use."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Parser()
    return _DEFAULT


def parse_text(text: str, source: Optional[str] = None, assume_inclusion: bool = False) -> Listing:
    """Parse listing text with the default parser."""
    return default_parser().parse_text(text, source, assume_inclusion)


def parse_file(path: Path, assume_inclusion: bool = False) -> Listing:
    """Parse a listing file with the default parser."""
    return default_parser().parse_file(path, assume_inclusion)
