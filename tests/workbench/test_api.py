"""API tests of every workbench route, including each refusal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from criteria_parser.curation.scoring import score_gold_corpus, render_report
from criteria_parser.model import Listing
from criteria_parser.workbench.app import create_app
from criteria_parser.curation.corpus import Corpus, UnsafePathError, fingerprint
from criteria_parser.curation.reports import eval_page

from .conftest import NAME, csrf_of, entity_rows_of, rows_of, save

GOLD = NAME.replace(".txt", ".gold.json")
LOG = NAME.replace(".txt", ".review.jsonl")


def parsed(parser, corpus: Path) -> Listing:
    return parser.parse_file(corpus / NAME)


def find(rows: list[dict], subject: str) -> dict:
    return next(row for row in rows if row["fields"]["subject"] == subject)


def test_corpus_page_lists_listing_with_status_and_count(client, parser, corpus):
    page = client.get("/")
    assert page.status_code == 200
    assert NAME in page.text and "not reviewed" in page.text
    count = sum(1 for _ in parsed(parser, corpus).constraints())
    assert f'<td class="num">{count}</td>' in page.text


def test_listing_page_shows_parser_rows_and_highlights(client, parser, corpus):
    page = client.get(f"/listing/{NAME}")
    assert page.status_code == 200
    listing = parsed(parser, corpus)
    assert page.text.count('class="row k-') == sum(1 for _ in listing.constraints()) + 1  # + the empty template
    assert 'class="seg hl k-threshold val"' in page.text and "showing the parser&#39;s proposal" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")


def test_save_writes_valid_gold_and_logs_the_curator(client, parser, corpus):
    rows = rows_of(parsed(parser, corpus))
    find(rows, "total bilirubin")["fields"]["unit"] = "mmol/L"
    answer = save(client, rows)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "curated"
    gold = Listing.model_validate_json((corpus / GOLD).read_text())
    units = {c.subject: c.unit for _, _, c in gold.constraints()}
    assert units["total bilirubin"] == "mmol/L" and gold.source == NAME
    entry = json.loads((corpus / LOG).read_text().splitlines()[-1])
    assert entry["curator"] == "alice" and entry["status"] == "curated"
    assert entry["gold"] == fingerprint(corpus / GOLD) == answer.json()["fingerprint"]
    assert {"criterion": "0:5", "text": "Total bilirubin ≤51 (mol/L)",
            "changed": {"unit": ["umol/L", "mmol/L"]}} in entry["changes"]
    assert "curated" in client.get("/").text
    assert "showing the saved gold" in client.get(f"/listing/{NAME}").text


def test_unaccepted_rows_leave_the_listing_in_progress(client, parser, corpus):
    rows = rows_of(parsed(parser, corpus))
    rows[0]["accepted"] = False
    answer = save(client, rows)
    assert answer.json()["status"] == "in progress"
    assert "in progress" in client.get("/").text
    page = client.get(f"/listing/{NAME}").text
    constraint_rows = re.findall(r'class="row k-[^"]*"', page)
    assert sum(not row.endswith(' accepted"') for row in constraint_rows) == 2  # the unaccepted row and the template
    assert 'class="row entity-row accepted"' in page  # the entities were saved as they were: accepted
    report = score_gold_corpus(corpus, parser)
    assert [listing.status for listing in report.listings] == ["in progress"]
    assert f"note: {GOLD} is in progress" in render_report(report)
    assert "<td>in progress</td>" in eval_page(report)


def test_deleted_and_added_rows(client, parser, corpus):
    rows = rows_of(parsed(parser, corpus))
    creatinine = find(rows, "creatinine")
    rows.remove(creatinine)
    assert save(client, rows).status_code == 200
    gold_print = fingerprint(corpus / GOLD)
    assert "creatinine" not in {c.subject for _, _, c in Listing.model_validate_json((corpus / GOLD).read_text()).constraints()}
    creatinine["id"] = "n1"
    answer = save(client, rows + [creatinine], gold_print)
    assert answer.status_code == 200, answer.text
    entry = json.loads((corpus / LOG).read_text().splitlines()[-1])
    assert [c["text"] for c in entry["changes"]] == ["creatinine ≤176.8 (mol/L)"] and "added" in entry["changes"][0]


@pytest.mark.parametrize("field, value, reason", [
    ("value", "abc", "valid number"),
    ("comparator", "≤", "Input should be"),
    ("unit", "µmol/L", "write 'umol/L'"),
    ("text_start", "1", "inside criterion 5"),
    ("end", "1500", "must lie inside the constraint"),
    ("flags", "[{", "not valid JSON"),
])
def test_bad_edit_is_refused_with_the_reason_beside_the_field(client, parser, corpus, field, value, reason):
    rows = rows_of(parsed(parser, corpus))
    row = find(rows, "total bilirubin")
    row["fields"][field] = value
    answer = save(client, rows)
    assert answer.status_code == 422
    assert reason in answer.json()["rows"][row["id"]][field]
    assert not (corpus / GOLD).exists() and not (corpus / LOG).exists()


def test_an_offset_too_large_for_any_number_is_refused_not_crashed(client, parser, corpus):
    """JSON's 1e999 reads as infinity (found by fuzzing the save route: it used to answer 500)."""
    rows = rows_of(parsed(parser, corpus))
    row = find(rows, "total bilirubin")
    row["fields"]["text_start"] = 12345.5
    body = json.dumps({"fingerprint": "absent", "rows": rows}).replace("12345.5", "1e999")
    answer = client.post(f"/api/save/{NAME}", content=body,
                         headers={"X-CSRF-Token": csrf_of(client), "content-type": "application/json"})
    assert answer.status_code == 422 and "finite number" in answer.json()["rows"][row["id"]]["text_start"]
    assert not (corpus / GOLD).exists()


def test_range_with_high_below_low_is_refused_on_value_high(client, parser, corpus):
    rows = rows_of(parsed(parser, corpus))
    ecog = find(rows, "ECOG")
    ecog["fields"].update(value="3", value_high="1")
    answer = save(client, rows)
    assert answer.json()["rows"][ecog["id"]] == {"value_high": "value_high is below value"}


def test_text_is_read_from_the_span_not_typed(client, parser, corpus):
    rows = rows_of(parsed(parser, corpus))
    find(rows, "total bilirubin")["fields"]["text"] = "anything"
    assert "unknown field(s): text" in save(client, rows).json()["rows"]["c4"]["row"]


def test_stale_save_is_refused(client, parser, corpus):
    rows = rows_of(parsed(parser, corpus))
    assert save(client, rows).status_code == 200
    answer = save(client, rows, "absent")  # a second curator who loaded the page before the first save
    assert answer.status_code == 409 and "changed on disk" in answer.json()["error"]
    current = fingerprint(corpus / GOLD)
    (corpus / GOLD).write_text((corpus / GOLD).read_text().replace("umol/L", "mmol/L"))  # a git pull
    before = (corpus / GOLD).read_text()
    assert save(client, rows, current).status_code == 409
    assert (corpus / GOLD).read_text() == before
    assert len((corpus / LOG).read_text().splitlines()) == 1


@pytest.mark.parametrize("path", [
    "/listing/..%2F..%2Fetc%2Fpasswd", "/listing/%2Fetc%2Fpasswd", "/listing/sub%2F..%2F..%2Fsecret.txt",
    "/listing/.hidden.txt", "/listing/NCT06633354-listing.gold.json",
])
def test_path_traversal_is_refused(client, path):
    answer = client.get(path)
    assert answer.status_code == 404


def test_symlinks_out_of_the_corpus_are_neither_listed_nor_read(client, corpus, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("Inclusion Criteria:\n1. secret <= 5 mg\n")
    (corpus / "link.txt").symlink_to(outside)
    (corpus / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    assert "link.txt" not in client.get("/").text
    assert client.get("/listing/link.txt").status_code == 404
    assert client.get("/listing/linked-dir/secret.txt").status_code == 404
    (corpus / NAME.replace(".txt", ".gold.json")).symlink_to(outside)
    assert client.get(f"/listing/{NAME}").status_code == 404
    with pytest.raises(UnsafePathError):
        Corpus(corpus).files(NAME)


def test_save_outside_the_corpus_is_refused(client, corpus, tmp_path):
    headers = {"X-CSRF-Token": csrf_of(client)}
    answer = client.post("/api/save/..%2Fescape.txt", json={"fingerprint": "absent", "rows": []}, headers=headers)
    assert answer.status_code == 404
    assert not (tmp_path / "escape.gold.json").exists()


def test_missing_token_is_refused(corpus, parser):
    client = TestClient(create_app(corpus, "bob", token="s3cret", parser=parser, allowed_hosts=["testserver"]),
                        follow_redirects=False)
    assert client.get("/").status_code == 401
    assert client.get("/?token=wrong").status_code == 401
    assert client.get(f"/listing/{NAME}").status_code == 401
    assert client.get("/static/workbench.js").status_code == 401
    entry = client.get("/?token=s3cret")
    assert entry.status_code == 303 and entry.headers["location"] == "/"
    assert "httponly" in entry.headers["set-cookie"].lower() and "samesite=strict" in entry.headers["set-cookie"].lower()
    assert client.get("/").status_code == 200  # the cookie now carries it
    bearer = TestClient(create_app(corpus, "bob", token="s3cret", parser=parser, allowed_hosts=["testserver"]))
    assert bearer.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_binding_beyond_loopback_needs_a_token(corpus):
    from criteria_parser.errors import CriteriaParserError
    from criteria_parser.workbench.serve import serve

    with pytest.raises(CriteriaParserError, match="--token"):
        serve(corpus, "0.0.0.0", 0, None, "carol")


def test_foreign_host_header_is_refused(client):
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_cross_site_requests_are_refused(client, parser, corpus):
    rows = rows_of(parsed(parser, corpus))
    body = {"fingerprint": "absent", "rows": rows}
    assert client.post(f"/api/save/{NAME}", json=body).status_code == 403
    assert client.post(f"/api/save/{NAME}", json=body, headers={"X-CSRF-Token": "guess"}).status_code == 403
    token = csrf_of(client)
    foreign = client.post(f"/api/save/{NAME}", json=body,
                          headers={"X-CSRF-Token": token, "Origin": "http://evil.example"})
    assert foreign.status_code == 403
    form = client.post(f"/api/save/{NAME}", content=json.dumps(body),
                       headers={"X-CSRF-Token": token, "Content-Type": "text/plain"})
    assert form.status_code == 415
    assert not (corpus / GOLD).exists()


def test_markup_in_listing_text_shows_as_text(client, corpus, parser):
    hostile = ("Inclusion Criteria:\n1. <script>alert(1)</script> creatinine <= 1.5 mg/dL\n"
               "2. <img src=x onerror=alert(2)> age >= 18 years\n")
    (corpus / "hostile.txt").write_text(hostile)
    page = client.get("/listing/hostile.txt").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "hostile.txt" in client.get("/").text


def test_hostile_file_name_shows_as_text(client, corpus):
    (corpus / "<b>x.txt").write_text("Inclusion Criteria:\n1. age >= 18 years\n")
    assert "<b>x.txt" not in client.get("/").text


def test_propose_reads_the_selection(client, corpus):
    text = (corpus / NAME).read_text(encoding="utf-8")
    start = text.index("creatinine ≤176.8")
    end = start + len("creatinine ≤176.8 (mol/L)")
    headers = {"X-CSRF-Token": csrf_of(client)}
    values = client.post(f"/api/propose/{NAME}", json={"start": start, "end": end}, headers=headers).json()["values"]
    assert values["subject"] == "creatinine" and values["value"] == "176.8" and values["unit"] == "umol/L"
    assert (int(values["text_start"]), int(values["text_end"])) == (start, end)
    plain = text.index("Active infection with no cure")
    values = client.post(f"/api/propose/{NAME}", json={"start": plain, "end": plain + 16},
                         headers=headers).json()["values"]
    assert values["value"] == "" and values["text_start"] == str(plain)
    refused = client.post(f"/api/propose/{NAME}", json={"start": 5, "end": 10**7}, headers=headers)
    assert refused.status_code == 400
    infinite = client.post(f"/api/propose/{NAME}", content='{"start": 5, "end": 1e999}',
                           headers={**headers, "content-type": "application/json"})
    assert infinite.status_code == 400 and "expected" in infinite.json()["error"]


def test_issue_16_propose_subject_reads_the_words_and_the_entity_they_name(client, corpus):
    """w on a constraint row: the selected words, the concept of the entity the parser finds in them (the longest
    known one when none spans them all), and that entity; words the lexicon lacks are an open subject."""
    text = (corpus / NAME).read_text(encoding="utf-8")
    headers = {"X-CSRF-Token": csrf_of(client)}
    words = "Number of blasts in the bone marrow (protolychic + larvae)"
    start = text.index(words)
    answer = client.post(f"/api/propose-subject/{NAME}", json={"start": start, "end": start + len(words)},
                         headers=headers).json()
    assert answer["values"] == {"subject": "bone marrow blasts", "subject_text": words, "subject_start": str(start),
                                "subject_end": str(start + len(words)), "subject_concept": "lex.blasts",
                                "subject_code": "", "open_subject": ""}
    assert (answer["entity"]["type"], answer["entity"]["concept"]) == ("measurement", "lex.blasts")
    assert text[int(answer["entity"]["start"]):int(answer["entity"]["end"])] == "Number of blasts in the bone marrow"
    unknown = text.index("CD3/CD28 co-stimulation")
    values = client.post(f"/api/propose-subject/{NAME}", json={"start": unknown, "end": unknown + 23},
                         headers=headers).json()["values"]
    assert (values["subject"], values["subject_concept"], values["open_subject"]) == \
        ("CD3/CD28 co-stimulation", "", "true")
    assert client.post(f"/api/propose-subject/{NAME}", json={"start": 0, "end": 5}).status_code == 403  # no CSRF
    odd = client.post(f"/api/propose-words/{NAME}", json={"start": 0, "end": 5}, headers=headers)
    assert odd.status_code == 400 and "no such proposal" in odd.json()["error"]


def test_issue_16_entity_edits_are_logged_and_refused_when_stale(client, parser, corpus):
    """Entities keep the save rules of values: a change logged field by field; a save over a gold file changed
    on disk since the page was loaded is refused, entities and all."""
    listing = parsed(parser, corpus)
    rows, entities = rows_of(listing), entity_rows_of(listing)
    assert save(client, rows, entities=entities).status_code == 200
    loaded = fingerprint(corpus / GOLD)
    creatinine = next(e for e in entities if e["fields"]["concept"] == "lex.creatinine")
    creatinine["fields"].update(type="observation")
    answer = save(client, rows, loaded, entities=entities)
    assert answer.status_code == 200 and answer.json()["changes"] == 1
    entry = json.loads((corpus / LOG).read_text().splitlines()[-1])
    assert entry["changes"] == [{"criterion": "0:5", "text": "creatinine",
                                 "changed": {"type": ["measurement", "observation"]}}]
    creatinine["fields"].update(type="condition")
    stale = save(client, rows, loaded, entities=entities)  # the page still holds the first save's fingerprint
    assert stale.status_code == 409 and "changed on disk" in stale.json()["error"]
    assert next(e for _, c in Listing.model_validate_json((corpus / GOLD).read_text()).walk()
                for e in c.entities if e.concept == "lex.creatinine").type == "observation"


def test_invalid_gold_file_is_reported_not_crashed(client, corpus):
    (corpus / GOLD).write_text('{"parser_version": 3}')
    page = client.get(f"/listing/{NAME}")
    assert page.status_code == 422 and "not a valid gold file" in page.text
    assert "unreadable" in client.get("/").text


def test_static_files_and_unknown_routes(client):
    assert "addFromSelection" in client.get("/static/workbench.js").text
    assert client.get("/static/..%2F..%2Fapp.py").status_code == 404
    assert client.get("/nothing").status_code == 404


def test_log_is_only_appended(client, parser, corpus):
    rows = rows_of(parsed(parser, corpus))
    save(client, rows)
    first = (corpus / LOG).read_text()
    save(client, rows, fingerprint(corpus / GOLD))
    assert (corpus / LOG).read_text().startswith(first)
    assert os.path.getsize(corpus / LOG) > len(first.encode())


def test_corpus_page_shows_parser_f1_against_gold(client, parser, corpus):
    rows = rows_of(parsed(parser, corpus))
    find(rows, "total bilirubin")["fields"]["unit"] = "mmol/L"
    save(client, rows)
    page = client.get("/").text
    assert f'/diff/{NAME}' in page
    f1 = float(page.split('<td class="num">')[2].split("<")[0])
    assert 0.9 < f1 < 1.0


def test_diff_shows_disagreements_first_and_takes_only_checked_changes(client, parser, corpus):
    rows = rows_of(parsed(parser, corpus))
    bilirubin = find(rows, "total bilirubin")
    bilirubin["fields"].update(unit="mmol/L", value="5")
    rows.remove(find(rows, "creatinine"))
    save(client, rows)
    page = client.get(f"/diff/{NAME}").text
    assert page.index('class="differs"') < page.index('class="agree"')
    assert page.count('class="differs"') == 3  # bilirubin value and unit, creatinine only in the parser
    ids = dict(zip(("value", "unit", "constraint"),
                   [page.split('value="', 1)[1].split('"')[0] for page in page.split('class="take"')[1:]]))
    print_ = fingerprint(corpus / GOLD)
    headers = {"X-CSRF-Token": csrf_of(client)}
    answer = client.post(f"/api/take/{NAME}", json={"fingerprint": print_, "take": [ids["unit"], ids["constraint"]]},
                         headers=headers)
    assert answer.status_code == 200, answer.text
    gold = {c.subject: c for _, _, c in Listing.model_validate_json((corpus / GOLD).read_text()).constraints()}
    assert gold["total bilirubin"].unit == "umol/L" and gold["total bilirubin"].value == 5  # value refused
    assert "creatinine" in gold
    entry = json.loads((corpus / LOG).read_text().splitlines()[-1])
    assert entry["action"] == "take parser changes" and entry["curator"] == "alice"
    stale = client.post(f"/api/take/{NAME}", json={"fingerprint": print_, "take": []}, headers=headers)
    assert stale.status_code == 409
    unknown = client.post(f"/api/take/{NAME}", json={"fingerprint": fingerprint(corpus / GOLD), "take": ["p99.unit"]},
                          headers=headers)
    assert unknown.status_code == 409 and "p99.unit" in unknown.json()["error"]


def test_entities_are_edited_added_and_linked(client, parser, corpus):
    listing = parsed(parser, corpus)
    text = (corpus / NAME).read_text(encoding="utf-8")
    rows, entities = rows_of(listing), entity_rows_of(listing)
    qt = next(e for e in entities if e["fields"]["concept"] == "lex.qt_prolongation")
    qt["fields"].update(type="observation")
    start = text.index("CD3/CD28 co-stimulation")
    entities.append({"id": "m1", "criterion": "1:7", "accepted": False,  # exclusion 7: a procedure the lexicon lacks
                     "fields": {"type": "procedure", "start": str(start), "end": str(start + 23)}})
    answer = save(client, rows, entities=entities)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "in progress"  # the new entity is not accepted yet
    gold = Listing.model_validate_json((corpus / GOLD).read_text())
    exclusion = {c.label: c for c in gold.sections[1].walk()}
    assert [(e.id, e.text, e.type, e.concept) for e in exclusion["7"].entities] == [
        ("ex7.e1", "proiferation rate", "measurement", "lex.proliferation_rate"),
        ("ex7.e2", "CD3/CD28 co-stimulation", "procedure", None)]
    assert [e.type for e in exclusion["2"].entities] == ["observation", "condition"]
    entry = json.loads((corpus / LOG).read_text().splitlines()[-1])
    assert {"criterion": "1:7", "text": "CD3/CD28 co-stimulation",
            "added": exclusion["7"].entities[1].model_dump(mode="json")} in entry["changes"]
    radiotherapy = find(rows, "radiotherapy")
    radiotherapy["fields"]["entity"] = "ex7.e2"  # an entity of another criterion
    refused = save(client, rows, fingerprint(corpus / GOLD), entities=entities)
    assert refused.status_code == 422
    assert refused.json()["rows"][radiotherapy["id"]] == {"entity": "no entity ex7.e2 in criterion 6.4"}




def test_diff_takes_entities_the_parser_finds(client, parser, corpus):
    listing = parsed(parser, corpus)
    entities = [e for e in entity_rows_of(listing) if e["fields"]["concept"] != "lex.radiotherapy"]
    rows = rows_of(listing)
    find(rows, "radiotherapy")["fields"]["entity"] = ""
    assert save(client, rows, entities=entities).status_code == 200
    page = client.get(f"/diff/{NAME}").text
    assert "procedure · radiotherapy (lex.radiotherapy)" in page
    change = re.search(r'value="(a\d+)" aria-label="take the parser\'s entity"', page).group(1)
    link = re.search(r'value="(p\d+\.entity)"', page).group(1)
    headers = {"X-CSRF-Token": csrf_of(client)}
    answer = client.post(f"/api/take/{NAME}", json={"fingerprint": fingerprint(corpus / GOLD), "take": [change, link]},
                         headers=headers)
    assert answer.status_code == 200, answer.text
    gold = Listing.model_validate_json((corpus / GOLD).read_text())
    criterion = next(c for _, c in gold.walk() if c.label == "6.4")
    assert [e.text for e in criterion.entities] == ["radiotherapy"]
    assert criterion.constraints[0].entity == criterion.entities[0].id


def test_issue_16_diff_takes_a_subject_span_alone(client, parser, corpus):
    """A subject is diffed as a value is: taking its span changes the span and words only."""
    listing = parsed(parser, corpus)
    rows, entities = rows_of(listing), entity_rows_of(listing)
    creatinine = find(rows, "creatinine")["fields"]
    creatinine.update(subject_start=str(int(creatinine["subject_start"]) + 4), subject="creatinine level")
    assert save(client, rows, entities=entities).status_code == 200
    page = client.get(f"/diff/{NAME}").text
    span = re.search(r'value="(p\d+\.subject_span)"', page).group(1)
    answer = client.post(f"/api/take/{NAME}", json={"fingerprint": fingerprint(corpus / GOLD), "take": [span]},
                         headers={"X-CSRF-Token": csrf_of(client)})
    assert answer.status_code == 200, answer.text
    gold = next(c for _, _, c in Listing.model_validate_json((corpus / GOLD).read_text()).constraints()
                if c.subject_concept == "lex.creatinine")
    assert (gold.subject_text, gold.subject) == ("creatinine", "creatinine level")  # the subject's name refused
    entry = json.loads((corpus / LOG).read_text().splitlines()[-1])
    assert entry["action"] == "take parser changes"
    assert entry["changes"][0]["changed"] == {"subject_text": ["tinine", "creatinine"],
                                              "subject_start": [int(creatinine["subject_start"]),
                                                                int(creatinine["subject_start"]) - 4]}


def test_diff_without_gold_and_outside_corpus(client):
    assert "No gold file yet" in client.get(f"/diff/{NAME}").text
    assert client.get("/diff/..%2Fx.txt").status_code == 404
    headers = {"X-CSRF-Token": csrf_of(client)}
    assert client.post(f"/api/take/{NAME}", json={"fingerprint": "absent", "take": []}, headers=headers).status_code == 409


def test_saving_unchanged_rows_keeps_the_gold_as_it_was(client, parser, corpus):
    gold = parsed(parser, corpus).model_copy(update={"parser_version": "gold", "source": "corpora/" + NAME})
    (corpus / GOLD).write_text(gold.model_dump_json(indent=2))
    page = client.get(f"/listing/{NAME}").text
    accepted_rows = re.findall(r'class="row k-[^"]* accepted"', page)
    assert "curated" in page and len(accepted_rows) == sum(1 for _ in gold.constraints())
    answer = save(client, rows_of(gold), fingerprint(corpus / GOLD))
    assert answer.status_code == 200 and answer.json()["changes"] == 0
    assert Listing.model_validate_json((corpus / GOLD).read_text()) == gold


def test_eval_reflects_a_correction_saved_in_the_workbench(client, parser, corpus):
    rows = rows_of(parsed(parser, corpus))
    find(rows, "total bilirubin")["fields"]["unit"] = "mmol/L"
    assert save(client, rows).status_code == 200
    report = score_gold_corpus(corpus, parser)
    assert [(d.field, d.gold, d.parsed) for d in report.disagreements] == [("unit", "mmol/L", "umol/L")]
    assert [listing.status for listing in report.listings] == ["curated"] and "note:" not in render_report(report)


def test_issue_16_review_prints_its_address_once_it_listens(corpus):
    """The address came about 0.2 s before the server took connections: a browser opened on it at once failed."""
    script = Path(sys.executable).with_name("criteria-parser")
    review = subprocess.Popen([str(script), "review", str(corpus), "--port", "0", "--curator", "t"],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = review.stdout.readline()
        address = re.search(r"at (http://\S+)", line).group(1)
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())  # keeps the token's cookie
        with browser.open(address, timeout=30) as answer:  # at once, no retry
            assert answer.status == 200 and NAME in answer.read().decode()
    finally:
        review.terminate()
        review.wait(30)


def test_issue_16_a_duplicate_or_subjectless_row_is_saved_only_when_confirmed(client, parser, corpus):
    rows = rows_of(parsed(parser, corpus))
    copy = json.loads(json.dumps(find(rows, "CD5 expression")))
    copy["id"], copy["fields"]["subject"] = "n1", ""
    find(rows, "LVEF")["fields"]["subject"] = ""
    lvef = next(row["id"] for row in rows if row["fields"]["text_start"] == "1644")
    held = save(client, [*rows, copy])
    assert held.status_code == 409 and not (corpus / GOLD).exists()
    cd5 = find(rows, "CD5 expression")["id"]
    assert held.json()["warnings"] == {"n1": f"the same limit on the same words as row {cd5}: a duplicate?",
                                       lvef: "no subject: what does this limit bound?"}
    confirmed = client.post(f"/api/save/{NAME}", json={"fingerprint": "absent", "rows": [*rows, copy],
                                                       "confirmed": True}, headers={"X-CSRF-Token": csrf_of(client)})
    assert confirmed.status_code == 200 and (corpus / GOLD).exists()
    alt_and_ast = [row for row in rows if row["fields"]["subject"] in ("ALT", "AST")]
    assert alt_and_ast[0]["fields"]["start"] == alt_and_ast[1]["fields"]["start"]  # one value, two subjects: no warning
