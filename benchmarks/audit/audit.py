"""Re-run the screening audit and report its figures (issue 11; the method is in the README, "Matching patients").

    .venv/bin/python benchmarks/audit/audit.py [--sample tune|tune2|tune3|tune4|tune5|held] [--pending FILE] [--json FILE]

Draws the records of one sample of ``audit.json`` from ../shared/ctgov, screens its patients against them and
compares every definite answer with the sample's judgements file. Prints the figures, then (samples of the tune
part only) every wrong answer and every definite answer not judged yet. ``--pending FILE`` writes the unjudged answers as judgement
lines to fill in (``expected`` and ``reason``), with the criterion text and the matcher's reasons beside them
for the judge: keep that file outside the repository, since it quotes the registry. A sample of the held part
prints its figures only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from criteria_parser.curation.audit import AuditConfig, assess, draw_sample, parse, read_judgements, screen

ROOT = Path(__file__).resolve().parents[2]
CONFIG = AuditConfig.read(Path(__file__).with_name("audit.json"))


def run(sample: str):
    """The run and report of one sample."""
    ctgov = ROOT / CONFIG.ctgov
    if not ctgov.is_dir():
        sys.exit(f"audit: {ctgov} is not there")
    records = draw_sample(ctgov, CONFIG.samples, sample)
    screened = screen(parse(records), [ROOT / p for p in CONFIG.patients])
    return screened, assess(screened, read_judgements(ROOT / CONFIG.samples[sample].judgements))


def main() -> None:
    """Print the report of one sample."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--sample", choices=tuple(CONFIG.samples), default="tune")
    options.add_argument("--pending", type=Path, help="write the unjudged answers here, to judge")
    options.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = options.parse_args()
    screened, report = run(args.sample)
    sample = CONFIG.samples[args.sample]
    print(f"{args.sample} sample: {sample.count} listings of the {sample.part} part, seed {sample.seed}")
    print("\n".join(report.lines()))
    for line in screened.disagreements:
        print(f"JSON and FHIR differ: {line}")
    if sample.part == "tune":
        for answer, judgement in report.wrong:
            print(f"WRONG {answer.nct_id} {answer.patient} {answer.section} {answer.label}: {answer.answer}, "
                  f"expected {judgement.expected} ({judgement.reason})")
        for verdict in report.wrong_verdicts:
            print(f"WRONG VERDICT {verdict.nct_id} {verdict.patient}: {verdict.status}")
        for answer in report.unjudged:
            print(f"UNJUDGED {answer.nct_id} {answer.patient} {answer.section} {answer.label}: {answer.answer}")
    if args.pending:
        with args.pending.open("w", encoding="utf-8") as out:
            for answer in report.unjudged:
                out.write(json.dumps({
                    "nct_id": answer.nct_id, "patient": answer.patient, "section": answer.section,
                    "label": answer.label, "text_sha": answer.text_sha, "answer": answer.answer,
                    "expected": None, "reason": None, "text": answer.text, "reasons": answer.reasons,
                }, ensure_ascii=False) + "\n")
    if args.json:
        figures = {k: v for k, v in vars(report).items() if isinstance(v, int)}
        args.json.write_text(json.dumps({"sample": args.sample, "part": sample.part, **figures, "unjudged": len(report.unjudged)}, indent=1)
                             + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
