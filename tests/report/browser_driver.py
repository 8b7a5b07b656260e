"""Headless Chromium driven through chromedriver (Debian's ``chromium`` and ``chromium-driver``) with
selenium, for tests that must click, type and read what a page drew (JupyterLab, figures)."""
from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from typing import Iterator

import pytest

from report_browser import chromium


@contextmanager
def chrome(width: int = 1400, height: int = 900) -> Iterator["object"]:
    """A headless Chromium window of ``width`` x ``height`` with a private profile, quit on exit."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the dev extra (make install)")
    from selenium.webdriver.chrome.service import Service

    driver_path = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
    if not shutil.which(driver_path):
        pytest.fail("chromedriver is needed for the browser tests (`make browser` installs Debian's chromium-driver)")
    profile = tempfile.mkdtemp(prefix="forensics-chrome-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


LABEL_BOXES_JS = """
return Array.from(document.querySelectorAll('g.annotation')).map(function (g) {
  var t = g.querySelector('text'); if (!t) return null;
  var r = t.getBoundingClientRect();
  return [t.textContent, r.left, r.top, r.right, r.bottom];
}).filter(function (b) { return b && b[0]; });
"""


def overlapping(boxes: list[list]) -> list[tuple]:
    """Pairs of label boxes ``[text, left, top, right, bottom]`` that intersect."""
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]:
                found.append((a[0], b[0]))
    return found
