"""Issue 15, the workbench: bounded request bodies, 4xx for nested JSON, one bad file never takes the corpus page
down, parsing off the event loop, no open redirect, the safety headers on every error, a token by default."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from criteria_parser.workbench.app import MAX_BODY, create_app

from .conftest import NAME, csrf_of

REPRO = Path(__file__).parents[1] / "fixtures" / "repro"


class _Slow:
    """The real parser, but slow on ``slow.txt`` and failing on ``crash.txt``."""

    def __init__(self, parser) -> None:
        self._parser = parser
        self.started = threading.Event()  # the slow parse is under way
        self.release = threading.Event()  # the slow parse may finish

    def __getattr__(self, name: str):
        return getattr(self._parser, name)

    def parse_file(self, path, *args, **kwargs):
        if Path(path).name == "slow.txt":
            self.started.set()
            self.release.wait(60)
        if Path(path).name == "crash.txt":
            raise RuntimeError("generator raised StopIteration")
        return self._parser.parse_file(path, *args, **kwargs)


@pytest.mark.parametrize("route", ["save", "propose", "take"])
def test_issue_15_nested_json_is_refused_with_400_not_500(client, route):
    body = (REPRO / "workbench-deep-body.json").read_bytes()
    answer = client.post(f"/api/{route}/{NAME}", content=body,
                         headers={"X-CSRF-Token": csrf_of(client), "Content-Type": "application/json"})
    assert answer.status_code == 400 and "nested deeper than 16" in answer.json()["error"]
    assert "content-security-policy" in answer.headers


def test_a_body_over_the_limit_is_refused_before_it_is_read_whole(client):
    body = b'{"rows": [' + b" " * MAX_BODY + b"]}"
    answer = client.post(f"/api/save/{NAME}", content=body,
                         headers={"X-CSRF-Token": csrf_of(client), "Content-Type": "application/json"})
    assert answer.status_code == 413 and "over 8 MB" in answer.json()["error"]


def test_issue_15_one_bad_file_never_takes_the_corpus_page_down(corpus, parser):
    shutil.copy(corpus / NAME, corpus / "crash.txt")
    shutil.copy(corpus / NAME, corpus / "latin1.txt")
    (corpus / "latin1.gold.json").write_bytes(b'{"caf\xe9": 1}')
    shutil.copy(corpus / NAME, corpus / "dir.txt")
    (corpus / "dir.gold.json").mkdir()
    shutil.copy(REPRO / "decimal-comma-float-crash.txt", corpus / "comma.txt")
    client = TestClient(create_app(corpus, "alice", parser=_Slow(parser), allowed_hosts=["testserver"]))
    page = client.get("/")
    assert page.status_code == 200
    assert page.text.count("unreadable") >= 3 and NAME in page.text and "comma.txt" in page.text
    assert "RuntimeError" in page.text and "not UTF-8" in page.text and "cannot read the gold file" in page.text


def test_issue_15_the_token_redirect_stays_on_the_site(corpus, parser):
    client = TestClient(create_app(corpus, "bob", token="T", parser=parser, allowed_hosts=["testserver"]),
                        follow_redirects=False)
    for path in ("//evil.example/x", "/\\evil.example/x", "///evil.example/x"):
        answer = client.get(f"http://testserver{path}?token=T")
        location = answer.headers["location"]
        assert answer.status_code == 303 and location.endswith("evil.example/x")
        assert location.startswith("/") and not location.startswith(("//", "/\\")) and not urlsplit(location).netloc


def test_every_error_response_carries_the_safety_headers(corpus, parser, monkeypatch):
    app = create_app(corpus, "bob", token="T", parser=parser, allowed_hosts=["testserver"])
    client = TestClient(app, raise_server_exceptions=False)
    answers = [client.get("/"),  # 401
               client.get("/", headers={"Host": "evil.example"}),  # 400
               client.get("/nothing", headers={"Authorization": "Bearer T"})]  # 404
    broken = create_app(corpus, "bob", parser=_Slow(parser), allowed_hosts=["testserver"])
    shutil.copy(corpus / NAME, corpus / "crash.txt")
    answers.append(TestClient(broken, raise_server_exceptions=False).get("/listing/crash.txt"))  # 500
    assert [a.status_code for a in answers] == [401, 400, 404, 500]
    for answer in answers:
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert answer.headers["x-frame-options"] == "DENY"
    assert "Traceback" not in answers[-1].text


def _serve(app) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(400):
        if server.started:
            break
        thread.join(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


def test_issue_15_a_slow_listing_does_not_block_other_clients(corpus, parser):
    shutil.copy(corpus / NAME, corpus / "slow.txt")
    slow_parser = _Slow(parser)
    address, server, thread = _serve(create_app(corpus, "alice", parser=slow_parser))
    answers = []
    try:
        assert httpx.get(f"{address}/listing/{NAME}", timeout=60).status_code == 200  # parsed once, kept
        slow = threading.Thread(target=lambda: answers.append(httpx.get(f"{address}/listing/slow.txt", timeout=90)))
        slow.start()
        assert slow_parser.started.wait(30)
        # the slow parse holds until released: these are answered while it is still under way, or not at all
        for path in (f"/listing/{NAME}", "/static/workbench.js"):
            assert httpx.get(address + path, timeout=30).status_code == 200
        assert not answers and slow.is_alive()
        slow_parser.release.set()
        slow.join(60)
        assert [a.status_code for a in answers] == [200]
    finally:
        slow_parser.release.set()
        server.should_exit = True
        thread.join(10)


def test_review_requires_a_token_on_loopback_and_prints_it(corpus):
    review = subprocess.Popen([sys.executable, "-c", "from criteria_parser.cli import main; main()", "review",
                               str(corpus), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = review.stdout.readline()
        address = line.split(" at ")[1].split()[0]
        assert "?token=" in address and len(address.split("?token=")[1]) >= 24
        bare = address.split("?")[0]
        assert httpx.get(bare, timeout=30).status_code == 401
        assert httpx.get(address, timeout=30, follow_redirects=True).status_code == 200
    finally:
        review.terminate()
        review.wait(30)


def test_nested_json_in_the_label_studio_import_is_one_line(tmp_path):
    run = subprocess.run([sys.executable, "-c", "from criteria_parser.cli import main; main()", "import-annotations",
                          str(REPRO / "labelstudio-deep.json"), "--corpus", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    [line] = run.stderr.splitlines()
    assert line.startswith("criteria-parser: ") and "labelstudio-deep.json" in line and "nested" in line
