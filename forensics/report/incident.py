"""What the incident report shows: ``build_report`` gathers the tables once; ``IncidentReport`` turns
them into the page's parts (header, headline, sections, whole tables, figures). The notebook only
displays these parts, in order.

Every string from the analysed repository reaches the page escaped (``forensics.report.display``).
"""
from __future__ import annotations

import json
import platform
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from forensics.analyses.error_kinds import error_kind_breakdown
from forensics.engine.declared_python import declared_python_line
from forensics.engine.states import DAMAGED_STATES, HOLLOWED, LEGACY
from forensics.report.display import Table, esc, heading, html_list, plural, with_show_command
from forensics.report.parameters import Parameters

# (anchor, heading) of the page's sections, in order: the table of contents.
SECTIONS = (("summary", "What the history proves"), ("timeline", "Root-cause timeline"),
            ("culprits", "Culprits"), ("blast-radius", "Blast radius"), ("ci-jobs", "CI jobs and config files"),
            ("restoration", "Restoration candidates"), ("chains", "Root causes and damage chains"),
            ("parameters", "Run parameters"))

CSV_FILES = (("restore_candidates", "the restore list, the plan forensics restore --plan reads"),
             ("timeline", "commits with events"), ("culprits", "culprits"), ("chains", "damage chain per path"),
             ("blast_radius", "damage by directory and tier"), ("dependents", "CI references"),
             ("incidents", "incidents"), ("report", "headline numbers (JSON)"))

_RESTORE_COLUMNS = ["path", "priority", "action", "confidence", "confidence_reason", "tests_recovered",
                    "edits_since_damage", "state", "source", "restore_command", "tier_reason"]
_CULPRIT_COLUMNS = ["kind", "sha", "committed_at", "author", "subject", "paths_touched", "paths_damaged",
                    "paths_still_damaged", "paths_healed", "commits", "scripts"]


@dataclass
class IncidentReport:
    """Everything the report shows: ``headline`` (dict), ``rc`` (RootCause), ``blast`` (BlastRadius),
    ``plan`` (restore list), ``parameters`` (dict), ``incidents`` (table or None), ``files`` (CSV
    name -> path, once written), ``generated_at`` (UTC)."""

    title: str
    headline: dict[str, Any]
    rc: Any
    blast: Any
    plan: pd.DataFrame
    parameters: dict[str, Any]
    incidents: pd.DataFrame | None = None
    files: dict[str, str] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    # -- page parts ------------------------------------------------------------------------------

    def header_html(self) -> str:
        """Title, what was analysed, when and with what, the headline, the contents and the CSVs beside the page."""
        from forensics import __version__

        h = self.headline
        meta = (f"{esc(h['repo'])} at {esc(h['rev'])} (<code title=\"{esc(h['rev_sha'])}\">{esc(h['rev_sha'][:12])}</code>)"
                f" · generated {self.generated_at.strftime('%Y-%m-%dT%H:%M:%SZ')} by forensics {esc(__version__)}"
                f" · analysed with {esc(h['interpreter'] or platform.python_implementation())}"
                + (f" · <strong>declared Python:</strong> {esc(h['declared_python'])}" if h.get("declared_python") else "")
                + f" · report run on Python {esc(platform.python_version())}")
        links = [f'<a href="{esc(Path(self.files[name]).name)}">{esc(Path(self.files[name]).name)}</a> ({esc(what)})'
                 for name, what in CSV_FILES if name in self.files]
        toc = "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t in SECTIONS
                      if a != "ci-jobs" or len(self.blast.jobs))
        return (f'<h1 id="top">{esc(self.title)}</h1><p><em>{meta}</em></p>'
                + self.headline_html()
                + f'<nav><strong>Contents</strong><ol>{toc}</ol></nav>'
                + (f"<p>Tables beside this page: {', '.join(links)}.</p>" if links else ""))

    def headline_html(self) -> str:
        h = self.headline
        rc = h["top_culprit"]
        items = [f"<strong>Damaged now:</strong> {h['damaged_now']} of {plural(h['paths_in_scope'], 'path')} in scope "
                 f"({h['marked_now']} marked, {h['broken_now']} {'does' if h['broken_now'] == 1 else 'do'} not compile"
                 + (f", {h['hollowed_now']} hollowed: stubs that compile" if h.get("hollowed_now") else "") + ")"]
        if rc:
            wave = (f", in the wave <code>{esc(rc['wave'][:12])}</code>..<code>{esc(rc['wave_last'][:12])}</code> "
                    f"of {rc['wave_commits']} commits" if rc.get("wave") else "")
            items.append(f"<strong>Top culprit:</strong> commit <code title=\"{esc(rc['sha'])}\">{esc(rc['sha'][:12])}</code> "
                         f"by {esc(rc['author'])} at {esc(rc['committed_at'])}, <em>{esc(rc['subject'])}</em>{wave}: root "
                         f"cause of {rc['paths']} paths still damaged ({rc['paths_all_time']} damaged in all)"
                         + (f", incident {rc['incident']}" if rc.get("incident") else "")
                         + f" (<code>git show --stat {esc(rc['sha'])}</code>)")
        c = h["culprits"]
        items.append("<strong>Culprits:</strong> " + ", ".join([
            plural(c.get("bulk_commit", 0), "bulk commit")
            + (f" ({h['bulk_commits_damaging']} of them damaging)" if "bulk_commits_damaging" in h else ""),
            plural(c.get("wave", 0), "wave"),
            plural(c.get("breaker", 0), "other breaker"),
            plural(c.get("script", 0) - h.get("script_leads", 0), "script")
            + (f" (and {plural(h['script_leads'], 'lead')}: moved, not evidence)" if h.get("script_leads") else ""),
            plural(c.get("backup_set", 0), "backup set")]))
        if self.incidents is not None:
            still = int((self.incidents["paths_still_damaged"] > 0).sum()) if len(self.incidents) else 0
            items.append(f"<strong>Incidents:</strong> {still} still open of {len(self.incidents)} "
                         "(the others healed; incidents.csv has them all)")
        if h.get("repo_settings"):
            said = h["repo_settings"].split(": ", 1)[-1]      # the keys and values, where from, how to leave out
            items.append(f"<strong>The analysed repository's own settings changed this result:</strong> {esc(said)}")
        kinds = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in h.get("error_kinds", {}).items())
        items.append(f"<strong>Compile errors now, by kind:</strong> {esc(kinds or 'none')}"
                     + (f"; {h['legacy_now']} of them legacy (code of another Python dialect, never compiled here: "
                        "not damage)" if h.get("legacy_now") else ""))
        items.append(f"<strong>Tests lost:</strong> {h['tests_lost']}")
        by_conf = ", ".join(f"{n} {k}" for k, n in h["restore_by_confidence"].items())
        items.append(f"<strong>Restorable with high confidence:</strong> {h['restorable_high']} of {h['damaged_now']} "
                     f"({esc(by_conf)})")
        return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"

    def section(self, anchor: str, note: str = "") -> str:
        """A section heading from ``SECTIONS`` (with its anchor) and an optional escaped note."""
        title = dict(SECTIONS)[anchor]
        return heading(title, 2, anchor) + (f"<p>{esc(note)}</p>" if note else "")

    def summary_html(self) -> str:
        """The plain-language summary: its Markdown rendered with raw HTML escaped and unsafe links
        neutralised (repository text in it is already escaped as Markdown by the summary itself)."""
        import mistune

        # the section has its own heading; incidents are sub-headings under it
        lines = ["###" + line[2:] if line.startswith("## ") else line
                 for line in self.rc.summary if not line.startswith("# ")]
        render = mistune.create_markdown(escape=True)
        from forensics.analyses.summary import as_markdown

        return self.section("summary") + render(as_markdown(lines))

    # -- figures ---------------------------------------------------------------------------------

    def timeline_figure(self):
        return self.rc.timeline_figure(incidents=self.incidents)

    # -- tables ----------------------------------------------------------------------------------

    def culprits_table(self) -> Table:
        """Every culprit, most damage (still present, when known) first, with its ``git show`` command."""
        from forensics.report.figures import damage_column

        c = self.rc.culprits
        if len(c):   # backup sets are evidence, not culprits: last
            c = c.assign(_evidence=c["kind"] == "backup_set").sort_values(
                ["_evidence", damage_column(c), "committed_at"], ascending=[True, False, True]).drop(columns="_evidence")
        cols = [col for col in _CULPRIT_COLUMNS if col in c.columns]
        return Table(with_show_command(c[cols]), "culprits")

    def restore_table(self) -> Table:
        """The whole restore list (every damaged path), P0 first, with the command that restores each."""
        from forensics.report.figures import tier_key

        plan = self.plan
        if len(plan):
            plan = plan.assign(_tier=plan["priority"].map(tier_key)).sort_values("_tier", kind="stable").drop(columns="_tier")
        return Table(plan[[c for c in _RESTORE_COLUMNS if c in plan.columns]], "restore list")

    def root_causes_table(self) -> Table:
        """One row per root-cause commit of today's damage, most paths first, with its ``git show``."""
        rc = self.rc.root_causes.rename(columns={"root_cause": "sha"})
        return Table(with_show_command(rc), "root causes")

    def jobs_table(self) -> Table:
        return Table(self.blast.jobs, "CI jobs and config files")

    def totals_table(self) -> Table:
        by = self.blast.by_directory
        return Table(by[by["directory"] == "*"], "damage per tier")

    def incidents_table(self) -> Table | None:
        return None if self.incidents is None else Table(self.incidents, "incidents")

    def parameters_table(self) -> Table:
        def show(v: Any) -> str:
            if v is None or v == "":
                return "(none)"
            if isinstance(v, (list, tuple)):
                return ", ".join(map(str, v)) if v else "(none)"
            return str(v)

        return Table(pd.DataFrame([{"parameter": k, "value": show(v)} for k, v in self.parameters.items()]),
                     "run parameters")

    # -- files -----------------------------------------------------------------------------------

    def write_outputs(self, out_dir: str | Path) -> dict[str, str]:
        """timeline.csv, culprits.csv, chains.csv, restore_candidates.csv, blast_radius.csv,
        dependents.csv, incidents.csv (when available) and report.json (the headline numbers)."""
        from forensics.report.tables import write_csv, write_plan

        out = Path(out_dir)
        files = self.rc.write_csvs(out)
        files["restore_candidates"] = write_plan(self.plan, str(out / "restore_candidates.csv"))
        write_csv(self.blast.by_directory, str(out / "blast_radius.csv"))
        write_csv(self.blast.dependents, str(out / "dependents.csv"))
        files.update(blast_radius=str(out / "blast_radius.csv"), dependents=str(out / "dependents.csv"))
        if self.incidents is not None:
            write_csv(self.incidents, str(out / "incidents.csv"))
            files["incidents"] = str(out / "incidents.csv")
        (out / "report.json").write_text(json.dumps(self.headline, indent=2, default=str))
        files["report"] = str(out / "report.json")
        self.files = files
        return files


def _top_culprit(story) -> dict[str, Any] | None:
    """The story's top culprit as report.json and the header give it."""
    from forensics.report.tables import _iso

    top = story.top if story is not None else None
    if top is None:
        return None
    home = next((i.number for i in story.records if any(a.sha == top.sha for a in i.root_causes + i.damagers)), None)
    return {"sha": top.sha, "subject": top.subject, "author": top.author, "committed_at": _iso(top.committed_at),
            "paths": int(top.still), "paths_all_time": int(top.all_time), "incident": home,
            "wave": top.wave, "wave_last": top.wave_last, "wave_commits": int(top.wave_commits)}


def _story_json(story) -> list[dict[str, Any]]:
    """The incidents of the story as report.json lists them: actors with their counts."""
    from forensics.report.tables import _iso

    def actors(xs) -> list[dict[str, Any]]:
        return [{"sha": a.sha, "still": int(a.still), "all_time": int(a.all_time), **({"wave": a.wave} if a.wave else {})}
                for a in xs]

    return [{"incident": i.number, "first_at": _iso(i.first_at) if i.first_at is not None else None,
             "last_at": _iso(i.last_at) if i.last_at is not None else None,
             "paths_damaged": i.paths_damaged, "paths_still_damaged": i.paths_still_damaged, "tests_lost": i.tests_lost,
             "root_causes": actors(i.root_causes), "maskers": actors(i.maskers), "surfacers": actors(i.surfacers),
             "healers": actors(i.healers), "cleared": actors(i.cleared)} for i in (story.records if story else ())]


def headline(result, rc, plan: pd.DataFrame, blast) -> dict[str, Any]:
    """The numbers at the top of the report (and in report.json), from the story (``rc.story``): the
    top culprit, the incidents and their commits are the summary's. ``repo_settings`` discloses the
    analysed repository's own settings that changed the result ("" when none did)."""
    from forensics.engine.settings import repo_settings_note
    subj = result.subjects
    totals = blast.by_directory[blast.by_directory["directory"] == "*"]
    top = _top_culprit(rc.story)
    return {
        "repo": result.repo.path, "rev": result.rev, "rev_sha": result.rev_sha,
        "interpreter": result.manifest.get("interpreter", ""),
        "declared_python": declared_python_line(result.manifest.get("declared_python")),
        "hollowed_now": int((subj["state"] == HOLLOWED).sum()),
        "paths_in_scope": int(len(subj)),
        "damaged_now": int(subj["state"].isin(DAMAGED_STATES).sum()),
        "marked_now": int((subj["markers"] > 0).sum()),
        "broken_now": int((~subj["compiles"].astype(bool) & (subj["state"] != LEGACY)).sum()),
        "legacy_now": int((subj["state"] == LEGACY).sum()),
        "error_kinds": {r.error_kind: int(r.paths_now) for r in error_kind_breakdown(result).itertuples(index=False)
                        if r.error_kind != "*" and r.paths_now},
        "top_culprit": top,
        "root_cause": top,          # the same commit (an older name of this key)
        "incidents": _story_json(rc.story),
        "root_causes": {r.root_cause: int(r.paths) for r in rc.root_causes.itertuples(index=False)},
        "culprits": {k: int(v) for k, v in rc.culprits["kind"].value_counts().sort_index().items()},
        "bulk_commits_damaging": int(((rc.culprits["kind"] == "bulk_commit")
                                      & (rc.culprits["paths_damaged"].fillna(0).astype(int) > 0)).sum()),
        "script_leads": int(((rc.culprits["kind"] == "script") & (rc.culprits.get("strength") == "lead")).sum()),
        "tests_lost": int(totals["tests_lost"].sum()),
        "restorable_high": int((plan["confidence"] == "high").sum()),
        "restore_by_confidence": {k: int((plan["confidence"] == k).sum()) for k in ("high", "medium", "low", "none")},
        "restore_by_source": {k: int((plan["source"] == k).sum()) for k in ("git", "backup", "none")},
        "summary": rc.summary,
        "repo_settings": repo_settings_note(result.manifest.get("repo_settings")),
    }


def build_report(p: Parameters, title: str = "Incident report") -> IncidentReport:
    """Scan once (or reuse the cache), build every table, and write the CSVs beside the page."""
    from forensics.analyses.restore_list import restore_list
    from forensics.engine.faults import fault
    from forensics.engine.scan import scan
    from forensics.report.results import BlastRadius, analyse_root_cause

    result = scan(p.repo, p.rev, **p.scan_options())
    fault("report.build")
    rc = analyse_root_cause(result, since=p.since, until=p.until, bulk_threshold=p.bulk_threshold)
    suspects = None
    if p.extra.get("suspects"):
        from forensics.analyses.summary import summarize
        from forensics.analyses.suspect import suspect

        suspects = suspect(result, p.extra["suspects"], rc.culprits)
        rc.summary = summarize(result, story=rc.story, suspects=suspects)
    blast = BlastRadius(result, p.tiers, p.depth, culprits=rc.culprits)
    plan = restore_list(result, p.tiers)
    params = {"repo": p.repo, "rev": p.rev, "rev_sha": result.rev_sha, "paths": list(result.settings.paths),
              "markers": list(result.settings.markers), "since": p.since, "until": p.until,
              "bulk_threshold": result.settings.bulk_threshold, "depth": p.depth,
              "priority_rules": [t.name + " " + t.label for t in p.tiers], "output_dir": str(p.output_dir),
              "settings_from": list(result.settings.sources), "interpreter": result.manifest.get("interpreter"),
              "report_python": f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})"}
    head = headline(result, rc, plan, blast)
    if suspects is not None:
        head["suspects"] = [{"suspect": r.suspect, "kind": r.kind, "verdict": r.verdict, "commits": int(r.commits),
                             "paths_touched": int(r.paths_touched), "paths_damaged": int(r.paths_damaged)}
                            for r in suspects.itertuples(index=False)]
        params["suspects"] = list(p.extra["suspects"])
    report = IncidentReport(title, head, rc, blast, plan, params, incidents=rc.story.incidents)
    report.write_outputs(p.output_dir)
    return report
