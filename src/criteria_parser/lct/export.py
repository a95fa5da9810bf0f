"""``criteria-parser export --format brat``: write our extractions as brat standoff in the LCT scheme.

For each listing, ``<out>/<name>.txt`` (the decoded text, UTF-8, so brat's
offsets are ours) and ``<out>/<name>.ann`` (:func:`criteria_parser.lct.brat.listing_ann`),
plus an ``annotation.conf`` declaring the LCT types used (and ``Device``, which
LCT lacks), so that curators can open the directory in brat and correct the
comparisons, the entities and which entity each comparison limits there; negated and hypothetical entities
get LCT's ``Negation`` and ``Assertion`` events on their cue, and the alternatives of a criterion's logic tree
``Or`` relations. All
listings are parsed before anything is written; a failure writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..document.atomic import write_atomic
from .brat import comparator_spans, listing_ann
from ..document.source import listing_paths, read_source
from ..errors import InputError

#: The part of LCT's annotation.conf our export uses (brat refuses types it is not told about).
ANNOTATION_CONF = """[entities]
Eq-Operator
Eq-Value
Eq-Unit
Eq-Temporal-Unit
Condition-Name
Drug-Name
Procedure-Name
Observation-Name
Device-Name
Life-Stage-And-Gender
Negation
Assertion

[relations]
Or\tArg1:<ANY>, Arg2:<ANY>

[events]
Eq-Comparison\tValue*:Eq-Value, Unit*:Eq-Unit, Temporal-Unit*:Eq-Temporal-Unit, Operator*:Eq-Operator
Condition\tName:Condition-Name, Numeric-Filter*:Eq-Comparison, Temporality*:Eq-Comparison
Drug\tName:Drug-Name, Numeric-Filter*:Eq-Comparison, Temporality*:Eq-Comparison, Dose*:Eq-Comparison
Procedure\tName:Procedure-Name, Numeric-Filter*:Eq-Comparison, Temporality*:Eq-Comparison, Dose*:Eq-Comparison
Observation\tName:Observation-Name, Numeric-Filter*:Eq-Comparison, Temporality*:Eq-Comparison, Dose*:Eq-Comparison
Device\tName:Device-Name, Numeric-Filter*:Eq-Comparison, Temporality*:Eq-Comparison
Age\tNumeric-Filter*:Eq-Comparison, Temporality*:Eq-Comparison
Negation\tNegates+:<ENTITY>
Assertion\tAsserted+:<ENTITY>

[attributes]
Eq-Operator-Value\tArg:Eq-Operator, Value:EQ|LT|LTEQ|GT|GTEQ|BETWEEN|PLUS-MINUS
Eq-Temporal-Unit-Value\tArg:Eq-Temporal-Unit, Value:second|minute|hour|day|week|month|year
Assertion-Type-Value\tArg:Assertion, Value:hypothetical
"""


def export_brat(paths: list[Path], out: Path, assume_inclusion: bool = False,
                grammars: Optional[Path] = None) -> list[Path]:
    """Parse ``paths`` and write their brat files into ``out``; returns the ``.ann`` files written.

    Raises:
        CriteriaParserError: an input is unreadable or not a listing, or two inputs share a name.
    """
    from ..parser import Parser

    parser = Parser(grammars)
    cues = comparator_spans(parser.grammars)
    files: dict[str, tuple[str, str]] = {}
    for path in listing_paths(paths):
        source = read_source(path)
        listing = parser.parse_source(source, assume_inclusion)
        if path.stem in files:
            raise InputError(str(path), f"another input is also named '{path.stem}'; brat needs one name per document")
        files[path.stem] = (source.text, listing_ann(listing, source.text, cues))
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for stem, (text, ann) in files.items():
            write_atomic(out / f"{stem}.txt", text)
            write_atomic(out / f"{stem}.ann", ann)
            written.append(out / f"{stem}.ann")
        write_atomic(out / "annotation.conf", ANNOTATION_CONF)
    except OSError as exc:
        raise InputError(str(out), f"cannot write: {exc.strerror}") from None
    return written
