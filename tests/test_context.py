"""ConText cues (grammars/context.jsonl): every rule asserts its example, the issue-10 phrases, the spaCy component,
and the matcher reading negations and conditions from the one reader (issue 10, part 1)."""

from __future__ import annotations

import json

import pytest
import spacy

from criteria_parser.errors import GrammarError
from criteria_parser.grammar.context import asserted, context_reader
from criteria_parser.grammar.loader import load_grammars

from test_match_rules import RICH, answer, run

GRAMMARS = load_grammars()
READER = context_reader(GRAMMARS)


def marked(example: str) -> tuple[str, list[tuple[str, int, int]]]:
    """The example's text without its marks, and each mark: '[' (the rule asserts these words) or '{' (no rule
    asserts them), with its offsets."""
    text, opened, marks = "", [], []
    for char in example:
        if char in "[{":
            opened.append((char, len(text)))
        elif char in "]}":
            kind, start = opened.pop()
            marks.append((kind, start, len(text)))
        else:
            text += char
    return text, marks


@pytest.mark.parametrize("rule", GRAMMARS.context, ids=lambda r: r.id)
def test_context_rule_asserts_its_example(rule):
    text, marks = marked(rule.example)
    assert marks, "an example marks the words it asserts ([...]) or leaves alone ({...})"
    modifiers = READER.modifiers(text)
    for kind, start, end in marks:
        found = asserted(modifiers, start, end)
        if kind == "{":
            assert not found, f"{text[start:end]!r} asserted by {[m.rule for m in found]}"
        elif rule.direction in ("terminate", "pseudo"):
            assert found, f"{text[start:end]!r} asserted by no rule"
        else:
            assert rule.id in [m.rule for m in found if m.category == rule.category], \
                f"{text[start:end]!r} not asserted by {rule.id}: {[m.rule for m in found]}"


def categories(text: str, words: str) -> set[str]:
    start = text.index(words)
    return {m.category for m in asserted(READER.modifiers(text), start, start + len(words))}


@pytest.mark.parametrize("text, words, category", [
    # negation the matcher's six-word window missed or inverted (issue 10)
    ("Inability to understand the protocol or to give informed consent", "informed consent", "NEGATED_EXISTENCE"),
    ("Patients for whom informed consent cannot be obtained", "informed consent", "NEGATED_EXISTENCE"),
    ("Women unwilling to use contraception", "contraception", "NEGATED_EXISTENCE"),
    ("Women of childbearing potential not using highly effective contraception", "contraception",
     "NEGATED_EXISTENCE"),
    # conditional openers
    ("Potassium within normal limits if eGFR ≥45 mL/min", "eGFR", "HYPOTHETICAL"),
    ("For subjects with creatinine > 1.5 × ULN: CrCl ≥ 60 mL/min", "creatinine", "HYPOTHETICAL"),
    ("In patients who had surgery, recovery is required", "surgery", "HYPOTHETICAL"),
    ("Participants with HBV must be treated", "HBV", "HYPOTHETICAL"),
    ("Creatinine ≤ 1.5 mg/dL unless CrCl ≥ 60 mL/min", "CrCl", "EXCEPTED"),
    # permissions
    ("Palliative radiotherapy ≤2 weeks before is allowed", "Palliative radiotherapy", "PERMITTED"),
    ("Prior radiotherapy is permitted if completed within 5 days", "radiotherapy", "PERMITTED"),
    ("Patients with treated brain metastases may be enrolled", "brain metastases", "PERMITTED"),
    # a purpose ends a negation ("contraindications | for anabolic drugs"), not what a permission permits
    ("Concurrent use of hormonal therapy for non-cancer-related conditions is acceptable", "hormonal therapy",
     "PERMITTED"),
    # historical, family
    ("History of myocardial infarction", "myocardial infarction", "HISTORICAL"),
    ("Family history of long QT syndrome", "long QT syndrome", "FAMILY"),
])
def test_issue_10_phrases(text, words, category):
    assert category in categories(text, words)


@pytest.mark.parametrize("text, words, category", [
    ("For subjects with creatinine > 1.5 × ULN: CrCl ≥ 60 mL/min", "CrCl", "HYPOTHETICAL"),  # the consequent
    ("Potassium within normal limits if eGFR ≥45 mL/min", "Potassium", "HYPOTHETICAL"),
    ("No malignancy other than basal cell carcinoma", "basal cell carcinoma", "NEGATED_EXISTENCE"),
    ("ALT not exceeding 3 × ULN", "3 × ULN", "NEGATED_EXISTENCE"),
    ("Non-small cell lung cancer", "Non-small cell lung cancer", "NEGATED_EXISTENCE"),  # a name holding a cue
    ("with or without cirrhosis", "cirrhosis", "NEGATED_EXISTENCE"),
])
def test_what_a_cue_does_not_reach(text, words, category):
    assert category not in categories(text, words)


def test_a_cue_restating_an_exclusion_negates_nothing_in_one():
    """"Patients with X are excluded" restates an exclusion criterion (X is what it is about) and negates X in an
    inclusion; the annotators of both corpora mark no negation on such words in exclusions."""
    text = "Patients receiving systemic steroids are excluded"
    start = text.index("systemic steroids")
    for exclusion, negated in ((False, True), (True, False)):
        found = asserted(READER.modifiers(text, exclusion), start, start + len("systemic steroids"))
        assert any(m.category == "NEGATED_EXISTENCE" for m in found) is negated
    text = "No steroids; patients on dialysis are excluded"  # a plain negation stays one in an exclusion
    assert any(m.rule == "ctx.neg.no" for m in READER.modifiers(text, True))


@pytest.mark.parametrize("text, inside, outside", [
    ("Any psychiatric disorder (other than mild depression) or alcohol abuse", "mild depression", "alcohol abuse"),
    ("Prior malignancy (no evidence of disease for 3 years) and heart failure", "disease", "heart failure"),
])
def test_a_cue_in_parentheses_reaches_no_further_than_them(text, inside, outside):
    assert categories(text, inside) & {"EXCEPTED", "NEGATED_EXISTENCE"}
    assert not categories(text, outside) & {"EXCEPTED", "NEGATED_EXISTENCE"}


@pytest.mark.parametrize("text, words", [
    ("Any anti-coagulation therapy (apart from rivaroxaban)", "rivaroxaban"),
    ("No malignancy aside from basal cell carcinoma", "basal cell carcinoma"),
    ("Surgically altered biliary anatomy, not including prior cholecystectomy", "cholecystectomy"),
    ("Current malignancy with exception of basal cell carcinoma of the skin", "basal cell carcinoma"),
    ("Psychotropic medications besides antidepressants", "antidepressants"),
])
def test_the_words_of_an_exception_are_excepted_not_negated(text, words):
    """cues.jsonl ``exception``: what these phrases name is excepted from the criterion (Chia marks it so), and
    no negation before them reaches it ("not including" is no "not")."""
    assert categories(text, words) == {"EXCEPTED"} | ({"HISTORICAL"} if "prior" in text else set())


def _negated_mentions(text: str, mentions: list[str]) -> list[bool]:
    spans = [(text.index(m), text.index(m) + len(m)) for m in mentions]
    modifiers = READER.modifiers(text, False, spans)
    return [bool(asserted(modifiers, start, end, "NEGATED_EXISTENCE")) for start, end in spans]


CIRCUMSTANCE = next(rule for rule in GRAMMARS.cues if rule.cue == "circumstance")


@pytest.mark.parametrize("text, mentions, negated", [
    (CIRCUMSTANCE.example, ["pace mapping", "ablation procedure"], [True, False]),
    ("No history of allergy to penicillin", ["allergy", "penicillin"], [True, False]),
    ("No contraindication to MRI", ["contraindication", "MRI"], [True, False]),
    ("No treatment with clopidogrel, prasugrel or ticagrelor", ["clopidogrel", "prasugrel", "ticagrelor"],
     [True, True, True]),  # the first mention and what is listed with it
    ("No history of stroke or myocardial infarction", ["stroke", "myocardial infarction"], [True, True]),
    ("No diagnosis of diabetes of type 1", ["diabetes", "type 1"], [True, True]),  # "of" passes on
    # a joiner and the cue's own last word list a second thing it negates (issue 10's consent example)
    ("Inability to understand the protocol or to give informed consent", ["protocol", "informed consent"],
     [True, True]),
    # a participle that says what a condition acts on, or despite what, is a circumstance too
    ("No neurological disease affecting gait", ["neurological disease", "gait"], [True, False]),
    ("Failure to control seizures despite two antiepileptic drugs", ["seizures", "antiepileptic drugs"],
     [True, False]),
    # the words of another cue are what the negation passes over, not what it negates
    ("No history of GI pathology", ["history", "GI pathology"], [False, True]),
    ("Not scheduled to undergo an ultrasound", ["scheduled", "ultrasound"], [False, True]),
])
def test_a_negation_bears_on_its_first_mention_not_on_its_circumstances(text, mentions, negated):
    """Given the mentions, a forward negation ends at a circumstance word (cues.jsonl ``circumstance``) after its
    first one; without them the scope is ConText's (every mention of this list in the scope)."""
    assert _negated_mentions(text, mentions) == negated
    modifiers = READER.modifiers(text)
    assert all(asserted(modifiers, text.index(m), text.index(m) + len(m), "NEGATED_EXISTENCE") for m in mentions)


JOINING = [(rule.id, phrase) for rule in GRAMMARS.cues if rule.cue in ("alternative", "conjunction", "list_separator")
           for phrase in rule.phrases if phrase[0].isalpha()]


@pytest.mark.parametrize("rule, joiner", JOINING, ids=[f"{rule}:{joiner}" for rule, joiner in JOINING])
def test_a_joiner_of_cues_jsonl_and_the_cues_last_word_list_a_second_thing_negated(rule, joiner):
    """The words that list a second thing a negation bears on before its own last word are the joining cues of
    cues.jsonl ("Inability to understand the protocol *or to* give informed consent"); after another word the
    circumstance word ("to") ends the negation."""
    text = f"Inability to read protocol {joiner} to give consent"
    assert _negated_mentions(text, ["protocol", "consent"]) == [True, True]
    assert _negated_mentions("Inability to read protocol yet to give consent", ["protocol", "consent"]) == \
        [True, False]


@pytest.mark.parametrize("text, mentions, excepted", [
    ("Any vaccine other than influenza vaccine during the study", ["influenza vaccine", "study"], [True, False]),
    ("Malignancy except for skin cancer occurring after a transplant", ["skin cancer", "transplant"], [True, False]),
    ("Other CNS disease except epilepsy, migraine or narcolepsy", ["epilepsy", "migraine", "narcolepsy"],
     [True, True, True]),
])
def test_an_exception_bears_on_its_first_mention_not_on_its_circumstances(text, mentions, excepted):
    """Given the mentions, an exception ends at a circumstance after its first one, as a negation does."""
    spans = [(text.index(m), text.index(m) + len(m)) for m in mentions]
    modifiers = READER.modifiers(text, False, spans)
    assert [bool(asserted(modifiers, start, end, "EXCEPTED")) for start, end in spans] == excepted


@pytest.mark.parametrize("opener", next(r for r in GRAMMARS.cues if r.cue == "example").phrases)
def test_an_example_cue_ends_a_negation_and_opens_examples_for_the_matcher(opener):
    """cues.jsonl ``example`` is the one list of ConText's example terminators ("no [autoimmune disease] such as
    {lupus}") and the matcher's parentheses of examples."""
    from criteria_parser.grammar.matching import load_matching_grammar

    text = f"No autoimmune disease {opener} lupus"
    assert categories(text, "autoimmune disease") == {"NEGATED_EXISTENCE"} and categories(text, "lupus") == set()
    remark = f"Prior therapy ({opener} surgery) within 4 weeks"
    assert load_matching_grammar().finder.in_example(remark, remark.index("surgery"))


def test_without_an_example_cue_neither_reader_sees_the_examples(tmp_path):
    import shutil

    from criteria_parser.grammar import loader
    from criteria_parser.grammar.matching import load_matching_grammar

    copy = tmp_path / "grammars"
    shutil.copytree(loader.resources.files("criteria_parser.grammars"), copy)
    cues = copy / "cues.jsonl"
    cues.write_text(cues.read_text(encoding="utf-8").replace('"such as", ', ""), encoding="utf-8")
    text, remark = "No autoimmune disease such as lupus", "Prior therapy (such as surgery) within 4 weeks"
    lupus = text.index("lupus")
    assert {m.category for m in asserted(context_reader(loader.load_grammars(copy)).modifiers(text), lupus,
                                         lupus + 5)} == {"NEGATED_EXISTENCE"}
    assert not load_matching_grammar(copy).finder.in_example(remark, remark.index("surgery"))


def _refused(tmp_path, rule: dict, match: str) -> None:
    """The grammars with ``rule`` added to context.jsonl are refused with a message matching ``match``."""
    import shutil

    from criteria_parser.grammar import loader

    copy = tmp_path / "grammars"
    shutil.copytree(loader.resources.files("criteria_parser.grammars"), copy)
    with (copy / "context.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("\n" + json.dumps(rule) + "\n")
    with pytest.raises(GrammarError, match=match):
        loader.load_grammars(copy)


def test_a_restating_rule_must_be_a_negation(tmp_path):
    _refused(tmp_path, {"id": "ctx.bad.two", "literal": "allowed", "category": "PERMITTED", "direction": "backward",
                        "metadata": {"restates": "exclusion"}, "example": "[x] allowed"}, "restates")


def test_a_condition_rule_says_what_it_attaches_to(tmp_path):
    assert {r.metadata["attaches"] for r in GRAMMARS.context if "clause" in r.metadata} == \
        {"before", "after", "before_else_after"}
    _refused(tmp_path, {"id": "ctx.bad.three", "literal": "whenever", "category": "HYPOTHETICAL",
                        "direction": "forward", "metadata": {"clause": "condition"}, "example": "whenever [x]"},
             "attaches")


def test_a_rule_whose_direction_does_not_fit_its_category_is_refused(tmp_path):
    import shutil

    from criteria_parser.grammar import loader

    copy = tmp_path / "grammars"
    shutil.copytree(loader.resources.files("criteria_parser.grammars"), copy)
    bad = {"id": "ctx.bad.one", "literal": "x", "category": "PSEUDO", "direction": "forward", "example": "[x]"}
    (copy / "context.jsonl").write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(GrammarError, match=r"context.jsonl:1: .*forward rule's category is one of"):
        load_grammars(copy)


def test_component_writes_the_cues_and_answers_spans():
    nlp = spacy.blank("en")
    nlp.add_pipe("criteria_context")
    doc = nlp("Inability to understand the protocol or to give informed consent")
    assert [(m.rule, m.text) for m in doc._.cp_modifiers] == [("ctx.neg.inability", "Inability to")]
    assert doc[-2:]._.cp_assertions == {"NEGATED_EXISTENCE"}
    assert doc[0:1]._.cp_assertions == set()


CONSENT = """Inclusion Criteria:
1. Age ≥ 18 years
Exclusion Criteria:
1. Inability to understand the protocol or to give informed consent
2. Informed consent cannot be obtained
"""


def test_issue_10_consent_negations_reach_past_six_words(parser):
    """Issue 10: 'Inability to understand ... informed consent' (eight words between) excluded every consenting
    patient; '... cannot be obtained' followed the consent it negates."""
    result = run(parser, CONSENT, RICH)
    assert answer(result, "exclusion", "1")[0] == "not met"
    assert answer(result, "exclusion", "2")[0] == "not met"


LISTED = """Inclusion Criteria:
1. No history of the following: stroke, epilepsy
2. No history of the following: myocardial infarction, epilepsy
"""


@pytest.mark.parametrize("text, mentions, negated", [
    ("No history of any of the following conditions: stroke, epilepsy", ["conditions", "stroke", "epilepsy"],
     [True, True, True]),
    ("Non-surgical biopsy of one of the following: liver, kidney", ["surgical", "liver"], [True, False]),
])
def test_a_negation_before_the_following_negates_the_list(text, mentions, negated):
    """cues.jsonl ``list_intro``: a negation whose first stop is the colon after "the following" negates the list
    (Chia marks it so; LCT, in one line of its tune part, does not), within its rule's reach ("non-")."""
    assert _negated_mentions(text, mentions) == negated


def test_a_negated_list_after_the_following_is_checked_item_by_item(parser):
    """A patient without stroke and epilepsy meets the first (before, the list was read as required: not met); a
    past myocardial infarction fails the second: one negation over a list asks for none of its items, whatever
    joins them (before, a list with no final joiner was unknown)."""
    result = run(parser, LISTED, RICH)
    assert answer(result, "inclusion", "1")[0] == "met"
    found, reasons = answer(result, "inclusion", "2")
    assert found == "not met" and "negated by 'No': not met" in reasons
    listed = run(parser, "Inclusion Criteria:\n1. No history of myocardial infarction, stroke or epilepsy\n", RICH)
    assert answer(listed, "inclusion", "1")[0] == "not met"


def test_cues_found_once_answer_as_cues_found_again():
    """Issue 14: criteria_context finds a criterion's cues and scopes once (``scoped``) and the clause reader of
    criteria_clauses reuses them; given them, the reader answers as it does finding them itself, with mentions and
    without, for both values of the exclusion flag."""
    reader = context_reader(load_grammars())
    text = "No history of pace mapping during ablation procedure, unless pregnant women are excluded"
    held = [(text.index("pace"), text.index("pace") + 12), (text.index("ablation"), text.index("ablation") + 18)]
    for exclusion in (False, True):
        scoped = reader.scoped(text, exclusion)
        for mentions in (held, ()):
            assert reader.modifiers(text, exclusion, mentions, scoped) == reader.modifiers(text, exclusion, mentions)
    assert reader.modifiers(text, False, held) != list(reader.scoped(text, False))  # the mentions cut a negation
