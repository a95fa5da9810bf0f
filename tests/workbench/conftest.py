"""Fixtures of the workbench tests: a temporary corpus holding a copy of the seed listing, and the app on it
(``parser`` comes from the suite's conftest)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from criteria_parser.parser import Parser
from criteria_parser.workbench.app import create_app
from criteria_parser.curation.edits import criterion_key, row_values

SEED = Path(__file__).resolve().parents[2] / "corpora" / "NCT06633354-listing.txt"
NAME = SEED.name


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    shutil.copy(SEED, root / NAME)
    return root


@pytest.fixture
def client(corpus: Path, parser: Parser) -> TestClient:
    return TestClient(create_app(corpus, "alice", parser=parser, allowed_hosts=["testserver"]))


def csrf_of(client: TestClient, name: str = NAME) -> str:
    """The CSRF token a page of the app carries."""
    page = client.get(f"/listing/{name}")
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def rows_of(listing, entities: bool = False) -> list[dict]:
    """Save rows for every constraint (or entity) of ``listing``, all accepted, ids ``c0``, ``c1``... (``ent0``...)."""
    rows = []
    for index, section in enumerate(listing.sections):
        for criterion in section.walk():
            for item in criterion.entities if entities else criterion.constraints:
                rows.append({"id": f"{'ent' if entities else 'c'}{len(rows)}", "criterion": criterion_key(index, criterion),
                             "accepted": True, "fields": row_values(item)})
    return rows


def entity_rows_of(listing) -> list[dict]:
    """Save rows for every entity of ``listing``, all accepted."""
    return rows_of(listing, entities=True)


def save(client: TestClient, rows: list[dict], fingerprint: str = "absent", name: str = NAME,
         entities: list[dict] | None = None, **headers):
    """POST a save as the page does (entity rows too, when given)."""
    headers = {"X-CSRF-Token": csrf_of(client, name), **headers}
    body = {"fingerprint": fingerprint, "rows": rows, **({"entities": entities} if entities is not None else {})}
    return client.post(f"/api/save/{name}", json=body, headers=headers)
