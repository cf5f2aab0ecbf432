"""The package's import graph: no cycle, nothing imports the command layer, and a fast start.

Edges are every ``import`` of a package module by another, at module level or inside a function
(a lazy import is still a dependency), read from the source with :mod:`ast`; a package's
``__init__`` counts as its own node. The command layer (``sklearn_wavefront.cli``) is the top floor:
no library module may import it.
"""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_wavefront"
NAME = "sklearn_wavefront"


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(current, is_package, node):
    """Absolute names a ``from ... import`` or ``import`` statement of module ``current`` refers to."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith(NAME)]
    base = current.split(".") if is_package else current.split(".")[:-1]
    if node.level:
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    if not prefix.startswith(NAME):
        return []
    # "from . import x" may import the submodule x
    return [prefix] + [f"{prefix}.{a.name}" for a in node.names]


def import_graph():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _resolve(name, path.name == "__init__.py", node):
                    if target in modules and target != name:
                        graph[name].add(target)
    return graph


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _without_package_inits(graph):
    """Edges into a package's ``__init__`` that only re-exports are how Python imports a submodule
    (``from .datasets import x`` runs ``datasets/__init__``): keep them, but drop the edge from a
    package's ``__init__`` to its own submodules, which is re-export, not dependency."""
    return {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}


def test_the_graph_reader_sees_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_reader_reads_relative_and_lazy_imports():
    graph = import_graph()
    assert f"{NAME}.recipes" in graph[f"{NAME}.comparison"]  # module level, relative
    assert f"{NAME}.comparison" in graph[f"{NAME}.cli.compare"]  # inside a function, two dots up


def test_the_graph_reader_sees_lazy_imports_in_a_package_init():
    graph = import_graph()
    # iir.py imports the comb kernels at module level; ops/__init__.py imports _triton_comb inside a function
    assert f"{NAME}.ops._comb_torch" in graph[f"{NAME}.ops.iir"]
    assert f"{NAME}.ops._triton_comb" in graph[f"{NAME}.ops"]


def test_the_triton_backend_and_the_custom_operators_do_not_import_each_other():
    # ops/_triton_comb.py sits below ops/comb.py: it reads the torch kernels from ops/_comb_torch.py,
    # and ops/__init__.py registers it
    graph = import_graph()
    assert f"{NAME}.ops.comb" not in graph[f"{NAME}.ops._triton_comb"]
    assert f"{NAME}.ops._triton_comb" not in graph[f"{NAME}.ops.comb"]


def test_no_import_cycle():
    assert _cycles(_without_package_inits(import_graph())) == []


def test_no_library_module_imports_the_command_layer():
    graph = import_graph()
    upward = sorted((m, t) for m, ts in graph.items() for t in ts
                    if t.startswith(f"{NAME}.cli") and not m.startswith(f"{NAME}.cli") and m != f"{NAME}.__main__")
    assert upward == []


def test_the_command_parser_imports_neither_torch_nor_scikit_learn():
    code = ("import sys; from sklearn_wavefront.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('torch', 'sklearn', 'skorch', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
