"""A plain-language account of the incident, generated from the tables (no number is typed)."""
from __future__ import annotations

import pandas as pd

from forensics.analyses.culprits import wave_commits
from forensics.engine.states import DAMAGED_STATES, DAMAGING_EVENTS as DAMAGING, HEALING_EVENTS as HEALING, LEGACY


def _when(ts) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _gap(a, b) -> str:
    hours = (pd.Timestamp(b) - pd.Timestamp(a)).total_seconds() / 3600
    if hours < 1:
        return f"{hours * 60:.0f} minutes later"
    if hours < 48:
        return f"{hours:.0f} hours later"
    return f"{hours / 24:.0f} days later"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def summarize(result, culprits: pd.DataFrame, chains: pd.DataFrame) -> list[str]:
    """Sentences, oldest culprit first, then the root causes of today's damage."""
    out: list[str] = []
    subj = result.subjects
    marked = int((subj["markers"] > 0).sum())
    interpreter = result.manifest.get("interpreter", "")
    legacy = int((subj["state"] == LEGACY).sum())
    broken = int((~subj["compiles"].astype(bool) & (subj["state"] != LEGACY)).sum())
    damaged = int(subj["state"].isin(DAMAGED_STATES).sum())
    out.append(f"At {result.rev} ({result.rev_sha[:12]}), {damaged} of {len(subj)} paths in scope are damaged: "
               f"{marked} marked, {broken} do not compile"
               + (f" under {interpreter}." if interpreter else "."))
    if legacy:
        out.append(f"{_plural(legacy, 'more path')} {'is' if legacy == 1 else 'are'} legacy: code of another Python "
                   f"dialect (Python 2, or a newer Python than {interpreter}) that never compiled here, reported "
                   f"apart and not counted as damage (--strict counts {'it' if legacy == 1 else 'them'}).")
    if result.manifest.get("partial_clone"):
        missing = len(result.manifest.get("unreadable_objects", []))
        out.append(f"The repository is a partial clone: {_plural(missing, 'object')} it never fetched "
                   "could not be read (nothing was fetched); those versions are unreadable, not judged.")
    repo_settings = result.manifest.get("repo_settings") or {}
    if repo_settings.get("applied"):  # the evidence chose part of the rules: say so next to the verdict
        applied = ", ".join(f"{k} = {v!r}" for k, v in repo_settings["applied"].items())
        out.append(f"These numbers use settings from the analysed repository itself ({repo_settings['source']}: "
                   f"{applied}); --ignore-repo-config leaves them out.")
    ev = result.events
    damaged_by: dict[str, set[str]] = {}
    previous = None
    main = culprits[culprits["kind"].isin(["bulk_commit", "wave", "breaker"])].sort_values("committed_at")
    for c in main.itertuples(index=False):
        shas = wave_commits(result, c._asdict()) if c.kind == "wave" else [c.sha]
        mine = ev[ev["sha"].isin(shas)]
        hit = set(mine.loc[mine["event"].isin(DAMAGING), "path"])
        healed = set(mine.loc[mine["event"].isin(HEALING), "path"])
        if not hit and not healed and not c.already_damaged:
            continue  # e.g. an initial import: bulk, but nothing to do with the damage
        who = f"{c.author}, {_when(c.committed_at)}"
        if c.kind == "wave":
            minutes = c.subject.split(" commits in ")[1].split(" minutes")[0]
            name = f"the wave {c.sha[:12]}..{c.last_sha[:12]} ({c.author}, {c.commits} commits in {minutes} minutes)"
        else:
            name = f"commit {c.sha[:12]} ({who}: {c.subject!r})"
        when = f"{_gap(previous.committed_at, c.committed_at)}, " if previous is not None else ""
        text = f"{when}{name} touched {_plural(c.paths_touched, 'path')} and damaged {c.paths_damaged}"
        overlaps = [(sha, len(hit & paths)) for sha, paths in damaged_by.items() if hit & paths]
        if overlaps:
            sha, n = max(overlaps, key=lambda x: x[1])
            text += f", {n} of them ones {sha[:12]} had damaged"
        if healed:
            text += f"; it healed {len(healed)}"
        if c.already_damaged:
            text += f"; {c.already_damaged} of the paths it touched were already damaged"
        if c.scripts:
            text += f" (script: {c.scripts})"
        out.append(text[0].upper() + text[1:] + ".")
        if hit:
            damaged_by[c.sha] = hit
        previous = c
    sets = culprits[culprits["kind"] == "backup_set"]
    meta = result.commits.set_index("sha")
    for s in sets.itertuples(index=False):
        where = f"added by {s.sha[:12]}" if s.sha else "only in the worktree"
        copies = "1 copy" if s.paths_changed == 1 else f"{s.paths_changed} copies"
        text = f"Backup set {s.subject} ({copies}, {s.paths_damaged} damaged) {where}"
        stamp = s.reason.split("suffix time ")[1].split(";")[0] if "suffix time " in s.reason else ""
        if stamp and s.sha:
            local = pd.Timestamp(meta.loc[s.sha, "committed_at_local"]).tz_localize(None)
            minutes = (local - pd.Timestamp(stamp)).total_seconds() / 60
            text += (f"; its names say it was written at {stamp}, {abs(minutes):.0f} minutes "
                     f"{'before' if minutes >= 0 else 'after'} that commit on its author's clock")
        out.append(text + ".")
    if len(chains):
        rc = chains.groupby("root_cause").size().sort_values(ascending=False)
        meta = result.commits.set_index("sha")
        parts = []
        for sha, n in rc.head(5).items():
            if sha and sha in meta.index:
                parts.append(f"{sha[:12]} ({meta.loc[sha, 'subject']!r}) for {n}")
            else:
                parts.append(f"an unknown commit (lineage leaves the scanned history) for {n}")
        out.append(f"Root causes of the {len(chains)} damaged paths: " + "; ".join(parts)
                   + (f"; and {_plural(len(rc) - 5, 'more commit')}" if len(rc) > 5 else "") + ".")
    return out
