"""The package's import graph: no cycle, and the layers point one way (issue 13).

The graph is read from the source (every ``import`` statement, function-level ones included, since
a cycle hidden in a function is still a cycle) and every module is then imported in a fresh
interpreter, so a module that only imports in some order is caught too. Edges: ``import a.b`` and
``from a.b import c`` point at ``a.b.c`` when that is a module, else at ``a.b``; a package's
``__init__`` is the package node. Importing a submodule also runs its parents' ``__init__``; those
implicit edges are left out, as import-linter and pydeps do, or every package would be a cycle.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("collectors", "monitor", "tailwatch")


def module_files() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Edges from each module to the project's modules it imports (at any depth of its code)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [
                    f"{node.module}.{alias.name}"
                    if f"{node.module}.{alias.name}" in modules
                    else node.module
                    for alias in node.names
                ]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    assert cycles(import_graph(module_files())) == []


def test_collectors_never_import_monitor_or_the_facade() -> None:
    graph = import_graph(module_files())
    upward = sorted(
        (source, target)
        for source, targets in graph.items()
        if source.startswith("collectors")
        for target in targets
        if target.startswith(("monitor", "tailwatch"))
    )
    assert upward == []


def facade_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(module, target) pairs where a module of ``monitor`` imports the ``tailwatch`` facade."""
    return sorted(
        (source, target)
        for source, targets in graph.items()
        if source.split(".")[0] == "monitor"
        for target in targets
        if target.split(".")[0] == "tailwatch"
    )


def test_the_facade_check_finds_a_planted_import() -> None:
    graph = {"monitor.commands.check": {"tailwatch", "monitor.measure"}, "tailwatch": {"monitor"}}
    assert facade_imports(graph) == [("monitor.commands.check", "tailwatch")]


def test_monitor_never_imports_the_facade() -> None:
    """Issue 21: the service sits under the notebook facade; ``tailwatch check`` measures
    through ``monitor.measure``, never through ``tailwatch``."""
    assert facade_imports(import_graph(module_files())) == []


def test_every_module_imports_in_a_fresh_interpreter() -> None:
    """One fresh interpreter imports every module, the deepest first: a module that cannot be
    imported fails here; one that imports only after another is a cycle, which the graph test
    finds (one interpreter per module would cost a minute of CI)."""
    names = sorted(module_files(), key=lambda name: (-name.count("."), name))
    script = f"import importlib\nfor name in {names!r}:\n    importlib.import_module(name)\n"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]


def dotted_references(text: str) -> set[str]:
    """Dotted names of the project quoted in text: ``:mod:`a.b```, ``:func:`a.b.c``` or
    ```a.b.c``` (reStructuredText roles and literals), rooted at ``collectors`` or ``monitor``
    (``tailwatch.*`` names are also entry-point groups and file names, not modules)."""
    pattern = re.compile(r"`~?((?:collectors|monitor)(?:\.\w+)+)`")
    return set(pattern.findall(text))


def resolves(name: str, modules: dict[str, Path]) -> bool:
    """True when ``name`` is a module, or an attribute of one (found in its source)."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if module in modules:
            rest = parts[cut:]
            if not rest:
                return True
            source = modules[module].read_text(encoding="utf-8")
            return re.search(rf"\b{re.escape(rest[0])}\b", source) is not None
    return False


def test_the_reference_finder_tells_real_names_from_stale_ones() -> None:
    modules = module_files()
    text = (
        "see :mod:`monitor.checks`, ``monitor.checks.evaluate_checks`` and :mod:`monitor.pending`"
    )
    found = dotted_references(text)
    assert found == {"monitor.checks", "monitor.checks.evaluate_checks", "monitor.pending"}
    assert [name for name in sorted(found) if not resolves(name, modules)] == ["monitor.pending"]


def test_docs_and_docstrings_name_modules_that_exist() -> None:
    modules = module_files()
    texts = {str(path.relative_to(REPO)): path for path in modules.values()}
    texts.update({name: REPO / name for name in ("README.md", "benchmarks/README.md")})
    stale = sorted(
        (where, name)
        for where, path in texts.items()
        for name in dotted_references(path.read_text(encoding="utf-8"))
        if not resolves(name, modules)
    )
    assert stale == []


def test_the_collectors_door_loads_its_names_on_first_use() -> None:
    """Importing one subpackage (a Ray worker's corpus scan) does not load the generator's
    gates; every name the door lists still resolves."""
    script = (
        "import sys, collectors.corpus\n"
        "assert 'collectors.generator' not in sys.modules, 'generator loaded eagerly'\n"
        "import collectors\n"
        "missing = [n for n in collectors.__all__ if getattr(collectors, n, None) is None]\n"
        "assert not missing, missing\n"
        "assert set(collectors.__all__) <= set(dir(collectors))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
