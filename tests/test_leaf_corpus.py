"""Accuracy on the Leaf Clinical Trials dev corpus (../shared/corpora/leaf-dev), when it is present.

A ratchet: the floors below are the levels reached (see benchmarks/leaf.md); raise them as the parser
improves, never lower them. The garbled copy (criteria_parser.lct.garble) must stay within 5% of the clean
full-tuple F1.
"""

from __future__ import annotations

import pytest

from conftest import SHARED
from criteria_parser.lct.garble import garble_corpus
from criteria_parser.lct.scorer import LeafEvaluator

LEAF = SHARED / "corpora" / "leaf-dev"
FULL_TUPLE_F1_FLOOR = 0.925
DETECTION_F1_FLOOR = 0.970

pytestmark = pytest.mark.skipif(not LEAF.is_dir(), reason="../shared/corpora/leaf-dev is not present")


@pytest.fixture(scope="module")
def clean(parser):
    return LeafEvaluator(parser).evaluate(LEAF)


def test_full_tuple_f1_holds(clean):
    assert clean.overall.full_tuple()[2] >= FULL_TUPLE_F1_FLOOR


def test_detection_f1_holds(clean):
    assert clean.overall.detection()[2] >= DETECTION_F1_FLOOR


def test_garbled_copy_stays_within_five_percent(parser, clean, tmp_path):
    assert garble_corpus(LEAF, tmp_path, seed=1) == clean.documents
    garbled = LeafEvaluator(parser).evaluate(tmp_path)
    assert garbled.overall.gold == clean.overall.gold  # every annotation survived the garbling
    assert garbled.overall.full_tuple()[2] >= 0.95 * clean.overall.full_tuple()[2]
