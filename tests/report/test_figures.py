"""Figures cost and show what a reader can take in: time bins, the top culprits, tiers in order, a
contiguous day axis, a colour-blind-safe palette; on the demo incident and on its history grown."""
from __future__ import annotations

import pandas as pd
import pytest

from forensics.analyses.restore_list import restore_list
from forensics.engine.tiers import DEFAULT_TIERS
from forensics.report import figures as F
from forensics.report.results import BlastRadius, analyse_root_cause


@pytest.fixture(scope="module")
def rc(scanned):
    return analyse_root_cause(scanned)


def _bars(fig):
    return [t for t in fig.data if t.type == "bar"]


def test_the_timeline_is_binned_by_day_with_event_kinds_stacked(rc, incident):
    fig = rc.timeline_figure()
    bars = _bars(fig)
    assert fig.layout.barmode == "stack" and "per day" in fig.layout.title.text
    assert {b.name for b in bars} <= set(F.EVENT_COLOURS)
    # every event of the truth manifest is in one bar, and there is one bar per day with events
    assert sum(sum(b.y) for b in bars) == len(incident["events"])
    with_events = {e["sha"] for e in incident["events"]}
    days = {pd.Timestamp(c["committed_at"]).floor("D") for c in incident["commits"] if c["sha"] in with_events}
    assert len(bars[0].x) == len(days)
    assert all(b.width == pytest.approx(0.9 * 86_400_000) for b in bars)   # bars as wide as their bin


def test_a_bins_hover_names_its_commits(rc, incident):
    counts, bins = F.binned_events(rc.timeline)
    breaker = incident["roles"]["breaker"][0]
    day = pd.Timestamp(next(c["committed_at"] for c in incident["commits"] if c["sha"] == breaker)).floor("D")
    assert breaker[:12] in counts.loc[counts["bin"] == day, "hover"].iloc[0]


def test_at_most_ten_culprits_are_annotated_by_damage_still_present_and_labels_never_overlap(rc):
    many = pd.concat([rc.culprits.assign(sha=rc.culprits["sha"].str.slice(0, 38) + f"{i:02d}",
                                         committed_at=rc.culprits["committed_at"] + pd.Timedelta(minutes=i))
                      for i in range(50)], ignore_index=True)
    many["paths_still_damaged"] = range(len(many))
    many["paths_still_caused"] = [n // 2 for n in range(len(many))]
    fig = F.timeline_figure(rc.timeline, many)
    assert len(fig.layout.shapes) <= F.TOP_K and len(fig.layout.annotations) <= F.TOP_K
    top = F.top_culprits(many)
    # ranked as the culprits table ranks them (damage still caused, then still damaged); a script is
    # its culprit's context and a backup set evidence: neither is a numbered culprit
    expected = (many[~many["kind"].isin(["backup_set", "script"])]
                .sort_values(["paths_still_caused", "paths_still_damaged"], ascending=False)
                .drop_duplicates("sha").head(F.TOP_K))
    assert list(top["paths_still_damaged"]) == list(expected["paths_still_damaged"])
    # labels on one row never overlap (widths estimated from their text, as the figure places them)
    times = [pd.Timestamp(a.x) for a in fig.layout.annotations]
    x0, x1 = pd.Timestamp(fig.layout.xaxis.range[0]), pd.Timestamp(fig.layout.xaxis.range[1])
    span = (x1 - x0).total_seconds()
    rows: dict[float, list[tuple[float, float]]] = {}
    for a, t in zip(fig.layout.annotations, times):
        start = (t - x0).total_seconds() / span
        rows.setdefault(a.y, []).append((start, start + len(a.text) * F._CHAR_PX / F._AXIS_PX))
    assert len(rows) > 1
    for spans in rows.values():
        spans.sort()
        assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:]))


def test_label_rows_pack_without_overlap():
    rows = F.label_rows([0.0, 0.05, 0.1, 0.5, 0.52], [0.2, 0.2, 0.2, 0.01, 0.2])
    assert rows == [0, 1, 2, 0, 0]


def test_figure_size_follows_bins_and_top_k_not_commits(rc):
    """The history grown a hundredfold (its commits again, a day later each time): at most MAX_BINS
    bars per kind and TOP_K reference lines."""
    big = pd.concat([rc.timeline.assign(sha=rc.timeline["sha"].str.slice(0, 38) + f"{i:02d}",
                                        committed_at=rc.timeline["committed_at"] + pd.Timedelta(days=i))
                     for i in range(100)], ignore_index=True)
    cul = pd.concat([rc.culprits.assign(committed_at=rc.culprits["committed_at"] + pd.Timedelta(days=i))
                     for i in range(100)], ignore_index=True)
    fig = F.timeline_figure(big, cul)
    assert all(len(b.x) <= F.MAX_BINS for b in _bars(fig))
    assert len(fig.layout.shapes) <= F.TOP_K
    assert sum(sum(b.y) for b in _bars(fig)) == 100 * sum(sum(b.y) for b in _bars(rc.timeline_figure()))


def test_the_heatmap_has_every_day_of_its_span_with_empty_days_at_zero(scanned):
    fig = BlastRadius(scanned).heatmap()
    days = pd.DatetimeIndex(fig.data[0].x)
    assert (days[1:] - days[:-1] == pd.Timedelta(days=1)).all()
    ev = scanned.events
    assert days[0] == ev["committed_at"].min().floor("D") and days[-1] == ev["committed_at"].max().floor("D")
    z = pd.DataFrame(fig.data[0].z)
    assert (z.sum() == 0).any() and z.to_numpy().sum() == len(ev)


def test_tiers_are_in_order_and_colours_are_colour_blind_safe(scanned):
    plan = restore_list(scanned, DEFAULT_TIERS)
    fig = F.restoration_figure(plan)
    assert list(fig.layout.xaxis.categoryarray) == sorted(set(plan["priority"]), key=F.tier_key)
    assert list(fig.layout.xaxis.categoryarray)[0] == "P0"
    assert F.tier_key("P10") > F.tier_key("P2")
    palette = set(F.OKABE_ITO.values())
    assert set(F.EVENT_COLOURS.values()) <= palette and set(F.CONFIDENCE_COLOURS.values()) <= palette


def test_figures_read_in_light_and_dark_themes(rc):
    layout = rc.timeline_figure().layout.template.layout
    assert layout.paper_bgcolor == "rgba(0,0,0,0)" and layout.plot_bgcolor == "rgba(0,0,0,0)"
    assert layout.font.color == F._INK


def test_bins_follow_the_span():
    t = pd.Timestamp("2025-09-01T00:00Z")
    assert F.choose_bins(t, t + pd.Timedelta(hours=30)).label == "hour"
    assert F.choose_bins(t, t + pd.Timedelta(days=40)).label == "day"
    assert F.choose_bins(t, t + pd.Timedelta(days=900)).label == "week"
    assert F.choose_bins(t, t + pd.Timedelta(days=9000)).label == "month"
