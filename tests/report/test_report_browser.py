"""The report page opened in a real browser: Debian's chromium, driven by Playwright.

The page is opened from its file:// URL with the network off: no console error, no failed
request, no request but the page itself, no dialog (a hostile string that ran as script
would open one), and the key elements rendered (the alerts table, the map image decoded,
the warnings, the mission's plots, the bench and fidelity tables). A screenshot is kept in
pytest's tmp_path and, where ``QUAKESAT_TEST_ARTIFACTS`` names a folder, copied there.

Skips, with the reason, where chromium (``apt-get install chromium``;
scripts/system_packages.sh) or Playwright for Python (the all extra) is missing.
``playwright install`` is never needed: the system chromium is launched by path. Where
Playwright cannot drive that chromium, the check falls back to chromium's own
``--headless --dump-dom`` and ``--screenshot`` modes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("jinja2")

from quakesat.report.build import write_report

VIEWPORT = {"width": 1300, "height": 900}
SELECTORS = ("section#warnings ul.warnings li", "table.alerts", "img#ground-map", "img#mission-timeline",
             "img#mission-time-to-alert", "img#mission-map", "table.bench", "table.fidelity", "table.modes")


sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright for Python is not installed (pip install 'quakesat[all]')")


@pytest.fixture(scope="module")
def report_page(full_dir: Path) -> Path:
    return Path(write_report(full_dir)["report"])


def test_the_page_in_chromium(report_page: Path, tmp_path: Path, make: SimpleNamespace,
                              chromium: SimpleNamespace) -> None:
    keep, chromium_args, chromium = chromium.keep, chromium.args, chromium.path
    url = report_page.resolve().as_uri()
    screenshot = tmp_path / "report_browser.png"
    console, failed, requests, dialogs, errors = [], [], [], [], []
    try:
        with sync_api.sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path / "profile"), executable_path=chromium, args=chromium_args, headless=True,
                viewport=VIEWPORT, offline=True, timeout=60_000)
            try:
                page = context.new_page()
                page.on("console", lambda message: console.append((message.type, message.text)))
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.on("requestfailed", lambda request: failed.append(request.url))
                page.on("request", lambda request: requests.append(request.url))
                page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
                page.goto(url, wait_until="load", timeout=60_000)
                found = {selector: page.locator(selector).count() for selector in SELECTORS}
                images = page.eval_on_selector_all(
                    "img", "els => els.map(e => [e.id, e.complete && e.naturalWidth > 0])")
                text = page.inner_text("body")
                page.screenshot(path=str(screenshot), full_page=True)
            finally:
                context.close()
    except sync_api.Error as err:  # this Playwright cannot drive this chromium: its own headless modes
        _fallback(chromium, chromium_args, keep, url, tmp_path, screenshot, str(err).splitlines()[0])
        return
    keep(screenshot)
    assert [m for m in console if m[0] in ("error", "warning")] == [] and errors == []
    assert failed == [] and dialogs == []
    assert [r for r in requests if not r.startswith("data:")] == [url]
    assert all(found.values()), found
    assert images and all(ok for _, ok in images), images
    assert make.HOSTILE in text  # shown as text, not run
    assert screenshot.stat().st_size > 10_000


def _fallback(chromium: str, chromium_args: list[str], keep: Any, url: str, tmp_path: Path, screenshot: Path,
              why: str) -> None:
    """chromium --headless --dump-dom and --screenshot: the DOM has the elements, a screenshot is taken."""
    common = [chromium, *chromium_args, f"--user-data-dir={tmp_path / 'profile-cli'}", "--window-size=1300,2400"]
    dom = subprocess.run([*common, "--dump-dom", url], check=False, capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = subprocess.run([*common, f"--screenshot={screenshot}", url], check=False, capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and screenshot.is_file(), shot.stderr[-2000:]
    keep(screenshot)
    for marker in ('class="alerts"', 'id="ground-map"', 'id="warnings"', 'class="bench"', 'class="fidelity"'):
        assert marker in dom.stdout, f"{marker} missing (Playwright fallback: {why})"
    assert "<script" not in dom.stdout
