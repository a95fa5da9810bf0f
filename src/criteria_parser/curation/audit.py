"""The screening audit: real listings, realistic patients, and a person's judgement of every definite answer.

A fixed-seed sample of ClinicalTrials.gov records (drawn from one part of :mod:`criteria_parser.lct.split`) is
parsed as the importer parses it (structured sex and age fields included) and screened against the example
patients. Every ``met`` / ``not met`` answer is looked up in a judgements file (JSON Lines, one
:class:`Judgement` a line) that says what the answer should be, given the patient's record and the criterion's
text: an answer is *right* when it is the expected one, *wrong* when the record says otherwise, and *should be
unknown* when the record does not settle it. A judgement is keyed by listing, patient, section, criterion label
and a hash of the criterion's text (so a re-parsed criterion is judged again, never by another's judgement); it
holds no text copied from the registry.

Reads: the records under a ct.gov directory, patient files, a judgements file. Writes nothing; the benchmark
script (``benchmarks/audit/audit.py``) prints the report.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import InputError, validation_problem
from ..lct.split import Part, in_part
from ..model import Listing
from ..registry.records.parse import parse_records
from ..registry.records.record import Record
from ..registry.records.sources import read_inputs

Answer = Literal["met", "not met", "unknown"]
DEFINITE = ("met", "not met")
Key = tuple[str, str, str, str, str]


def key_of(item) -> Key:
    """A judgement's or an answer's key: listing, patient, section, label, text hash."""
    return (item.nct_id, item.patient, item.section, item.label, item.text_sha)


class Judgement(BaseModel):
    """What one criterion's answer should be for one patient, and why (a short note of the judge's)."""

    model_config = ConfigDict(extra="forbid")

    nct_id: str
    patient: str
    section: str
    label: str
    text_sha: str
    answer: Answer  # the answer the matcher gave when it was judged
    expected: Answer  # the answer the record and the text support; unknown when they do not settle it
    reason: str

    @property
    def key(self) -> "Key":
        """What it judges: listing, patient, section, label, text hash."""
        return key_of(self)


@dataclass
class Screened:
    """One criterion's answer for one patient."""

    nct_id: str
    patient: str
    section: str
    label: str
    text_sha: str
    text: str
    answer: str
    top_level: bool
    reasons: list[str]

    @property
    def key(self) -> "Key":
        """As :attr:`Judgement.key`."""
        return key_of(self)


@dataclass
class Verdict:
    """A patient's overall status on one listing."""

    nct_id: str
    patient: str
    status: str


@dataclass
class AuditRun:
    """Every answer and verdict of one run, and the answers on which a patient's JSON and FHIR files differ."""

    answers: list[Screened] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)


def text_sha(text: str) -> str:
    """The first 12 hex digits of the SHA-256 of a criterion's text with its whitespace collapsed."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]


class Sample(BaseModel):
    """One sample of the audit: ``count`` records of ``part`` drawn with ``seed``, none of them in the samples named
    by ``excluding``, judged in the ``judgements`` file (a path from the repository's root)."""

    model_config = ConfigDict(extra="forbid")

    part: Part
    count: int
    seed: int
    judgements: str
    excluding: list[str] = []


class AuditConfig(BaseModel):
    """``benchmarks/audit/audit.json``: where the records are, which patients are screened, and the samples."""

    model_config = ConfigDict(extra="forbid")

    about: str = ""
    ctgov: str
    patients: list[str]
    samples: dict[str, Sample]

    @classmethod
    def read(cls, path: Path) -> "AuditConfig":
        """The configuration in ``path``; a bad one is a one-line error."""
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as exc:
            raise InputError(str(path), validation_problem(exc)) from None


def draw_sample(ctgov: Path, samples: dict[str, Sample], name: str) -> list[Record]:
    """The records of the sample ``name`` of ``samples`` (each sample it excludes drawn first)."""
    if name not in samples:
        raise InputError(name, f"no such audit sample (samples: {', '.join(samples)})")
    sample = samples[name]
    taken = {record.id for other in sample.excluding for record in draw_sample(ctgov, samples, other)}
    return draw(ctgov, sample.part, sample.count, sample.seed, frozenset(taken))


def draw(ctgov: Path, part: Part, count: int, seed: int, excluding: frozenset[str] = frozenset()) -> list[Record]:
    """``count`` records with criteria from ``part`` of the records under ``ctgov``, drawn with ``seed``, none of
    whose NCT ids is in ``excluding``.

    Records are de-duplicated by NCT id (the first one read is kept) and sorted by id before drawing, so
    the sample depends only on the records, the part, the count, the seed and the ids excluded.
    """
    records: dict[str, Record] = {}
    for item in read_inputs([ctgov]):
        if isinstance(item, Record) and item.text.strip() and in_part(item.id, part) and item.id not in excluding:
            records.setdefault(item.id, item)
    ordered = [records[key] for key in sorted(records)]
    if len(ordered) < count:
        raise InputError(str(ctgov), f"only {len(ordered)} records in the {part} part, {count} asked for")
    return random.Random(seed).sample(ordered, count)


def parse(records: list[Record]) -> list[Listing]:
    """The records parsed as ``import`` parses them (structured fields added); a record that fails is an error."""
    from ..parser import Parser

    listings = []
    for result in parse_records(Parser(), records):
        if not isinstance(result, tuple):
            raise InputError(result.source, result.reason)
        listings.append(result[1])
    return listings


def screen(listings: list[Listing], patient_files: list[Path]) -> AuditRun:
    """Match every patient file against every listing.

    Files of the same patient id (its JSON and its FHIR Bundle) must give the same answers: every difference
    is listed in :attr:`AuditRun.disagreements`, and the answers are taken from the first file.
    """
    from ..grammar.loader import load_grammars
    from ..grammar.matching import load_matching_grammar
    from ..match.facts import build_facts
    from ..match.patient_files import load_patient
    from ..match.compiler import compile_listing
    from ..match.screen import assess

    grammars, matching = load_grammars(), load_matching_grammar()
    patients = [(path, load_patient(path)) for path in patient_files]
    run = AuditRun()
    for listing in listings:
        plan = compile_listing(listing, grammars, matching)
        nct = listing.trial.nct_id or listing.source or "?"
        first: dict[str, tuple[str, list[str]]] = {}
        for path, patient in patients:
            result = assess(plan, build_facts(patient, plan, grammars, matching), matching, patient.id,
                           patient.screening_date().date().isoformat())
            answers = [c.result for c in result.criteria]
            if patient.id in first:
                if first[patient.id][1] != answers:
                    run.disagreements.append(f"{nct} {patient.id}: {path.name} differs from {first[patient.id][0]}")
                continue
            first[patient.id] = (path.name, answers)
            run.verdicts.append(Verdict(nct, patient.id, result.status))
            run.answers.extend(Screened(nct, patient.id, c.section, c.label, text_sha(c.text), c.text, c.result,
                                        c.top_level, c.reasons) for c in result.criteria)
    return run


def read_judgements(path: Path) -> dict[Key, Judgement]:
    """The judgements of a JSON Lines file, by key; a bad line or a key judged twice is an error."""
    found: dict[Key, Judgement] = {}
    if not path.exists():
        return found
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            judgement = Judgement.model_validate_json(line)
        except ValidationError as exc:
            raise InputError(str(path), validation_problem(exc), number) from None
        if judgement.key in found:
            raise InputError(str(path), f"judged twice: {' '.join(judgement.key)}", number)
        found[judgement.key] = judgement
    return found


@dataclass
class Report:
    """The audit's figures: how much was answered, and how much of it was right."""

    criteria: int = 0
    top_level: int = 0
    top_level_answered: int = 0
    definite: int = 0
    right: int = 0
    contradicts: int = 0  # wrong: the record says otherwise
    should_be_unknown: int = 0  # wrong: the record does not settle it
    wrongly_out: int = 0  # a wrong answer that screens the patient out
    wrongly_in: int = 0  # a wrong answer that screens the patient in
    verdicts: int = 0
    verdicts_definite: int = 0
    verdicts_wrong: int = 0
    listings_with_wrong: int = 0
    unjudged: list[Screened] = field(default_factory=list)
    wrong: list[tuple[Screened, Judgement]] = field(default_factory=list)
    wrong_verdicts: list[Verdict] = field(default_factory=list)

    @property
    def wrong_total(self) -> int:
        """Wrong definite answers of either kind."""
        return self.contradicts + self.should_be_unknown

    def lines(self) -> list[str]:
        """The figures in words."""
        share = lambda part, whole: f"{part / whole:.1%}" if whole else "-"  # noqa: E731
        return [
            f"criteria screened: {self.criteria} (top-level {self.top_level})",
            f"top-level criteria answered: {self.top_level_answered} of {self.top_level} "
            f"({share(self.top_level_answered, self.top_level)})",
            f"definite answers: {self.definite}; judged {self.definite - len(self.unjudged)}, "
            f"unjudged {len(self.unjudged)}",
            f"wrong: {self.wrong_total} ({share(self.wrong_total, self.definite - len(self.unjudged))}): "
            f"{self.contradicts} contradict the record, {self.should_be_unknown} should be unknown; "
            f"{self.wrongly_out} screen a patient out, {self.wrongly_in} screen one in; "
            f"in {self.listings_with_wrong} listings",
            f"overall verdicts: {self.verdicts}, definite {self.verdicts_definite}, wrong {self.verdicts_wrong}",
        ]


def _screens_out(section: str, answer: str) -> bool:
    return (section == "inclusion") == (answer == "not met")


def assess(run: AuditRun, judgements: dict[Key, Judgement]) -> Report:
    """The report of ``run`` against ``judgements``."""
    report = Report(criteria=len(run.answers), verdicts=len(run.verdicts))
    wrong_listings: set[str] = set()
    bad: dict[tuple[str, str], list[bool]] = {}  # (listing, patient) -> per definite top-level answer: wrong?
    for answer in run.answers:
        if answer.top_level:
            report.top_level += 1
            report.top_level_answered += answer.answer in DEFINITE
        if answer.answer not in DEFINITE:
            continue
        report.definite += 1
        judgement = judgements.get(answer.key)
        if judgement is None:
            report.unjudged.append(answer)
            if answer.top_level:
                bad.setdefault((answer.nct_id, answer.patient), []).append(True)  # not known right: not trusted
            continue
        wrong = answer.answer != judgement.expected
        if answer.top_level:
            bad.setdefault((answer.nct_id, answer.patient), []).append(wrong)
        if not wrong:
            report.right += 1
            continue
        report.wrong.append((answer, judgement))
        wrong_listings.add(answer.nct_id)
        if judgement.expected == "unknown":
            report.should_be_unknown += 1
        else:
            report.contradicts += 1
        if _screens_out(answer.section, answer.answer):
            report.wrongly_out += 1
        else:
            report.wrongly_in += 1
    report.listings_with_wrong = len(wrong_listings)
    for verdict in run.verdicts:
        if verdict.status == "needs review":
            continue
        report.verdicts_definite += 1
        if not _verdict_stands(verdict, run, judgements):
            report.wrong_verdicts.append(verdict)
    report.verdicts_wrong = len(report.wrong_verdicts)
    return report


def _verdict_stands(verdict: Verdict, run: AuditRun, judgements: dict) -> bool:
    """Whether a definite verdict is backed by right answers: ``ineligible`` by one right answer that screens the
    patient out, ``eligible`` by every top-level answer being right."""
    own = [a for a in run.answers if a.top_level and (a.nct_id, a.patient) == (verdict.nct_id, verdict.patient)]

    def right(answer: Screened) -> bool:
        judgement = judgements.get(answer.key)
        return judgement is not None and judgement.expected == answer.answer

    if verdict.status == "ineligible":
        return any(right(a) for a in own if a.answer in DEFINITE and _screens_out(a.section, a.answer))
    return all(right(a) for a in own)
