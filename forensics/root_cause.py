"""Root-cause analysis: the result object the timeline notebook displays.

>>> rc = analyse_root_cause("data/demo/repo")          # doctest: +SKIP
>>> rc.culprits; rc.summary; rc.timeline_figure()      # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from forensics.culprits import culprits as find_culprits
from forensics.scanner import ScanResult, scan
from forensics.summary import summarize
from forensics.commit_timeline import timeline as build_timeline
from forensics.trend import damaged_over_time


@dataclass
class RootCause:
    """Attributes (tables): ``timeline`` (commits with events), ``culprits`` (bulk commits, waves,
    scripts, backup sets), ``chains`` (damage chain per damaged path), ``root_causes`` (one row per
    root-cause commit: root_cause, paths, events, first_event, subject, author, committed_at),
    ``trend`` (damaged paths after each commit), ``summary`` (sentences). ``since``/``until`` only
    narrow what is shown; chains always follow the whole scanned history."""

    result: ScanResult
    timeline: pd.DataFrame
    culprits: pd.DataFrame
    chains: pd.DataFrame
    root_causes: pd.DataFrame
    trend: pd.DataFrame
    summary: list[str] = field(default_factory=list)
    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None

    def _window(self, df: pd.DataFrame, col: str = "committed_at") -> pd.DataFrame:
        if self.since is not None:
            df = df[df[col] >= self.since]
        if self.until is not None:
            df = df[df[col] <= self.until]
        return df

    def summary_markdown(self) -> str:
        return "\n".join(f"- {line}" for line in self.summary)

    def write_csvs(self, out_dir) -> dict[str, str]:
        """Write ``timeline.csv``, ``culprits.csv`` and ``chains.csv`` into ``out_dir``."""
        from pathlib import Path

        from forensics.output import write_csv

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        files = {"timeline": out / "timeline.csv", "culprits": out / "culprits.csv", "chains": out / "chains.csv"}
        write_csv(self.timeline.drop(columns=["order"]), str(files["timeline"]))
        write_csv(self.culprits, str(files["culprits"]))
        write_csv(self.chains, str(files["chains"]))
        return {k: str(v) for k, v in files.items()}

    def timeline_figure(self):
        from forensics.figures import timeline_figure

        return timeline_figure(self._window(self.timeline), self._window(self.culprits))

    def trend_figure(self):
        from forensics.figures import damaged_over_time_figure

        return damaged_over_time_figure(self._window(self.trend))


def _utc(value: str | None) -> pd.Timestamp | None:
    if not value:
        return None
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def root_causes(result: ScanResult, chains: pd.DataFrame) -> pd.DataFrame:
    """One row per root-cause commit, most paths first."""
    if not len(chains):
        return pd.DataFrame(columns=["root_cause", "paths", "first_event", "subject", "author", "committed_at"])
    g = chains.groupby("root_cause").agg(paths=("path", "size"), first_event=("root_cause_event", lambda s: s.mode().iloc[0]))
    meta = result.commits.set_index("sha")[["subject", "author", "committed_at"]]
    out = g.join(meta, how="left").reset_index().sort_values(["paths", "committed_at"], ascending=[False, True])
    return out.reset_index(drop=True)


def analyse_root_cause(repo_or_result, rev: str = "HEAD", *, since: str | None = None, until: str | None = None,
                       bulk_threshold: int | None = None, wave_window: float = 30, wave_min_damaged: int = 20,
                       **scan_options) -> RootCause:
    """Scan (or take a scan) and build every root-cause table."""
    result = repo_or_result if isinstance(repo_or_result, ScanResult) else scan(repo_or_result, rev, **scan_options)
    tl = build_timeline(result, bulk_threshold)
    cul = find_culprits(result, bulk_threshold, wave_window, wave_min_damaged)
    chains = result.chains()
    return RootCause(result=result, timeline=tl, culprits=cul, chains=chains, root_causes=root_causes(result, chains),
                     trend=damaged_over_time(result), summary=summarize(result, cul, chains),
                     since=_utc(since), until=_utc(until))
