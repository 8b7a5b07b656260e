"""Result objects the notebooks display: the tables of an analysis plus their figures and CSVs.

>>> rc = analyse_root_cause("data/demo/repo")          # doctest: +SKIP
>>> rc.culprits; rc.summary; rc.timeline_figure()      # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forensics.analyses.blast import blast_radius, census_over_time, path_table
from forensics.analyses.culprits import culprits as find_culprits
from forensics.analyses.dependents import dependents, jobs_summary
from forensics.analyses.root_cause import root_causes
from forensics.analyses.summary import as_markdown, summarize
from forensics.analyses.timeline import timeline as build_timeline
from forensics.analyses.trend import damaged_over_time
from forensics.engine.scan import ScanResult, scan
from forensics.engine.tiers import DEFAULT_TIERS, Tier
from forensics.report.figures import (blast_treemap, census_over_time_figure, damaged_over_time_figure,
                                      event_heatmap, timeline_figure, touched_vs_damaged_figure)
from forensics.report.tables import write_csv

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
        return as_markdown(self.summary)

    def write_csvs(self, out_dir) -> dict[str, str]:
        """Write ``timeline.csv``, ``culprits.csv`` and ``chains.csv`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        files = {"timeline": out / "timeline.csv", "culprits": out / "culprits.csv", "chains": out / "chains.csv"}
        write_csv(self.timeline.drop(columns=["order"]), str(files["timeline"]))
        write_csv(self.culprits, str(files["culprits"]))
        write_csv(self.chains, str(files["chains"]))
        return {k: str(v) for k, v in files.items()}

    def timeline_figure(self):
        return timeline_figure(self._window(self.timeline), self._window(self.culprits))

    def trend_figure(self):
        return damaged_over_time_figure(self._window(self.trend))


def _utc(value: str | None) -> pd.Timestamp | None:
    if not value:
        return None
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


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


class BlastRadius:
    """What the blast-radius notebook shows. Attributes: ``paths`` (per-path table), ``by_directory``
    (blast_radius rows), ``dependents`` (references), ``jobs`` (one verdict per CI/config file),
    ``over_time`` (census per directory and tier by day), ``culprits``; figures by method."""

    def __init__(self, result, tiers: tuple[Tier, ...] = DEFAULT_TIERS, depth: int = 2,
                 culprits: pd.DataFrame | None = None) -> None:
        self.result, self.tiers, self.depth = result, tiers, depth
        self.paths = path_table(result, tiers, depth)
        self.by_directory = blast_radius(result, tiers, depth)
        self.dependents = dependents(result)
        self.jobs = jobs_summary(self.dependents)
        self.over_time = census_over_time(result, tiers, depth)
        self.culprits = culprits if culprits is not None else find_culprits(result)

    def treemap(self):
        return blast_treemap(self.paths)

    def touched_vs_damaged(self):
        return touched_vs_damaged_figure(self.culprits)

    def heatmap(self):
        return event_heatmap(self.result.events, self.depth)

    def over_time_figure(self):
        return census_over_time_figure(self.over_time)
