"""The web-page lesson in a real headless Chromium, driven by Playwright.

Needs Chromium from the system packages (``apt-get install chromium``) and
``pip install playwright`` (Playwright's own browser download is not used).
Without them the tests are skipped, unless ``IVIGSIM_REQUIRE_BROWSER=1`` (CI),
which makes them fail instead. The screenshot goes to ``$IVIGSIM_ARTIFACTS``
when it is set.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# A small grid, so that writing the page takes seconds: three doses, two infusion lengths.
LEVELS = {"dose_g_per_kg": (0.4, 0.6, 1.0), "infusion_hours": (1.0, 8.0), "every_days": (28.0,),
          "fcrn_total": (49.8,), "f_antiidiotype": (0.0, 0.001)}


def _chromium():
    for candidate in (os.environ.get("IVIGSIM_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def _unavailable(reason):
    if os.environ.get("IVIGSIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and IVIGSIM_REQUIRE_BROWSER=1 requires the browser tests to run")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    executable = _chromium()
    if executable is None:
        _unavailable("no Chromium found (apt-get install chromium, or set IVIGSIM_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def lesson_file(tmp_path_factory):
    from ivigsim.interfaces.demo import demo_html
    return demo_html(tmp_path_factory.mktemp("lesson") / "lesson.html", levels=LEVELS, workers=1)


@pytest.fixture()
def page(browser, lesson_file):
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(f"console: {msg.text}"))
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: page.problems.append(f"request failed: {req.url}"))
    page.on("request", lambda req: req.url.startswith(("file:", "data:"))
            or page.problems.append(f"network request: {req.url}"))
    page.goto(lesson_file.as_uri())
    page.wait_for_selector('#panel-aab path[data-curve="selected"]')
    yield page
    context.close()


def _d(page, panel, curve):
    return page.get_attribute(f'#panel-{panel} path[data-curve="{curve}"]', "d")


def _dollars(page):
    text = page.inner_text("#readout-cost")
    return float(re.search(r"= \$([\d,]+)", text).group(1).replace(",", ""))


def test_page_loads_offline_without_errors(page):
    assert page.problems == []
    for panel, curves in (("igg", ("igg_total", "igg_endogenous", "ivig")),
                          ("aab", ("selected", "fcrn_saturation", "anti_idiotype", "untreated")),
                          ("cost", ("cost",))):
        for curve in curves:
            assert len(_d(page, panel, curve)) > 100, (panel, curve)
    assert page.input_value("#slider-dose_g_per_kg") == "0"
    assert page.inner_text("#value-dose_g_per_kg") == "0.40"
    assert "No safety flags" in page.inner_text("#safety")
    assert page.locator("#lesson img").count() == 3


def test_moving_the_dose_slider_redraws_the_curves(page):
    before = {c: _d(page, "igg", c) for c in ("igg_total", "ivig")}
    aab_before = _d(page, "aab", "selected")
    cost_before = _dollars(page)
    page.focus("#slider-dose_g_per_kg")
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#value-dose_g_per_kg") == "0.60"
    for curve, d in before.items():
        assert _d(page, "igg", curve) != d, curve
    assert _d(page, "aab", "selected") != aab_before
    assert _dollars(page) == pytest.approx(1.5 * cost_before, rel=1e-3)
    assert page.problems == []


def test_fast_infusion_raises_safety_flags(page):
    page.focus("#slider-infusion_hours")
    page.keyboard.press("Home")
    assert page.inner_text("#value-infusion_hours") == "1"
    safety = page.inner_text("#safety")
    assert "6.67 mg/kg/min" in safety
    assert "labelled maximum" in safety and "risk of thrombosis" in safety


def test_switches_price_and_reset(page):
    page.uncheck("#mech-anti_idiotype")
    assert _d(page, "aab", "selected") == _d(page, "aab", "fcrn_saturation")
    cost = _dollars(page)
    page.eval_on_selector("#slider-price", "(el, v) => { el.value = v; "
                          "el.dispatchEvent(new Event('input', {bubbles: true})); }", "302")
    assert _dollars(page) == pytest.approx(2 * cost, rel=1e-3)
    page.click("#reset")
    assert page.is_checked("#mech-anti_idiotype")
    assert page.input_value("#slider-price") == "151"
    assert _d(page, "aab", "selected") != _d(page, "aab", "fcrn_saturation")
    assert page.problems == []


def test_screenshot_is_saved_and_not_blank(page, tmp_path):
    from PIL import Image
    folder = Path(os.environ.get("IVIGSIM_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo_lesson.png"
    page.screenshot(path=str(path), full_page=True)
    image = Image.open(path).convert("RGB")
    assert image.width >= 1000 and image.height >= 1000
    colours = dict((rgb, count) for count, rgb in image.resize((200, 200)).getcolors(200 * 200))
    assert len(colours) > 50                      # curves, shading, text: not one flat colour
    assert colours.get((255, 255, 255), 0) < 0.95 * 200 * 200
