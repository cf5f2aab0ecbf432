"""Packaging: what pip installs on each platform, what the sdist carries, licence and citation."""

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import sklearn_wavefront

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def _active(requirement_text, system, extra):
    from packaging.requirements import Requirement

    req = Requirement(requirement_text)
    sys_platform = {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}[system]
    env = {"platform_system": system, "sys_platform": sys_platform, "os_name": "nt" if system == "Windows" else "posix",
           "extra": extra}
    return req.name, req.marker is None or req.marker.evaluate(env)


@pytest.mark.parametrize("system", ["Linux", "Darwin", "Windows"])
def test_triton_is_required_only_on_linux(system):
    # triton publishes wheels for Linux only: an unconditional pin made `pip install .[test,plot]`
    # fail on macOS and Windows
    extras = PROJECT["optional-dependencies"]
    seen = 0
    for extra, requirements in extras.items():
        for text in requirements:
            name, active = _active(text, system, extra)
            if name == "triton":
                seen += 1
                assert active == (system == "Linux"), (extra, text)
            else:
                assert active, f"{text!r} of the {extra!r} extra would not install on {system}"
    assert seen >= 1


def test_every_extra_the_makefile_installs_exists():
    makefile = (ROOT / "Makefile").read_text()
    extras = set(PROJECT["optional-dependencies"])
    for line in makefile.splitlines():
        if "pip install" in line and '-e ".[' in line:
            wanted = line.split('-e ".[', 1)[1].split("]", 1)[0].split(",")
            assert set(wanted) <= extras, line
    assert "distributed" in makefile  # the Dask test runs in CI


def test_license_file_is_the_declared_licence():
    assert PROJECT["license"] == "BSD-3-Clause"
    assert "LICENSE" in PROJECT["license-files"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License")
    assert "Copyright (c) 2026, the sklearn_wavefront developers" in text
    assert "Neither the name of the copyright holder" in text  # the third clause


def test_version_is_the_same_everywhere():
    version = sklearn_wavefront.__version__
    assert PROJECT["version"] == version
    assert f"## {version}" in (ROOT / "CHANGELOG.md").read_text()
    assert f"version: {version}" in (ROOT / "CITATION.cff").read_text()


def test_citation_file_cites_the_three_papers_and_sincnet():
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert cff["license"] == PROJECT["license"]
    ids = {i["value"] for ref in cff["references"] for i in ref.get("identifiers", [])}
    assert ids == {"arXiv:2507.21202", "arXiv:2405.01815", "arXiv:2211.09352", "arXiv:1808.00158"}
    titles = {ref["title"] for ref in cff["references"]}
    assert "Combolutional Neural Networks" in titles
    assert "Speaker Recognition from Raw Waveform with SincNet" in titles
    for ref in cff["references"]:
        assert ref["authors"] and ref["year"] and ref["url"].startswith("https://arxiv.org/abs/")


def test_sdist_carries_docs_examples_tests_and_benchmarks(tmp_path):
    pytest.importorskip("setuptools")
    code = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    name = out.stdout.strip().splitlines()[-1]
    with tarfile.open(tmp_path / name) as tar:
        members = {m.split("/", 1)[1] for m in tar.getnames() if "/" in m}
    for path in ["LICENSE", "CHANGELOG.md", "CITATION.cff", "README.rst", "Makefile", "pyproject.toml",
                 "doc/conf.py", "doc/index.rst", "doc/api.rst", "doc/user_guide/scaling_out.rst",
                 "examples/GALLERY_HEADER.rst", "tests/test_distributed.py", "tests/conftest.py",
                 "benchmarks/comb_ops.py", "sklearn_wavefront/__init__.py"]:
        assert path in members, path
    examples = {p.name for p in (ROOT / "examples").glob("*.py")}
    assert examples and examples <= {Path(m).name for m in members if m.startswith("examples/")}
    # build outputs stay out
    assert not [m for m in members if m.startswith(("doc/_build", "doc/generated", "doc/auto_examples"))]
    assert not [m for m in members if "__pycache__" in m or m.endswith(".pyc")]


def test_every_example_is_in_the_gallery():
    # sphinx-gallery executes the files that match plot_*.py (doc/conf.py): any other name would
    # be shipped but never run by `make docs`
    names = [p.name for p in (ROOT / "examples").glob("*.py")]
    assert names and all(n.startswith("plot_") for n in names), names
