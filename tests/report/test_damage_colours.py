"""Damage is the strong colour on the treemap and the heatmap, on JupyterLab's light and dark themes:
0% is a neutral, never bright colour; full damage is saturated vermillion, clearly apart from both
page backgrounds."""
from __future__ import annotations

import colorsys
import re

import pandas as pd

from forensics.report.figures import OKABE_ITO, blast_treemap, event_heatmap

LIGHT, DARK = (1.0, 1.0, 1.0), (0x11 / 255, 0x11 / 255, 0x11 / 255)   # white page, JupyterLab dark


def _rgba(colour: str) -> tuple[float, float, float, float]:
    if colour.startswith("#"):
        return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)) + (1.0,)
    r, g, b, *a = (float(v) for v in re.findall(r"[\d.]+", colour))
    return r / 255, g / 255, b / 255, (a[0] if a else 1.0)


def _on(colour: str, page: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b, a = _rgba(colour)
    return tuple(a * c + (1 - a) * p for c, p in zip((r, g, b), page))


def _luminance(rgb) -> float:
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _scale(fig) -> list:
    trace = fig.data[0]
    return list(trace.marker.colorscale if trace.type == "treemap" else trace.colorscale)


def _contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _check(scale: list) -> None:
    none, full = scale[0][1], scale[-1][1]
    assert _rgba(full)[:3] == _rgba(OKABE_ITO["vermillion"])[:3]
    for page in (LIGHT, DARK):
        zero, damage = _on(none, page), _on(full, page)
        assert colorsys.rgb_to_hls(*zero)[2] < 0.15                 # 0%: a neutral grey, no hue
        assert colorsys.rgb_to_hls(*damage)[2] > 0.9                 # damage: fully saturated
        assert _contrast(damage, page) >= 3                          # and it does not vanish (navy on dark: 1.2)
    assert _luminance(_on(none, DARK)) < 0.3                         # 0% is not bright on the dark theme (yellow: 0.78)


def test_the_treemap_paints_damage_strong_and_no_damage_neutral(scanned):
    from forensics.analyses.blast import path_table

    fig = blast_treemap(path_table(scanned))
    _check(_scale(fig))
    shares = dict(zip(fig.data[0].ids, fig.data[0].marker.colors))
    assert max(shares.values()) > 0.5 and min(shares.values()) == 0


def test_the_heatmap_paints_many_events_strong_and_none_faint(scanned):
    fig = event_heatmap(scanned.events)
    _check(_scale(fig))
    assert _rgba(_scale(fig)[0][1])[3] <= 0.15                       # an empty day barely shows
    assert pd.Series(fig.data[0].z.ravel() if hasattr(fig.data[0].z, "ravel") else sum(fig.data[0].z, ())).max() > 0
