"""The status page in a real browser: Debian's headless Chromium, driven by Selenium through
Debian's chromium-driver, against the real Flask app on a real socket.

It loads the page at phone size (390x844), with and without JavaScript, checks what a
reader sees and that nothing internal is anywhere in the page source, reads the security
headers as the browser received them (Chrome's network log), checks the browser applied
the stylesheet and reported no CSP violation, loads the 404 page, and saves a screenshot
as a test artifact (the path is printed) and as `docs/status-page.png` for the README.

`make test-browser` runs this; `make test` leaves it out. Without Chromium it fails,
naming the packages to install: a skipped browser test would prove nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from werkzeug.serving import BaseWSGIServer, make_server

from bot.app import create_app
from bot.deps import Deps
from bot.timesource import ManualTime
from config.schema import CasebotConfig
from config.sla import PolicyOverride
from tests.conftest import ROOT
from tests.support import status as seeded
from tests.support.flows import workflow_config

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
PHONE = (390, 844)
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts"))
README_SHOT = ROOT / "docs" / "status-page.png"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--window-size={PHONE[0]},{PHONE[1]}",
)


def _require_chromium() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        message = (
            f"not installed: {', '.join(missing)} (apt-get install -y chromium chromium-driver)"
        )
        pytest.fail(message)


@pytest.fixture
def config() -> CasebotConfig:
    """The page's zone is the case's first-response calendar: billing's is the office
    (Europe/Berlin) here, so times read CET, and its next response is due in 4 office
    hours."""
    base = workflow_config("http://127.0.0.1:9")
    office = PolicyOverride.model_validate(
        {"department": "billing", "next_response": "4h", "calendar": "office"}
    )
    overrides = (*base.sla.overrides, office)
    return base.model_copy(update={"sla": base.sla.model_copy(update={"overrides": overrides})})


@pytest.fixture
def server(deps: Deps) -> Iterator[str]:
    web = create_app(deps).flask
    httpd: BaseWSGIServer = make_server("127.0.0.1", 0, web, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)


def _driver(profile: Path, *, javascript: bool) -> webdriver.Chrome:
    """A fresh profile each time; the machine's network is closed, so Chromium is told not
    to reach out (no QUIC, no component updates, no sync, no background requests)."""
    _require_chromium()
    os.environ.setdefault("SE_OFFLINE", "true")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True},
    )
    return driver


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    driver = _driver(tmp_path / "profile", javascript=True)
    yield driver
    driver.quit()


def _responses(driver: webdriver.Chrome) -> dict[str, dict[str, Any]]:
    """url → the response (status, headers with lower-case names) as Chromium received it."""
    found: dict[str, dict[str, Any]] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.responseReceived":
            response = message["params"]["response"]
            found[response["url"]] = {
                "status": response["status"],
                "headers": {k.lower(): v for k, v in response["headers"].items()},
            }
    return found


def _png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def _check_headers(headers: dict[str, str]) -> None:
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"


def test_the_status_page_on_a_phone(
    deps: Deps, server: str, browser: webdriver.Chrome, time_source: ManualTime
) -> None:
    seed = seeded.seed(deps.db, deps.config, time_source)
    url = f"{server}/status/{seed.token}"
    browser.get(url)

    assert browser.title == "Your case C-1"
    visible = browser.find_element(By.TAG_NAME, "body").text
    assert "C-1" in visible and "Being handled" in visible
    assert "A person will answer by Monday 14:18 CET." in visible
    assert "Received 23 November 2026, 10:00 CET" in visible
    assert seeded.FIRST_REPLY in visible
    assert "23 November 2026, 10:08 CET" in visible
    for part in seeded.SECOND_REPLY_MASKED_PARTS:
        assert part in visible

    source = browser.page_source
    for secret in (*seeded.SECRETS, *seeded.UNMASKED, "C-2"):
        assert secret not in source, secret
    for department in deps.config.departments.values():
        assert department.name not in source

    responses = _responses(browser)
    assert responses[url]["status"] == 200
    _check_headers(responses[url]["headers"])
    css = responses[f"{server}/status-assets/status.css"]
    assert css["status"] == 200 and css["headers"]["content-type"].startswith("text/css")

    main = browser.find_element(By.TAG_NAME, "main")
    assert main.size["width"] <= PHONE[0]
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    assert main.value_of_css_property("max-width") == "576px"  # the stylesheet was applied
    logged = browser.get_log("browser")
    violations = [
        e["message"]
        for e in logged
        if e.get("source") == "security" or "Content Security Policy" in e["message"]
    ]
    assert violations == [], "the page breaks its own Content-Security-Policy"

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "status-page-phone.png"
    assert browser.save_screenshot(str(shot))
    assert _png_size(shot) == PHONE
    print(f"\nstatus page screenshot (390x844): {shot}")
    README_SHOT.parent.mkdir(exist_ok=True)
    if not README_SHOT.exists() or README_SHOT.read_bytes() != shot.read_bytes():
        shutil.copyfile(shot, README_SHOT)
    print(f"README copy: {README_SHOT}")


def test_the_page_needs_no_javascript(
    deps: Deps, server: str, time_source: ManualTime, tmp_path: Path
) -> None:
    seed = seeded.seed(deps.db, deps.config, time_source)
    driver = _driver(tmp_path / "no-js", javascript=False)
    try:
        driver.get(f"{server}/status/{seed.token}")
        visible = driver.find_element(By.TAG_NAME, "body").text
        assert "Being handled" in visible and seeded.FIRST_REPLY in visible
        assert driver.find_element(By.TAG_NAME, "main").value_of_css_property("max-width") == (
            "576px"
        )
    finally:
        driver.quit()


def test_an_unknown_link_gets_the_404_page(server: str, browser: webdriver.Chrome) -> None:
    url = f"{server}/status/Q2FzZWJvdCBzdGF0dXMgdG9rZW4gdGVz"
    browser.get(url)
    assert browser.title == "Case not found"
    assert "This link does not lead to a case." in browser.find_element(By.TAG_NAME, "body").text
    response = _responses(browser)[url]
    assert response["status"] == 404
    _check_headers(response["headers"])
    assert browser.find_element(By.TAG_NAME, "main").value_of_css_property("max-width") == "576px"
