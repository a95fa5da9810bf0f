"""Issue 14: the entity step's own CRF tagger (:mod:`criteria_parser.pipeline.crf`) against CRFsuite's.

The model file read into arrays must give CRFsuite's weights and CRFsuite's tags; the feature groups a finder
sums once must spell out exactly the features the model was trained on.
"""

from __future__ import annotations

from pathlib import Path

import pycrfsuite
import pytest

from criteria_parser.lct.training import blank_pipeline, train
from criteria_parser.errors import InputError
from criteria_parser.pipeline.crf import CRFModel
from criteria_parser.pipeline.entities import MODEL, EntityFinder, featurizer

FIXTURES = Path(__file__).parent / "fixtures" / "entities"
LEAF, CHIA = FIXTURES / "leaf", FIXTURES / "chia"
TEXTS = [
    "Serum creatinine > 1.5 mg/dL or history of myocardial infarction treated with aspirin",
    "No warfarin, pembrolizumab or immunotherapy within 4 weeks",
    "Patients aged 18 years or older with ECOG 0-1",
    "HbA1c ≥ 7.5% despite metformin",
    "x",
    "Known HIV infection; pregnant or breast-feeding women",
]


@pytest.fixture(scope="module")
def shipped():
    tagger = pycrfsuite.Tagger()
    tagger.open(str(MODEL))
    return CRFModel(MODEL), tagger


def test_the_model_file_reads_into_crfsuites_labels_and_weights(shipped):
    model, tagger = shipped
    info = tagger.info()
    assert model.labels == tagger.labels()
    assert len(model.index) == len({attribute for attribute, _ in info.state_features})
    for (attribute, label), weight in list(info.state_features.items())[::997]:  # info rounds to 6 places
        assert model.state[model.index[attribute], model.labels.index(label)] == pytest.approx(weight, abs=1e-6)
    for (first, second), weight in info.transitions.items():
        assert model.transition[model.labels.index(first), model.labels.index(second)] == pytest.approx(weight, abs=1e-6)


@pytest.mark.parametrize("style", ["lct", "chia"])
def test_the_finder_tags_as_crfsuite_does(shipped, style):
    _, tagger = shipped
    nlp = blank_pipeline()
    features = featurizer(nlp)
    finder = EntityFinder(MODEL, features, style)
    docs = [nlp.make_doc(text) for text in TEXTS * 2]  # the second time from the remembered groups
    tags = [finder.tags(doc)[0] for doc in docs]
    assert tags == [tagger.tag(features(doc, style)[0]) for doc in docs]
    assert any(tag != "O" for doc_tags in tags for tag in doc_tags)


def test_groups_spell_out_the_features_in_the_trained_order():
    nlp = blank_pipeline()
    features = featurizer(nlp)
    doc = nlp.make_doc("No warfarin or immunotherapy")
    groups, _ = features.groups(doc)
    spelled = features(doc, "chia")[0]
    for token, strings in zip(groups, spelled):
        parts = [features.strings(group, "chia") for group in token]
        assert sorted(strings) == sorted(s for shared, styled in parts for s in (*shared, *styled))
    assert spelled[1][:2] == ["b", "w=warfarin"] and "dn=B-drug" in spelled[1] and "dn-1=B-drug" in spelled[2]
    assert spelled[0][-2:] == ["chia:w-1w=_|no", "chia:ww+1=no|warfarin"]


def test_a_freshly_trained_model_tags_as_crfsuite_does(tmp_path):
    model = tmp_path / "entities.crfsuite"
    train([LEAF, CHIA], model)
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model))
    nlp = blank_pipeline()
    features = featurizer(nlp)
    finder = EntityFinder(model, features, "lct")
    docs = [nlp.make_doc(text) for text in TEXTS]
    assert [finder.tags(doc)[0] for doc in docs] == [tagger.tag(features(doc, "lct")[0]) for doc in docs]


def test_a_file_that_is_no_crfsuite_model_is_refused(tmp_path):
    bad = tmp_path / "bad.crfsuite"
    bad.write_bytes(b"not a model" * 10)
    with pytest.raises(InputError, match="bad.crfsuite: not a CRFsuite"):
        CRFModel(bad)
    (tmp_path / "short.crfsuite").write_bytes(b"lCRF")  # truncated: the header cannot be read
    with pytest.raises(InputError, match="short.crfsuite: not a CRFsuite"):
        CRFModel(tmp_path / "short.crfsuite")
