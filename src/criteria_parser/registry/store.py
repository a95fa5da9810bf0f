"""The embedded SQLite store of parsed trials: schema, transactional writes, reads.

One import writes at a time (a lock file beside the database refuses a
second one); every trial is written with its criteria and constraints in the
same transaction, so a killed import never leaves half a trial. Tables:
``trials`` (one row per trial, with its criteria text and model as JSON),
``criteria`` (one row per criterion; full-text index ``criteria_fts``),
``constraints`` (the flat columns of :data:`~criteria_parser.export.flat.FLAT_COLUMNS`
plus ``structured``), ``entities`` (the clinical mentions of every criterion,
:data:`~criteria_parser.export.flat.ENTITY_COLUMNS`; a constraint's ``entity``
is an ``entity_id`` of its trial) and ``errors`` (records that could not be read or parsed).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Union

from ..errors import CriteriaParserError
from ..export.flat import ENTITY_COLUMNS, FLAT_COLUMNS, entity_rows, flat_rows
from .lock import ImportLock, take_import_lock
from ..model import FlagKind, Listing
from .records import Failure, Record

STORE_VERSION = "4"
TRIAL_COLUMNS = (
    "nct_id", "title", "sponsor", "status", "phase", "conditions", "sex", "minimum_age", "maximum_age", "healthy_volunteers",
    "std_ages", "source", "format", "criteria_text", "text_hash", "parser_version", "listing", "imported_at",
)
CRITERIA_COLUMNS = ("nct_id", "section", "label", "logic", "text", "start", "end")
CONSTRAINT_COLUMNS = (*FLAT_COLUMNS, "structured")
ENTITY_TABLE_COLUMNS = ("nct_id", *ENTITY_COLUMNS)
#: Constraint columns that version 3 added (model schema 2.0: subjects and the entities they limit).
_SUBJECT_COLUMNS = {"constraint_id": "TEXT", "subject_start": "INTEGER", "subject_end": "INTEGER",
                    "subject_concept": "TEXT", "subject_code": "TEXT", "open_subject": "INTEGER", "entity": "TEXT",
                    "entity_type": "TEXT"}
#: Columns that version 4 added to constraints and entities (model schema 2.1: assertions and conditions).
_ASSERTION_COLUMNS = {"assertions": "TEXT", "condition": "TEXT"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    nct_id TEXT PRIMARY KEY, title TEXT, sponsor TEXT, status TEXT, phase TEXT, conditions TEXT, sex TEXT,
    minimum_age TEXT, maximum_age TEXT, healthy_volunteers INTEGER, std_ages TEXT, source TEXT, format TEXT,
    criteria_text TEXT NOT NULL, text_hash TEXT NOT NULL, parser_version TEXT NOT NULL, listing TEXT NOT NULL,
    imported_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS criteria (
    id INTEGER PRIMARY KEY AUTOINCREMENT, nct_id TEXT NOT NULL REFERENCES trials(nct_id), section TEXT NOT NULL,
    label TEXT NOT NULL, logic TEXT, text TEXT NOT NULL, start INTEGER, "end" INTEGER);
CREATE TABLE IF NOT EXISTS constraints (
    id INTEGER PRIMARY KEY, source TEXT, nct_id TEXT NOT NULL REFERENCES trials(nct_id), section TEXT NOT NULL,
    criterion TEXT NOT NULL, constraint_id TEXT, kind TEXT NOT NULL, subject TEXT, subject_text TEXT,
    subject_start INTEGER, subject_end INTEGER, subject_concept TEXT, subject_code TEXT, open_subject INTEGER,
    entity TEXT, entity_type TEXT, comparator TEXT NOT NULL, value REAL, value_high REAL, category TEXT, unit TEXT, unit_text TEXT, relative_to TEXT, direction TEXT,
    anchor TEXT, qualifier TEXT, role TEXT, "group" INTEGER, start INTEGER, "end" INTEGER, text TEXT,
    flags TEXT, rule TEXT, assertions TEXT, condition TEXT, structured INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    id INTEGER PRIMARY KEY, nct_id TEXT NOT NULL REFERENCES trials(nct_id), section TEXT NOT NULL,
    criterion TEXT NOT NULL, entity_id TEXT NOT NULL, type TEXT NOT NULL, text TEXT NOT NULL, start INTEGER,
    "end" INTEGER, concept TEXT, name TEXT, code TEXT, rule TEXT, assertions TEXT, condition TEXT);
CREATE TABLE IF NOT EXISTS errors (
    id INTEGER PRIMARY KEY, record_id TEXT, source TEXT NOT NULL UNIQUE, reason TEXT NOT NULL,
    parser_version TEXT, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS trials_status ON trials(status);
CREATE INDEX IF NOT EXISTS criteria_trial ON criteria(nct_id, section, label);
CREATE INDEX IF NOT EXISTS constraints_trial ON constraints(nct_id);
CREATE INDEX IF NOT EXISTS constraints_subject ON constraints(subject, kind, relative_to, value);
CREATE INDEX IF NOT EXISTS constraints_anchor ON constraints(kind, anchor);
CREATE INDEX IF NOT EXISTS entities_trial ON entities(nct_id, entity_id);
CREATE INDEX IF NOT EXISTS entities_concept ON entities(type, concept);
CREATE INDEX IF NOT EXISTS errors_record ON errors(record_id);
CREATE VIRTUAL TABLE IF NOT EXISTS criteria_fts USING fts5(text, content='criteria', content_rowid='id');
CREATE TRIGGER IF NOT EXISTS criteria_fts_delete AFTER DELETE ON criteria BEGIN
    INSERT INTO criteria_fts(criteria_fts, rowid, text) VALUES ('delete', old.id, old.text); END;
"""


@dataclass
class ParsedTrial:
    """A parsed record as rows, made in the worker that parsed it."""

    nct_id: str
    trial: tuple
    criteria: list[tuple]
    constraints: list[tuple]
    entities: list[tuple]


def parsed_trial(record: Record, listing: Listing) -> ParsedTrial:
    """The rows of one parsed record."""
    values = {
        "nct_id": record.id, "title": listing.trial.title, "sponsor": listing.trial.sponsor,
        "status": listing.trial.status,
        "phase": listing.trial.phase, "conditions": json.dumps(listing.trial.conditions), "sex": listing.trial.sex,
        "minimum_age": record.minimum_age, "maximum_age": record.maximum_age,
        "healthy_volunteers": record.healthy_volunteers, "std_ages": json.dumps(record.std_ages),
        "source": record.source, "format": record.format, "criteria_text": record.text,
        "text_hash": record.text_hash, "parser_version": listing.parser_version,
        "listing": listing.model_dump_json(), "imported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    criteria = [(record.id, section.kind, c.label, c.logic, c.text, c.start, c.end) for section, c in listing.walk()]
    constraints = []
    for row in flat_rows(listing):
        row["structured"] = any(f["kind"] == FlagKind.STRUCTURED_FIELD.value for f in row["flags"])
        row["flags"] = json.dumps(row["flags"], ensure_ascii=False)
        constraints.append(tuple(row[c] for c in CONSTRAINT_COLUMNS))
    entities = [(record.id, *row.values()) for row in entity_rows(listing)]
    return ParsedTrial(record.id, tuple(values[c] for c in TRIAL_COLUMNS), criteria, constraints, entities)


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a store of version 1, 2 or 3 to version 4: the ``sponsor`` column (version 2), then the subject and entity
    columns of constraints and the ``entities`` table (made by the schema script), then the assertion and condition
    columns of both (version 4). Every stored trial is marked to
    re-parse on the next import, which fills them."""
    db.execute("BEGIN IMMEDIATE")  # two imports opening one old store migrate it once
    found = db.execute("SELECT value FROM meta WHERE key = 'store_version'").fetchone()
    if found == ("1",):
        db.execute("ALTER TABLE trials ADD COLUMN sponsor TEXT")
        found = ("2",)
    if found == ("2",):
        _add_columns(db, "constraints", _SUBJECT_COLUMNS)
        found = ("3",)
    if found == ("3",):
        _add_columns(db, "constraints", _ASSERTION_COLUMNS)
        _add_columns(db, "entities", _ASSERTION_COLUMNS)
        db.execute(f"UPDATE trials SET parser_version = 'before store version {STORE_VERSION}'")
        db.execute("UPDATE meta SET value = ? WHERE key = 'store_version'", (STORE_VERSION,))
    db.execute("COMMIT")


def _add_columns(db: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """Add the ``columns`` a table of an older store lacks."""
    present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    for column, kind in columns.items():
        if column not in present:
            db.execute(f'ALTER TABLE {table} ADD COLUMN "{column}" {kind}')


def _insert(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"


class Store:
    """An open SQLite store; use as a context manager."""

    def __init__(self, path: Path, create: bool = True) -> None:
        """Open (with ``create``, make) the store at ``path``; without ``create`` it is opened read-only."""
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise CriteriaParserError("no such store (run 'criteria-parser import' first)", self.path)
        self._lock: Optional[ImportLock] = None
        try:
            if create:
                self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(_SCHEMA)
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('store_version', ?)", (STORE_VERSION,))
                _migrate(self.db)
            else:
                self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
            found = self.db.execute("SELECT value FROM meta WHERE key = 'store_version'").fetchone()
            if found is None or found[0] != STORE_VERSION:
                version = found[0] if found else "unknown"
                advice = "; import into it once to update it" if version in ("1", "2", "3") else ""
                raise CriteriaParserError(f"store version {version}, this tool reads {STORE_VERSION}{advice}", self.path)
        except sqlite3.OperationalError as exc:  # a full disk, a read-only directory
            raise CriteriaParserError(f"cannot open the store: {exc}", self.path) from None
        except sqlite3.DatabaseError as exc:
            raise CriteriaParserError(f"not a criteria-parser store: {exc}", self.path) from None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, complete: bool = True) -> None:
        """Close the database and release the import lock (what was written is committed either way)."""
        self.db.close()
        if self._lock is not None:
            self._lock.release()

    def lock(self) -> ImportLock:
        """Take the store's import lock (released on close, or by the system when the process dies).

        Returns:
            The lock, whose ``stale`` says whether a killed import had left it.

        Raises:
            ImportLocked: another import is writing to this store.
        """
        self._lock = take_import_lock(self.path, "store", "wait for it to finish or import into another --db")
        return self._lock

    def known(self) -> dict[str, tuple[str, str]]:
        """``nct_id -> (text_hash, parser_version)`` of every stored trial."""
        return {row[0]: (row[1], row[2]) for row in self.db.execute("SELECT nct_id, text_hash, parser_version FROM trials")}

    def write(self, batch: list[Union[ParsedTrial, Failure]], parser_version: Optional[str]) -> None:
        """Write trials (replacing earlier versions) and failures in one transaction."""
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            indexed = db.execute("SELECT coalesce(max(id), 0) FROM criteria").fetchone()[0]
            for item in batch:
                if isinstance(item, Failure):
                    db.execute("DELETE FROM errors WHERE source = ?", (item.source,))
                    db.execute("INSERT INTO errors (record_id, source, reason, parser_version, at) VALUES (?, ?, ?, ?, ?)",
                               (item.id, item.source, item.reason, parser_version, now))
                    continue
                for table in ("entities", "constraints", "criteria", "trials", "errors"):
                    db.execute(f"DELETE FROM {table} WHERE {'record_id' if table == 'errors' else 'nct_id'} = ?",
                               (item.nct_id,))
                db.execute(_insert("trials", TRIAL_COLUMNS), item.trial)
                db.executemany(_insert("criteria", CRITERIA_COLUMNS), item.criteria)
                db.executemany(_insert("constraints", CONSTRAINT_COLUMNS), item.constraints)
                db.executemany(_insert("entities", ENTITY_TABLE_COLUMNS), item.entities)
            # one insert into the full-text index per batch costs a fraction of one per row (ids only grow)
            db.execute("INSERT INTO criteria_fts(rowid, text) SELECT id, text FROM criteria WHERE id > ?", (indexed,))
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:  # SQLite itself rolls back on some errors (a full disk)
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise CriteriaParserError(f"cannot write: {exc}", self.path) from None
            raise

    def listing(self, nct_id: str) -> Optional[Listing]:
        """The stored model of one trial, or None."""
        row = self.db.execute("SELECT listing FROM trials WHERE nct_id = ?", (nct_id,)).fetchone()
        return Listing.model_validate_json(row[0]) if row else None

    def listings(self) -> Iterator[str]:
        """The stored model of every trial as JSON, by id."""
        for (listing,) in self.db.execute("SELECT listing FROM trials ORDER BY nct_id"):
            yield listing

    def constraint_rows(self) -> Iterator[dict]:
        """Every constraint as a flat row (:data:`FLAT_COLUMNS`), by trial."""
        names = ", ".join(f'"{c}"' for c in FLAT_COLUMNS)
        for row in self.db.execute(f"SELECT {names} FROM constraints ORDER BY nct_id, id"):
            flat = dict(zip(FLAT_COLUMNS, row))
            flat["flags"] = json.loads(flat["flags"])
            yield flat
