"""Headless Chromium for the report's browser tests: draw a page, let plotly run, read the DOM back."""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

WINDOW = (1400, 900)
_BAR = re.compile(r'<path d="M([\d.]+),([\d.]+)V([\d.]+)H([\d.]+)V([\d.]+)Z"')


def chromium() -> str:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.fail("headless Chromium is needed for the browser test (`make browser` installs Debian's chromium)")


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM of ``page`` after its scripts ran, in a 1400x900 window, offline."""
    proc = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                           "--no-first-run", "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--user-data-dir={profile}",
                           "--virtual-time-budget=30000", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=240)
    assert proc.stdout, proc.stderr[-2000:]
    return proc.stdout


@dataclass
class DrawnFigure:
    """One plotly figure as drawn: whether it has its SVG, and the pixel width of each bar."""

    title: str
    has_svg: bool
    bar_widths: list[float]


def drawn_figures(dom: str) -> list[DrawnFigure]:
    """Every plotly figure of a dumped DOM (split at each ``js-plotly-plot`` container)."""
    parts = re.split(r'<div[^>]*class="[^"]*js-plotly-plot[^"]*"', dom)[1:]
    figures = []
    for part in parts:
        title = re.search(r'class="gtitle"[^>]*>(.*?)</text>', part, re.S)
        widths = []
        for bars in re.findall(r'<g class="trace bars".*?</g></g>', part, re.S):
            for x0, y0, y1, x1, _ in _BAR.findall(bars):
                if float(y0) != float(y1):          # a drawn bar (zero-height stacks are not bars)
                    widths.append(abs(float(x1) - float(x0)))
        figures.append(DrawnFigure(re.sub("<[^>]+>", "", title.group(1)) if title else "",
                                   '<svg class="main-svg"' in part, widths))
    return figures
