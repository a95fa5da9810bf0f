"""Entity mentions: the brat readers of both schemes, the mapping to our types, the scorer and the component.

The fixtures under ``tests/fixtures/entities/`` are hand-written: a Leaf (LCT) corpus of two trials and a Chia
corpus with mixed line breaks, discontinuous and out-of-order spans, an OR line, a text field running over a
line break and an empty text.
"""

from __future__ import annotations

from pathlib import Path

import hashlib
import json

import pytest
import spacy

from criteria_parser.errors import InputError
from criteria_parser.lct.brat import read_ann
from criteria_parser.lct.entities import EntitySpan, corpus_scheme, read_corpus, split_lines
from criteria_parser.lct.entity_scorer import Counts, entity_pipeline, score_entities, render_entities, score_document
from criteria_parser.lct.training import CorpusStats, blank_pipeline, input_digest, inputs_file, line_docs, train
from criteria_parser.pipeline.entities import MODEL

FIXTURES = Path(__file__).parent / "fixtures" / "entities"
LEAF, CHIA = FIXTURES / "leaf", FIXTURES / "chia"


def words(document):
    return [(document.text[e.start:e.end], e.type) for e in document.entities]


def test_the_scheme_comes_from_the_annotation_conf_or_the_first_document(tmp_path):
    assert (corpus_scheme(LEAF), corpus_scheme(CHIA)) == ("lct", "chia")
    for name in ("NCT00000016_inc.txt", "NCT00000016_inc.ann"):  # a Chia document without the conf
        (tmp_path / name).write_bytes((CHIA / name).read_bytes())
    assert corpus_scheme(tmp_path) == "chia"
    (tmp_path / "NCT00000016_inc.ann").write_bytes((LEAF / "NCT00000012.ann").read_bytes())
    assert corpus_scheme(tmp_path) == "lct"


def test_lct_entities_are_event_triggers_and_life_stage_mentions_in_our_types():
    document = next(d for d in read_corpus(LEAF) if "NCT00000012" in d.name)
    assert words(document) == [("Women", "person"), ("aged", "person"), ("chronic kidney disease", "condition"),
                               ("Serum potassium", "measurement"), ("Warfarin", "drug"), ("dialysis", "procedure"),
                               ("Smoker", "observation")]  # a lab is a measurement, a social habit an observation


def test_lines_drop_their_numbering_and_keep_their_offsets():
    document = next(d for d in read_corpus(LEAF) if "NCT00000012" in d.name)
    texts = [line.text for line in document.lines]
    assert texts[1] == "Women aged 40 or older with chronic kidney disease"
    line = document.lines[1]
    assert document.text[line.start:line.start + len(line.text)] == line.text
    assert [document.text[e.start:e.end] for e in line.entities] == ["Women", "aged", "chronic kidney disease"]


def test_chia_reader_keeps_offsets_over_crlf_lf_and_lone_cr():
    documents = list(read_corpus(CHIA))
    assert [Path(d.name).name for d in documents] == ["NCT00000013_exc.txt", "NCT00000016_inc.txt"]  # empty one skipped
    document = documents[1]
    assert words(document) == [("Adults", "person"), ("renal or hepatic impairment", "condition"),
                               ("hepatic impairment", "condition"), ("HbA1c", "measurement"), ("pacemaker", "device"),
                               ("history", "observation"), ("stroke", "condition")]
    assert [line.text for line in document.lines] == [
        "Adults with renal or hepatic impairment", "HbA1c < 9%", "no pacemaker", "history of stroke"]


def test_a_discontinuous_mention_keeps_its_pieces_in_text_order():
    text = (CHIA / "NCT00000016_inc.txt").read_bytes().decode("utf-8")
    annotation = read_ann("x.ann", (CHIA / "NCT00000016_inc.ann").read_bytes().decode("utf-8"), text)
    renal = annotation.entities["T2"]
    assert [text[s:e] for s, e in renal.fragments] == ["renal", "impairment"]
    assert "T10" in annotation.entities  # the line after its text field's line break is not an annotation


def test_a_bad_span_is_one_line_naming_the_file():
    with pytest.raises(InputError, match=r"doc.ann: line 1: span 5-90 outside the text"):
        read_ann("doc.ann", "T1\tCondition 5 90\tx\n", "short text")


def test_parts_select_trials_by_the_split():
    assert [Path(d.name).name for d in read_corpus(LEAF, "tune")] == ["NCT00000012.txt"]
    assert [Path(d.name).name for d in read_corpus(LEAF, "held")] == ["NCT00000011.txt"]


def test_entities_across_a_line_break_belong_to_no_line():
    lines = split_lines("a b\nc d\n", [EntitySpan(2, 5, "condition"), EntitySpan(4, 7, "drug")])
    assert [[(e.start, e.end) for e in line.entities] for line in lines] == [[], [(4, 7)]]


def test_training_docs_keep_the_longest_of_overlapping_mentions():
    document = next(d for d in read_corpus(CHIA) if "NCT00000016" in d.name)
    stats = CorpusStats()
    docs = list(line_docs(blank_pipeline(), document, stats))
    assert [(e.text, e.label_) for e in docs[0].ents] == [("Adults", "person"),
                                                          ("renal or hepatic impairment", "condition")]
    assert stats.overlapping == 1


def test_training_records_the_digest_of_its_inputs_and_of_the_model(tmp_path):
    model = tmp_path / "m.crfsuite"
    stats = train([LEAF, CHIA], model)
    record = json.loads(inputs_file(model).read_text())
    assert record == {"inputs": input_digest([LEAF, CHIA]), "model": hashlib.sha256(model.read_bytes()).hexdigest(),
                      "lines": stats.lines, "mentions": stats.entities}
    assert input_digest([LEAF]) != record["inputs"]  # the digest follows the examples


def test_the_shipped_model_is_the_one_its_inputs_record_names():
    """The record beside the shipped model names its bytes; ``test_entity_corpus`` checks its inputs with ../shared."""
    record = json.loads(inputs_file(MODEL).read_text())
    assert record["model"] == hashlib.sha256(MODEL.read_bytes()).hexdigest(), \
        "entities.inputs.json does not describe the shipped model: rebuild both with `criteria-parser train entities`"


@pytest.mark.parametrize("predicted,exact,overlap", [
    ([EntitySpan(0, 22, "condition")], (1.0, 1.0), (1.0, 1.0)),
    ([EntitySpan(8, 22, "condition")], (0.0, 0.0), (1.0, 1.0)),  # "kidney disease" inside the gold words
    ([EntitySpan(0, 22, "drug")], (0.0, 0.0), (0.0, 0.0)),  # right words, wrong type
    ([EntitySpan(0, 22, "condition"), EntitySpan(30, 40, "condition")], (0.5, 1.0), (0.5, 1.0)),
    ([], (0.0, 0.0), (0.0, 0.0)),
])
def test_exact_and_overlap_scores(predicted, exact, overlap):
    counts = score_document([EntitySpan(0, 22, "condition")], predicted)
    for level, expected in (("exact", exact), ("overlap", overlap)):
        p, r, _ = counts.get((level, "condition"), Counts()).scores()
        assert (p, r) == expected


def test_overlap_needs_a_common_character_with_a_piece_of_a_discontinuous_mention():
    gold = [EntitySpan(0, 30, "condition", ((0, 5), (20, 30)))]
    assert score_document(gold, [EntitySpan(8, 15, "condition")])["overlap", "condition"].found == 0
    assert score_document(gold, [EntitySpan(22, 25, "condition")])["overlap", "condition"].found == 1


def test_the_component_finds_typed_mentions_with_lexicon_concepts():
    nlp = entity_pipeline()
    doc = nlp("Serum creatinine above 2 mg/dL or history of myocardial infarction treated with aspirin")
    found = {(e.text, e.type) for e in doc._.cp_entities}
    assert ("myocardial infarction", "condition") in found
    assert ("aspirin", "drug") in found
    creatinine = next(e for e in doc._.cp_entities if "creatinine" in e.text)
    assert (creatinine.type, creatinine.concept, creatinine.name) == ("measurement", "lex.creatinine", "creatinine")
    assert [(e.start_char, e.end_char) for e in doc.ents] == [(e.start, e.end) for e in doc._.cp_entities]


def test_the_component_is_an_entry_point_factory_and_batches_like_one_call():
    nlp = spacy.blank("en")
    nlp.add_pipe("criteria_entities")
    texts = ["History of stroke", "No insulin within 3 months", "Women aged 18 or older"]
    batched = [[(e.text, e.type) for e in doc._.cp_entities] for doc in nlp.pipe(texts, batch_size=2)]
    assert batched == [[(e.text, e.type) for e in nlp(t)._.cp_entities] for t in texts]
    assert any(kind == "drug" for _, kind in batched[1])


def test_eval_table_has_both_parts_side_by_side():
    report = score_entities(LEAF, entity_pipeline())
    assert report.documents["tune"] == 1 and report.documents["held"] == 1 and report.documents["all"] == 2
    assert report.get("all", "exact", "all").gold == 10
    table = render_entities(report, ["tune", "held"])
    heading, columns, *rows = table.splitlines()[1:]
    assert heading.split() == ["tune", "part", "|", "held", "part"]
    assert columns.split().count("gold") == 2
    assert [row.split()[0] for row in rows] == ["condition", "drug", "procedure", "measurement", "observation",
                                                "person", "all"]  # no device in Leaf
    assert rows[-1].split()[1] == "7" and rows[-1].split()[9] == "3"  # gold mentions of each part


def test_eval_brat_prints_entities_per_part_and_lists_no_held_back_disagreement():
    from typer.testing import CliRunner

    from criteria_parser.cli import app

    result = CliRunner().invoke(app, ["eval", "--brat", str(LEAF), "--part", "tune", "--part", "held"])
    assert result.exit_code == 0, result.output
    assert "== comparisons, tune part" in result.output and "== comparisons, held part" in result.output
    assert "== entities (lct style" in result.output
    assert "NCT00000011" not in result.output  # the held-back trial: scores only
    bad = CliRunner().invoke(app, ["eval", "--brat", str(LEAF), "--part", "dev"])
    assert bad.exit_code == 2 and "--part takes tune, held, all" in bad.output
