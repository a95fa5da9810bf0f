"""Page layout and criteria trees: headings, chrome, numbering styles, wrapped lines."""

from __future__ import annotations

import pytest

from criteria_parser.errors import InputError


def labels(section):
    out = []
    for criterion in section.criteria:
        out.extend(c.label for c in criterion.walk())
    return out


@pytest.mark.parametrize("heading,kind", [
    ("Inclusion Criteria:", "inclusion"),
    ("Key Inclusion Criteria:", "inclusion"),
    ("Inclusion criteria", "inclusion"),
    ("INCLUSION CRITERIA:", "inclusion"),
    ("Inclution Criteria:", "inclusion"),
    ("Subject Exclusion Criteria:", "exclusion"),
    ("Exclusion Criteria for cohort B:", "exclusion"),
    ("**Exclusion Criteria:**", "exclusion"),
])
def test_heading_variants(parser, heading, kind):
    listing = parser.parse_text(f"{heading}\n1. Age over 18 years\n", "h.txt")
    assert [s.kind for s in listing.sections] == [kind]
    assert listing.sections[0].criteria[0].text == "Age over 18 years"


def test_misspelled_heading_is_warned(parser):
    listing = parser.parse_text("Inclution Criteria:\n1. Age over 18 years\n", "h.txt")
    assert listing.warnings == ["line 1: read heading 'Inclution Criteria' as inclusion"]


def test_sentence_starting_with_inclusion_is_not_a_heading(parser):
    listing = parser.parse_text("Inclusion Criteria:\n1. x\nInclusion of patients who relapsed is allowed\n", "h.txt")
    assert len(listing.sections) == 1


def test_listing_page_without_sections_is_an_error_unless_assumed(parser):
    page = "A trial page\nOverview\nJust a page about a trial.\nStudy details\n"
    with pytest.raises(InputError, match="no inclusion or exclusion criteria section found"):
        parser.parse_text(page, "none.txt")
    listing = parser.parse_text(page, "none.txt", assume_inclusion=True)
    assert "no criteria headings found" in listing.warnings[0]


@pytest.mark.parametrize("text, labels", [
    ("Age ≥ 18 years\nECOG 0-1\n", ["1", "2"]),
    ("Chest radiograph showing new opacities.\nSigned informed consent\n", ["1", "2"]),  # no number either
])
def test_plain_criteria_text_without_headings_is_read_with_a_warning(parser, text, labels):
    listing = parser.parse_text(text, "bare.txt")
    assert [c.label for c in listing.sections[0].criteria] == labels
    assert listing.warnings == ["no criteria headings found; read the whole text as inclusion criteria"]


@pytest.mark.parametrize("heading, kind", [
    ("Cystic Fibrosis Main Study Inclusion Criteria:", "inclusion"),
    ("Sub-study Exclusion Criteria:", "exclusion"),
    ("Primary Study Inclusion Criteria:", "inclusion"),
    ("Exclusion Criteria Disease Related", "exclusion"),
    ("Part 2 exclusion criteria:", "exclusion"),
])
def test_heading_with_words_of_its_own_is_found_and_warned_about(parser, heading, kind):
    listing = parser.parse_text(f"Inclusion Criteria:\n1. Age ≥ 18 years\n{heading}\n1. ECOG > 2\n", "q.txt")
    assert [str(s.kind) for s in listing.sections] == ["inclusion", kind]
    assert listing.sections[1].heading == heading.rstrip(":")
    assert listing.warnings == [f"line 3: read heading {heading.rstrip(':')!r} as {kind}"]


def test_numbered_group_heading_opens_its_section(parser):
    listing = parser.parse_text("1. Parkinson's Disease (PD) group Inclusion criteria:\n   -  Aged 18 or more.\n"
                                "Exclusion criteria:\n   -  Claustrophobia\n", "g.txt")
    assert [str(s.kind) for s in listing.sections] == ["inclusion", "exclusion"]
    assert listing.sections[0].heading == "Parkinson's Disease (PD) group Inclusion criteria"
    assert listing.sections[0].criteria[0].constraints[0].value == 18


@pytest.mark.parametrize("bullet", ["-  ", "* ", "• ", ""])
def test_heading_glued_to_the_last_criterion_splits_the_line(parser, bullet):
    # a lost line break: the criterion keeps its words, the heading opens its section, and the split is warned about
    text = f"Inclusion criteria:\n{bullet}Aged 21 or more\n{bullet}Written consent given Exclusion criteria:\n- Asthma\n"
    listing = parser.parse_text(text, "g.txt")
    inclusion, exclusion = listing.sections
    assert [c.text for c in inclusion.criteria] == ["Aged 21 or more", "Written consent given"]
    assert (str(exclusion.kind), exclusion.heading) == ("exclusion", "Exclusion criteria")
    assert [c.text for c in exclusion.criteria] == ["Asthma"]
    assert text[exclusion.start:].startswith("Exclusion criteria:")
    assert text[inclusion.criteria[1].start:inclusion.criteria[1].end] == "Written consent given"
    assert listing.warnings == ["line 3: read 'Written consent given' before heading 'Exclusion criteria' as the last "
                                "inclusion criterion"]


@pytest.mark.parametrize("line", ["Specific exclusion criteria for healthy participants:", "Other exclusion criteria:",
                                  "Part 1 additional exclusion criteria:", "Healthy Volunteer Exclusion Criteria:"])
def test_qualified_heading_is_not_split(parser, line):
    listing = parser.parse_text(f"Inclusion criteria:\n- Aged 21 or more\n{line}\n- Asthma\n", "q.txt")
    assert [c.text for c in listing.sections[0].criteria] == ["Aged 21 or more"]
    assert str(listing.sections[1].kind) == "exclusion" and line.startswith(listing.sections[1].heading)
    assert len(listing.sections[1].heading) > len("exclusion criteria")
    assert not any("before heading" in warning for warning in listing.warnings)


@pytest.mark.parametrize("line", ["2. Patients who do not meet the inclusion criteria", "Any of the exclusion criteria",
                                  "3. Patients Meeting All Exclusion Criteria"])
def test_criterion_naming_criteria_is_no_heading(parser, line):
    listing = parser.parse_text(f"Inclusion Criteria:\n1. Age ≥ 18 years\n{line}\n", "q.txt")
    assert len(listing.sections) == 1


def test_long_heading_line_keeps_the_criteria_after_its_colon(parser):
    body = "patients with known hypersensitivity to the study drug or any of its excipients, " * 2 + "ALT > 3 x ULN"
    listing = parser.parse_text(f"Inclusion Criteria:\n1. Age ≥ 18 years\nExclusion Criteria: {body}\n", "l.txt")
    assert [str(s.kind) for s in listing.sections] == ["inclusion", "exclusion"]
    assert listing.sections[1].criteria[0].text == body


def test_heading_with_text_on_the_same_line(parser):
    listing = parser.parse_text("Inclusion Criteria: age ≥ 18 years\n", "h.txt")
    criterion = listing.sections[0].criteria[0]
    assert criterion.text == "age ≥ 18 years"
    assert criterion.constraints[0].value == 18


def test_numbering_styles_nest(parser):
    text = "\n".join([
        "Exclusion Criteria:",
        "1. First",
        "   a) sub one",
        "   b) sub two",
        "      i. deeper",
        "      ii. deeper two",
        "2.Second without space",
        "  • 3. Bulleted number",
        "    (1) parenthesised sub-item",
        "4) Closing parenthesis",
    ]) + "\n"
    listing = parser.parse_text(text, "n.txt")
    assert labels(listing.sections[0]) == ["1", "1.a", "1.b", "1.b.i", "1.b.ii", "2", "3", "3.1", "4"]
    assert listing.sections[0].criteria[1].text == "Second without space"


def test_bullets_without_numbers_are_numbered_by_position(parser):
    text = "Inclusion Criteria:\n\n  - Adults\n  - Signed consent\n    obtained before screening\n  - ECOG 0-1\n"
    listing = parser.parse_text(text, "b.txt")
    section = listing.sections[0]
    assert labels(section) == ["1", "2", "3"]
    assert section.criteria[1].text == "Signed consent\n    obtained before screening"


@pytest.mark.parametrize("lines,expected", [
    # a number less indented than the bullets before it is back at their parent's level, not under the last bullet
    (["  - Any of these regimens:", "       - TBI >= 1200 cGy", "       - Busulfan > 7.2 mg/kg",
      "2. Any patient at high risk", "3. Any other patient"], ["1", "1.1", "1.2", "2", "3"]),
    (["       -  Pregnancy or breastfeeding", "       -  Claustrophobia", "  2. Healthy participants matched by age:"],
     ["1", "2", "2"]),  # the text's own "2." beside two bullets numbered by position: a sibling, never "2.2"
    # a list restarting "1." under a bullet ending with ":" is its sub-list, whatever the indent
    (["    - Any of the following:", "  1. Pregnancy", "  2. Claustrophobia"], ["1", "1.1", "1.2"]),
    (["  - Adults", "     a) aged 18 or over", "  - Signed consent"], ["1", "1.a", "2"]),
])
def test_a_number_after_indented_bullets_closes_them(parser, lines, expected):
    listing = parser.parse_text("Exclusion Criteria:\n" + "\n".join(lines) + "\n", "b.txt")
    assert labels(listing.sections[0]) == expected


def test_crlf_offsets_point_into_the_original(parser):
    text = "Inclusion Criteria:\r\n1. Creatinine ≤ 1.5 mg/dL\r\n2. ECOG 0-2\r\n"
    listing = parser.parse_text(text, "crlf.txt")
    for _, criterion, constraint in listing.constraints():
        assert text[constraint.text_start:constraint.text_end] == constraint.text
        assert "\r" not in criterion.text
    assert labels(listing.sections[0]) == ["1", "2"]


def test_chrome_after_criteria_is_ignored(parser):
    text = "Inclusion Criteria:\n1. ECOG 0-2\n\nFAQs\n\nWhat is a clinical trial? 30 days of fun.\n"
    listing = parser.parse_text(text, "c.txt")
    assert labels(listing.sections[0]) == ["1"]


def test_nct_id_from_file_name(parser):
    listing = parser.parse_text("Inclusion Criteria:\n1. ECOG 0-2\n", "corpus/NCT01234567.txt")
    assert listing.trial.nct_id == "NCT01234567"


def test_list_label_glued_to_its_text_is_a_label_not_a_value(parser):
    listing = parser.parse_text("Inclusion Criteria:\n1 Participant must be >18 years\n2 Participant has ECOG 0-1\n"
                                "Exclusion Criteria:\n2 Participants in one household\n", "g.txt")
    inclusion, exclusion = listing.sections
    assert [(c.label, c.text) for c in inclusion.criteria] == [("1", "Participant must be >18 years"),
                                                               ("2", "Participant has ECOG 0-1")]
    assert [(k.comparator, k.value) for k in inclusion.criteria[0].constraints] == [(">", 18)]
    assert exclusion.criteria[0].text == "2 Participants in one household"  # not "1 ": the number is its own


def test_roman_labels_are_read_with_the_numerals_of_grammars_numbers():
    from criteria_parser.document.outline import _style
    from criteria_parser.grammar.loader import load_grammars

    units = [n.lower() for rule in load_grammars().numbers if 1 <= rule.value <= 9 for n in rule.numerals if n.isascii()]
    assert sorted(units) == sorted(["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"])
    assert all(_style(tens + unit) == "roman" for tens in ("", "x", "xxx") for unit in units if 1 < len(tens + unit) <= 5)
    assert [_style(v) for v in ("xx", "xxxiv", "xl", "iiii", "xxxxi", "vx")] == ["roman", "roman"] + ["letter"] * 4


def test_a_roman_sub_list_past_ten_keeps_its_labels(parser):
    text = "Exclusion Criteria:\n1. First\n" + "".join(f"   {n}. item {n}\n" for n in
                                                       ("viii", "ix", "x", "xi", "xii"))
    listing = parser.parse_text(text, "r.txt")
    assert labels(listing.sections[0]) == ["1", "1.viii", "1.ix", "1.x", "1.xi", "1.xii"]


@pytest.mark.parametrize("line, limit, value, is_heading", [
    # listing.json heading_colon_within (60): the colon of a qualified heading stands within it
    ("Inclusion Criteria for participants enrolled in cohort A of part 2:", "heading_colon_within", 60, True),
    ("Inclusion Criteria for participants enrolled in cohort A of part 2:", "heading_colon_within", 40, False),
    # heading_line_within (120): a heading without a colon, followed by a bracket, is a line at most this long
    ("Inclusion Criteria (" + "all of these must hold " * 4 + ")", "heading_line_within", 120, True),
    ("Inclusion Criteria (" + "all of these must hold " * 4 + ")", "heading_line_within", 80, False),
    # fuzzy_heading_within (40): a misspelled heading is a line at most this long
    ("Inclution Criteria", "fuzzy_heading_within", 40, True),
    ("Inclution Criteria", "fuzzy_heading_within", 10, False),
])
def test_heading_length_limits_come_from_listing_json(line, limit, value, is_heading):
    from criteria_parser.document.page import Line, PageReader
    from criteria_parser.grammar.loader import load_grammars

    listing = load_grammars().listing
    if value != getattr(listing, limit):
        listing = listing.model_copy(update={limit: value})
    found = PageReader(listing).heading(Line(line, 0))
    assert (found is not None and found.kind == "inclusion") is is_heading
