"""The fleet's two figures: damage per repository, and root causes across repositories on one time axis.
Both cost O(repositories + top root causes), whatever the histories' size."""
from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

# Okabe-Ito: colour-blind-safe
_MARKED, _BROKEN, _SPAN = "#E69F00", "#0072B2", "#CC79A7"
_LAYOUT = dict(template="plotly_white", paper_bgcolor="rgba(0,0,0,0)", font=dict(size=12),
               margin=dict(l=10, r=10, t=50, b=40), legend=dict(orientation="h", y=-0.15))


def _text(value: object) -> str:
    """Repository-derived text as plotly text: HTML-escaped, so it is never markup."""
    return html.escape(str(value), quote=True)


def fleet_damage_figure(census: pd.DataFrame) -> go.Figure:
    """Horizontal bars per repository: damaged paths split into marked and broken-only, errors named."""
    ok = census[census["error"].fillna("") == ""].copy()
    ok = ok.sort_values("damaged", ascending=True)
    names = [_text(r) for r in (ok["name"] if "name" in ok.columns else ok["repo"])]
    broken_only = (ok["damaged"].astype(int) - ok["marked"].astype(int)).clip(lower=0)
    fig = go.Figure([
        go.Bar(y=names, x=ok["marked"].astype(int), orientation="h", name="marked", marker_color=_MARKED,
               hovertemplate="%{y}<br>%{x} marked<extra></extra>"),
        go.Bar(y=names, x=broken_only, orientation="h", name="broken, not marked", marker_color=_BROKEN,
               hovertemplate="%{y}<br>%{x} broken (no markers)<extra></extra>"),
    ])
    failed = census[census["error"].fillna("") != ""]
    title = "Damaged paths per repository"
    if len(failed):
        title += f" ({len(failed)} repositor{'y' if len(failed) == 1 else 'ies'} could not be scanned: see fleet_census.csv)"
    fig.update_layout(barmode="stack", title=title, xaxis_title="paths damaged at the revision",
                      height=max(260, 60 + 28 * len(ok)), **_LAYOUT)
    return fig


def fleet_spans_figure(spans: pd.DataFrame, top: int = 5) -> go.Figure:
    """One row per (repository, root cause) for each repository's ``top`` root causes by paths: a bar
    from its first to its last event, on one UTC time axis, labelled with the paths it damaged. Bars are
    at least an hour wide so a one-commit root cause still shows. Costs O(repositories x top)."""
    fig = go.Figure()
    rows = 0
    if len(spans):
        s = spans.copy()
        s["first_at"] = pd.to_datetime(s["first_at"], utc=True)
        s["last_at"] = pd.to_datetime(s["last_at"], utc=True)
        s = s.sort_values(["name", "paths"], ascending=[True, False]).groupby("name", sort=False).head(top)
        s = s.iloc[::-1]  # plotly draws the first category at the bottom
        rows = len(s)
        width_ms = ((s["last_at"] - s["first_at"]).dt.total_seconds() * 1000).clip(lower=3_600_000)
        labels = [f"{_text(n)} · {c[:8]}" for n, c in zip(s["name"], s["root_cause"])]
        fig.add_bar(base=s["first_at"], x=width_ms, y=labels, orientation="h", marker_color=_SPAN,
                    text=[f"{p} path{'' if p == 1 else 's'}" for p in s["paths"]], textposition="auto", cliponaxis=False,
                    customdata=list(zip(s["root_cause"], s["paths"], s["first_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                        s["last_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))),
                    hovertemplate="%{y}<br>root cause %{customdata[0]}<br>%{customdata[1]} paths damaged<br>"
                                  "%{customdata[2]} to %{customdata[3]}<extra></extra>")
        fig.update_xaxes(type="date")
    fig.update_layout(title=f"Root causes across repositories (top {top} each, first to last event of their chains)",
                      showlegend=False, height=max(260, 90 + 30 * rows), **_LAYOUT)
    return fig
