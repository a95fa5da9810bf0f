"""Issue 9: what each number limits. The subject rules of grammars/subjects.jsonl, the issue's real cases, the
subject scorer on fixtures of both schemes, and (with ../shared) the floors on Leaf and Chia, tune and held."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SHARED, criteria_text
from criteria_parser.cli import app
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.lct.subject_scorer import SubjectEvaluator

FIXTURES = Path(__file__).parent / "fixtures" / "subjects"
GRAMMARS = load_grammars()


def _subjects(parser, text: str) -> list[tuple]:
    listing = parser.parse_text(criteria_text("1. " + text))
    return [(c.subject, c.kind) for _, c in listing.walk() for c in c.constraints]


@pytest.mark.parametrize("rule", GRAMMARS.subjects, ids=lambda r: r.id)
def test_subject_rule_reads_its_example(parser, rule):
    if rule.pattern is not None:  # a pattern read up to a point of the text ("within the past year (" before "12")
        pattern = re.compile(rule.pattern, re.IGNORECASE)
        assert any(pattern.search(rule.example, 0, end) for end in range(len(rule.example) + 1))
    elif rule.words is not None:  # a number of words: the example's subject has that many
        assert len(rule.example.split()) > rule.words == len(rule.subject.split())
    else:
        assert any(phrase.lower() in rule.example.lower() for phrase in rule.phrases)
    found = _subjects(parser, rule.example)
    assert ((found[0][0] if found else None) or "-") == rule.subject


#: The issue's cases: (text, [(subject, kind), ...]). A subject is never borrowed, never the anchor, never the
#: nearest lexicon concept when the real one is outside the lexicon; ages are ages, whether "age" is written or not.
CASES = [
    ("Has received a live vaccine within 30 days before the first dose of investigational agent",
     [("live vaccine", "time_window")]),
    ("No weight loss greater than 5% in the past 6 months", [("weight loss", "threshold"), ("weight loss", "time_window")]),
    ("Topical corticosteroids or oral systemic corticosteroid doses less than or equal to 10 mg",
     [("systemic corticosteroids", "dose")]),
    ("MCV less than 80 fl and HB less than 10 g/dL", [("MCV", "threshold"), ("hemoglobin", "threshold")]),
    ("older than 18 years undergoing elective surgery", [("age", "threshold")]),
    ("NYHA class III or IV, or unstable angina/acute MI within 6 months", [("NYHA", "category"), ("NYHA", "category"),
                                                                          ("acute MI", "time_window")]),
    ("opioid use within 2 weeks prior to surgery", [("opioids", "time_window")]),
    ("Adult ≥18 years old", [("age", "threshold")]),
    ("18 years or older", [("age", "threshold")]),
    ("6 to 18 years old", [("age", "range")]),
    ("From 18 to 25 years", [("age", "range")]),
    ("Life expectancy of at least 12 weeks", [("life expectancy", "threshold")]),
    ("Alanine transferase >2.5 times the upper limit of normal", [("Alanine transferase", "relative_limit")]),
    ("MAP ≥ 65 mmHg", [("mean arterial pressure", "threshold")]),
    ("HIT-6 score > 50", [("HIT-6 score", "threshold")]),
    ("UACR < 500 mg/g", [("UACR", "threshold")]),
    ("Grade ≥ 2 peripheral neuropathy", [("peripheral neuropathy", "threshold")]),
    ("BCR::ABL1 ratio > 1%", [("BCR::ABL1 ratio", "threshold")]),
    ("4 cycles of decitabine", [("decitabine", "threshold")]),
    ("CYP3A4 inhibitors within 2 weeks", [("CYP3A4 inhibitors", "time_window")]),
    ("A serum creatinine based on age/gender (within 7 days prior to enrollment)", [(None, "time_window")]),
    ("Patients with hepatitis B or HIV disease or alcohol intake (>14 drinks/week)", [("alcohol intake", "threshold")]),
    ("unexplained sudden death under 40 years of age in first-degree relatives", [(None, "threshold")]),
    ("renal transplants less than one year old", [(None, "threshold")]),
    # ages without a unit, or with the age word away from the unit; durations and times since an event are none
    ("patients <18", [("age", "threshold")]),
    ("55 and older", [("age", "threshold")]),
    ("Women over age 18 with a core biopsy", [("age", "threshold")]),
    ("Between the ages of 18-55 years old", [("age", "range")]),
    ("Childhood cancer survivors age 1-18 years old", [("age", "range")]),
    ("Male or female >40 and <70 years old", [("age", "threshold"), ("age", "threshold")]),
    ("Grade 2 or above", [(None, "threshold")]),
    ("Patients must have one of the following:", [("the following", "threshold")]),  # the list, not an age
    ("Gestational age < 32 weeks", [("gestational age", "threshold")]),
    ("Women 1 year post-menopausal", [("menopausal", "time_window")]),
    ("Postmenopausal women for at least 1 year", [(None, "time_window")]),
    ("greater than 6 months post-stroke", [("stroke", "time_window")]),
    # an event's verb may stand between it and its window; a measure comparator names its measure first
    ("History of other malignancy diagnosed within the past 3 years", [("malignancy", "time_window")]),
    ("patients with lumbar pain present for more than 12 weeks", [("lumbar pain", "time_window")]),
    ("a minimum life expectancy of 12 weeks", [("life expectancy", "threshold")]),
    ("Prior administration of blood products in last 4 months", [("blood products", "time_window")]),
    # a measure of time named with the unit; the class a list of examples is of
    ("GDM diagnosed ≥ 33 gestational weeks", [("gestational age", "threshold")]),
    ("Pregnancy between 36 and 42 weeks of gestation", [("gestational age", "range")]),
    ("≥ 24 weeks gestational age", [("gestational age", "threshold")]),
    ("Use of systemic pain medications, e.g. oxycodone in the past 2 weeks",
     [("systemic pain medications", "time_window")]),
    ("Prior surgery. E.g. appendectomy within 2 weeks", [("appendectomy", "time_window")]),
    ("Has severe or unstable heart failure e.g., New York Heart Association (NYHA) grade IV", [("NYHA", "category")]),
    # a score is the scale's it is taken on, named after it ("on the") or before "for"/a comma before "... score"
    ("severe neuropathic pain rated at least 5 on the 10-point numerical rating scale (NRS)", [("NRS", "threshold")]),
    ("Baseline level of pain of 2 or higher on 10 point scale.", [("10 point scale", "threshold")]),
    ("moderate knee osteoarthritis stage <2 on the Kellgren Laurence scale", [("Kellgren Laurence scale", "threshold")]),
    ("a score of >18 on the MADRS", [("MADRS", "threshold")]),
    ("Score ≤ 10 on the Short Physical Performance Battery OR Walking speed < 1.2 m/sec",
     [("Short Physical Performance Battery", "threshold"), ("Walking speed", "threshold")]),
    ("GAD-7 Questionnaire for anxiety score ≥10", [("GAD-7 Questionnaire", "threshold")]),
    ("Inadequate bowel preparation (Boston Bowel Prep Scale, total score ≤2)", [("Boston Bowel Prep Scale", "threshold")]),
    ("HIT-6 total score ≥ 50 on day 1", [("HIT-6 total score", "threshold")]),  # no scale link: the words before
    ("Hemoglobin ≥ 9 g/dL on the day of dosing", [("hemoglobin", "threshold")]),  # a measured amount: no scale
    # a bare count counts the list after it, and nothing after it shares that subject
    ("The presence of fever for at least five days plus four of the following criteria:",
     [("body temperature", "time_window"), ("the following criteria", "threshold")]),
    ("at least one of these signs: fever > 38°C", [("these signs", "threshold"), ("body temperature", "threshold")]),
    ("Treated with one of the following for at least 3 months:", [("the following", "threshold"), (None, "time_window")]),
    # after a window, what has elapsed since, past a restated amount and a person's possessive
    ("At least 3 weeks (21 days) must have elapsed since the end of participant's most recent systemic therapy",
     [("systemic", "time_window"), ("systemic", "time_window")]),
    ("Greater than 12 months from spinal cord injury", [("spinal cord injury", "time_window")]),
    ("for 90 days after the last dose of study treatment", [(None, "time_window")]),  # the anchor: none
    ("Currently pregnant, <6 months post-partum", [("partum", "time_window")]),
    # a word that only describes or quantifies is no subject; a head word alone names nothing
    ("tumors that have high (>90%) cure rate", [(None, "threshold")]),
    ("Physically active (> 3 x 30 min moderate exercise per week)",
     [("Physically active", "threshold"), (None, "time_window")]),
    ("continue to lose weight despite at least 2 weeks of therapy", [("therapy", "time_window")]),
    # a period in words restated in brackets; a since-event word that names its event; a count of prior lines
    ("Suicide attempt within the past year (12 months)", [("Suicide attempt", "time_window")]),
    ("Must be ≤ 92 days postpartum", [("postpartum", "time_window")]),
    ("At least 2 lines of prior therapy (Part 1 only)", [("therapy", "threshold")]),
    ("At least a 1-year history of migraine", [("migraine", "time_window")]),
    ("Previous smoker with a smoking history >10 pack-years", [("smoking", "threshold")]),
    ("Score of 24 or lower on the ASI-3", [("ASI-3", "threshold")]),
    ("Alcohol Use Disorders Inventory Test (AUDIT) (score of 8 or higher)",
     [("Alcohol Use Disorders Inventory Test", "threshold")]),
    ("≥50 days have passed since the last irradiation", [("radiotherapy", "time_window")]),
    ("Females of childbearing potential will use effective contraception during treatment with InO and for at least"
     " 8 months after the last dose", [("contraception", "time_window")]),
    # a person's label in a bracket says whose value it is; a row of ages by sex is ages
    ("Anemia defined as low hemoglobin (men: <13 g/dL, women: <12 g/dL)",
     [("hemoglobin", "threshold"), ("hemoglobin", "threshold")]),
    ("13 to < 16 years: male: 1.5 female: 1.4", [("age", "threshold"), ("age", "threshold")]),
    # a window after a dose held steady bounds the drug named before it
    ("Patients on Sandostatin Lar must be on a stable dose for 30 days", [("Sandostatin Lar", "time_window")]),
    ("well-controlled hypothyroidism is acceptable if on stable dose of l-thyroxine for ≥3 months",
     [("l-thyroxine", "time_window")]),
    ("Patients treated with corticosteroids were to receive a stable dose for at least 2 weeks",
     [("corticosteroids", "time_window")]),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_issue_9_subject_is_justified(parser, text, expected):
    assert _subjects(parser, text) == expected


def test_an_open_subject_is_an_entity_with_its_words(parser):
    listing = parser.parse_text(criteria_text("1. Baseline Phe concentration ≥ 450 µmol/L"))
    criterion = listing.sections[0].criteria[0]
    constraint, = criterion.constraints
    entity, = criterion.entities
    assert (constraint.subject, constraint.open_subject, constraint.subject_concept) == ("Phe concentration", True, None)
    # the entity model's mention of the same words when it found them, else the open subject's own
    assert (entity.id, entity.text, entity.type) == (constraint.entity, "Phe concentration", "measurement")
    assert entity.rule == "subject.open" or entity.rule.startswith("model.entities.crf.")


def test_scorer_counts_owned_comparisons_of_both_schemes(parser):
    report, subjects = SubjectEvaluator(parser).score_tuples_and_subjects(FIXTURES)
    overall = subjects.overall
    assert (overall.gold, overall.matched, overall.given, overall.right, overall.end_to_end) == (7, 7, 7, 7, 7)
    assert (overall.windows, overall.window_right) == (2, 2)
    assert sorted(subjects.by_type) == ["Age", "Condition", "Measurement", "Observation", "Person", "Procedure"]


def test_scorer_counts_a_subject_that_is_not_the_owners(parser, tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "c")
    ann = tmp_path / "c" / "NCT00000002.ann"
    text = (tmp_path / "c" / "NCT00000002.txt").read_text()
    at = text.index("enrollment")
    # the window's owner says the anchor is what it bounds: our radiotherapy is then not right
    ann.write_text(ann.read_text().replace(
        f"Procedure-Name {text.index('Radiotherapy')} {text.index('Radiotherapy') + 12}\tRadiotherapy",
        f"Procedure-Name {at} {at + 10}\tenrollment"))
    _, subjects = SubjectEvaluator(parser).score_tuples_and_subjects(tmp_path / "c")
    assert (subjects.overall.right, subjects.overall.window_right) == (6, 1)
    assert subjects.misses[0][2:4] == ("Procedure: enrollment", "radiotherapy (time_window)")


def test_eval_brat_prints_the_subject_table_and_hides_held_lines(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "--brat", str(FIXTURES), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["subjects"]["all"]["overall"]["end_to_end"] == 1.0
    assert runner.invoke(app, ["eval", "--brat", str(FIXTURES), "--part", "mine"]).exit_code != 0
    held = runner.invoke(app, ["eval", "--brat", str(FIXTURES), "--part", "held", "--errors", "9"])
    assert held.exit_code == 0 and "subject: gold" not in held.output and "| " not in held.output


# --- the floors on the real corpora (a ratchet: raise them as subjects improve, never lower them) ---

#: (corpus, part) -> floors of given (of matched), right (of given), end to end (of gold), windows, and end to end
#: of the comparisons an age owns (LCT ``Age``, Chia ``Person``).
#: Leaf tune's "given" went 0.948 -> 0.947 on 2026-12-03 by its denominator alone: the scorer now reads "13 weeks 6
#: days" as one amount (issue 13), so 6 more numbers match, not every one with a subject; end to end rose 0.817 -> 0.825.
FLOORS = {
    ("leaf-dev", "tune"): (0.952, 0.939, 0.843, 0.762, 0.969),
    ("leaf-dev", "held"): (0.939, 0.895, 0.786, 0.705, 0.923),
    ("chia-dev", "tune"): (0.932, 0.908, 0.806, 0.713, 0.866),
    ("chia-dev", "held"): (0.914, 0.894, 0.756, 0.674, 0.871),
}


@pytest.mark.parametrize("corpus,part", list(FLOORS), ids=[f"{c}-{p}" for c, p in FLOORS])
def test_subject_floors_hold(parser, corpus, part):
    path = SHARED / "corpora" / corpus
    if not path.is_dir():
        pytest.skip(f"../shared/corpora/{corpus} is not present")
    _, subjects = SubjectEvaluator(parser).score_tuples_and_subjects(path, part)
    rates = subjects.overall.rates()
    ages = subjects.by_type["Age" if corpus == "leaf-dev" else "Person"].rates()["end_to_end"]
    got = tuple(round(rates[k], 3) for k in ("given", "right", "end_to_end", "windows")) + (round(ages, 3),)
    assert all(g >= f for g, f in zip(got, FLOORS[corpus, part])), got
