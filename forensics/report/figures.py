"""Every figure, in one place. Functions take tables (already aggregated) and return plotly figures;
notebooks and the report only display them. Times are UTC on the axes."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

EVENT_COLOURS = {"broke": "#d62728", "marked": "#ff7f0e", "added_damaged": "#8c564b",
                 "deleted_damaged": "#7f7f7f", "healed": "#2ca02c", "unmarked": "#17becf"}
_CULPRIT_STYLE = {"bulk_commit": ("#444", "dash"), "script": ("#9467bd", "dot"), "backup_set": ("#1f77b4", "dashdot")}


def _vline(fig: go.Figure, x, text: str, colour: str, dash: str, row: int) -> None:
    fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", xref="x",
                  line=dict(color=colour, dash=dash, width=1))
    fig.add_annotation(x=x, y=1 - 0.07 * (row % 6), yref="paper", text=text, showarrow=False, xanchor="left",
                       font=dict(size=10, color=colour), bgcolor="rgba(255,255,255,0.7)")


def timeline_figure(timeline: pd.DataFrame, culprits: pd.DataFrame | None = None,
                    title: str = "Events per commit") -> go.Figure:
    """Stacked bars of event counts by kind per commit on a UTC date axis; bulk commits, waves,
    script introductions and backup times as annotated reference lines."""
    fig = go.Figure()
    tl = timeline.sort_values("committed_at")
    hover = tl["sha"].str.slice(0, 12) + " " + tl["author"] + ": " + tl["subject"]
    for kind, colour in EVENT_COLOURS.items():
        if kind in tl and tl[kind].sum():
            fig.add_bar(x=tl["committed_at"], y=tl[kind], name=kind, marker_color=colour, hovertext=hover,
                        hovertemplate="%{x|%Y-%m-%dT%H:%M:%SZ}<br>%{hovertext}<br>" + kind + ": %{y}<extra></extra>")
    if culprits is not None and len(culprits):
        for i, c in enumerate(culprits.sort_values("committed_at").itertuples(index=False)):
            if pd.isna(c.committed_at):
                continue
            if c.kind == "wave":
                end = culprits.loc[culprits["sha"] == c.sha, "committed_at"].iloc[0]
                fig.add_shape(type="rect", x0=c.committed_at - pd.Timedelta(hours=2), x1=end + pd.Timedelta(hours=2),
                              y0=0, y1=1, yref="paper", fillcolor="rgba(255,127,14,0.12)", line_width=0)
                fig.add_annotation(x=c.committed_at, y=0.93, yref="paper", text=f"wave {c.sha[:8]} ({c.author})",
                                   showarrow=False, xanchor="left", font=dict(size=10, color="#ff7f0e"))
            else:
                colour, dash = _CULPRIT_STYLE.get(c.kind, ("#444", "dash"))
                label = {"bulk_commit": f"bulk {c.sha[:8]}", "script": f"script {c.subject}",
                         "backup_set": f"backups {c.subject}"}.get(c.kind, c.kind)
                _vline(fig, c.committed_at, label, colour, dash, i)
    fig.update_layout(barmode="stack", title=title, xaxis_title="committed (UTC)", yaxis_title="paths",
                      legend_title="event", hovermode="closest", height=480)
    return fig


def damaged_over_time_figure(trend: pd.DataFrame, title: str = "Damaged paths over time") -> go.Figure:
    """Step lines: paths marked, paths not compiling, and damaged (either), after each commit."""
    fig = go.Figure()
    for col, colour in (("damaged", "#d62728"), ("marked", "#ff7f0e"), ("broken", "#9467bd")):
        fig.add_scatter(x=trend["committed_at"], y=trend[col], name=col, mode="lines", line_shape="hv",
                        line=dict(color=colour, width=3 if col == "damaged" else 1.5))
    fig.update_layout(title=title, xaxis_title="committed (UTC)", yaxis_title="paths", hovermode="x unified",
                      height=380)
    return fig


def use_offline_renderer() -> None:
    """Figures render in JupyterLab (plotly mimetype) and carry their own plotly.js for exported
    HTML (``notebook`` renderer: the library is embedded once, no CDN)."""
    import plotly.io as pio

    pio.renderers.default = "plotly_mimetype+notebook"


def restoration_figure(plan: pd.DataFrame, title: str = "Tests recovered by restoring, per tier and confidence") -> go.Figure:
    """Stacked bars: tests a restore recovers per priority tier, split by confidence."""
    colours = {"high": "#2ca02c", "medium": "#ff7f0e", "low": "#d62728", "none": "#7f7f7f"}
    fig = go.Figure()
    if len(plan):
        g = plan.groupby(["priority", "confidence"]).agg(files=("path", "size"), tests=("tests_recovered", "sum")).reset_index()
        for conf, colour in colours.items():
            part = g[g["confidence"] == conf]
            if len(part):
                fig.add_bar(x=part["priority"], y=part["tests"], name=conf, marker_color=colour, customdata=part["files"],
                            hovertemplate="%{x} " + conf + ": %{y} tests in %{customdata} files<extra></extra>")
    fig.update_layout(barmode="stack", title=title, xaxis_title="priority tier", yaxis_title="tests recovered",
                      legend_title="confidence", height=380)
    return fig


def blast_treemap(paths: pd.DataFrame, title: str = "Paths in scope by directory (colour: share damaged)") -> go.Figure:
    """Treemap of directories sized by paths, coloured by the share damaged. ``paths`` is the
    per-path table (directory, damaged); it is aggregated per directory first, so the browser draws
    hundreds of boxes, not tens of thousands."""
    g = paths.groupby("directory").agg(paths=("path", "size"), damaged=("damaged", "sum")).reset_index()
    g["share"] = (g["damaged"] / g["paths"]).round(3)
    ids, labels, parents, values, colours = [], [], [], [], []
    seen: dict[str, tuple[int, int]] = {}
    for r in g.itertuples(index=False):
        parts = r.directory.split("/") if r.directory != "." else ["."]
        for i in range(1, len(parts) + 1):
            node = "/".join(parts[:i])
            p, d = seen.get(node, (0, 0))
            seen[node] = (p + r.paths, d + r.damaged)
    for node, (p, d) in sorted(seen.items()):
        ids.append(node)
        labels.append(node.rsplit("/", 1)[-1])
        parents.append(node.rsplit("/", 1)[0] if "/" in node else "")
        values.append(p)
        colours.append(d / p if p else 0)
    fig = go.Figure(go.Treemap(ids=ids, labels=labels, parents=parents, values=values, branchvalues="total",
                               marker=dict(colors=colours, colorscale="RdYlGn_r", cmin=0, cmax=1,
                                           colorbar=dict(title="damaged")),
                               customdata=[[seen[i][1]] for i in ids],
                               hovertemplate="%{id}<br>%{value} paths, %{customdata[0]} damaged<extra></extra>"))
    fig.update_layout(title=title, height=520, margin=dict(t=50, l=10, r=10, b=10))
    return fig


def touched_vs_damaged_figure(culprits: pd.DataFrame, title: str = "Touched versus damaged, per culprit") -> go.Figure:
    """Grouped bars per bulk commit, wave and breaker: paths touched, damaged, healed."""
    c = culprits[culprits["kind"].isin(["bulk_commit", "wave", "breaker"])].sort_values("committed_at")
    labels = [f"{k} {s[:8]}" for k, s in zip(c["kind"], c["sha"])]
    fig = go.Figure()
    for col, colour in (("paths_touched", "#7f7f7f"), ("paths_damaged", "#d62728"), ("paths_healed", "#2ca02c")):
        fig.add_bar(x=labels, y=c[col], name=col.replace("paths_", ""), marker_color=colour, hovertext=c["subject"])
    fig.update_layout(barmode="group", title=title, yaxis_title="paths", height=420)
    return fig


def event_heatmap(events: pd.DataFrame, depth: int = 2, title: str = "Events by directory and day (UTC)") -> go.Figure:
    """Directory-by-day heatmap of event counts (aggregated before plotting)."""
    from forensics.analyses.census import directory_of

    if not len(events):
        return go.Figure().update_layout(title=title)
    ev = events.assign(directory=events["path"].map(lambda p: directory_of(p, depth)),
                       day=events["committed_at"].dt.strftime("%Y-%m-%d"))
    grid = pd.crosstab(ev["directory"], ev["day"])
    fig = go.Figure(go.Heatmap(z=grid.values, x=list(grid.columns), y=list(grid.index), colorscale="Reds",
                               hovertemplate="%{y}<br>%{x}: %{z} events<extra></extra>"))
    fig.update_layout(title=title, height=max(300, 28 * len(grid) + 120), xaxis_title="day (UTC)")
    return fig


def census_over_time_figure(over_time: pd.DataFrame, title: str = "Damaged paths per tier over time") -> go.Figure:
    """One line per priority tier: damaged paths at each sample."""
    fig = go.Figure()
    if len(over_time):
        g = over_time.groupby(["at", "tier"])[["damaged", "total"]].sum().reset_index()
        for tier, part in g.groupby("tier"):
            fig.add_scatter(x=part["at"], y=part["damaged"], name=tier, mode="lines+markers", line_shape="hv",
                            customdata=part["total"], hovertemplate=tier + ": %{y} of %{customdata} damaged<extra></extra>")
    fig.update_layout(title=title, xaxis_title="UTC", yaxis_title="damaged paths", height=380)
    return fig
