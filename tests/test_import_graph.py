"""The layering of DESIGN.md, read from the source with ast: no import circle among the product's
modules, `pipeline/` imports none of the other packages, `storage/` imports none of
notifications/crawler/policywatch, and nothing in the product imports `tests`.

Every import statement counts: at module level, inside functions, and under `if TYPE_CHECKING:`.
A function-level import is how a circle hides, and a type-only one still ties the two modules
together. A package's `__init__` importing its own submodules is an edge like any other; an
import of `a.b.c` is not counted as an import of `a` and `a.b` (Python runs their `__init__`s,
but every submodule would then be in a circle with its package).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("policywatch", "crawler", "storage", "pipeline", "notifications")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """{module: the modules of the product (and `tests`) it imports}, one edge per import."""
    files = {_module_name(p, root): p for pkg in PACKAGES for p in (root / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, path.name == "__init__.py", node)
                # `from pkg import mod` imports the submodule when there is one
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "tests":
                    targets.add(name)
                elif top in PACKAGES:
                    # the module itself, or the nearest enclosing one that exists
                    while name and name not in files:
                        name = name.rpartition(".")[0]
                    if name and name != module:
                        targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


def test_graph_sees_known_edges():
    """The reader finds imports that are known to be there, so an empty answer means something."""
    g = import_graph()
    assert "pipeline.normalize" in g["policywatch.commands.demo"]
    assert "storage.db" in g["policywatch.commands.crawl"] or any(
        t.startswith("storage") for t in g["policywatch.commands.crawl"]
    )
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle():
    found = [" <-> ".join(c) for c in cycles(import_graph())]
    assert not found, found


def test_pipeline_imports_only_itself():
    bad = [f"{m} -> {t}" for m, ts in import_graph().items() if _top(m) == "pipeline" for t in ts if _top(t) != "pipeline"]
    assert not bad, bad


def test_storage_imports_no_orchestration():
    bad = [
        f"{m} -> {t}"
        for m, ts in import_graph().items()
        if _top(m) == "storage"
        for t in ts
        if _top(t) in ("notifications", "crawler", "policywatch", "tests")
    ]
    assert not bad, bad


def test_product_imports_no_tests():
    bad = [f"{m} -> {t}" for m, ts in import_graph().items() for t in ts if _top(t) == "tests"]
    assert not bad, bad


def test_product_reads_no_files_from_tests():
    """No path into the test tree either (a `"tests"` path segment, a sys.path entry)."""
    bad = []
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                text = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
                if text == "tests" or text.startswith(("tests/", "tests.")):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text!r}")
    assert not bad, bad
