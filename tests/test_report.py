"""report.html: one self-contained file that holds every row of the table and every image it names,
parses cleanly, and renders in a real browser."""

import base64
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from sklearn_wavefront import compare
from sklearn_wavefront.cli import main

pytest.importorskip("matplotlib")

VOID = {"meta", "img", "br", "hr", "link", "input"}


class _Checker(HTMLParser):
    """Tags closed in the order they were opened; images, table cells and links collected."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.images, self.rows, self.urls = [], [], [], [], []
        self._row = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "img":
            self.images.append((attrs.get("src", ""), attrs.get("alt", "")))
        if tag == "tr":
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._row.append("")
        for key in ("src", "href"):
            if key in attrs:
                self.urls.append(attrs[key])

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag == "tr":
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._row is not None and self.stack and self.stack[-1] in ("td", "th"):
            self._row[-1] += data.strip()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = compare(n_recordings=24, n_classes=2, folds=2, models="dummy,mfcc+logreg,comb,mel",
                     kinds="baseline,fixed,learned", rows="comb:end-to-end", epochs=1, n_filters=4,
                     output_dir=out, progress=False)
    return result, out / "report.html"


def test_the_report_holds_every_row_and_every_image_it_names(report):
    result, path = report
    text = path.read_text(encoding="utf-8")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    header, *rows = checker.rows
    assert header[:2] == ["model", "kind"] and "verdict" in header
    assert [(r[0], r[1]) for r in rows] == [(e["model"], e["kind"]) for e in result.summary]
    verdicts = [r[header.index("verdict")] for r in rows]
    assert verdicts == [e["verdict"] or "" for e in result.summary]
    # every image is inline, a real PNG; nothing is fetched from anywhere
    assert all(not u.startswith(("http:", "https:", "//", "file:")) for u in checker.urls)
    alts = [alt for _, alt in checker.images]
    for src, _ in checker.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert alts[0] == "UA per fold and row"
    assert sum(a.startswith("confusion matrix of ") for a in alts) == 2
    for kind in ("learned", "end-to-end"):  # comb learns: its filters before and after
        assert f"comb {kind} filters before training" in alts and f"comb {kind} filters after training" in alts
    assert not any(a.startswith("mel ") for a in alts)  # mel has nothing to learn
    assert result.settings["command"] in text or "sklearn_wavefront.compare" in text
    assert "Nadeau &amp; Bengio" in text


def test_no_report_when_asked_and_tables_without_matplotlib(tmp_path, capsys, monkeypatch):
    code = main(["compare", "--n-recordings", "16", "--n-classes", "2", "--folds", "2", "--models", "dummy",
                 "--kinds", "baseline", "--no-report", "--quiet", "--output-dir", str(tmp_path / "a")])
    assert code == 0 and not (tmp_path / "a" / "report.html").exists()
    assert "report:" not in capsys.readouterr().out
    from sklearn_wavefront import report

    monkeypatch.setattr(report, "_pyplot", lambda: None)
    result = compare(n_recordings=16, n_classes=2, folds=2, models="dummy,mel", kinds="baseline,fixed",
                     output_dir=tmp_path / "b", progress=False)
    text = (tmp_path / "b" / "report.html").read_text()
    assert "matplotlib is not installed" in text and "<img" not in text
    assert all(f"<td>{e['model']}</td>" in text for e in result.summary)


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="no headless browser here (apt-get install chromium)")
def test_the_report_renders_in_a_real_browser(report, tmp_path):
    result, path = report
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"]
    dom = subprocess.run([*base, "--dump-dom", path.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert dom.count("<tr") == 1 + len(result.summary)
    assert len(re.findall(r"<img [^>]*src=\"data:image/png", dom)) == path.read_text().count("<img ")
    shot = tmp_path / "shot.png"
    subprocess.run([*base, f"--screenshot={shot}", "--window-size=1200,1600", path.as_uri()], capture_output=True,
                   timeout=120)
    assert shot.stat().st_size > 10_000
    assert os.path.getsize(path) < 5_000_000  # one file, a few figures: not a dump
