"""Entity accuracy of the shipped model on the Leaf and Chia dev corpora (../shared/corpora), when present.

A ratchet: the floors are the levels the shipped model reached (README, "Entities"), for the tune part it was
trained on and the held-back part it never saw; raise them with a better model, never lower them.
"""

from __future__ import annotations

import json

import pytest

from conftest import SHARED
from criteria_parser.lct.entities import corpus_scheme
from criteria_parser.lct.entity_scorer import entity_pipeline, score_entities
from criteria_parser.lct.training import input_digest, inputs_file
from criteria_parser.pipeline.entities import MODEL

CORPORA = SHARED / "corpora"
#: (corpus, part, level, type) -> F1 floor: the levels of 2026-12-02 (the model retrained with its input digest) rounded down (README, "Clinical entities")
FLOORS = {
    ("leaf-dev", "tune", "overlap", "all"): 0.99,
    ("leaf-dev", "held", "overlap", "all"): 0.81,
    ("leaf-dev", "held", "exact", "all"): 0.70,
    ("leaf-dev", "held", "overlap", "condition"): 0.86,
    ("leaf-dev", "held", "overlap", "drug"): 0.79,
    ("chia-dev", "tune", "overlap", "all"): 0.98,
    ("chia-dev", "held", "overlap", "all"): 0.74,
    ("chia-dev", "held", "exact", "all"): 0.58,
    ("chia-dev", "held", "overlap", "condition"): 0.82,
    ("chia-dev", "held", "overlap", "drug"): 0.76,
}


@pytest.fixture(scope="module")
def reports():
    found = {}
    for name in sorted({corpus for corpus, *_ in FLOORS}):
        if (CORPORA / name).is_dir():
            nlp = entity_pipeline(style=corpus_scheme(CORPORA / name))
            found[name] = score_entities(CORPORA / name, nlp)
    return found


@pytest.mark.parametrize("key", sorted(FLOORS), ids=lambda k: "-".join(k))
def test_entity_f1_holds(reports, key):
    corpus, part, level, kind = key
    if corpus not in reports:
        pytest.skip(f"../shared/corpora/{corpus} is not present")
    assert reports[corpus].get(part, level, kind).scores()[2] >= FLOORS[key]


def test_the_shipped_model_is_trained_on_the_current_inputs():
    """A stale model (corpora, tokenizer, features or the grammars they read changed since it was trained) fails."""
    corpora = [CORPORA / "leaf-dev", CORPORA / "chia-dev"]
    if not all(c.is_dir() for c in corpora):
        pytest.skip("../shared/corpora is not present")
    recorded = json.loads(inputs_file(MODEL).read_text())["inputs"]
    assert input_digest(corpora) == recorded, \
        "the shipped entity model is stale: rebuild it with `criteria-parser train entities` (README, Clinical entities)"
