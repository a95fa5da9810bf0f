"""The package's import rule: subpackages along the data's way, lower layers never importing higher ones.

Walks every module of ``criteria_parser`` with :mod:`ast` (imports inside functions count too) and fails on
an import from a higher layer, an import between two packages of the same layer, or a cycle between modules.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import pytest

import criteria_parser

PACKAGE = Path(criteria_parser.__file__).parent

#: Layers from the bottom: a module may import its own layer's package and any lower layer.
LAYERS = [
    {"versions"},
    {"errors", "model"},
    {"grammar"},
    {"document"},
    {"pipeline"},
    {"parser"},
    {"match"},
    {"export"},
    {"registry", "lct"},
    {"curation"},
    {"workbench"},
    {"cli"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
ROOT_MODULES = {"__init__", "model", "errors", "parser"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """Modules of criteria_parser that ``name`` imports, as dotted names relative to the package."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    if name == "":
        package = []
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.startswith("criteria_parser"):
                target = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:  # "from . import parser" names a module
                found.add(".".join([*target, alias.name]))
            found.add(".".join(target))
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".", 1)[1] for a in node.names if a.name.startswith("criteria_parser.")}
    return found


MODULES = _modules()


def _resolve(target: str) -> str | None:
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


@lru_cache(maxsize=1)
def _graph() -> dict[str, frozenset[str]]:
    graph = {}
    for name, path in MODULES.items():
        graph[name] = frozenset(t for t in map(_resolve, _imports(name, path)) if t and t != name)
    return graph


def _top(module: str) -> str:
    return module.split(".")[0] if module else "__init__"


def test_the_root_holds_only_the_model_the_errors_the_parser_and_subpackages():
    assert {p.stem for p in PACKAGE.glob("*.py")} == ROOT_MODULES
    for sub in (p for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        if sub.name != "grammars":
            assert sub.name in RANK, f"{sub.name}/ has no layer in this test"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n and _top(n) != "grammars"))
def test_no_module_imports_a_higher_layer_or_a_sibling(name):
    here = RANK[_top(name)]
    for target in _graph()[name]:
        top = _top(target)
        if top in ("", "grammars"):  # the package's version; the grammar data package
            continue
        assert RANK[top] < here or top == _top(name), (
            f"{name} imports {target}: layer {top} ({RANK[top]}) is not below {_top(name)} ({here})")


@pytest.mark.parametrize("package", sorted(p for p in RANK if (PACKAGE / p).is_dir()))
def test_every_subpackage_says_its_job_and_what_it_may_import(package):
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8"))) or ""
    assert len(doc.split()) >= 8, f"{package}/__init__.py needs a docstring saying its job"
    assert "import" in doc.lower(), f"{package}/__init__.py should say what it may import"


def test_there_is_no_import_cycle():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt == "" or _top(nxt) == "grammars":
                continue
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_the_rule_catches_an_upward_import(tmp_path):
    """The walker sees lazy and relative imports (a module of the lowest layer importing the CLI)."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from .cli.base import fail\n    from ..parser import Parser\n")
    assert _imports("model", probe) >= {"cli.base", "cli.base.fail"}
    assert "parser" in {_resolve(t) for t in _imports("match.plan", probe)}
