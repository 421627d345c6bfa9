"""The static HTML report: what it shows, that it loads nothing, the report command, and the page in headless Chromium.

Chromium is Debian's package (.ci/run installs it), driven through Playwright's Python API with
executable_path, so Playwright never downloads a browser of its own.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_samples import GONE, conformance_report, run_report

from harness import html_report, project
from harness.report import json_data

CHROMIUM = shutil.which("chromium")
# Chromium as root on a machine without network: no sandbox, no GPU, nothing fetched in the background.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGETS = ("alpha", "beta", "gamma", "delta")


class Resources(HTMLParser):
    """Every tag, and every address the page would load (src=, <link href=>)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.loaded: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if values.get("src"):
            self.loaded.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            self.loaded.append(values["href"] or "")


def full_page(tmp_path: Path) -> tuple[Path, str]:
    """The page of a fuzzing run, a conformance run and the project's learned models, written in tmp_path."""
    report = run_report(tmp_path)
    conformance = conformance_report()
    destination = tmp_path / "report" / "report.html"
    text = html_report.page(
        destination,
        fuzzing=json_data(report.to_dict()),
        conformance=json_data(conformance.to_dict()),
        models=html_report.models_in(project.current().models),
    )
    destination.parent.mkdir(parents=True)
    destination.write_text(text)
    return destination, text


def test_the_page_loads_nothing_and_runs_no_script(tmp_path):
    _, text = full_page(tmp_path)
    parser = Resources()
    parser.feed(text)
    assert "script" not in parser.tags
    assert parser.loaded and all(address.startswith("data:") for address in parser.loaded)


def test_every_target_has_a_row_and_a_plot_or_says_it_has_no_samples(tmp_path):
    _, text = full_page(tmp_path)
    for name in TARGETS:
        assert f'<tr data-target="{name}">' in text and f'<section class="target" id="target-{name}"' in text
    cards = {name: text.split(f'id="target-{name}"')[1].split("</section>")[0] for name in TARGETS}
    assert cards["alpha"].count('<svg class="plot"') == 2  # coverage and corpus size
    assert "coverage: not measured by hypothesis" in cards["beta"] and cards["beta"].count("<svg") == 1
    assert "no samples: replay recorded none" in cards["gamma"]
    assert "no samples: no engine ran it" in cards["delta"] and "could not run: atheris" in cards["delta"]


def test_a_plot_draws_every_sample_it_has():
    svg = html_report.plot("coverage (edges)", [("atheris", [(1.0, 40), (2.0, 55)])], "alpha: coverage")
    [line] = [part for part in svg.split("<polyline") if 'stroke-width="2"' in part]
    assert len(line.split('points="')[1].split('"')[0].split()) == 2
    assert "atheris: 55" in svg and "<title>alpha: coverage</title>" in svg


def test_bugs_new_known_and_fixed_upstream(tmp_path):
    destination, text = full_page(tmp_path)
    bugs = text.split('id="bugs"')[1].split('id="targets"')[0]
    assert bugs.count('<span class="badge NEW">') == 1 and bugs.count('<span class="badge known">') == 1
    assert bugs.count("fixed upstream</span>") == 1 and GONE in bugs
    # The reproducer is linked relative to the page, so the page works wherever the folder is copied.
    assert 'href="../hang/reproducer"' in bugs


def test_conformance_is_grouped_by_document_and_section(tmp_path):
    _, text = full_page(tmp_path)
    conformance = text.split('id="conformance"')[1].split('id="models"')[0]
    headings = [part.split("</h3>")[0] for part in conformance.split("<h3>")[1:]]
    assert headings == ["RFC 3711 (2 requirements)", "RFC 5764 (1 requirement)", "W3C webrtc-pc (1 requirement)"]
    assert 'href="https://www.rfc-editor.org/rfc/rfc3711.html#section-3.3.2">§3.3.2' in conformance
    for verdict in ("PASS", "FAIL", "XPASS", "SKIP"):
        assert f'<span class="badge {verdict}">{verdict}</span>' in conformance


def test_the_report_command_bundles_a_work_folder_and_refuses_one_with_nothing(tmp_path):
    report = run_report(tmp_path)
    workdir = tmp_path / "work"
    report.write(workdir / "report")
    conformance_report().write(workdir / "conformance")
    command = [sys.executable, "-m", "harness", "report", "--workdir", str(workdir)]
    done = subprocess.run(command + ["--models", str(tmp_path / "none")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "fuzzing report of 4 target(s), conformance report of 4 requirement(s)" in done.stdout
    page = (workdir / "report" / "report.html").read_text()
    assert 'id="conformance"' in page and 'id="targets"' in page
    (workdir / "report" / "report.json").write_text("{")
    broken = subprocess.run(command, capture_output=True, text=True)
    empty = subprocess.run(
        command[:-1] + [str(tmp_path / "empty"), "--models", str(tmp_path)], capture_output=True, text=True
    )
    assert "cannot be read" in broken.stderr and "nothing to report" in empty.stderr
    for done in (broken, empty):
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_page_renders_in_headless_chromium_without_console_errors_showing_every_target(tmp_path):
    from playwright.sync_api import sync_playwright

    destination, _ = full_page(tmp_path)
    console: list[str] = []
    fetched: list[str] = []
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = browser.new_page()
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
            page.on("request", lambda request: fetched.append(request.url))
            page.goto(destination.as_uri(), wait_until="load")
            for name in TARGETS:
                assert page.locator(f'tr[data-target="{name}"]').is_visible()
                card = page.locator(f"#target-{name}")
                assert card.is_visible() and name in card.locator("h3").inner_text()
            for plot in page.locator("svg.plot").all():
                box = plot.bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 100
            pictures = page.locator(".model img")
            assert pictures.count() == len(html_report.models_in(project.current().models))
            assert all(image.evaluate("image => image.naturalWidth") > 0 for image in pictures.all())
            screenshot = tmp_path / "report.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert [line for line in console if line.startswith(("error", "pageerror", "warning"))] == []
    assert fetched == [destination.as_uri()]  # the page itself, nothing else
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 1280
    print(f"screenshot: {screenshot}")


def test_report_json_keeps_the_timeline_the_page_draws(tmp_path):
    report = run_report(tmp_path)
    report.write(tmp_path / "out")
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    [alpha] = [t for t in data["targets"] if t["name"] == "alpha"]
    assert [s["coverage"] for s in alpha["runs"][1]["timeline"]] == [None, 40, 55]
    assert (tmp_path / "out" / "report.html").read_text().count('<svg class="plot"') == 3


def test_a_skipped_target_says_why_in_its_card_and_in_the_notes(tmp_path):
    data = json_data(run_report(tmp_path).to_dict())
    data["targets"][3]["skipped"] = "aiortc 1.14.0 lacks RTCSctpTransport._data_channel_open"
    text = html_report.page(tmp_path / "report.html", fuzzing=data)
    card = text.split('id="target-delta"')[1].split("</section>")[0]
    assert "skipped: aiortc 1.14.0 lacks" in card and "<li>delta: aiortc 1.14.0 lacks" in text


def test_a_model_drawn_as_svg_and_png_is_shown_once_as_svg_with_its_report_heading(tmp_path):
    (tmp_path / "m.png").write_bytes(b"\x89PNG")
    (tmp_path / "m.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "m.md").write_text("# m: aiortc 1.16.0 as DTLS server\n\nLearned 3 states.\n\n## Findings (1)\n")
    (tmp_path / "other.png").write_bytes(b"\x89PNG")
    [m, other] = html_report.models_in(tmp_path)
    assert (m.name, m.mime, m.title, m.summary) == (
        "m", "image/svg+xml", "m: aiortc 1.16.0 as DTLS server", "Learned 3 states. Findings (1)"
    )  # fmt: skip
    assert (other.name, other.mime, other.title) == ("other", "image/png", "other")
