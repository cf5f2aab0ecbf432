"""The package's modules import in one direction (issue 19, goal 3): no import cycle.

The graph is read from the source with ``ast``: every ``import`` and ``from ... import`` of a module
of the package, at module level or inside a function (a lazy import still ties the two modules).
"""

from __future__ import annotations

import ast
import pathlib

import sklearn_wavefront

ROOT = pathlib.Path(sklearn_wavefront.__file__).parent
PKG = "sklearn_wavefront"
# The command layer's cycle, removed by its restructuring (issue 19, goal 3); nothing else may join it.
KNOWN = [{"sklearn_wavefront.cli", "sklearn_wavefront._cli_model"}]


def _modules():
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _edges(modules):
    edges = {m: set() for m in modules}
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                if node.level:
                    base = base[: len(base) - (node.level - 1)] + ([node.module] if node.module else [])
                else:
                    base = [node.module]
                base = ".".join(base)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges[name].add(target)
    return edges


def _cycles(edges):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_lazy_imports():
    edges = _edges(_modules())
    # iir.py imports the comb kernels at module level; ops/__init__.py imports _triton_comb inside a function
    assert "sklearn_wavefront.ops._comb_torch" in edges["sklearn_wavefront.ops.iir"]
    assert "sklearn_wavefront.ops._triton_comb" in edges["sklearn_wavefront.ops"]


def test_no_import_cycle():
    cycles = [c for c in _cycles(_edges(_modules())) if c not in KNOWN]
    assert not cycles, f"import cycles: {[sorted(c) for c in cycles]}"


def test_the_triton_backend_does_not_import_the_custom_operators():
    """ops/_triton_comb.py sits below ops/comb.py: it reads the torch kernels from ops/_comb_torch.py,
    and ops/__init__.py registers it."""
    edges = _edges(_modules())
    assert "sklearn_wavefront.ops.comb" not in edges["sklearn_wavefront.ops._triton_comb"]
    assert "sklearn_wavefront.ops._triton_comb" not in edges["sklearn_wavefront.ops.comb"]
