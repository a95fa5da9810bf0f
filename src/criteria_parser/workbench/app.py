"""The workbench web app: corpus page, listing page, saving, proposing rows.

Pages are rendered on the server with Jinja2 (autoescaping on: listing text is
untrusted and always shows as text); ``static/workbench.js`` adds keyboard
moves, selection-to-row and saving. Every file is reached through
:class:`~criteria_parser.curation.corpus.Corpus`, so nothing outside the
corpus directory can be read or written.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pydantic import ValidationError

from ..errors import CriteriaParserError, validation_problem
from ..curation.scoring import compare
from ..model import Comparator, ConstraintKind, EntityType, Listing, Role, TimeDirection
from ..parser import Parser
from ..curation import reviewlog
from ..curation.diff import diff, take
from ..curation.corpus import ABSENT, Corpus, ListingFiles, StaleGoldError, UnsafePathError, fingerprint
from ..curation.edits import EditsInvalid, apply_rows, criterion_key, row_values, unit_spellings
from ..export.highlight import marks, segments
from ..export.html import TEMPLATE_DIR
from ..curation.propose import propose, propose_entity, propose_subject
from ..curation.saving import record_save
from .security import Guard, SafeHeaders

HERE = Path(__file__).parent
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader([HERE / "templates", TEMPLATE_DIR]), autoescape=True, undefined=jinja2.StrictUndefined,
    trim_blocks=True, lstrip_blocks=True,
)
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
#: The largest request body read (a save of the largest listing is well under 1 MB).
MAX_BODY = 8_000_000
#: The deepest JSON a request may send (a save is 4 levels deep).
MAX_DEPTH = 16
LOG = logging.getLogger(__name__)


@dataclass
class Workbench:
    """What every request needs: the corpus, the parser, who curates, and the CSRF token."""

    corpus: Corpus
    parser: Parser
    curator: str
    csrf: str

    def __post_init__(self) -> None:
        self.spellings = unit_spellings({u.ucum: u.forms for u in self.parser.grammars.units})
        self._parsed: dict[str, tuple[tuple[int, int], Listing]] = {}
        self._parsing = threading.Lock()  # one parse at a time (pages run in threads, off the event loop)

    def parsed(self, files: ListingFiles) -> Listing:
        """The parser's reading of a listing, its source named relative to the corpus (re-parsed only when the
        file changed)."""
        stat = files.text.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._parsed.get(files.name)
        if cached is None or cached[0] != version:
            with self._parsing:
                listing = self.parser.parse_file(files.text)
            listing.source = files.name
            cached = self._parsed[files.name] = (version, listing)
        return cached[1].model_copy(deep=True)

    def propose(self, text: str, start: int, end: int, what: str = "constraint") -> dict:
        """The parser's values for a selected span: a constraint row, an entity row (``what`` "entity"), or a
        constraint's subject with the entity it limits (``what`` "subject")."""
        read = {"entity": propose_entity, "subject": propose_subject}.get(what, propose)
        with self._parsing:
            return read(self.parser, text, start, end)

    def page(self, name: str) -> dict[str, Any]:
        """Everything the listing page shows: text segments, criteria tree, rows with their review state."""
        files = self.corpus.files(name)
        text = self.corpus.text(files)
        gold = self.corpus.gold(files)
        base = gold if gold is not None else self.parsed(files)
        print_ = fingerprint(files.gold)
        saved = reviewlog.last_save(files.log, print_) if gold is not None else None
        rows = list(base.constraints())
        entities = [e for _, c in base.walk() for e in c.entities]
        if gold is None:
            accepted: set[int] = set()
        elif saved is not None:
            accepted = set(saved.get("accepted", []))
        else:
            accepted = set(range(len(rows) + len(entities)))
        if base.sections:
            start, end = base.sections[0].start, base.sections[-1].end
        else:
            start, end = 0, len(text)
        row_by_constraint = {id(c): (f"c{i}", i in accepted) for i, (_, _, c) in enumerate(rows)}
        row_by_entity = {id(e): (f"ent{i}", len(rows) + i in accepted) for i, e in enumerate(entities)}
        tree = []
        for index, section in enumerate(base.sections):
            criteria = []
            for criterion in section.walk():
                criteria.append({
                    "key": criterion_key(index, criterion), "criterion": criterion,
                    "depth": criterion.label.count("."),
                    "rows": [{"id": row_by_constraint[id(c)][0], "accepted": row_by_constraint[id(c)][1],
                              "values": row_values(c), "text": c.text, "flags": c.flags,
                              "assertions": c.assertions}
                             for c in criterion.constraints],
                    "entities": [{"id": row_by_entity[id(e)][0], "accepted": row_by_entity[id(e)][1],
                                  "values": row_values(e), "text": e.text, "assertions": e.assertions}
                                 for e in criterion.entities],
                })
            tree.append({"section": section, "criteria": criteria})
        return {
            "name": name, "source": "gold" if gold is not None else "parser", "fingerprint": print_,
            "status": reviewlog.status(gold is not None, saved), "segments": segments(text, start, end, marks(base)),
            "view_start": start, "tree": tree,
        }


class Pages:
    """The HTML pages: the corpus, a listing, the diff of parser against gold, and the page of a refusal."""

    def __init__(self, bench: Workbench, corpus_dir: Path) -> None:
        self.bench = bench
        self.corpus_dir = corpus_dir

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = TEMPLATES.get_template(template).render(csrf=self.bench.csrf, curator=self.bench.curator, **context)
        return HTMLResponse(html, status_code=status_code)

    def corpus(self, request: Request) -> HTMLResponse:  # a plain method: Starlette runs it in a thread
        return self.render("corpus.html", corpus=str(self.corpus_dir),
                           listings=[self._listing_row(name) for name in self.bench.corpus.names()])

    def _listing_row(self, name: str) -> dict[str, Any]:
        bench = self.bench
        try:
            files = bench.corpus.files(name)
            gold = bench.corpus.gold(files)
            saved = reviewlog.last_save(files.log, fingerprint(files.gold)) if gold else None
            parsed = bench.parsed(files)
            shown = gold if gold is not None else parsed
            return {"name": name, "status": reviewlog.status(gold is not None, saved),
                    "constraints": sum(1 for _ in shown.constraints()),
                    "f1": compare(parsed, gold).f1 if gold is not None else None, "error": None}
        except Exception as exc:  # noqa: BLE001 - one bad file is shown as such; the rest of the page stands
            LOG.warning("corpus page: %s: %s: %s", name, type(exc).__name__, exc)
            return {"name": name, "status": "unreadable", "constraints": None, "f1": None,
                    "error": str(exc) if isinstance(exc, CriteriaParserError)
                    else f"cannot be read or parsed ({type(exc).__name__})"}

    def listing(self, request: Request) -> HTMLResponse:
        return self.render("listing.html", **self.bench.page(request.path_params["name"]),
                           kinds=[k.value for k in ConstraintKind], comparators=[c.value for c in Comparator],
                           entity_types=[t.value for t in EntityType],
                           roles=[r.value for r in Role], directions=[d.value for d in TimeDirection],
                           units=sorted({u.ucum for u in self.bench.parser.grammars.units if u.forms}))

    def diff(self, request: Request) -> HTMLResponse:
        name = request.path_params["name"]
        files = self.bench.corpus.files(name)
        gold = self.bench.corpus.gold(files)
        parsed = self.bench.parsed(files)
        entries = diff(parsed, gold) if gold is not None else []
        return self.render("diff.html", name=name, gold_missing=gold is None, fingerprint=fingerprint(files.gold),
                           entries=entries, changes=sum(len(e.changes) for e in entries),
                           f1=compare(parsed, gold).f1 if gold is not None else None)

    def refuse(self, request: Request, exc: Exception) -> Response:
        """A user's mistake as a JSON error (API routes) or an error page, with the status of its kind."""
        extra = {"rows": exc.errors} if isinstance(exc, EditsInvalid) else {}
        message = "some rows are not valid; see the reasons beside the fields" if extra else str(exc)
        status = next((_STATUS[kind] for kind in type(exc).__mro__ if kind in _STATUS), 422)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message, **extra}, status_code=status)
        return self.render("error.html", status_code=status, message=message)


class Api:
    """The JSON routes: save rows, take the parser's changes into the gold file, propose a row for a span."""

    def __init__(self, bench: Workbench) -> None:
        self.bench = bench

    async def save(self, request: Request) -> JSONResponse:
        body = await _json_with_list(request, "rows", "[...]")
        return await run_in_threadpool(self._save_rows, request, body)

    def _save_rows(self, request: Request, body: dict) -> JSONResponse:
        bench = self.bench
        files = bench.corpus.files(request.path_params["name"])
        text = bench.corpus.text(files)
        base = bench.corpus.gold(files) or bench.parsed(files)
        entity_rows = body.get("entities")
        if entity_rows is not None and not isinstance(entity_rows, list):
            raise BadRequest('expected "entities": [...] beside the rows')
        listing, accepted, warnings = apply_rows(base, body["rows"], text, bench.spellings, entity_rows)
        if warnings and body.get("confirmed") is not True:
            return JSONResponse({"error": f"{len(warnings)} row(s) look like mistakes (see beside them): save again "
                                          "to save them as they are", "warnings": warnings}, status_code=409)
        entry = record_save(bench.corpus, files, base, listing, str(body.get("fingerprint", ABSENT)), bench.curator,
                            "save", accepted)
        return JSONResponse({"fingerprint": entry["gold"], "status": entry["status"],
                             "changes": len(entry["changes"]), "time": entry["time"]})

    async def take(self, request: Request) -> JSONResponse:
        body = await _json_with_list(request, "take", "[change ids]")
        return await run_in_threadpool(self._take_listed, request, body)

    def _take_listed(self, request: Request, body: dict) -> JSONResponse:
        bench = self.bench
        files = bench.corpus.files(request.path_params["name"])
        gold = bench.corpus.gold(files)
        if gold is None:
            raise Conflict("no gold file to change: save the listing first")
        try:
            new, unknown = take(bench.parsed(files), gold, {str(i) for i in body["take"]})
        except ValidationError as exc:
            raise CriteriaParserError(f"these changes together make an invalid constraint: "
                                      f"{validation_problem(exc)}") from None
        if unknown:
            raise Conflict(f"no such change(s): {', '.join(unknown)}; reload the diff")
        expected = str(body.get("fingerprint", ABSENT))
        before = reviewlog.last_save(files.log, expected) or {}
        curated = before.get("status", reviewlog.CURATED) == reviewlog.CURATED
        entry = record_save(bench.corpus, files, gold, new, expected, bench.curator, "take parser changes",
                            None if curated else [], taken=sorted(body["take"]))
        return JSONResponse({"fingerprint": entry["gold"], "changes": len(entry["changes"])})

    async def propose(self, request: Request) -> JSONResponse:
        body = await _json(request)
        try:
            start, end = int(body["start"]), int(body["end"])
        except (KeyError, TypeError, ValueError, OverflowError):
            raise BadRequest("expected {\"start\": int, \"end\": int}") from None
        files = self.bench.corpus.files(request.path_params["name"])
        text = self.bench.corpus.text(files)
        if not 0 <= start < end <= len(text):
            raise BadRequest(f"span {start}-{end} is not inside the listing")
        what = request.path_params.get("what", "constraint")
        if what not in ("constraint", "entity", "subject"):
            raise BadRequest(f"no such proposal: {what} (constraint, entity or subject)")
        proposed = await run_in_threadpool(self.bench.propose, text, start, end, what)
        return JSONResponse(proposed if what == "subject" else {"values": proposed})


def create_app(corpus_dir: Path, curator: str, token: Optional[str] = None, parser: Optional[Parser] = None,
               allowed_hosts: Optional[list[str]] = None) -> Starlette:
    """The workbench app for one corpus directory.

    Args:
        corpus_dir: the directory of listings and gold files; nothing outside it is served or written.
        curator: the name the review log records for every save.
        token: when given, every request must carry it (see :mod:`.security`).
        parser: a ready parser (one is built when omitted).
        allowed_hosts: ``Host`` headers to answer (loopback names by default: a guard against DNS rebinding).
    """
    bench = Workbench(Corpus(corpus_dir), parser or Parser(), curator, secrets.token_urlsafe(32))
    pages, api = Pages(bench, corpus_dir), Api(bench)
    routes = [
        Route("/", pages.corpus),
        Route("/listing/{name:path}", pages.listing),
        Route("/api/save/{name:path}", api.save, methods=["POST"]),
        Route("/api/propose/{name:path}", api.propose, methods=["POST"]),
        Route("/api/propose-{what:str}/{name:path}", api.propose, methods=["POST"]),
        Route("/diff/{name:path}", pages.diff),
        Route("/api/take/{name:path}", api.take, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static", packages=[("criteria_parser.export", "static")]), name="static"),
    ]
    middleware = [
        Middleware(SafeHeaders),
        Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOOPBACK_HOSTS),
        Middleware(Guard, csrf=bench.csrf, token=token),
    ]
    return Starlette(routes=routes, middleware=middleware, exception_handlers={CriteriaParserError: pages.refuse})


class BadRequest(CriteriaParserError):
    """A request the workbench cannot read: not the JSON it takes, a span outside the listing (400)."""


class TooLarge(BadRequest):
    """A request body above :data:`MAX_BODY` (413)."""


class Conflict(CriteriaParserError):
    """A request that does not fit the files as they are: no gold file yet, changes no longer there (409)."""


#: The HTTP status of each kind of refusal; any other user mistake (an invalid constraint) is 422.
_STATUS = {BadRequest: 400, TooLarge: 413, Conflict: 409, StaleGoldError: 409, UnsafePathError: 404}


async def _json(request: Request) -> Any:
    """The request's JSON body; refused when larger than :data:`MAX_BODY` or nested deeper than
    :data:`MAX_DEPTH`; None when it is not JSON."""
    body = bytearray()
    async for chunk in request.stream():  # read as it comes, so a huge body is refused before it is all here
        body += chunk
        if len(body) > MAX_BODY:
            raise TooLarge(f"request body over {MAX_BODY // 1_000_000} MB")
    try:
        data = json.loads(body)
    except ValueError:
        return None
    except RecursionError:
        raise BadRequest(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    if _depth(data) > MAX_DEPTH:
        raise BadRequest(f"JSON nested deeper than {MAX_DEPTH} levels")
    return data


def _depth(data: Any) -> int:
    """How deeply lists and objects nest in ``data`` (walked without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (list, dict)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


async def _json_with_list(request: Request, key: str, shown: str) -> dict:
    """A save's JSON body: an object with a fingerprint and a list under ``key``; refused (400) otherwise."""
    body = await _json(request)
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        raise BadRequest(f"expected {{\"fingerprint\": ..., \"{key}\": {shown}}}")
    return body
