"""``criteria_entities``: the clinical things a criterion names, found by the entity model shipped in the package.

The model is a linear-chain conditional random field (CRFsuite, through python-crfsuite) that tags each token
``B-``/``I-``/``O`` of seven types from the features of :class:`~.entity_features.Featurizer`: the word, its
affixes and shape, its neighbours, and what the grammars know of it (the lexicon's category, DrugBank drug names,
WHO drug stems, the matcher's treatment classes and concepts). It is trained
by ``criteria-parser train entities`` (:mod:`criteria_parser.lct.training`) on the Leaf and Chia corpora, read
once per process and applied by :mod:`.crf` (CRFsuite's tags, the weights of repeating features summed once). Each mention is then looked up in the lexicon: the longest lexicon words inside it
name its concept.

Writes ``doc.ents`` and ``doc._.cp_entities`` (:class:`ClinicalEntity` list, by start). Types: condition, drug
(or drug class), procedure (procedures and therapies), measurement (labs and measurements), observation
(observations and scores), device, person (age, sex, ...). Mentions follow Leaf's conventions unless the
component's ``style`` is ``chia``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from itertools import accumulate, chain, compress, repeat
from operator import is_
from pathlib import Path
from typing import Iterable, Optional

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span

from ..grammar.entity_knowledge import load_entity_knowledge
from ..grammar.loader import load_grammars
from .crf import CRFModel
from .entity_features import Featurizer
from .subjects import SubjectFinder
from .types import Mention

#: The entity model shipped with the package.
MODEL = Path(str(files("criteria_parser.pipeline") / "models" / "entities.crfsuite"))
#: Named in every mention's ``rule``; bump when the features change (a model needs the features it was trained on).
FEATURES = "entities.crf.v2"
#: Annotation conventions the model can follow: Leaf's (LCT: "chronic kidney disease" without a separate
#: modifier's words, "history of" left out) and Chia's (longer mentions, "history" an observation).
STYLES = ("lct", "chia")
#: The most feature groups whose weights a finder keeps (a row of 15 weights and its key each; the 512 Leaf
#: texts have 88,600).
MAX_GROUPS = 1 << 18


@dataclass(frozen=True)
class ClinicalEntity:
    """One mention: character offsets into ``doc.text``, its words, type and the lexicon concept, if known.

    ``rule`` names what found it: the model and its feature set (``model.entities.crf.v2``).
    """

    start: int
    end: int
    text: str
    type: str
    concept: Optional[str] = None  # lexicon id ("lex.creatinine")
    name: Optional[str] = None  # the concept's normalized name ("creatinine")
    rule: str = "model." + FEATURES


def tags_to_spans(doc: Doc, tags: list[str]) -> list[Span]:
    """Spans of a ``B-``/``I-``/``O`` tagging; an ``I-`` after another type starts a mention."""
    spans: list[Span] = []
    start, label = None, None
    for i, tag in enumerate([*tags, "O"]):
        inside = tag.startswith("I-") and tag[2:] == label
        if start is not None and not inside:
            spans.append(Span(doc, start, i, label=label))
            start, label = None, None
        if tag != "O" and not inside:
            start, label = i, tag[2:]
    return spans


@lru_cache(maxsize=4)
def load_model(path: Path) -> CRFModel:
    """The CRF at ``path``, read once per process."""
    return CRFModel(path)


class EntityFinder:
    """Tags docs with the CRF and names the lexicon concept of each mention.

    The summed weights of each feature group (:meth:`.entity_features.Featurizer.groups`) are worked out once and
    kept as a row of a table that grows as new groups come; a token's scores are the sum of its groups' rows.
    """

    def __init__(self, model: Path, featurizer: Featurizer, style: str) -> None:
        if style not in STYLES:
            raise ValueError(f"criteria_entities: style must be one of {', '.join(STYLES)}, not '{style}'")
        self.model = load_model(model)
        self.featurizer = featurizer
        self.style = style
        self.labels = sorted({label[2:] for label in self.model.labels if label != "O"})
        self._rows: dict[tuple, int] = {}
        self._sums = np.zeros((1 << 12, len(self.model.labels)))  # row 0: the groups the model knows nothing of
        self._used = 1

    def _add(self, groups: Iterable[tuple]) -> None:
        """Work out the summed weights of new ``groups`` (one numpy call for all of them) and give each a row."""
        get, strings, style, rows = self.model.index.get, self.featurizer.strings, self.style, self._rows
        ids, starts, known = [], [], []
        for group in groups:
            shared, styled = strings(group, style)
            found = list(map(get, shared + styled))
            if found.count(None) == len(found):  # most word pairs: no feature the model knows
                rows[group] = 0
                continue
            starts.append(len(ids))
            ids += [i for i in found if i is not None]
            known.append(group)
        first, self._used = self._used, self._used + len(known)
        while self._used > len(self._sums):
            self._sums = np.concatenate([self._sums, np.zeros_like(self._sums)])
        if known:
            self._sums[first:self._used] = np.add.reduceat(self.model.state.take(ids, axis=0), starts, axis=0)
            rows.update(zip(known, range(first, self._used)))

    def tags(self, doc: Doc) -> tuple[list[str], list[Mention]]:
        """The CRF's tag of each token of ``doc``, and the lexicon's mentions of it."""
        groups, mentions = self.featurizer.groups(doc)
        if not groups:
            return [], mentions
        if len(self._rows) > MAX_GROUPS:  # a process reading endless new words: start the table again
            self._rows.clear()
            self._used = 1
        every = list(chain.from_iterable(groups))
        rows = list(map(self._rows.get, every))
        if None in rows:
            self._add(dict.fromkeys(compress(every, map(is_, rows, repeat(None)))))
            rows = list(map(self._rows.__getitem__, every))
        starts = list(accumulate(map(len, groups[:-1]), initial=0))
        return self.model.best(np.add.reduceat(self._sums.take(rows, axis=0), starts, axis=0)), mentions

    def annotate(self, doc: Doc) -> Doc:
        """Set ``doc.ents`` and ``doc._.cp_entities``."""
        tags, mentions = self.tags(doc)
        spans = tags_to_spans(doc, tags)
        doc.ents = spans
        doc._.cp_entities = [self._entity(span, mentions) for span in spans]
        return doc

    @staticmethod
    def _entity(span: Span, mentions: list[Mention]) -> ClinicalEntity:
        start, end = span.start_char, span.end_char
        inside = [m for m in mentions if start <= m.start and m.end <= end]
        if not inside:
            return ClinicalEntity(start, end, span.text, span.label_)
        best = max(inside, key=lambda m: (m.end - m.start, -m.start))  # the longest lexicon words inside
        return ClinicalEntity(start, end, span.text, span.label_, best.entry.id, best.entry.name)


def featurizer(nlp: Language, grammars_dir: Optional[Path] = None) -> Featurizer:
    """The features of the shipped model, from the grammars of ``grammars_dir`` (the packaged ones by default).
    The lexicon's mentions come from ``criteria_subjects``' finder when ``nlp`` has one of the same grammars
    (built once; a doc's mentions found once), else from a finder of their own."""
    grammars = load_grammars(grammars_dir)
    subjects = nlp.get_pipe("criteria_subjects") if "criteria_subjects" in nlp.pipe_names else None
    if subjects is not None and subjects.finder.grammars is grammars:
        lexicon = subjects.finder  # misspellings are never looked for in the features (fuzzy=False)
    else:
        lexicon = SubjectFinder(grammars, nlp.tokenizer, fuzzy_cutoff=100.0)
    return Featurizer(lexicon, load_entity_knowledge(grammars_dir), nlp.tokenizer)


@Language.factory(
    "criteria_entities",
    assigns=["doc.ents", "doc._.cp_entities"],
    default_config={"model": None, "grammars_dir": None, "style": "lct"},
)
def make_entities(nlp: Language, name: str, model: Optional[str], grammars_dir: Optional[str],
                  style: str) -> "EntitiesComponent":
    """Factory: ``nlp.add_pipe("criteria_entities")``; ``model`` replaces the shipped model file, ``style`` picks
    the corpus convention of the mentions (:data:`STYLES`)."""
    finder = EntityFinder(Path(model) if model else MODEL, featurizer(nlp, Path(grammars_dir) if grammars_dir else None),
                          style)
    for label in finder.labels:  # the doc's vocabulary must know the labels written on it
        nlp.vocab.strings.add(label)
    return EntitiesComponent(finder)


class EntitiesComponent:
    """Pipeline step that sets ``doc.ents`` and ``doc._.cp_entities``."""

    def __init__(self, finder: EntityFinder) -> None:
        if not Doc.has_extension("cp_entities"):
            Doc.set_extension("cp_entities", default=None)
        self.finder = finder

    def __call__(self, doc: Doc) -> Doc:
        return self.finder.annotate(doc)
