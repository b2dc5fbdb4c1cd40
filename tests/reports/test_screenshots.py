"""Render reports in headless Chromium: screenshots, console errors, visible text.

Needs Debian's ``chromium`` (``./run test`` installs it as root): skipped
without it, failed in CI. Set ``REPORT_SCREENSHOTS=<folder>`` to keep the
PNGs for a look; they are never written into the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from grading.report import render_submission

from .conftest import load_fixture

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Skipped without Debian's chromium, failed in CI (tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.needs("chromium")]

# Console messages, uncaught exceptions and CSP violations in Chromium's log.
CONSOLE = re.compile(r":CONSOLE[:(]|Uncaught|Refused to")


def chromium(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium on ``page`` with the project's standard flags."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
        page.resolve().as_uri(),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False
    )
    shutil.rmtree(profile, ignore_errors=True)
    return result


def screenshot(page: Path, tmp_path: Path, name: str, size: tuple[int, int]) -> Path:
    """Take a screenshot of ``page``; assert it rendered without console errors."""
    png = tmp_path / f"{name}.png"
    result = chromium(
        page, tmp_path, f"--screenshot={png}", f"--window-size={size[0]},{size[1]}"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if CONSOLE.search(line)]
    assert errors == [], errors
    with Image.open(png) as image:
        assert image.size == size
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is None or len(colours) > 50  # not a blank page
    keep = os.environ.get("REPORT_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / png.name)
    return png


def dom(page: Path, tmp_path: Path) -> str:
    """Return the DOM Chromium built from ``page``."""
    result = chromium(page, tmp_path, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture
def reports(tmp_path, submission) -> dict[str, Path]:
    """Reports of the manual-review fixture (with a confusion matrix) and the
    instructor-only fixture (with a hostile summary excerpt)."""
    manual = load_fixture("manual_open")
    manual["submission"] = str(submission)
    written = render_submission(manual, tmp_path / "manual")
    hostile = load_fixture("instructor_only")
    hostile["submission"] = str(submission)
    written_hostile = render_submission(hostile, tmp_path / "hostile")
    return {
        "manual": written["html"],
        "hostile": written_hostile["html"],
        "hostile_instructor": written_hostile["instructor_html"],
    }


def test_report_screenshots_desktop_and_phone(reports, tmp_path):
    screenshot(reports["manual"], tmp_path, "report-desktop", (1280, 2400))
    screenshot(reports["manual"], tmp_path, "report-phone", (390, 2400))
    screenshot(
        reports["hostile_instructor"], tmp_path, "report-instructor", (1280, 2400)
    )


def test_report_key_text_is_visible_and_script_stays_text(reports, tmp_path):
    page = dom(reports["hostile"], tmp_path)
    assert "Score report" in page
    assert '<div class="score">9.25<small> / 18</small></div>' in page
    assert "What to fix first" in page and "Waiting for a person" in page
    assert "A kernel holds 17 unique values" in page
    # The excerpt's tags are text in the DOM, not elements.
    assert "&lt;script&gt;alert('pwned')&lt;/script&gt;" in page
    assert "<script" not in page
    assert '<img src="x"' not in page
    assert "pwned" not in page.replace("&lt;script&gt;alert('pwned')", "")


def test_index_screenshot(class_dir, tmp_path):
    index = class_dir / "index.html"
    screenshot(index, tmp_path, "index-desktop", (1280, 2400))
    page = dom(index, tmp_path)
    assert "Class overview" in page and "Score distribution" in page
    assert "<svg" in page and "Pass rate per item" in page
    assert "Needs attention" in page


def test_console_error_detection_works(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<body><script>notDefined();</script></body>", encoding="utf-8")
    result = chromium(
        bad, tmp_path, f"--screenshot={tmp_path / 'bad.png'}", "--window-size=200,200"
    )
    assert any(CONSOLE.search(line) for line in result.stderr.splitlines())


def test_class_fixture_is_json(class_dir):
    # Guards the fixture used above: every graded folder holds valid JSON.
    graded = [p for p in class_dir.glob("*/results.json") if p.parent.name[0] != "x"]
    assert len(graded) == 200
    assert all(isinstance(json.loads(p.read_text("utf-8")), dict) for p in graded)
