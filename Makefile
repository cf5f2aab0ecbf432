# Two commands on a fresh machine:
#   make demo   -- creates .venv, installs, runs the main job on built-in synthetic data
#   make test   -- creates .venv, installs, runs the test suite and the docstring examples
#                  (then the Triton interpreter tests)
#   make docs   -- the documentation site in doc/_build/html (warnings are errors; runs the gallery)
# The extra `baselines` brings aeon, for the MiniRocket baseline; the package itself imports and runs
# without it.
# torch is installed first, pinned, so that `pip install -e .` never pulls an unpinned
# (CUDA, multi-GB) torch. Override for a GPU machine: make test TORCH_SPEC="torch==2.11.0"
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The documentation build has no network here: intersphinx uses only the inventories cached in
# doc/_inventories/. Online, `make docs SPHINX_OFFLINE=0` links to scikit-learn, torch, skorch, aeon.
SPHINX_OFFLINE ?= 1

.PHONY: venv demo test test-fast test-triton bench docs clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[test,plot,distributed,fast,baselines]"
	touch $(STAMP)

demo: venv
	$(BIN)/wavefront compare

test: venv
	$(BIN)/python -m pytest -q -m "not triton_interpret"
	$(MAKE) test-triton

# The Triton interpreter must be switched on before any @triton.jit runs, hence its own process.
# pytest exits 5 when it collects no test; that is not a failure here.
test-triton: venv
	TRITON_INTERPRET=1 $(BIN)/python -m pytest -q -m triton_interpret; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]

docs: venv
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	SPHINX_OFFLINE=$(SPHINX_OFFLINE) $(BIN)/python -m sphinx -W --keep-going -b html doc doc/_build/html

bench: venv
	$(BIN)/python benchmarks/comb_ops.py

clean:
	rm -rf $(VENV) build dist *.egg-info doc/_build doc/generated doc/auto_examples doc/sg_execution_times.rst
