"""The README's Python examples run as written, in order, in one namespace."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.rst"


def test_readme_python_examples_run(tmp_path, monkeypatch):
    text = README.read_text()
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    assert len(blocks) == 2, "the README should hold two Python examples: estimators, then compare()"
    monkeypatch.chdir(tmp_path)  # the second writes wavefront-output/
    namespace = {}
    for block in blocks:
        code = "\n".join(line[4:] for line in block.splitlines())
        exec(compile(code, str(README), "exec"), namespace)
    search = namespace["search"]
    assert search.best_params_["module__n_filters"] in (16, 32)
    # four well-separated pitches: far above the 0.25 of guessing
    assert search.best_score_ > 0.5
    from sklearn_wavefront.auto import candidate_name

    auto = namespace["auto"]  # the recipe search: it chose one of its candidates, scored on inner splits
    assert auto.choice_["name"] in [candidate_name(p) for p in auto.cv_results_["params"]]
    assert 0.5 < auto.choice_["inner_ua"] <= 1
    result = namespace["result"]
    assert [tuple(r) for r in result.table[["model", "kind"]].to_numpy()] == [
        ("dummy", "baseline"), ("mfcc+logreg", "baseline"), ("comb", "fixed"), ("comb", "temporal"),
        ("mel", "fixed"), ("mel", "temporal")]
    assert len(result.fold_scores) == 6 * 3
    assert (tmp_path / "wavefront-output" / "results.json").is_file()
