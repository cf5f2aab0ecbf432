"""The README's Python example runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.rst"


def test_readme_python_example_runs():
    text = README.read_text()
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    assert len(blocks) == 1, "the README should hold exactly one Python example"
    code = "\n".join(line[4:] for line in blocks[0].splitlines())
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)
    search = namespace["search"]
    assert search.best_params_["module__n_filters"] in (16, 32)
    # four well-separated pitches: far above the 0.25 of guessing
    assert search.best_score_ > 0.5
