"""Time-window anchors: every anchor of grammars/anchors.jsonl read from its example, the "prior to / after /
within ... of <event>" mechanism's word lists from theirs, and the judged sample of ct.gov windows
(benchmarks/anchor-sample-tune*.jsonl; skipped without ../shared)."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from conftest import ROOT, SHARED, criteria_text
from criteria_parser.grammar.loader import load_grammars

GRAMMARS = load_grammars()
SAMPLES = ["anchor-sample-tune.jsonl", "anchor-sample-tune-2.jsonl"]
#: What the example of each of the mechanism's cue rules reads as: (direction, anchor) of its time window.
EVENT_CUES = {
    "cue.event_end": ("after", "experiencing unacceptable toxicity"),
    "cue.event_head": ("before", "virologic load assessments"),
}


def _windows(parser, text: str) -> list[tuple[str, str]]:
    listing = parser.parse_text(criteria_text("1. " + text), "case.txt")
    return [(c.direction, c.anchor) for _, _, c in listing.constraints() if c.kind == "time_window"]


@pytest.mark.parametrize("rule", GRAMMARS.anchors, ids=lambda r: r.id)
def test_anchor_is_read_from_its_example(parser, rule):
    assert rule.name in [anchor for _, anchor in _windows(parser, rule.example)]


@pytest.mark.parametrize("rule", [c for c in GRAMMARS.cues if c.id in EVENT_CUES], ids=lambda r: r.id)
def test_event_cue_example_reads_its_event(parser, rule):
    assert _windows(parser, rule.example) == [EVENT_CUES[rule.id]]


def test_a_window_under_a_parent_event_is_placed_by_it_unless_it_is_a_plain_comparison(parser):
    text = criteria_text("1. Any of the following within 4 weeks before enrollment:\n"
                         "   a. radiotherapy within 2 weeks\n"
                         "2. A serum creatinine based on age as follows (within 7 days prior to enrollment):\n"
                         "   a. 1 month to < 6 months: 0.4 mg/dL\n")
    windows = {(c.value, c.comparator): c.anchor for _, _, c in parser.parse_text(text, "t.txt").constraints()
               if c.kind == "time_window"}
    assert windows[(2.0, "<=")] == "enrollment"  # inherited
    assert (6.0, "<") in windows and windows[(6.0, "<")] is None  # an age in a table, not a window before enrollment


@pytest.fixture(scope="module")
def tune_windows(parser):
    spec = importlib.util.spec_from_file_location("anchor_sample", ROOT / "benchmarks" / "anchor_sample.py")
    sample = sys.modules["anchor_sample"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    return sample, {(w.nct_id, w.start): w.anchor for w in sample.windows(parser, "tune")}


@pytest.mark.skipif(not (SHARED / "ctgov").is_dir(), reason="../shared/ctgov is absent")
@pytest.mark.parametrize("name", SAMPLES)
def test_issue_16_anchors_of_the_judged_ctgov_samples(tune_windows, name):
    """At least 90% of the sampled windows whose words name an anchor get it, none another, and none invented."""
    sample, found = tune_windows
    judged = [json.loads(line) for line in (ROOT / "benchmarks" / name).read_text(encoding="utf-8").splitlines()]
    counts = sample.score(judged, found, {rule.name for rule in GRAMMARS.anchors})
    assert counts["windows"] == 100 and counts["named"] >= 70
    assert counts["found"] >= 0.9 * counts["named"] and counts["wrong"] == counts["invented"] == 0, counts
