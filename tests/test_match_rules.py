"""Category scales, dose limits and event windows: met, not met and unknown, the same in JsonLogic."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from json_logic import jsonLogic

from criteria_parser.match.plan import TRUTH_WORDS
from criteria_parser.match.compiler import compile_listing
from criteria_parser.export.jsonlogic import export_jsonlogic
from criteria_parser.match.facts import build_facts
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.match.screen import assess
from criteria_parser.grammar.matching import load_matching_grammar
from criteria_parser.match.patients import Patient

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "match"
RICH = json.loads((FIXTURES / "patient-rich.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parser():
    from criteria_parser.parser import Parser

    return Parser()


def run(parser, listing: str, patient: dict):
    """Match ``patient`` against ``listing`` and require the JsonLogic export to agree on every criterion."""
    plan = compile_listing(parser.parse_text(listing), load_grammars(), load_matching_grammar())
    facts = build_facts(Patient.model_validate(patient), plan, load_grammars(), load_matching_grammar())
    result = assess(plan, facts, load_matching_grammar(), patient["id"], patient["as_of"])
    data = json.loads(json.dumps(facts.data))
    rules = export_jsonlogic(plan)["criteria"]
    assert len(rules) == len(result.criteria) > 0  # else the agreement below would hold of nothing
    for rule, criterion in zip(rules, result.criteria):
        assert TRUTH_WORDS[float(jsonLogic(rule["rule"], data))] == criterion.result, criterion.label
    return result


def answer(result, section: str, label: str):
    """The result and reasons of one criterion."""
    found = next(c for c in result.criteria if c.section == section and c.label == label)
    return found.result, found.reasons


def patient(**results) -> dict:
    """The rich patient with some score results replaced: ``NYHA={"category": "III"}``, or None to drop it."""
    data = copy.deepcopy(RICH)
    for name, value in results.items():
        data["results"] = [r for r in data["results"] if r["name"] != name.replace("_", "-")]
        if value is not None:
            data["results"].append({"name": name.replace("_", "-"), "date": "2026-02-25", **value})
    return data


SCORES = """Inclusion Criteria:
1. ECOG 0-1
2. ASA I-II
Exclusion Criteria:
1. NYHA class III or IV heart failure
2. Child-Pugh C
3. NYHA class ≥ III
4. New York Heart Association (NYHA) grade VI heart failure
"""


def test_categories_compare_by_rank_on_their_scale(parser):
    result = run(parser, SCORES, patient(NYHA={"category": "Ⅲ"}, ASA={"category": "class II"},
                                         Child_Pugh={"value": 11}))
    assert answer(result, "inclusion", "2") == ("met", ["ASA class II = II (2026-02-25) between I and II: met"])
    assert answer(result, "exclusion", "1")[0] == "met"
    assert "NYHA Ⅲ = III (2026-02-25) = III: met" in answer(result, "exclusion", "1")[1]
    assert answer(result, "exclusion", "2") == ("met", ["Child-Pugh 11 = C (2026-02-25) = C: met"])
    assert answer(result, "exclusion", "3") == ("met", ["NYHA Ⅲ = III (2026-02-25) ≥ III: met"])


def test_categories_not_met_for_a_lower_class_and_roman_is_arabic(parser):
    result = run(parser, SCORES, patient(NYHA={"value": 2}, ASA={"category": "3"}, Child_Pugh={"category": "B"}))
    assert answer(result, "inclusion", "2") == ("not met", ["ASA 3 = III (2026-02-25) between I and II: not met"])
    assert answer(result, "exclusion", "1")[0] == "not met"
    assert answer(result, "exclusion", "2") == ("not met", ["Child-Pugh B (2026-02-25) = C: not met"])
    assert answer(result, "exclusion", "3")[0] == "not met"


def test_missing_or_off_scale_categories_are_unknown_with_the_reason(parser):
    result = run(parser, SCORES, patient(NYHA={"category": "V"}, ASA=None, Child_Pugh={"value": 3}))
    assert answer(result, "inclusion", "2") == ("unknown", ["no ASA result: unknown"])
    assert answer(result, "exclusion", "3") == (
        "unknown", ["NYHA 'V' (2026-02-25) is not on the NYHA scale (I, II, III, IV): unknown"])
    assert answer(result, "exclusion", "2") == (
        "unknown", ["Child-Pugh '3' (2026-02-25) is not on the Child-Pugh scale (A, B, C): unknown"])
    assert answer(result, "exclusion", "4") == ("unknown", [
        "'VI' is not a category of the NYHA scale (I, II, III, IV): 'New York Heart Association (NYHA) grade VI': "
        "unknown"])


DOSES = """Inclusion Criteria:
1. Stable dose of metformin ≤ 2000 mg/d
Exclusion Criteria:
1. Prednisone > 20 mg/day or equivalent within 4 weeks before enrollment
2. Prednisone > 20 within 4 weeks before enrollment
3. Dexamethasone > 4 mg/day
"""
RECENT = {"start": "2026-02-01", "end": "2026-02-20"}


def treated(*treatments) -> dict:
    """The rich patient with its treatment history replaced."""
    return {**copy.deepcopy(RICH), "treatments": list(treatments)}


def test_dose_limits_met_by_the_dose_or_its_equivalent(parser):
    result = run(parser, DOSES, treated(
        {"name": "metformin", "start": "2020-01-01", "dose": {"value": 1.5, "unit": "g/d"}},
        {"name": "dexamethasone", "dose": {"value": 6, "unit": "mg/d"}, "start": "2026-02-01"}))
    assert answer(result, "inclusion", "1") == ("met", [
        "metformin 1.5 g/d, 2020-01-01 to ongoing: ongoing at the screening; its dose 1500 mg/d is within the limit "
        "metformin ≤ 2000 mg/d: met"])
    assert answer(result, "exclusion", "1") == ("met", [
        "dexamethasone 6 mg/d, 2026-02-01 to ongoing: last given on the day of the enrollment, within 4 weeks before "
        "enrollment; its prednisone-equivalent dose 40 mg/d is within the limit Prednisone > 20 mg/day: met"])
    assert answer(result, "exclusion", "3")[0] == "met"
    assert result.status == "ineligible"


def test_dose_limits_not_met_by_a_lower_dose_an_ended_treatment_or_none(parser):
    result = run(parser, DOSES, treated(
        {"name": "metformin", "start": "2020-01-01", "end": "2025-12-31", "dose": {"value": 1000, "unit": "mg/d"}},
        {"name": "prednisolone", "dose": {"value": 15, "unit": "mg/d"}, **RECENT}))
    assert answer(result, "inclusion", "1") == ("not met", [
        "metformin 1000 mg/d, 2020-01-01 to 2025-12-31: not ongoing at the screening: not met"])
    assert answer(result, "exclusion", "1") == ("not met", [
        "prednisolone 15 mg/d, 2026-02-01 to 2026-02-20: last given 16 days before the enrollment, within 4 weeks "
        "before enrollment; its dose 15 mg/d is outside the limit Prednisone > 20 mg/day: not met"])
    assert answer(result, "exclusion", "3") == ("not met", ["no dexamethasone in the treatment history: not met"])
    over = run(parser, DOSES, treated(
        {"name": "metformin", "start": "2020-01-01", "dose": {"value": 2550, "unit": "mg/d"}}))
    assert answer(over, "inclusion", "1")[0] == "not met"


def test_dose_unknown_without_a_unit_a_dose_a_date_or_a_history(parser):
    result = run(parser, DOSES, treated(
        {"name": "metformin", "start": "2020-01-01", "dose": {"value": 1000}},
        {"name": "prednisone", **RECENT}))
    assert answer(result, "inclusion", "1") == ("unknown", [
        "metformin 1000 (dose without unit), 2020-01-01 to ongoing: ongoing at the screening; its dose is unknown, "
        "so the limit metformin ≤ 2000 mg/d cannot be judged: unknown"])
    assert answer(result, "exclusion", "1")[0] == "unknown"
    reasons = answer(result, "exclusion", "2")[1]
    assert reasons[0] == "dose limit without a unit: 'Prednisone > 20': unknown"
    undated = run(parser, DOSES, treated({"name": "metformin", "dose": {"value": 1000, "unit": "mg/d"}}))
    assert answer(undated, "inclusion", "1")[0] == "unknown"
    nothing = run(parser, DOSES, {k: v for k, v in RICH.items() if k != "treatments"})
    assert answer(nothing, "inclusion", "1")[0] == "unknown"


EVENTS = """Exclusion Criteria:
1. Myocardial infarction within 6 months before randomization
2. Stroke within 3 months prior to screening
3. Major surgery within 4 weeks before randomization
4. Life-threatening arrhythmia within prior 6 months
5. Something rare within 6 months
6. Antibiotic treatment the prior 3 months
"""


def diagnosed(*diagnoses, **changes) -> dict:
    """The rich patient with its diagnoses replaced."""
    return {**copy.deepcopy(RICH), "diagnoses": list(diagnoses), **changes}


def test_event_windows_met_by_a_recent_onset_or_recorded_date(parser):
    result = run(parser, EVENTS, diagnosed(
        {"name": "acute myocardial infarction", "code": "I21.4", "status": "resolved", "onset": "2026-01-10"},
        {"name": "cerebral infarction", "recorded": "2026-02-01"},
        treatments=[{"name": "laparotomy", "classes": ["major surgery"], "start": "2026-02-20", "end": "2026-02-20"}]))
    assert answer(result, "exclusion", "1") == ("met", [
        "acute myocardial infarction onset 2026-01-10, 59 days before the randomization, within 6 months before "
        "randomization: met"])
    assert answer(result, "exclusion", "2") == ("met", [
        "cerebral infarction recorded 2026-02-01, 28 days before the screening, within 3 months before screening: met"])
    assert answer(result, "exclusion", "3")[0] == "met"
    assert result.status == "ineligible"


def test_event_windows_not_met_by_an_old_episode_or_a_ruled_out_condition(parser):
    result = run(parser, EVENTS, diagnosed(
        {"name": "myocardial infarction", "status": "resolved", "onset": "2023-06-01"},
        {"name": "stroke", "status": "absent"},
        {"name": "ventricular arrhythmia", "onset": "2025-01-05"}))
    assert answer(result, "exclusion", "1") == ("not met", [
        "myocardial infarction onset 2023-06-01, 1013 days before the randomization, outside 6 months before "
        "randomization: not met"])
    assert answer(result, "exclusion", "2") == ("not met", ["stroke ruled out: not met"])
    assert answer(result, "exclusion", "3")[0] == "not met"
    assert answer(result, "exclusion", "4")[0] == "not met"


def test_event_windows_unknown_without_dates_anchor_record_or_vocabulary(parser):
    result = run(parser, EVENTS, diagnosed(
        {"name": "myocardial infarction", "onset": "2023-06-01"}, {"name": "myocardial infarction"},
        {"name": "CVA", "onset": "2026-06-01"}, anchors={}))
    assert answer(result, "exclusion", "1") == ("unknown", ["myocardial infarction: no randomization date: unknown"])
    assert answer(result, "exclusion", "2") == ("unknown", ["CVA: no usable onset date: unknown"])
    assert answer(result, "exclusion", "4") == ("unknown", ["no arrhythmia recorded: unknown"])
    assert answer(result, "exclusion", "5") == ("unknown", [
        "time windows are checked for treatments and the conditions of the matching grammar only: "
        "'Something rare within 6 months': unknown"])  # the constraint's words begin with its subject (issue 9)
    dated_and_not = run(parser, EVENTS, diagnosed(
        {"name": "myocardial infarction", "onset": "2023-06-01"}, {"name": "myocardial infarction"}))
    assert answer(dated_and_not, "exclusion", "1") == ("unknown", [
        "myocardial infarction onset 2023-06-01, 1013 days before the randomization, outside 6 months before "
        "randomization; another episode has no usable date: unknown"])


def test_a_window_on_a_treatment_the_criterion_names_reads_the_treatment_history(parser):
    recent = run(parser, EVENTS, diagnosed(treatments=[
        {"name": "amoxicillin", "start": "2026-01-10", "end": "2026-01-17", "dose": {"value": 1500, "unit": "mg/d"}}]))
    assert answer(recent, "exclusion", "6") == ("met", [
        "amoxicillin 1500 mg/d, 2026-01-10 to 2026-01-17: last given 43 days before the screening, within 3 months "
        "before screening: met"])
    assert answer(run(parser, EVENTS, diagnosed()), "exclusion", "6") == (
        "not met", ["no antibiotics in the treatment history: not met"])


def test_a_score_given_as_a_category_is_its_value_on_scales_ranked_by_value(parser):
    met = run(parser, SCORES, patient(ECOG={"category": "1"}))
    assert answer(met, "inclusion", "1") == ("met", ["ECOG 1 (2026-02-25) between 0 and 1: met"])
    off = run(parser, SCORES, patient(ECOG={"category": "7"}))
    assert answer(off, "inclusion", "1") == ("unknown", ["ECOG on 2026-02-25 has no value: unknown"])


def test_a_window_is_about_the_condition_named_nearest_before_its_value(parser):
    listing = ("Exclusion Criteria:\n1. Known history of: severe congestive heart failure (NYHA Class IV), and/or "
               "myocardial infarction within the last 6 months.\n")
    result = run(parser, listing, diagnosed(
        {"name": "heart failure", "onset": "2026-01-01"},
        {"name": "myocardial infarction", "status": "resolved", "onset": "2023-06-01"}))
    assert "myocardial infarction onset 2023-06-01, 1004 days before the screening, outside 6 months before " \
           "screening: not met" in answer(result, "exclusion", "1")[1]


def test_a_condition_named_with_an_exception_is_at_most_unknown(parser):
    listing = "Exclusion Criteria:\n1. Malignancy, except adequately treated skin cancer\n2. Stroke\n"
    skin = diagnosed({"name": "basal cell carcinoma of the skin", "code": "C44.91", "onset": "2025-01-01"},
                     {"name": "stroke", "status": "absent"})
    result = run(parser, listing, skin)
    assert answer(result, "exclusion", "1") == ("unknown", [
        "malignancy: recorded as active (basal cell carcinoma of the skin): met",
        "an exception cannot be checked: 'except adequately treated skin cancer'"])
    assert answer(result, "exclusion", "2") == ("not met", ["stroke: recorded as ruled out: not met"])


SAFETY = """Inclusion Criteria:
1. HbA1C < 8.0, and stable HbA1C level variation range within 0.5%
Exclusion Criteria:
1. Resting hypotension (systolic < 90 mmHg) or hypertension (resting blood pressure >170/110)
2. Systolic blood pressure < 90 mmHg and HbA1c > 12 %
"""


def test_a_limit_outside_the_plausible_range_is_unknown_not_a_wrong_answer(parser):
    """0.5 % bounds the variation of HbA1c, not HbA1c itself: its subject is the variation (issue 9), which no
    record holds."""
    result, reasons = answer(run(parser, SAFETY, RICH), "inclusion", "1")
    assert result == "unknown" and reasons[0] == "HbA1c 7.1 % (2026-02-20) < 8 %: met"
    assert reasons[1] == "no HbA1C level variation result: unknown"


def test_separate_groups_joined_by_or_are_not_taken_as_all(parser):
    result = run(parser, SAFETY, RICH)
    either = answer(result, "exclusion", "1")
    assert either[0] == "unknown" and either[1][-1] == "the text does not say whether all or any of these is meant: unknown"
    both = answer(result, "exclusion", "2")  # "and" between the groups: all, as before
    assert both == ("not met", ["systolic blood pressure 132 mmHg (2026-02-20) < 90 mmHg: not met",
                                "HbA1c 7.1 % (2026-02-20) > 12 %: not met"])


NEGATED = """Inclusion Criteria:
1. No history of stroke
2. History of stroke
Exclusion Criteria:
1. Incomprehensible or unwilling to fill in informed consent or questionnaire
2. Active infection with no cure
"""


def test_a_condition_the_text_negates_answers_the_opposite(parser):
    result = run(parser, NEGATED, RICH)  # stroke ruled out, consent confirmed
    assert answer(result, "inclusion", "1") == ("met", ["stroke: recorded as ruled out: not met", "negated by 'No': met"])
    assert answer(result, "inclusion", "2") == ("not met", ["stroke: recorded as ruled out: not met"])
    truth, reasons = answer(result, "exclusion", "1")
    assert "negated by 'unwilling to': not met" in reasons
    assert truth == "unknown"  # the list's other items, "Incomprehensible", "questionnaire", are not read (issue 11)
    assert answer(result, "exclusion", "2")[0] == "unknown"  # "no" after the condition qualifies it, not negates it
    stroke = diagnosed({"name": "stroke", "status": "active", "onset": "2025-01-01"})
    assert answer(run(parser, NEGATED, stroke), "inclusion", "1")[0] == "not met"


def test_sub_items_of_an_exclusion_exclude_each_on_its_own(parser):
    listing = ("Exclusion Criteria:\n1. Cardiac disease:\n   a. NYHA class III or IV\n   b. Age > 60 years\n"
               "Inclusion Criteria:\n1. Adequate function:\n   a. NYHA class I or II\n   b. Age > 70 years\n")
    result = run(parser, listing, RICH)  # NYHA II, 65 years old
    assert answer(result, "exclusion", "1")[0] == "met"  # the age item alone excludes
    assert answer(result, "inclusion", "1")[0] == "not met"  # inclusion items must all hold


def test_an_age_no_one_has_is_not_compared(parser):
    listing = "Inclusion Criteria:\n1. Took part in the original study at age 1993 - 1996 years\n"
    result, reasons = answer(run(parser, listing, RICH), "inclusion", "1")
    assert result == "unknown" and reasons[0].startswith("1993 a is not a plausible limit of age (0-120 a)")


def test_a_listed_score_matches_any_of_its_values(parser):
    listing = "Inclusion Criteria:\n1. ECOG performance status 0, 1, or 2\n2. ASA status I, II, or III\n"
    result = run(parser, listing, RICH)  # ECOG 1, ASA II
    assert answer(result, "inclusion", "1")[0] == "met" and answer(result, "inclusion", "2")[0] == "met"


def test_an_age_at_an_earlier_event_or_a_misread_weight_is_not_compared_with_today(parser):
    listing = ("Exclusion Criteria:\n1. Older than 50 years of age at migraine onset\n"
               "2. Age > 60 years; new onset of headache\n3. Not speaking English before age 5 years\n"
               "Inclusion Criteria:\n1. Failure of at least one weight loss medication\n"
               "2. Gestational age of 24-28 weeks at the Screening Visit\n")
    result = run(parser, listing, RICH)  # 65 years old, 82 kg
    assert answer(result, "exclusion", "1") == ("unknown", [
        "the age is at another time than today ('onset'): 'Older than 50 years of age': unknown"])
    assert answer(result, "exclusion", "2")[0] == "met"  # the onset is in another clause
    assert answer(result, "exclusion", "3")[1][-1].startswith("the age is at another time than today ('before age')")
    medications = answer(result, "inclusion", "1")  # a count of medications (issue 9), no body weight
    assert medications[0] == "unknown" and not any("body weight" in reason for reason in medications[1])
    assert answer(result, "inclusion", "2") == ("unknown", ["no gestational age result: unknown"])


def test_a_vague_recency_or_two_values_at_once_do_not_give_an_answer(parser):
    listing = ("Inclusion Criteria:\n1. Patient with an ASA 1 or 2 (ASA 1 corresponding to a patient in perfect "
               "health and ASA 2 to a patient with moderate disease)\n"
               "Exclusion Criteria:\n1. recent MI (Myocardial Infarction)\n2. History of stroke\n")
    result = run(parser, listing, RICH)  # ASA II; myocardial infarction resolved in 2023; stroke ruled out
    assert answer(result, "inclusion", "1")[0] == "unknown"  # "= 1" and "= 2" cannot both be asked for
    assert answer(result, "exclusion", "1") == ("unknown", [
        "myocardial infarction: recorded as resolved: met", "'recent' does not say how recent: a person must check the dates"])
    assert answer(result, "exclusion", "2")[0] == "not met"


def test_a_narrower_kind_of_a_recorded_condition_is_not_taken_for_it(parser):
    listing = ("Exclusion Criteria:\n1. Metastatic breast cancer\n2. have started anti-cancer treatment\n"
               "3. History of cancer\n")
    leukemia = diagnosed({"name": "acute lymphoblastic leukemia", "code": "C91.0", "onset": "2025-01-01"})
    result = run(parser, listing, leukemia)
    assert answer(result, "exclusion", "1") == ("unknown", [
        "malignancy: recorded as active (acute lymphoblastic leukemia): met",
        "'breast cancer' may be narrower than malignancy: a person must check"])
    assert answer(result, "exclusion", "2")[0] == "unknown"
    assert answer(result, "exclusion", "3")[0] == "met"


def test_a_window_before_an_anchor_is_about_the_event_not_the_anchor(parser):
    listing = ("Exclusion Criteria:\n1. History of acute stroke within three months before surgery;\n"
               "2. Any surgery during last 6 month\n")
    result = run(parser, listing, diagnosed({"name": "stroke", "status": "absent"}, treatments=[]))
    assert answer(result, "exclusion", "1")[0] == "not met"  # stroke ruled out: no surgery history needed
    assert answer(result, "exclusion", "1")[1][0].startswith("stroke")
    assert answer(result, "exclusion", "2") == ("not met", ["no major surgery in the treatment history: not met"])


def test_a_window_is_not_about_what_a_parenthesis_of_examples_names(parser):
    listing = ("Exclusion Criteria:\n1. Any prior cancer diagnosis, without or with any treatment (e.g., medical, "
               "surgical, or radiation oncology) within 5 years\n2. Radiotherapy within 4 weeks\n")
    leukemia = diagnosed({"name": "acute lymphoblastic leukemia", "code": "C91.0", "onset": "2024-11-03"},
                         treatments=[])
    result = run(parser, listing, leukemia)
    assert answer(result, "exclusion", "1")[0] == "met" and "leukemia onset 2024-11-03" in answer(result, "exclusion", "1")[1][0]
    assert answer(result, "exclusion", "2") == ("not met", ["no radiotherapy in the treatment history: not met"])


WRAPPED = """Inclusion Criteria:
1. No history of
   stroke
Exclusion Criteria:
1. History of myocardial infarction within 6 months
2. History of myocardial
   infarction within 6 months
"""


def test_a_phrase_wrapped_over_two_lines_is_read_as_on_one(parser):
    """Issue 12: a line break inside "myocardial infarction" gave unknown where one line gave a window."""
    recent = diagnosed({"name": "myocardial infarction", "status": "resolved", "onset": "2026-01-10"})
    result = run(parser, WRAPPED, recent)
    one_line, wrapped = answer(result, "exclusion", "1"), answer(result, "exclusion", "2")
    assert wrapped == one_line == ("met", [
        "myocardial infarction onset 2026-01-10, 50 days before the screening, within 6 months before screening: met"])
    negated = answer(run(parser, WRAPPED, RICH), "inclusion", "1")  # a negation reaches over a line break too
    assert negated == ("met", ["stroke: recorded as ruled out: not met", "negated by 'No': met"])


def test_issue_9_what_the_model_reads_keeps_an_answer_unknown(parser):
    """The subjects and entities of the model: a stable treatment for a time is a duration no record holds; an age
    read beside a condition no limit checks answers nothing alone; an age that only says whom a rule is for
    ("Patients under 6 years old must weigh ...") is no limit of its own."""
    listing = ("Inclusion Criteria:\n1. Patients must be on a stable immunotherapy for last one month.\n"
               "2. Patients of 12-70 years, either gender with radiological diagnosis of NCPH\n"
               "3. Patients under 6 years old must weigh at least 7 kg at the time of enrollment.\n")
    result = run(parser, listing, RICH)  # 65 years old, on pembrolizumab
    stable = answer(result, "inclusion", "1")
    assert stable[0] == "unknown" and stable[1][0].startswith("'stable': how long a treatment has been unchanged")
    assert answer(result, "inclusion", "2")[0] == "unknown"
    assert answer(result, "inclusion", "3")[0] == "unknown"
