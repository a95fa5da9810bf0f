"""End-to-end tests in a real headless browser: Playwright driving Debian's Chromium (``.ci/run`` installs it).

The workbench runs in a uvicorn thread on a free loopback port; each test copies the seed listing into its
own corpus directory.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
from pathlib import Path

import pytest
import uvicorn

from criteria_parser.model import Listing
from criteria_parser.workbench.app import create_app

from .conftest import NAME

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GOLD = NAME.replace(".txt", ".gold.json")
LOG = NAME.replace(".txt", ".review.jsonl")

#: Selects ``needle`` in the listing text as a curator's mouse would (a DOM range over the text nodes).
SELECT = """needle => {
  const pre = document.getElementById("listing-text");
  const at = pre.textContent.indexOf(needle);
  const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let seen = 0, node;
  while ((node = walker.nextNode())) {
    const length = node.textContent.length;
    if (at >= seen && at < seen + length) range.setStart(node, at - seen);
    if (at + needle.length > seen && at + needle.length <= seen + length) { range.setEnd(node, at + needle.length - seen); break; }
    seen += length;
  }
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return selection.toString();
}"""


@pytest.fixture
def server(corpus: Path, parser):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = create_app(corpus, "e2e-curator", parser=parser)
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(400):  # at most 20 s
        if uv.started:
            break
        thread.join(0.05)
    else:
        pytest.fail("the workbench server did not start")
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    uv.should_exit = True
    thread.join(10)


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1500, "height": 950})
        tab.problems = []
        tab.on("pageerror", lambda error: tab.problems.append(str(error)))
        tab.on("dialog", lambda dialog: (tab.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        yield tab
        browser.close()


def row_of(page, subject: str):
    return page.locator(f'.tree-pane .row:has(input[name="subject"][value="{subject}"])')


def test_correct_unit_add_missed_constraint_save_and_reload(page, server, corpus, parser):
    # a gold file from an earlier review: the bilirubin unit left as written, the creatinine limit missed
    gold = parser.parse_file(corpus / NAME)
    for _, criterion, constraint in list(gold.constraints()):
        if constraint.subject == "total bilirubin":
            constraint.unit = "mol/L"
        if constraint.subject == "creatinine":
            criterion.constraints.remove(constraint)
    (corpus / GOLD).write_text(gold.model_dump_json(indent=2))

    page.goto(f"{server}/listing/{NAME}")
    bilirubin = row_of(page, "total bilirubin")
    assert bilirubin.locator('input[name="unit"]').input_value() == "mol/L"
    bilirubin.locator('input[name="unit"]').fill("umol/L")
    page.keyboard.press("Escape")
    assert page.evaluate(SELECT, "creatinine ≤176.8 (mol/L)") == "creatinine ≤176.8 (mol/L)"
    page.keyboard.press("n")
    added = page.locator('.tree-pane .row[data-id="n1"]')
    added.wait_for()
    assert added.locator('input[name="subject"]').input_value() == "creatinine"
    assert added.locator('input[name="value"]').input_value() == "176.8"
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    page.locator("#message", has_text="Saved as gold").wait_for()

    page.reload()
    assert row_of(page, "total bilirubin").locator('input[name="unit"]').input_value() == "umol/L"
    creatinine = row_of(page, "creatinine")
    assert creatinine.count() == 1 and "accepted" in creatinine.get_attribute("class")
    assert page.locator('#listing-text .seg.hl.val', has_text="176.8").count() == 1
    saved = {c.subject: c for _, _, c in Listing.model_validate_json((corpus / GOLD).read_text()).constraints()}
    text = (corpus / NAME).read_text(encoding="utf-8")
    assert saved["total bilirubin"].unit == "umol/L"
    assert text[saved["creatinine"].text_start:saved["creatinine"].text_end] == "creatinine ≤176.8 (mol/L)"
    entry = json.loads((corpus / LOG).read_text(encoding="utf-8").splitlines()[-1])
    assert entry["curator"] == "e2e-curator" and entry["status"] == "curated"
    assert {"criterion": "0:5", "text": "Total bilirubin ≤51 (mol/L)", "changed": {"unit": ["mol/L", "umol/L"]}} \
        in entry["changes"]
    assert any(c["text"] == "creatinine ≤176.8 (mol/L)" and "added" in c for c in entry["changes"])
    assert page.problems == []


def test_keyboard_accept_reject_and_refused_edit(page, server, corpus, parser):
    page.goto(f"{server}/listing/{NAME}")
    listing = parser.parse_file(corpus / NAME)
    constraints = sum(1 for _ in listing.constraints())
    entities = sum(len(c.entities) for _, c in listing.walk())
    total = constraints + entities  # a row each, in text order: a criterion's constraints, then its entities
    assert page.locator("#progress").text_content() == f"0 of {total} rows accepted"
    assert "entity-row" in page.locator(".tree-pane .row").first.get_attribute("class")
    page.keyboard.press("x")  # the first row, an entity, is wrong: delete it
    for _ in range(total - 1):
        page.keyboard.press("a")
    assert page.locator("#progress").text_content() == f"{total - 1} of {total - 1} rows accepted"
    page.keyboard.press("k")
    page.keyboard.press("e")
    focused = page.evaluate("document.activeElement.name")
    assert focused == "subject"
    row = page.locator(".tree-pane .row.current")
    row.locator('input[name="value"]').fill("abc")
    page.keyboard.press("Control+s")
    reason = row.locator('.err[data-for="value"]')
    reason.wait_for()
    assert "valid number" in reason.text_content()
    assert not (corpus / GOLD).exists()
    row.locator('input[name="value"]').fill("5")
    page.click("#save")
    page.locator("#message", has_text="Saved as gold").wait_for()
    assert page.locator("#status").text_content() == "curated"
    saved = Listing.model_validate_json((corpus / GOLD).read_text())
    assert sum(1 for _ in saved.constraints()) == constraints
    assert sum(len(c.entities) for _, c in saved.walk()) == entities - 1
    assert page.problems == []


def test_markup_in_listing_never_runs(page, server, corpus):
    (corpus / "hostile.txt").write_text(
        "Inclusion Criteria:\n1. <script>alert(1)</script> creatinine <= 1.5 mg/dL\n"
        "2. <img src=x onerror=alert(2)> age >= 18 years\n")
    page.goto(f"{server}/listing/hostile.txt")
    text = page.locator("#listing-text").text_content()
    assert "<script>alert(1)</script>" in text and "<img src=x onerror=alert(2)>" in text
    assert page.locator("#listing-text script, #listing-text img, .tree-pane script, .tree-pane img").count() == 0
    page.keyboard.press("a")  # re-highlighting after an edit builds the text again
    assert page.locator("#listing-text script, #listing-text img").count() == 0
    assert page.problems == []


OVERFLOWING = """() => Array.from(document.querySelectorAll('.tree-pane .row input:not([type=checkbox])'))
  .filter((input) => input.offsetParent !== null && input.scrollWidth > input.clientWidth)
  .map((input) => input.name + '=' + input.value)"""
TOPS = """row => Array.from(row.querySelectorAll('.row-main .f'))
  .map((label) => label.getBoundingClientRect().top - row.getBoundingClientRect().top)"""


def test_issue_16_fields_fit_their_values_and_a_reason_moves_no_field(page, server):
    """'complete remiss', 'last cel' were cut off; an inline error pushed a row's fields onto a second line."""
    page.goto(f"{server}/listing/{NAME}")
    assert row_of(page, "contraception").locator('input[name="anchor"]').input_value() == "last cell infusion"
    assert page.evaluate(OVERFLOWING) == []
    row = row_of(page, "complete remission")
    tops = page.evaluate(TOPS, row.element_handle())
    assert len(set(tops)) == 1  # the fields are one line
    row.locator('input[name="value"]').fill("twelve")
    page.keyboard.press("Control+s")
    reason = row.locator('.err[data-for="value"]')
    reason.wait_for()
    assert reason.text_content().startswith("value: ") and "valid number" in reason.text_content()
    assert row.locator('input[name="value"]').get_attribute("aria-invalid") == "true"
    assert page.evaluate(TOPS, row.element_handle()) == tops
    row.locator('input[name="value"]').fill("12")
    assert reason.count() == 0 and row.locator('input[name="value"]').get_attribute("aria-invalid") is None
    row.locator('input[name="unit"]').fill("{points per visit}")
    assert page.evaluate(OVERFLOWING) == []  # a field grows as it is typed in (the row wraps when it must)
    assert page.problems == []


def test_issue_16_diff_shows_limits_and_takes_only_the_checked_field(page, server, corpus):
    """The diff showed '99 - -'; taking the parser's value must leave the gold's other fields, its text span too."""
    curated = Listing.model_validate_json((Path(__file__).parents[2] / "corpora" / GOLD).read_text())
    second = next(c for _, _, c in curated.constraints() if c.subject == "bone marrow blasts" and c.value == 1)
    assert second.text_start == 1417  # the parser's text span for it starts at 1334
    second.value = 99
    (corpus / GOLD).write_text(curated.model_dump_json(indent=2))
    page.goto(f"{server}/diff/{NAME}")
    assert page.locator("tr.differs").count() == 1  # the value only: the parser finds every gold entity
    changed = page.locator("tr.differs", has_text="> 99 %")
    assert changed.count() == 1
    assert [cell.strip() for cell in changed.locator("td").all_inner_texts()[2:5]] == ["value", "> 99 %", "> 1 %"]
    changed.locator("input.take").check()
    with page.expect_navigation():
        page.click("#take")
    assert page.locator("tr.differs").count() == 0
    taken = Listing.model_validate_json((corpus / GOLD).read_text())
    after = next(c for _, _, c in taken.constraints() if c.subject == "bone marrow blasts" and c.text_start == 1417)
    assert after.model_dump() == {**second.model_dump(), "value": 1.0}
    assert [c.model_dump() for _, _, c in taken.constraints() if c is not after] == \
        [c.model_dump() for _, _, c in curated.constraints() if c is not second]
    assert page.problems == []


def test_issue_16_a_duplicate_or_subjectless_row_is_saved_only_when_asked_twice(page, server, corpus):
    page.goto(f"{server}/listing/{NAME}")
    row_of(page, "LVEF").locator('input[name="subject"]').fill("")
    page.keyboard.press("Escape")
    assert page.evaluate(SELECT, "CD5 expression rate was >90%") == "CD5 expression rate was >90%"
    page.keyboard.press("n")
    copy = page.locator('.tree-pane .row[data-id="n1"]')
    copy.wait_for()
    copy.locator('input[name="subject"]').fill("")  # a subject-less copy of the CD5 row
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    page.locator("#message", has_text="look like mistakes").wait_for()
    assert not (corpus / GOLD).exists()
    original = row_of(page, "CD5 expression").get_attribute("data-id")
    assert copy.locator(".warn").text_content() == f"the same limit on the same words as row {original}: a duplicate?"
    lvef = page.locator('.tree-pane .row:has(.quote:text("left ventricular ejection fraction (LVEF) ≥50%"))')
    assert lvef.locator(".warn").text_content() == "no subject: what does this limit bound?"
    page.keyboard.press("s")  # asked again: saved as it is
    page.locator("#message", has_text="Saved as gold").wait_for()
    saved = [c for _, _, c in Listing.model_validate_json((corpus / GOLD).read_text()).constraints()]
    assert sum(1 for c in saved if c.text == "CD5 expression rate was >90%") == 2
    assert page.problems == []


def row_with_id(page, model_id: str):
    """The row of the constraint or entity with this model id (``in5.c2``, ``in5.e4``)."""
    return page.locator(f'.tree-pane .row:has(input[name="id"][value="{model_id}"])')


def current(page, row) -> None:
    """Make ``row`` the current one, as a curator's click on it does (the listing's selection comes after)."""
    row.locator(".quote").click()
    assert "current" in row.get_attribute("class")


def test_issue_16_w_sets_a_subject_its_concept_and_the_entity_it_limits(page, server, corpus, parser):
    """Subjects are edited with the keys of values: the selection and w set the span, words, concept and link."""
    gold = parser.parse_file(corpus / NAME)
    alt = next(c for _, _, c in gold.constraints() if c.subject == "ALT")
    ast = next(c for _, _, c in gold.constraints() if c.subject == "AST")
    wrong = {name: getattr(ast, name) for name in ("subject", "subject_text", "subject_start", "subject_end",
                                                   "subject_concept", "subject_code", "entity")}
    right = {name: getattr(alt, name) for name in wrong}
    alt.__dict__.update(wrong)  # a gold file whose ALT limit reads the AST words
    lvef = next(c for _, _, c in gold.constraints() if c.subject == "LVEF")
    criterion = next(c for _, c in gold.walk() if c.id == "in6")
    criterion.entities = [e for e in criterion.entities if e.id != lvef.entity]
    lvef.entity, lvef.subject, lvef.subject_text, lvef.subject_start, lvef.subject_end = \
        None, None, None, None, None
    lvef.subject_concept, lvef.subject_code = None, None
    (corpus / GOLD).write_text(gold.model_dump_json(indent=2))

    page.goto(f"{server}/listing/{NAME}")
    row = row_with_id(page, alt.id)
    current(page, row)
    assert row.locator(".subject-words").text_content() == "Aspartate aminotransferase (AST)"
    assert page.evaluate(SELECT, "Alanine aminotransferase (ALT)") == "Alanine aminotransferase (ALT)"
    page.keyboard.press("w")
    page.locator("#message", has_text="limiting entity in5.e2").wait_for()
    assert row.locator('input[name="subject"]').input_value() == "ALT"
    assert row.locator(".subject-words").text_content() == "Alanine aminotransferase (ALT)"
    assert row.locator('input[name="subject_concept"]').input_value() == "lex.alt"
    assert row.locator('input[name="entity"]').input_value() == right["entity"]
    assert page.locator("#listing-text .seg.subj").all_text_contents() != []
    assert "".join(page.locator("#listing-text .seg.subj").all_text_contents()) == "Alanine aminotransferase (ALT)"

    lvef_row = row_with_id(page, lvef.id)
    current(page, lvef_row)
    entities = page.locator('.tree-pane .crit[data-id="in6"] .entity-row').count()
    page.evaluate(SELECT, "left ventricular ejection fraction (LVEF)")
    page.keyboard.press("w")
    page.locator("#message", has_text="added").wait_for()
    added = page.locator('.tree-pane .crit[data-id="in6"] .entity-row')
    assert added.count() == entities + 1
    new_id = lvef_row.locator('input[name="entity"]').input_value()
    assert page.locator(".entity-id", has_text=new_id).count() == 1
    page.keyboard.press("s")
    page.locator("#message", has_text="Saved as gold").wait_for()

    saved = Listing.model_validate_json((corpus / GOLD).read_text())
    got = next(c for _, _, c in saved.constraints() if c.id == alt.id)
    assert {name: getattr(got, name) for name in right} == right and got.open_subject is False
    got_lvef = next(c for _, _, c in saved.constraints() if c.id == lvef.id)
    entity = next(e for _, c in saved.walk() for e in c.entities if e.id == got_lvef.entity)
    assert (got_lvef.subject, got_lvef.subject_concept, got_lvef.subject_text) == \
        ("LVEF", "lex.lvef", "left ventricular ejection fraction (LVEF)")
    assert (entity.id, entity.text, entity.type, entity.concept) == \
        (new_id, "left ventricular ejection fraction (LVEF)", "measurement", "lex.lvef")
    entry = json.loads((corpus / LOG).read_text(encoding="utf-8").splitlines()[-1])
    changed = next(c["changed"] for c in entry["changes"] if c["criterion"] == "0:5" and "changed" in c
                   and "subject_start" in c["changed"])
    assert changed["subject_start"] == [wrong["subject_start"], right["subject_start"]]
    assert changed["subject_concept"] == ["lex.ast", "lex.alt"] and changed["entity"] == [wrong["entity"], right["entity"]]
    assert any(c.get("added", {}).get("id") == new_id for c in entry["changes"])

    page.reload()  # the saved rows come back as saved, the new entity with its id
    again = row_with_id(page, lvef.id)
    assert again.locator('input[name="entity"]').input_value() == new_id
    assert again.locator(".subject-words").text_content() == "left ventricular ejection fraction (LVEF)"
    assert page.problems == []


def test_issue_16_entities_follow_the_rules_of_values(page, server, corpus, parser):
    """An entity's words from a selection; deleting one a constraint limits is refused beside the field; a gold
    file changed on disk refuses the save."""
    page.goto(f"{server}/listing/{NAME}")
    limit = row_of(page, "creatinine")
    entity_id = limit.locator('input[name="entity"]').input_value()
    creatinine = row_with_id(page, entity_id)
    current(page, creatinine)
    page.evaluate(SELECT, "creatinine ≤176.8")
    page.keyboard.press("w")
    page.locator("#message", has_text='now "creatinine ≤176.8"').wait_for()
    assert creatinine.locator(".quote").text_content() == "creatinine ≤176.8"
    assert creatinine.locator('input[name="concept"]').input_value() == ""  # the lexicon does not know these words
    page.evaluate(SELECT, "creatinine")
    page.keyboard.press("w")
    page.locator("#message", has_text='now "creatinine"').wait_for()
    assert creatinine.locator('input[name="concept"]').input_value() == "lex.creatinine"
    page.keyboard.press("x")  # delete the entity the creatinine limit points at
    page.keyboard.press("s")
    reason = limit.locator('.err[data-for="entity"]')
    reason.wait_for()
    assert reason.text_content() == f"limits entity: no entity {entity_id} in criterion 5"
    assert not (corpus / GOLD).exists()
    current(page, creatinine)
    page.keyboard.press("x")  # restored
    (corpus / GOLD).write_text((Path(__file__).parents[2] / "corpora" / GOLD).read_text())  # another curator saved
    page.keyboard.press("s")
    page.locator("#message", has_text="changed on disk").wait_for()
    assert Listing.model_validate_json((corpus / GOLD).read_text()) == \
        Listing.model_validate_json((Path(__file__).parents[2] / "corpora" / GOLD).read_text())
    assert not (corpus / LOG).exists()
    assert page.problems == []
