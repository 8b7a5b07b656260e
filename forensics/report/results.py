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
from forensics.analyses.timeline import COUNT_KINDS, event_counts
from forensics.report.display import Table, with_show_command
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
    story: object = None
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

    def timeline_figure(self, incidents: pd.DataFrame | None = None):
        """Events per time bin by kind, top culprits annotated, incidents shaded (when given)."""
        return timeline_figure(self._window(self.timeline), self._window(self.culprits), incidents)

    def trend_figure(self):
        return damaged_over_time_figure(self._window(self.trend))

    def chain(self, path: str, whole: bool = False) -> Table:
        """One path's story as a table: its damage chain (``whole``: every event, renames followed).
        Columns: event, state_before, state_after, committed_at, sha, author, subject, path, git_show
        (event and state first: two rows of one commit differ there)."""
        return Table(path_chain(self.result, path, whole), f"chain of {path}")

    def focused(self, spec: str | int | None, incidents: pd.DataFrame | None = None) -> "RootCause":
        """The same analysis narrowed to a path, a directory or an incident (see ``Focus``): the
        timeline and the culprits come from the events in focus; chains keep only paths in focus."""
        f = Focus.parse(spec, incidents, self.result.subjects["path"])
        if f.kind == "all":
            return self
        ev = self.result.events[f.events_mask(self.result.events)]
        tl = timeline_from_events(ev, self.result.commits)
        shas = set(ev["sha"])
        member = self.culprits["sha"].isin(shas) | self.culprits.get("last_sha", self.culprits["sha"]).isin(shas)
        chains = self.chains[f.paths_mask(self.chains["path"])]
        return RootCause(result=self.result, timeline=tl, culprits=self.culprits[member], chains=chains,
                         root_causes=self.root_causes[self.root_causes["root_cause"].isin(set(chains["root_cause"]))],
                         trend=self.trend, summary=self.summary, since=self.since, until=self.until,
                         story=self.story)


@dataclass(frozen=True)
class Focus:
    """What a reader narrows the figures to: ``all``, one ``path``, a ``directory`` (a prefix; a
    trailing ``/`` is optional) or an ``incident`` (its time span, from the incidents table)."""

    kind: str
    value: str = ""
    first_at: pd.Timestamp | None = None
    last_at: pd.Timestamp | None = None

    @classmethod
    def parse(cls, spec: str | int | None, incidents: pd.DataFrame | None = None,
              known_paths: "pd.Series | None" = None) -> "Focus":
        from forensics.errors import ForensicsError

        if spec in (None, "", "*"):
            return cls("all")
        text = str(spec).strip()
        low = text.lower().removeprefix("incident").strip().lstrip("#")
        if isinstance(spec, int) or (low.isdigit() and (text.lower().startswith(("incident", "#")) or isinstance(spec, int))):
            if incidents is None or not len(incidents):
                raise ForensicsError(f"focus {text!r}: no incidents table is available")
            row = incidents[incidents["incident"].astype(str) == low]
            if not len(row):
                raise ForensicsError(f"focus {text!r}: no such incident (known: 1..{len(incidents)})")
            return cls("incident", low, pd.Timestamp(row["first_at"].iloc[0]), pd.Timestamp(row["last_at"].iloc[0]))
        if text.endswith("/") or (known_paths is not None and text not in set(known_paths)):
            return cls("directory", text.rstrip("/"))
        return cls("path", text)

    def _path_mask(self, paths: pd.Series) -> pd.Series:
        p = paths.astype(str)
        if self.kind == "path":
            return p == self.value
        return (p == self.value) | p.str.startswith(self.value + "/")

    def paths_mask(self, paths: pd.Series) -> pd.Series:
        if self.kind in ("all", "incident"):
            return pd.Series(True, index=paths.index)
        return self._path_mask(paths)

    def events_mask(self, events: pd.DataFrame) -> pd.Series:
        if self.kind == "all":
            return pd.Series(True, index=events.index)
        if self.kind == "incident":
            return (events["committed_at"] >= self.first_at) & (events["committed_at"] <= self.last_at)
        mask = self._path_mask(events["path"])
        if "old_path" in events:
            mask |= self._path_mask(events["old_path"].fillna(""))
        return mask


def timeline_from_events(events: pd.DataFrame, commits: pd.DataFrame) -> pd.DataFrame:
    """Per commit with events: sha, committed_at, author, subject and one count column per event kind
    (the shape of ``forensics.analyses.timeline``, for any subset of the events)."""
    if not len(events):
        return pd.DataFrame(columns=["sha", "committed_at", "author", "subject", *COUNT_KINDS])
    counts = event_counts(events)
    info = commits.set_index("sha")[["committed_at", "author", "subject"]]
    return info.join(counts, how="inner").reset_index().rename(columns={"index": "sha"}).sort_values("committed_at")


def path_chain(result: ScanResult, path: str, whole: bool = False) -> pd.DataFrame:
    """The events of one path, oldest first: its damage chain (the events since its last healthy
    version, renames followed) when it is damaged now; with ``whole``, or for a healthy path, every
    event under its name and the names its chain passed through. Columns: event, state_before,
    state_after, committed_at, sha, author, subject, path, git_show (what happened first: a commit
    with two events on the path's names shows two rows that differ in their first columns)."""
    from forensics.errors import ForensicsError

    ev = result.events
    chains = result.chains()
    hit = chains[chains["path"] == path]
    steps = [tuple(s) for s in hit["chain"].iloc[0]] if len(hit) else []
    if steps and not whole:
        keys = pd.DataFrame(steps, columns=["sha", "path", "event"])
        rows = ev.assign(event=ev["event"].astype(str)).merge(keys, on=["sha", "path", "event"])
    else:
        names = {path} | {p for _, p, _ in steps}
        rows = ev[ev["path"].isin(names)]
    if not len(rows) and path not in set(result.subjects["path"]) and path not in set(ev["path"]):
        raise ForensicsError(f"no events for {path!r}, and it is not a path in scope at {result.rev}")
    rows = rows.sort_values("order")
    subjects = result.commits.set_index("sha")["subject"]
    from forensics.analyses.timeline import counted_kind

    rows = rows.assign(event=counted_kind(rows))        # masking is shown as masking, never as healing
    out = rows.assign(subject=rows["sha"].map(subjects))[["event", "state_before", "state_after", "committed_at", "sha",
                                                          "author", "subject", "path"]]
    return with_show_command(out).reset_index(drop=True)


def incidents_of(result: ScanResult, culprits: pd.DataFrame) -> pd.DataFrame | None:
    """The incidents table (CONTRACT columns: incident, first_at, last_at, paths_damaged,
    paths_still_damaged, ...) when ``forensics.analyses.incidents`` provides ``incidents(result[,
    culprits])``; ``None`` where it does not exist yet."""
    import inspect

    try:
        from forensics.analyses import incidents as module
    except ImportError:
        return None
    build = getattr(module, "incidents", None)
    if build is None:
        return None
    if "culprits" in inspect.signature(build).parameters:
        return build(result, culprits=culprits)
    return build(result)


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
    from forensics.analyses.incidents import build_story

    cul = find_culprits(result, bulk_threshold, wave_window, wave_min_damaged)
    chains = result.chains()
    story = build_story(result, cul, wave_window=wave_window)     # the one story every view renders
    return RootCause(result=result, timeline=tl, culprits=cul, chains=chains, root_causes=root_causes(result, chains),
                     trend=damaged_over_time(result), summary=summarize(result, cul, story=story),
                     since=_utc(since), until=_utc(until), story=story)


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

    def treemap(self, focus: "Focus | None" = None):
        return blast_treemap(self.paths[focus.paths_mask(self.paths["path"])] if focus else self.paths)

    def touched_vs_damaged(self):
        return touched_vs_damaged_figure(self.culprits)

    def heatmap(self, focus: "Focus | None" = None):
        ev = self.result.events
        return event_heatmap(ev[focus.events_mask(ev)] if focus else ev, self.depth)

    def over_time_figure(self):
        return census_over_time_figure(self.over_time)
