"""The spaCy pipeline that reads one criterion: our tokenizer (:mod:`.tokenizer`), the components, one step
each, registered with ``@Language.factory`` and run in the order of :data:`.build.PIPE_NAMES` (quantities,
abbreviations, comparators, subjects, entities, constraints, context, clauses), the data types they pass on
(:mod:`.types`) and :func:`.build.build_pipeline`.

May import ``errors``, ``model``, ``grammar`` and ``document``.
"""

import sys
import types


def _info(*args, **kwargs):
    """``spacy.info``, importing spaCy's command line when first called."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


def _import_spacy_without_its_command_line() -> None:
    """Import spaCy without its command line (``spacy.cli``: weasel, httpx, requests, ... about 0.2 s of a parse's
    start-up, issue 14), which its ``__init__`` imports only to offer ``spacy.info``.

    While spaCy is imported, ``spacy.cli`` and ``spacy.cli.info`` are stand-ins whose ``info`` imports the real one
    when called; they are removed from ``sys.modules`` afterwards, so ``import spacy.cli`` still gets spaCy's.
    Nothing is done when spaCy is already imported.
    """
    if "spacy" in sys.modules:
        return
    cli = types.ModuleType("spacy.cli")
    cli.__path__ = []
    info = types.ModuleType("spacy.cli.info")
    info.info = _info
    cli.info = info
    sys.modules["spacy.cli"], sys.modules["spacy.cli.info"] = cli, info
    try:
        import spacy
    finally:
        for name, stand_in in (("spacy.cli", cli), ("spacy.cli.info", info)):
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
    if getattr(spacy, "cli", None) is cli:
        del spacy.cli


_import_spacy_without_its_command_line()
