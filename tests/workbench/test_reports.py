"""``parse --format html`` and ``eval --html``: self-contained pages, listing text escaped, no script."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from criteria_parser.cli import app
from criteria_parser.curation.scoring import CONSTRAINT_FIELDS

from .conftest import NAME

runner = CliRunner()


def test_parse_html_highlights_and_labels_every_constraint(corpus: Path, parser, tmp_path: Path):
    out = tmp_path / "listing.html"
    result = runner.invoke(app, ["parse", str(corpus / NAME), "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    listing = parser.parse_file(corpus / NAME)
    assert page.count('<span class="tag k-') == 2 * sum(1 for _ in listing.constraints())  # in text and in table
    assert "threshold · total bilirubin &lt;= 51 umol/L" in page
    assert '<span class="seg hl k-relative_limit val">3</span>' in page
    assert "<script" not in page and "/static/" not in page and "default-src 'none'" in page


def test_parse_html_escapes_markup(tmp_path: Path):
    hostile = tmp_path / "hostile.txt"
    hostile.write_text("Inclusion Criteria:\n1. <script>alert(1)</script> creatinine <= 1.5 mg/dL\n")
    result = runner.invoke(app, ["parse", str(hostile), "--format", "html"])
    assert result.exit_code == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in result.output and "<script>" not in result.output


def test_eval_html_shows_bars_and_each_disagreement_in_its_text(corpus: Path, parser):
    gold = parser.parse_file(corpus / NAME)
    for _, _, constraint in gold.constraints():
        if constraint.subject == "total bilirubin":
            constraint.unit = "mol/L"
    (corpus / NAME.replace(".txt", ".gold.json")).write_text(gold.model_dump_json())
    result = runner.invoke(app, ["eval", str(corpus), "--html"])
    assert result.exit_code == 0, result.output
    page = result.output
    fields = len(CONSTRAINT_FIELDS) + 3  # and entities, structure, trial
    assert page.count("<meter") == 3 * fields + 1  # precision, recall, F1 a field; F1 of the listing
    assert "<b>unit</b>: gold <code>mol/L</code>, parser <code>umol/L</code>" in page
    assert '<span class="seg hl k-threshold val">Total bilirubin ≤51 (mol/L)</span>' in page
    assert "<script" not in page


def test_issue_16_eval_html_shows_a_false_positive_once_with_every_field(corpus: Path, parser):
    """A constraint the gold lacks differs in every field it fills; the page showed its text once per field."""
    gold = parser.parse_file(corpus / NAME)
    for _, criterion, constraint in gold.constraints():
        if constraint.subject == "total bilirubin":
            criterion.constraints.remove(constraint)
            break
    (corpus / NAME.replace(".txt", ".gold.json")).write_text(gold.model_dump_json())
    page = runner.invoke(app, ["eval", str(corpus), "--html"]).output
    context = '<span class="seg hl k-threshold val">Total bilirubin ≤51 (mol/L)</span>'
    assert page.count(context) == 1
    block = page[page.rindex('<div class="disagreement">', 0, page.index(context)):page.index(context)]
    for field in ("kind", "subject", "comparator", "value", "unit", "span"):
        assert f"<b>{field}</b>: gold <code>–</code>, parser <code>" in block
    assert "parser <code>total bilirubin</code>" in block
