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
