"""``criteria-parser eval``: score the parser against gold files, or against a brat corpus (``--brat``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..lct.split import PARTS
from .base import app, fail


@app.command("eval")
def eval_command(
    corpus: Path = typer.Argument(Path("corpora"), help="Directory of listings with '<name>.gold.json' files beside them."),
    errors: int = typer.Option(50, "--errors", help="List at most this many disagreements."),
    json_out: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
    html_out: bool = typer.Option(False, "--html", help="Print the scores as a self-contained HTML page."),
    brat: Optional[Path] = typer.Option(None, "--brat", help="Score against a brat corpus (Leaf Clinical Trials or Chia) instead."),
    parts: list[str] = typer.Option(["all"], "--part", help="With --brat: tune, held or all (default); give "
                                    "--part tune --part held for both parts side by side."),
    clause_cases: Path = typer.Option(Path("tests/cases/clauses.jsonl"), "--clause-cases", help="With --brat: "
                                      "condition, permission and exception cases to score the clauses on (when "
                                      "the file is there)."),
) -> None:
    """Compare parser output with every gold file of a corpus: precision, recall, F1 per field."""
    from ..curation.scoring import score_gold_corpus, render_report

    if brat is not None:
        if not parts or any(p not in PARTS for p in parts):
            fail(f"--part takes {', '.join(PARTS)}")
        text, data = _brat_scores(brat, list(dict.fromkeys(parts)), errors, clause_cases)
        typer.echo(json.dumps(data, indent=2) if json_out else text)
        return
    report = score_gold_corpus(corpus)
    if json_out:
        typer.echo(report.model_dump_json(indent=2))
    elif html_out:
        from ..curation.reports import eval_page

        typer.echo(eval_page(report))
    else:
        typer.echo(render_report(report, errors))


def _brat_scores(corpus: Path, parts: list[str], errors: int, clause_cases: Path) -> tuple[str, dict]:
    """Comparison and subject scores per part, then one table of entity scores with a column group per part, then
    the assertion and the "or" vs "and" scores of the tune and the held part, then the clause cases' scores."""
    from ..grammar.clause_logic import clause_reader
    from ..grammar.loader import load_grammars
    from ..lct.assertions import render_assertions, score_assertions
    from ..lct.clause_scores import read_cases, render_clauses, render_logic, score_clauses, score_logic
    from ..lct.entities import corpus_scheme
    from ..lct.entity_scorer import entity_pipeline, entity_summary, score_entities, render_entities
    from ..lct.scorer import render, summary
    from ..lct.split import is_held_back
    from ..lct.subject_scorer import SubjectEvaluator, render_subjects, subject_summary

    out: list[str] = []
    data: dict = {"comparisons": {}, "subjects": {}}
    evaluator = SubjectEvaluator()
    for part in parts:
        report, subjects = evaluator.score_tuples_and_subjects(corpus, part)  # type: ignore[arg-type]
        held = [d for d in report.disagreements if is_held_back(d.document)]
        report.disagreements = [d for d in report.disagreements if not is_held_back(d.document)]
        subjects.misses = [m for m in subjects.misses if not is_held_back(m[0])]
        out += ([f"== comparisons, {part} part"] if parts != ["all"] else []) + [render(report, errors)]
        if held and errors:
            out.append(f"({len(held)} disagreements in held-back documents are not listed: tune on the tune part)")
        out += ["", render_subjects(subjects, errors), ""]
        data["comparisons"][part] = summary(report)
        data["subjects"][part] = subject_summary(subjects)
    scheme = corpus_scheme(corpus)
    nlp = entity_pipeline(style=scheme)
    entities = score_entities(corpus, nlp, parts[0] if len(parts) == 1 else "all")  # type: ignore[arg-type]
    out += [f"== entities ({scheme} style; exact and overlap P/R/F1 per type)", render_entities(entities, parts)]
    data["entities"] = entity_summary(entities, parts)
    data["assertions"] = score_assertions(corpus)
    out += ["", render_assertions(data["assertions"])]
    data["logic"] = score_logic(corpus)
    out += ["", render_logic(data["logic"])]
    if clause_cases.is_file():
        data["clauses"] = score_clauses(read_cases(clause_cases), clause_reader(load_grammars()))
        out += ["", render_clauses(data["clauses"], str(clause_cases))]
    return "\n".join(out), data
