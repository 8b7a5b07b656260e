"""Every figure, in one place. Functions take tables and return plotly figures; notebooks and the report
only display them. Times are UTC on the axes.

Cost follows the reader, not the history: every figure aggregates first (time bins, directories, tiers)
and annotates at most ``TOP_K`` culprits or incidents, so it holds O(bins + K) points and shapes
whatever the number of commits. Colours are colour-blind safe (Okabe-Ito; no red/green pairs) and
the ``forensics`` template has transparent backgrounds and mid-grey text, so a figure reads on
JupyterLab's light and dark themes alike. Every string from the analysed repository is escaped before
it reaches a label or hover text (plotly renders a subset of HTML there).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from forensics.analyses.timeline import COUNT_KINDS as EVENT_KINDS   # masking is a kind of its own here

TOP_K = 10
MAX_BINS = 300          # bars stay >= 2 px wide in a 1,400 px window
HOVER_COMMITS = 5       # commits listed in one bin's hover text

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#999999"}
EVENT_COLOURS = {"broke": OKABE_ITO["vermillion"], "marked": OKABE_ITO["orange"],
                 "added_damaged": OKABE_ITO["purple"], "deleted_damaged": OKABE_ITO["grey"],
                 "healed": OKABE_ITO["blue"], "unmarked": OKABE_ITO["sky"], "masked": OKABE_ITO["yellow"],
                 "hollowed": OKABE_ITO["green"]}   # damage that compiles: the palette's last free colour
CONFIDENCE_COLOURS = {"high": OKABE_ITO["blue"], "medium": OKABE_ITO["sky"], "low": OKABE_ITO["orange"],
                      "none": OKABE_ITO["grey"]}
SEQUENTIAL = "Cividis"  # colour-blind safe, monotone in lightness
# Damage is the strong colour on light and dark pages alike (vermillion: Okabe-Ito, no red/green pair),
# and 0% is never bright. The heatmap's counts: zero is a faint see-through grey (it takes the page's
# own background), more is more opaque vermillion. The treemap draws see-through colours over a dark
# base, so its share damaged runs opaque, at one mid lightness, from a neutral grey (none) to vermillion
# (all): saturation, not brightness, says damage, on either theme.
COUNT_SCALE = [[0.0, "rgba(128,128,128,0.10)"], [1e-6, "rgba(213,94,0,0.22)"], [0.5, "rgba(213,94,0,0.6)"],
               [1.0, "rgba(213,94,0,1)"]]
DAMAGE_SCALE = [[0.0, "#7a7a7a"], [1e-6, "#94796a"], [0.5, "#b8693a"], [1.0, "#D55E00"]]
_TIER_COLOURS = [OKABE_ITO[c] for c in ("vermillion", "orange", "purple", "blue", "grey", "sky", "yellow", "green")]

_INK = "#808080"        # readable on white and on JupyterLab's dark background
_GRID = "rgba(128,128,128,0.25)"
TEMPLATE = go.layout.Template(layout=go.Layout(
    paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
    font=dict(color=_INK, family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=12),
    colorway=list(OKABE_ITO.values()),
    xaxis=dict(gridcolor=_GRID, zerolinecolor=_GRID, linecolor=_GRID),
    yaxis=dict(gridcolor=_GRID, zerolinecolor=_GRID, linecolor=_GRID),
    hoverlabel=dict(bgcolor="#333", font=dict(color="#fff"), align="left"),
    legend=dict(bgcolor="rgba(0,0,0,0)"),
    margin=dict(t=60, l=60, r=20, b=50)))
pio.templates["forensics"] = TEMPLATE


def text(value: object, limit: int | None = None) -> str:
    """A repository string as plotly text: HTML-escaped (so ``<img ...>`` or a link stays text),
    optionally cut to ``limit`` characters with an ellipsis."""
    s = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return html.escape(s, quote=True)


def _figure(**layout) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(template="forensics", **layout)
    return fig


def use_offline_renderer() -> None:
    """Figures render in JupyterLab (plotly mimetype) and carry their own plotly.js for exported
    HTML (``notebook`` renderer: the library is embedded once, no CDN)."""
    pio.templates.default = "forensics"
    try:
        from IPython import get_ipython
    except ImportError:
        return
    if getattr(get_ipython(), "kernel", None) is not None:   # a notebook kernel, not a plain interpreter
        pio.renderers.default = "plotly_mimetype+notebook"


# -- time bins ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bins:
    """A bin size chosen from a time span: ``freq`` (pandas offset alias), ``label`` (hour, day, week,
    month) and ``width`` (a bin's duration, for bar widths on a date axis)."""

    freq: str
    label: str
    width: pd.Timedelta


_BIN_CHOICES = (("h", "hour", pd.Timedelta(hours=1)), ("D", "day", pd.Timedelta(days=1)),
                ("W-MON", "week", pd.Timedelta(days=7)), ("MS", "month", pd.Timedelta(days=30)))


def choose_bins(first: pd.Timestamp, last: pd.Timestamp, max_bins: int = MAX_BINS) -> Bins:
    """The finest of hour, day, week, month that covers ``first..last`` in at most ``max_bins`` bins."""
    span = (last - first) if pd.notna(first) and pd.notna(last) else pd.Timedelta(0)
    for freq, label, width in _BIN_CHOICES:
        if span / width <= max_bins - 1:
            return Bins(freq, label, width)
    return Bins(*_BIN_CHOICES[-1])


def _bin_start(times: pd.Series, bins: Bins) -> pd.Series:
    if bins.label == "week":
        return (times.dt.floor("D") - pd.to_timedelta(times.dt.dayofweek, unit="D"))
    if bins.label == "month":
        return times.dt.floor("D") - pd.to_timedelta(times.dt.day - 1, unit="D")
    return times.dt.floor(bins.freq)


def _bin_format(bins: Bins) -> str:
    return {"hour": "%Y-%m-%d %H:00", "day": "%Y-%m-%d", "week": "week of %Y-%m-%d",
            "month": "%Y-%m"}[bins.label]


def binned_events(timeline: pd.DataFrame, bins: Bins | None = None) -> tuple[pd.DataFrame, Bins]:
    """Per time bin: ``bin`` (start, UTC), one count column per event kind, ``commits`` (commits with
    events) and ``hover`` (the bin's commits with the most events, escaped, one a line)."""
    kinds = [k for k in EVENT_KINDS if k in timeline.columns]
    if not len(timeline):
        return pd.DataFrame(columns=["bin", *kinds, "commits", "hover"]), bins or Bins(*_BIN_CHOICES[1])
    tl = timeline.sort_values("committed_at")
    bins = bins or choose_bins(tl["committed_at"].iloc[0], tl["committed_at"].iloc[-1])
    tl = tl.assign(bin=_bin_start(tl["committed_at"], bins), events=tl[kinds].sum(axis=1))
    counts = tl.groupby("bin")[kinds].sum()
    counts["commits"] = tl.groupby("bin").size()
    top = tl.sort_values(["bin", "events"], ascending=[True, False]).groupby("bin").head(HOVER_COMMITS)
    lines = (top["sha"].astype(str).str.slice(0, 12) + " " + top["author"].map(lambda a: text(a, 24)) + ": "
             + top["subject"].map(lambda s: text(s, 60)) + " (" + top["events"].astype(str) + ")")
    hover = lines.groupby(top["bin"]).agg("<br>".join)
    more = counts["commits"] - top.groupby("bin").size()
    hover = hover + more.map(lambda n: f"<br>… and {n} more commit{'s' if n != 1 else ''}" if n > 0 else "")
    counts["hover"] = hover
    return counts.reset_index(), bins


# -- culprits and incidents -----------------------------------------------------------------------

def damage_column(table: pd.DataFrame) -> str:
    """The column that ranks culprits or incidents: damage still present when the table has it."""
    for col in ("paths_still_caused", "paths_still_damaged", "paths_damaged"):
        if col in table.columns:
            return col
    raise KeyError("a culprit or incident table needs paths_still_damaged or paths_damaged")


def top_culprits(culprits: pd.DataFrame, k: int = TOP_K) -> pd.DataFrame:
    """The ``k`` culprits with the most damage (still present, when known) that have a time, most first."""
    if culprits is None or not len(culprits):
        return pd.DataFrame(columns=list(culprits.columns) if culprits is not None else [])
    c = culprits[culprits["committed_at"].notna() & (culprits["kind"] != "backup_set")]   # backups are evidence
    col = damage_column(c)
    cols = [x for x in (col, "paths_still_damaged", "paths_damaged") if x in c.columns]
    hit = (c[cols] > 0).any(axis=1)                 # any damage: an unmask began none, but re-broke hundreds
    c = c[hit] if hit.any() else c
    main = c["kind"].isin(["bulk_commit", "wave", "breaker"])   # a script is its culprit's context, churn noise
    c = c[main] if main.any() else c
    order = [x for x in (col, "paths_still_damaged", "paths_damaged") if x in c.columns]
    c = c.sort_values([*dict.fromkeys(order), "committed_at"], ascending=[False] * len(dict.fromkeys(order)) + [True],
                      kind="stable")
    return c.drop_duplicates("sha").head(k)   # a script is introduced by a commit that is also a culprit


def label_rows(starts: list[float], widths: list[float]) -> list[int]:
    """Greedy interval packing: the row of each label so that labels on one row never overlap.
    ``starts`` and ``widths`` in one unit (fractions of the axis); labels are placed in order."""
    ends: list[float] = []
    rows = []
    for s, w in zip(starts, widths):
        for r, end in enumerate(ends):
            if s >= end:
                ends[r] = s + w
                rows.append(r)
                break
        else:
            ends.append(s + w)
            rows.append(len(ends) - 1)
    return rows


# Labels are set in a monospaced face, so their width is known before a browser draws them: 11 px
# DejaVu Sans Mono / Menlo / Consolas advance 0.60-0.62 em a character. They are packed for a plot
# area of 760 px (JupyterLab with its side panel open, or a 1,000 px page): wider is always safe.
_LABEL_FONT = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace"
_CHAR_PX, _AXIS_PX = 0.62 * 11, 760.0


def named_commit(c) -> str:
    """The commit a culprit row names: a wave's first member (the commit inside it that did the most
    damage still present), else its own sha."""
    members = getattr(c, "members", ()) or ()
    return str(members[0][0]) if c.kind == "wave" and len(members) else str(c.sha)


def _culprit_label(rank: int, c) -> str:
    short = {"bulk_commit": "bulk", "wave": "in wave", "breaker": "breaker", "script": "script",
             "backup_set": "backups"}.get(c.kind, str(c.kind))
    return f"{rank} {named_commit(c)[:8]} ({short})"


def _annotate_culprits(fig: go.Figure, top: pd.DataFrame, x0: pd.Timestamp, x1: pd.Timestamp) -> int:
    """Reference lines and non-overlapping labels for ``top`` (ranked); a hover marker per culprit on
    a hidden axis carries the details. Returns the number of label rows."""
    if not len(top):
        return 0
    col = damage_column(top)
    ranked = top.reset_index(drop=True).assign(rank=lambda d: d.index + 1).sort_values("committed_at")
    span = max((x1 - x0).total_seconds(), 1.0)
    labels = [_culprit_label(r.rank, r) for r in ranked.itertuples(index=False)]
    starts = [(t - x0).total_seconds() / span for t in ranked["committed_at"]]
    widths = [(len(lab) * _CHAR_PX + 12) / _AXIS_PX for lab in labels]
    rows = label_rows(starts, widths)
    nrows = max(rows) + 1
    row_h = 0.075
    for (r, lab, row) in zip(ranked.itertuples(index=False), labels, rows):
        fig.add_vline(x=r.committed_at, line=dict(color=_INK, dash="dot", width=1))
        fig.add_annotation(x=r.committed_at, xref="x", y=1.0 + row_h * (nrows - row), yref="paper",
                           text=text(lab), showarrow=False, xanchor="left", yanchor="bottom",
                           font=dict(size=11, color=_INK, family=_LABEL_FONT))
    still = ranked[col].astype(int).astype(str) + (" still damaged" if col.startswith("paths_still") else " damaged")
    details = ("#" + ranked["rank"].astype(str) + " " + ranked["kind"].astype(str) + " " + ranked["sha"].astype(str)
               + "<br>" + ranked["author"].map(lambda a: text(a, 40)) + ": " + ranked["subject"].map(lambda s: text(s, 80))
               + "<br>" + still + ", " + ranked.get("paths_touched", ranked.get("paths_changed", 0)).astype(str) + " touched")
    fig.add_scatter(x=ranked["committed_at"], y=[1.0] * len(ranked), yaxis="y2", mode="markers", name="culprits",
                    marker=dict(symbol="triangle-down", size=10, color=_INK), hovertext=details,
                    hovertemplate="%{hovertext}<extra></extra>", showlegend=False)
    fig.update_layout(yaxis2=dict(overlaying="y", range=[0, 1.02], visible=False, fixedrange=True))
    return nrows


def _shade_incidents(fig: go.Figure, incidents: pd.DataFrame | None, x0: pd.Timestamp, x1: pd.Timestamp,
                     k: int = TOP_K) -> None:
    """The top ``k`` incidents still open (by damage still present; the top healed ones when none is
    open) as shaded spans, each labelled at its foot; labels of incidents close in time are stacked in
    rows, so none overlaps another."""
    if incidents is None or not len(incidents) or "first_at" not in incidents:
        return
    col = damage_column(incidents)
    top = incidents[incidents["first_at"].notna()].sort_values(col, ascending=False)
    if (top[col] > 0).any():        # incidents still open; healed slips only when nothing is open
        top = top[top[col] > 0]
    top = top.head(k).sort_values("first_at")
    span = max((x1 - x0).total_seconds(), 1.0)
    labels = [f"incident {r.incident}" for r in top.itertuples(index=False)]
    starts = [(pd.Timestamp(t) - x0).total_seconds() / span for t in top["first_at"]]
    rows = label_rows(starts, [(len(lab) * _CHAR_PX + 12) / _AXIS_PX for lab in labels])
    for r, lab, row in zip(top.itertuples(index=False), labels, rows):
        first, last = pd.Timestamp(r.first_at), pd.Timestamp(r.last_at if pd.notna(r.last_at) else r.first_at)
        fig.add_vrect(x0=first, x1=max(last, first + pd.Timedelta(minutes=1)), fillcolor=OKABE_ITO["yellow"],
                      opacity=0.18, line_width=0, layer="below")
        fig.add_annotation(x=first, y=0.055 * row, yref="paper", yanchor="bottom", xanchor="left", showarrow=False,
                           text=text(lab), font=dict(size=11, color=_INK, family=_LABEL_FONT))


def timeline_figure(timeline: pd.DataFrame, culprits: pd.DataFrame | None = None,
                    incidents: pd.DataFrame | None = None, title: str = "Events over time",
                    k: int = TOP_K) -> go.Figure:
    """Stacked bars of events by kind per time bin (hour, day, week or month, from the span), the
    bin's commits in the hover; the top ``k`` culprits by damage still present as labelled reference
    lines; incidents (when given) as shaded spans."""
    counts, bins = binned_events(timeline)
    fig = _figure(barmode="stack", title=f"{title} (per {bins.label}, UTC)", xaxis_title="committed (UTC)",
                  yaxis_title="path events", legend_title="event", hovermode="closest", height=500, bargap=0)
    if not len(counts):
        return fig.update_layout(annotations=[dict(text="no events in this range", showarrow=False,
                                                   xref="paper", yref="paper", x=0.5, y=0.5)])
    x = counts["bin"] + bins.width / 2          # a bar centred on its bin, as wide as the bin
    when = counts["bin"].dt.strftime(_bin_format(bins))
    custom = pd.concat([when, counts["commits"], counts["hover"]], axis=1).to_numpy()
    for kind in EVENT_KINDS:
        if kind in counts and counts[kind].sum():
            fig.add_bar(x=x, y=counts[kind], width=bins.width.total_seconds() * 1000 * 0.9, name=kind,
                        marker=dict(color=EVENT_COLOURS[kind], line_width=0), customdata=custom,
                        hovertemplate=f"<b>%{{customdata[0]}}</b>: %{{y}} {kind}<br>%{{customdata[1]}} commits"
                                      "<br>%{customdata[2]}<extra></extra>")
    x0, x1 = counts["bin"].min(), counts["bin"].max() + bins.width
    top = top_culprits(culprits, k) if culprits is not None else None
    if top is not None and len(top):
        x0, x1 = min(x0, top["committed_at"].min()), max(x1, top["committed_at"].max())
    pad = (x1 - x0) * 0.02
    _shade_incidents(fig, incidents, x0 - pad, x1 + pad, k)     # labels packed on the axis as drawn
    nrows = _annotate_culprits(fig, top, x0 - pad, x1 + pad) if top is not None else 0
    fig.update_layout(xaxis=dict(type="date", range=[x0 - pad, x1 + pad]),
                      margin=dict(t=70 + 30 * nrows), height=500 + 30 * nrows,
                      title=dict(y=0.99, yanchor="top"))
    return fig


# -- trends ---------------------------------------------------------------------------------------

def damaged_over_time_figure(trend: pd.DataFrame, title: str = "Damaged paths over time") -> go.Figure:
    """Step lines of paths marked, not compiling, and damaged (either) at the end of each time bin
    (the same bins as the timeline), the bin's peak in the hover."""
    fig = _figure(title=title, xaxis_title="UTC", yaxis_title="paths", hovermode="x unified", height=380)
    if not len(trend):
        return fig
    t = trend.sort_values("committed_at")
    bins = choose_bins(t["committed_at"].iloc[0], t["committed_at"].iloc[-1], max_bins=2 * MAX_BINS)
    t = t.assign(bin=_bin_start(t["committed_at"], bins))
    cols = ["damaged", "marked", "broken"]
    last = t.groupby("bin")[cols].last()
    peak = t.groupby("bin")[cols].max()
    for col, colour in zip(cols, (OKABE_ITO["vermillion"], OKABE_ITO["orange"], OKABE_ITO["blue"])):
        fig.add_scatter(x=last.index + bins.width, y=last[col], name=col, mode="lines", line_shape="hv",
                        customdata=peak[col], line=dict(color=colour, width=3 if col == "damaged" else 1.5),
                        hovertemplate=f"{col}: %{{y}} (peak %{{customdata}})<extra></extra>")
    return fig


def census_over_time_figure(over_time: pd.DataFrame, title: str = "Damaged paths per tier over time") -> go.Figure:
    """One line per priority tier, tiers in order (P0 first): damaged paths at each sample."""
    fig = _figure(title=title, xaxis_title="UTC", yaxis_title="damaged paths", height=380, hovermode="x unified")
    if len(over_time):
        g = over_time.groupby(["at", "tier"])[["damaged", "total"]].sum().reset_index()
        for i, tier in enumerate(sorted(g["tier"].unique(), key=tier_key)):
            part = g[g["tier"] == tier]
            fig.add_scatter(x=part["at"], y=part["damaged"], name=text(tier), mode="lines", line_shape="hv",
                            line=dict(color=_TIER_COLOURS[i % len(_TIER_COLOURS)]), customdata=part["total"],
                            hovertemplate=text(tier) + ": %{y} of %{customdata} damaged<extra></extra>")
    return fig


# -- restoration, blast radius --------------------------------------------------------------------

def tier_key(name: object) -> tuple:
    """Natural order of tier names: P0, P1, ..., P10 (numbers compared as numbers)."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", str(name)) if p)


def restoration_figure(plan: pd.DataFrame, title: str = "Tests recovered by restoring, per tier and confidence") -> go.Figure:
    """Stacked bars: tests a restore recovers per priority tier (P0 first), split by confidence."""
    fig = _figure(barmode="stack", title=title, xaxis_title="priority tier", yaxis_title="tests recovered",
                  legend_title="confidence", height=380)
    if len(plan):
        tiers = sorted(plan["priority"].astype(str).unique(), key=tier_key)
        g = plan.assign(priority=plan["priority"].astype(str)).groupby(["priority", "confidence"]).agg(
            files=("path", "size"), tests=("tests_recovered", "sum")).reset_index()
        for conf, colour in CONFIDENCE_COLOURS.items():
            part = g[g["confidence"] == conf]
            if len(part):
                fig.add_bar(x=part["priority"], y=part["tests"], name=conf, marker_color=colour, customdata=part["files"],
                            hovertemplate="%{x} " + conf + ": %{y} tests in %{customdata} files<extra></extra>")
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=tiers)
    return fig


def blast_treemap(paths: pd.DataFrame, title: str = "Paths in scope by directory (colour: share damaged)") -> go.Figure:
    """Treemap of directories sized by paths, coloured by the share damaged. ``paths`` is the
    per-path table (directory, damaged); it is aggregated per directory first, so the browser draws
    hundreds of boxes, not tens of thousands."""
    g = paths.groupby("directory").agg(paths=("path", "size"), damaged=("damaged", "sum")).reset_index()
    seen: dict[str, tuple[int, int]] = {}
    for r in g.itertuples(index=False):
        parts = r.directory.split("/") if r.directory != "." else ["."]
        for i in range(1, len(parts) + 1):
            node = "/".join(parts[:i])
            p, d = seen.get(node, (0, 0))
            seen[node] = (p + r.paths, d + int(r.damaged))
    ids = sorted(seen)
    fig = go.Figure(go.Treemap(
        ids=[text(n) for n in ids], labels=[text(n.rsplit("/", 1)[-1]) for n in ids],
        parents=[text(n.rsplit("/", 1)[0]) if "/" in n else "" for n in ids], values=[seen[n][0] for n in ids],
        branchvalues="total",
        marker=dict(colors=[seen[n][1] / seen[n][0] if seen[n][0] else 0 for n in ids], colorscale=DAMAGE_SCALE,
                    cmin=0, cmax=1, colorbar=dict(title="damaged", tickformat=".0%"),
                    line=dict(color="rgba(128,128,128,0.5)", width=1)), root_color="rgba(0,0,0,0)",
        customdata=[[text(n), seen[n][1]] for n in ids],
        hovertemplate="%{customdata[0]}<br>%{value} paths, %{customdata[1]} damaged<extra></extra>"))
    fig.update_layout(template="forensics", title=title, height=520, margin=dict(t=50, l=10, r=10, b=10))
    return fig


def touched_vs_damaged_figure(culprits: pd.DataFrame, title: str = "Touched versus damaged, top culprits",
                              k: int = TOP_K) -> go.Figure:
    """Grouped bars for the top ``k`` bulk commits, waves and breakers by damage still present (in time
    order): paths touched, damaged, still damaged, masked (never counted as healed) and healed."""
    c = culprits[culprits["kind"].isin(["bulk_commit", "wave", "breaker"])]
    c = top_culprits(c, k).sort_values("committed_at") if len(c) else c
    labels = [f"{named_commit(r)[:8]} ({'in wave' if r.kind == 'wave' else r.kind.replace('_commit', '')})"
              for r in c.itertuples(index=False)]
    fig = _figure(barmode="group", title=title, yaxis_title="paths", height=420)
    cols = [("paths_touched", OKABE_ITO["grey"]), ("paths_damaged", OKABE_ITO["vermillion"]),
            ("paths_still_damaged", OKABE_ITO["purple"]), ("paths_masked", OKABE_ITO["yellow"]),
            ("paths_healed", OKABE_ITO["blue"])]
    hover = (c["author"].map(lambda a: text(a, 40)) + ": " + c["subject"].map(lambda s: text(s, 80))).tolist()
    for col, colour in cols:
        if col in c.columns:
            fig.add_bar(x=labels, y=c[col], name=col.replace("paths_", "").replace("_", " "), marker_color=colour,
                        hovertext=hover, hovertemplate="%{x}: %{y}<br>%{hovertext}<extra></extra>")
    fig.update_xaxes(type="category")
    return fig


def event_heatmap(events: pd.DataFrame, depth: int = 2, title: str = "Events by directory and day (UTC)",
                  max_directories: int = 30) -> go.Figure:
    """Directory-by-time heatmap of event counts on a contiguous time axis (days, or weeks or months
    when the span is long), empty bins at zero; the ``max_directories`` directories with the most
    events, the rest summed as ``(other)``."""
    from forensics.analyses.census import directory_of

    if not len(events):
        return _figure(title=title)
    bins = choose_bins(events["committed_at"].min(), events["committed_at"].max())
    if bins.label == "hour":
        bins = Bins(*_BIN_CHOICES[1])
    ev = pd.DataFrame({"directory": events["path"].map(lambda p: directory_of(p, depth)),
                       "bin": _bin_start(events["committed_at"], bins)})
    grid = pd.crosstab(ev["directory"], ev["bin"])
    if len(grid) > max_directories:
        order = grid.sum(axis=1).sort_values(ascending=False).index
        grid = pd.concat([grid.loc[order[:max_directories - 1]],
                          grid.loc[order[max_directories - 1:]].sum().to_frame("(other)").T])
    full = pd.date_range(grid.columns.min(), grid.columns.max(), freq=bins.freq if bins.label != "week" else "7D")
    grid = grid.reindex(columns=full, fill_value=0)
    grid = grid.loc[grid.sum(axis=1).sort_values(ascending=True).index]   # most events at the top
    fig = go.Figure(go.Heatmap(z=grid.values, x=list(grid.columns), y=[text(d) for d in grid.index],
                               colorscale=COUNT_SCALE, zmin=0, xgap=1, ygap=1,
                               colorbar=dict(title="events"),
                               hovertemplate="%{y}<br>%{x|" + _bin_format(bins) + "}: %{z} events<extra></extra>"))
    fig.update_layout(template="forensics", title=title.replace("day", bins.label),
                      height=max(300, 24 * len(grid) + 140), xaxis_title=f"{bins.label} (UTC)",
                      xaxis=dict(type="date", showgrid=False), yaxis=dict(type="category", showgrid=False,
                                                                     automargin=True))
    return fig

