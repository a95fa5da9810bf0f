"""The entity model's gazetteer features: drug stems, DrugBank drug names and the matcher's phrases.

Every drug stem rule's example must carry its stem feature (the grammars' rule: each rule with an example a test
checks), the phrase tagger matches the longest phrase first, and a bad grammar line is one error naming its line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from criteria_parser.errors import GrammarError
from criteria_parser.grammar.entity_knowledge import load_entity_knowledge
from criteria_parser.lct.training import blank_pipeline
from criteria_parser.pipeline.entities import featurizer
from criteria_parser.pipeline.entity_features import PhraseTagger

GRAMMARS = Path(__file__).resolve().parents[1] / "grammars"
KNOWLEDGE = load_entity_knowledge()


@pytest.fixture(scope="module")
def features():
    nlp = blank_pipeline()
    featurize = featurizer(nlp)
    return lambda text: featurize(nlp.make_doc(text), "lct")[0]


@pytest.mark.parametrize("stem", KNOWLEDGE.drug_stems, ids=lambda s: s.id)
def test_drug_stem_marks_its_example(features, stem):
    marked = [f[5:] for f in features(stem.example)[0] if f.startswith("stem=")]
    assert len(marked) == 1 and marked[0].endswith(stem.suffix)  # the longest stem the word ends in


def test_a_stem_needs_two_more_letters_than_itself(features):
    assert "stem" not in features("tide")[0] and "stem" in features("octreotide")[0]


def test_drug_names_are_lower_case_single_spaced_and_sorted():
    lines = [line for line in (GRAMMARS / "drug_names.txt").read_text(encoding="utf-8").splitlines()
             if not line.startswith("#")]
    assert lines == sorted(set(lines)) and all(line == line.lower() and "  " not in line for line in lines)
    assert {"warfarin", "pembrolizumab", "vitamin d"} <= KNOWLEDGE.drug_names
    assert not {"history", "cancer", "surgery", "patients"} & KNOWLEDGE.drug_names


def test_drug_names_and_concept_phrases_tag_their_words(features):
    tokens = features("No warfarin or immunotherapy")
    assert "dn=B-drug" in tokens[1] and "dn-1=B-drug" in tokens[2]
    assert not any(f.startswith("dn=") for f in tokens[0])  # no name covers "No": no feature of its own
    assert "gz=B-class" in tokens[3]  # a treatment class of matching.json


def test_every_feature_comes_shared_and_in_the_style():
    nlp = blank_pipeline()
    token = featurizer(nlp)(nlp.make_doc("aspirin"), "chia")[0][0]
    styled = [f for f in token if f.startswith("chia:")]
    assert sorted(styled) == sorted("chia:" + f for f in token if not f.startswith("chia:"))
    assert "chia:w=aspirin" in styled


def test_the_phrase_tagger_takes_the_longest_phrase_first():
    tagger = PhraseTagger([("heart", "condition"), ("heart failure", "class"), ("failure", "member")])
    assert tagger.tag(["heart", "failure", "failure"]) == ["B-class", "I-class", "B-member"]
    assert tagger.tag([]) == []


def test_a_bad_drug_stem_line_is_one_error_naming_its_line(tmp_path):
    copy = tmp_path / "grammars"
    shutil.copytree(GRAMMARS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "drug_stems.jsonl").open("a", encoding="utf-8") as out:
        out.write('{"id": "stem.x", "suffix": "X1", "group": "g", "example": "aX1"}\n')
    with pytest.raises(GrammarError, match=r"drug_stems\.jsonl:\d+: suffix: "):
        load_entity_knowledge(copy)
    (copy / "drug_names.txt").unlink()
    with pytest.raises(GrammarError, match=r"drug_names\.txt: grammar file missing"):
        load_entity_knowledge(copy)
