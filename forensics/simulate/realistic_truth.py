"""The realistic preset's truth sections, computed from the simulator's model (never from forensics'
rules). ``truth.json`` holds the demo's sections (``events``, ``states`` at every tag and HEAD,
``chains``, ``roles``, ``commits``, ``tests_at_head``, ``counts``) plus these:

- ``preset``: ``"realistic"``.
- ``incidents``: the three story incidents, each ``{name, label, first_at, last_at, commits,
  root_causes, maskers, surfacers, culprits, paths_damaged, paths_still_damaged, tests_lost, group}``.
  SHA lists are full SHAs, most paths first. ``commits``: the incident's own commits (breakers and the
  wave; the style commit and its partial heal; the sed unmask). ``paths_damaged``: paths with a
  ``broke``/``marked``/``added_damaged`` event in those commits. Every other field is over the damage
  episodes (a path's run of damaged versions, followed through renames) that pass through those
  commits: ``root_causes`` their first commits; ``maskers`` commits that marked a path while it was
  broken (the fixer); ``surfacers`` commits that unmarked one (the sed unmask); ``culprits`` commits
  with a damaging event in them; ``paths_still_damaged`` their paths still damaged at HEAD (HEAD
  names); ``tests_lost`` sum over those of tests at the last good version minus tests now.
  ``group``: damage chains join incidents, so C (its chains start at A's breakers and wave) belongs to
  A's group. ``first_at``/``last_at``: the incident's own commits; ``chains_first_at``/
  ``chains_last_at``: the span of the episodes through them.
- ``incident_groups``: what ``forensics incidents`` should find: the incidents joined through shared
  episodes, same fields, ``members`` (labels), ``rank`` (1 = most paths still damaged at HEAD).
- ``fixer_script``: ``{path, added_in, wave, wave_first_at, wave_last_at, mentions, rewrites}``: the
  script whose source holds the marker text and both placeholders, the SHAs of the wave that ran it,
  and the line rewrites it applies (``prefix``, ``substitution`` with a ``before`` regex, ``reindent``);
  it also re-indents the helper's dict items (8 -> 12 spaces) and inserts blank lines in every file.
- ``cleared_suspects``: every commit with 50 or more changed paths and no damaging event, plus the
  bulk import script: ``{sha, kind, subject, author, touched, damaged (0), healed, already_damaged,
  script}``; ``touched`` counts changed in-scope ``*.py`` paths (backups excluded).
- ``silent_paths``: path at HEAD -> its placeholder lines, for paths that compile, carry no marker
  and carry placeholder lines (healthy by markers and compile). ``placeholder_paths``: every path at
  HEAD with placeholder lines outside marker lines, ``{state, lines, brought_by, surfaced_by}`` (silent
  ones included; ``brought_by``: the wave commit that wrote the placeholders, ``surfaced_by``: the
  commit that stripped their markers). The
  placeholders (``"formatted_string"``, ``[item for item in []]``) occur in no file before incident A.
  ``placeholder_mentions``: path -> lines of files that were written with the placeholder text rather
  than rewritten to it (the fixer script's string constants): a hunt that reports them reports a
  mention, not damage.
- ``churn_bursts``: ``{author, commits, first_at, last_at, damaged, healed, still_damaged}``.
- ``backup_runs``: ``{sha, first_suffix, last_suffix, copies, author_tz}``; ``snapshots``:
  ``{sha, directory, copies}``.
- ``ci``: per workflow job ``{file, job, line, triggers, trigger_globs, trigger_paths, trigger_damaged,
  runs, collects, broken, marked, tests_lost, verdict}``; ``collects`` are the paths pytest would
  collect at HEAD (``testpaths``/``python_files`` from pyproject.toml, explicit files and node ids as
  given); ``verdict``: ``fails at collection`` (a collected file does not compile), ``passes with N
  tests silently gone`` (N test functions hidden by markers in collected files), ``runs only healthy
  tests``, or ``unknown`` (a custom runner script).
- ``scripts``: script-like files (``fix_*``, ``check_*``, ``validate_*``, ``run_*``) at HEAD.
- ``bulk_commits``: count of commits with 50 or more changed paths.
- ``hollowed_paths``, ``commentout_paths``, ``decoys``, ``hollowing_commit``, ``commentout_prefix``:
  damage that compiles and the honest work beside it (:mod:`forensics.simulate.realistic_compiles`).
- ``blamed_script``: see :mod:`forensics.simulate.realistic_blamed` (a cleared suspect, renamed in a wave).
- ``windows_path``: ``{sha, script, as_written}``: a bulk commit (damaging nothing) whose message names an
  existing script the Windows way (backslashes for slashes); a table must show it unmangled.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from forensics.simulate.model import AUTHORS, Model, is_subject
from forensics.simulate.realistic_blamed import blamed_truth
from forensics.simulate.realistic_ci import PYTHON_FILES, TESTPATHS
from forensics.simulate.realistic_compiles import compiles_truth
from forensics.simulate.realistic_content import CODE, PLACEHOLDERS, SURFACED, RealTest

DAMAGING = ("broke", "marked", "added_damaged", "hollowed")
# what the fixer does to one line (realistic_content.RealTest._fixed), compounded on commented lines
FIXER_REWRITES = [
    {"kind": "prefix", "after": "# REMOVED_SYNTAX_ERROR: "},
    {"kind": "substitution", "before": r'f"[^"]*"', "after": '"formatted_string"'},
    {"kind": "substitution", "before": r"\[[^\]]+ for [^\]]+\]", "after": "[item for item in []]"},
    {"kind": "reindent", "before": "8 spaces or more (commented class bodies)", "after": "4 spaces fewer"},
]
STORY = {"A": ("breaker", "fixer"), "B": ("style_break", "style_heal"), "C": ("sed_unmask",)}
NAMES = {"A": "SSOT migration breaks test classes; the auto-fixer wave comments them out",
         "B": "line-wrapping style commit leaves assertions open",
         "C": "sed unmask strips the fixer's markers"}


@dataclass
class Episode:
    """One path's run of damaged versions on main, from the commit that damaged it."""

    path: str
    root: int
    steps: list[tuple[int, tuple[str, ...], str]] = field(default_factory=list)   # (commit, events, path then)
    open: bool = True


def _iso(when) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def episodes(model: Model) -> list[Episode]:
    """Damage episodes of subject paths along main (renames followed, copies start their own)."""
    post = model.realistic["post"]  # type: ignore[attr-defined]
    current: dict[str, Episode] = {}
    out: list[Episode] = []
    for c in model.commits:
        if c.branch != "main":
            continue
        for path, old, kind, evs in c.changes:
            if not is_subject(path):
                continue
            if kind == "R" and old in current:
                current[path] = current.pop(old)
                current[path].path = path
            ep = current.get(path)
            if kind == "D":
                if ep is not None:
                    ep.steps.append((c.index, evs, path))
                    ep.open = False
                    del current[path]
                continue
            state = post.get(c.index, {}).get(path)
            if state is None:   # a merge's own change: not in this story
                continue
            damaged = state != "healthy"
            if ep is None and damaged:
                ep = Episode(path, c.index)
                current[path] = ep
                out.append(ep)
            if ep is not None and evs:
                ep.steps.append((c.index, evs, path))
            if ep is not None and not damaged:
                ep.open = False
                del current[path]
    return out


def _ranked(counter: dict[int, set[str]], shas: dict[int, str], still: set[str] = frozenset()) -> list[str]:
    """Commits ranked by damage still present (paths of theirs still damaged), then all-time, then oldest."""
    return [shas[i] for i, _ in sorted(counter.items(), key=lambda kv: (-len(kv[1] & still), -len(kv[1]), kv[0]))]


def _summarise(eps: list[Episode], own: set[int], model: Model, shas: dict[int, str],
               chains: dict[str, Any]) -> dict[str, Any]:
    roots: dict[int, set[str]] = defaultdict(set)
    maskers: dict[int, set[str]] = defaultdict(set)
    surfacers: dict[int, set[str]] = defaultdict(set)
    culprits: dict[int, set[str]] = defaultdict(set)
    still, times = set(), []
    for ep in eps:
        roots[ep.root].add(ep.path)
        broken = False
        for idx, evs, _ in ep.steps:
            times.append(model.commits[idx].when)
            if "broke" in evs:
                broken = True
            if "marked" in evs and (broken or "healed" in evs):
                maskers[idx].add(ep.path)
            if "healed" in evs:
                broken = False
            if "unmarked" in evs:
                surfacers[idx].add(ep.path)
            if any(e in DAMAGING for e in evs):
                culprits[idx].add(ep.path)
        if ep.open:
            still.add(ep.path)
    damaged = sorted({p for ep in eps for idx, evs, p in ep.steps if idx in own and any(e in DAMAGING for e in evs)})
    lost = 0
    for p in still:
        ch = chains.get(p)
        if ch and ch.get("last_good"):
            lost += max(0, ch["last_good"]["tests"] - ch["tests"])
    return {"first_at": _iso(min(times)) if times else "", "last_at": _iso(max(times)) if times else "",
            "root_causes": _ranked(roots, shas, still), "maskers": _ranked(maskers, shas),
            "surfacers": _ranked(surfacers, shas), "culprits": _ranked(culprits, shas),
            "paths_damaged": damaged, "paths_still_damaged": sorted(still), "tests_lost": lost}


def incidents(model: Model, shas: dict[int, str], truth: dict[str, Any]) -> tuple[list, list]:
    eps = episodes(model)
    role_of = {c.index: c.role for c in model.commits}
    label_of = {i: lab for i, r in role_of.items() for lab, roles in STORY.items() if r in roles}
    chains = truth["chains"]
    story: list[dict[str, Any]] = []
    parent = {lab: lab for lab in STORY}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for ep in eps:
        labels = sorted({label_of[i] for i, _, _ in ep.steps if i in label_of} | (
            {label_of[ep.root]} if ep.root in label_of else set()))
        for a in labels[1:]:
            parent[find(a)] = find(labels[0])
    for lab, roles in STORY.items():
        own = {i for i, r in role_of.items() if r in roles}
        mine = [ep for ep in eps if any(i in own for i, _, _ in ep.steps)]
        summary = _summarise(mine, own, model, shas, chains)
        summary["chains_first_at"], summary["chains_last_at"] = summary["first_at"], summary["last_at"]
        summary["first_at"] = _iso(min(model.commits[i].when for i in own))
        summary["last_at"] = _iso(max(model.commits[i].when for i in own))
        story.append({"name": NAMES[lab], "label": lab, "commits": [shas[i] for i in sorted(own)], **summary})
    groups: dict[str, list[str]] = defaultdict(list)
    for lab in STORY:
        groups[find(lab)].append(lab)
    for inc in story:
        inc["group"] = "+".join(groups[find(inc["label"])])
    out_groups = []
    for root, members in groups.items():
        own = {i for i, r in role_of.items() for lab in members if r in STORY[lab]}
        mine = [ep for ep in eps if any(i in own for i, _, _ in ep.steps)]
        out_groups.append({"name": " / ".join(NAMES[m] for m in members), "members": members,
                           "commits": [shas[i] for i in sorted(own)], **_summarise(mine, own, model, shas, chains)})
    out_groups.sort(key=lambda g: (-len(g["paths_still_damaged"]), g["first_at"]))
    for rank, g in enumerate(out_groups, 1):
        g["rank"] = rank
    return story, out_groups


def _glob_rx(glob: str) -> re.Pattern[str]:
    """GitHub Actions path glob: ``**/`` zero or more directories, ``**`` anything, ``*`` no slash."""
    out, i = "", 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif glob.startswith("**", i):
            out, i = out + ".*", i + 2
        elif glob[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif glob[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(glob[i]), i + 1
    return re.compile(out + r"\Z")


def _collected(paths: list[str], ignore: list[str], head: dict[str, Any]) -> list[str]:
    """What pytest collects: explicit files as given, ``python_files`` under directories (``testpaths``
    when no path is given), nothing under an ``--ignore`` path."""
    names = [_glob_rx(p) for p in PYTHON_FILES]
    roots = paths or list(TESTPATHS)
    out = set()
    for p in head:
        if not is_subject(p) or any(p == i or p.startswith(i.rstrip("/") + "/") for i in ignore):
            continue
        for r in roots:
            if p == r or (p.startswith(r.rstrip("/") + "/") and any(n.match(p.rsplit("/", 1)[1]) for n in names)):
                out.add(p)
    return sorted(out)


def ci(model: Model, truth: dict[str, Any]) -> list[dict[str, Any]]:
    head = model.trees["main"]
    states = truth["states"]["HEAD"]
    rows = []
    for job in model.realistic["ci_jobs"]:  # type: ignore[attr-defined]
        globs = sorted({g for gs in job["triggers"].values() for g in gs})
        rxs = [_glob_rx(g) for g in globs]
        trig = sorted(p for p in states if any(r.match(p) for r in rxs))
        row = {"file": job["file"], "job": job["job"], "line": job["line"], "triggers": job["triggers"],
               "trigger_globs": globs, "trigger_paths": len(trig),
               "trigger_damaged": sum(states[p] != "healthy" for p in trig), "runs": job["runs"]}
        if any(r["kind"] == "script" for r in job["runs"]):
            row.update(collects=[], broken=0, marked=0, tests_lost=0, verdict="unknown")
        else:
            collects = sorted({p for r in job["runs"] for p in _collected(r["paths"], r.get("ignore", []), head)})
            broken = [p for p in collects if not head[p].compiles]
            marked = [p for p in collects if head[p].markers > 0]
            lost = sum(getattr(head[p].model, "tests_commented", 0) for p in marked)
            verdict = ("fails at collection" if broken else f"passes with {lost} tests silently gone" if marked
                       else "runs only healthy tests")
            row.update(collects=collects, broken=len(broken), marked=len(marked), tests_lost=lost, verdict=verdict)
        rows.append(row)
    return rows


def _has_placeholders(m: Any) -> bool:
    return isinstance(m, RealTest) and (m.class_mode != CODE or (m.funcs_mode != CODE and m.funcs_n > 0))


def _surfaced(m: Any) -> bool:
    return isinstance(m, RealTest) and SURFACED in (m.class_mode, m.funcs_mode)


def _placeholder_history(v: Any) -> tuple[int, int | None]:
    """The commits that wrote a path's placeholders (the fixer) and that left them as code (the unmask),
    walking its lineage back (renames and branches included) while the placeholders are there."""
    brought, surfaced, cur = v.commit, None, v
    while cur is not None and _has_placeholders(cur.model):
        prev = cur.prev
        if _surfaced(cur.model) and (prev is None or not _surfaced(prev.model)):
            surfaced = cur.commit
        brought = cur.commit
        cur = prev
    return brought, surfaced


def realistic_truth(model: Model, shas: dict[int, str], truth: dict[str, Any]) -> dict[str, Any]:
    """The realistic preset's extra truth sections (see the module docstring)."""
    story = model.realistic  # type: ignore[attr-defined]
    commits = model.commits
    head = model.trees["main"]
    inc, groups = incidents(model, shas, truth)
    wave = [c.index for c in commits if c.role == "fixer"]
    added = next(c.index for c in commits if c.role == "fixer_script")
    pre = story["pre"]
    cleared = []
    for c in commits:
        subj = [(p, kind, evs) for p, old, kind, evs in c.changes if is_subject(p)]
        if c.paths_changed < 50 and c.role != "bulk_script":
            continue
        if any(e in DAMAGING for _, _, evs in subj for e in evs):
            continue
        script = next((op[1] for op in c.ops if op[0] == "M" and op[1].startswith("scripts/") and
                       c.role in ("bulk_script",)), "")
        cleared.append({"sha": shas[c.index], "kind": c.role or "bulk", "subject": c.message,
                        "author": AUTHORS[c.author].name, "touched": len(subj), "damaged": 0,
                        "healed": sum(1 for _, _, evs in subj if any(e in ("healed", "unmarked") for e in evs)),
                        "already_damaged": sum(1 for p, _, _ in subj if pre.get(c.index, {}).get(p) not in
                                               (None, "healthy")),
                        "script": script})
    silent, placeholder, mentions = {}, {}, {}
    for p, v in sorted(head.items()):
        if not is_subject(p):
            continue
        if not isinstance(v.model, RealTest):
            text = v.data.decode("utf-8", "replace").splitlines()
            found = [ln for ln in text if any(ph in ln for ph in PLACEHOLDERS)]
            if found:
                mentions[p] = found
            continue
        lines = v.model.placeholder_lines()
        if lines:
            brought, surfaced = _placeholder_history(v)
            placeholder[p] = {"state": v.state, "lines": lines, "brought_by": shas[brought],
                              "surfaced_by": shas[surfaced] if surfaced is not None else None}
            if v.state == "healthy":
                silent[p] = lines
    churn = []
    for burst in story["churn"]:
        idxs = burst["commits"]
        evs = [e for i in idxs for p, _, _, es in commits[i].changes if is_subject(p) for e in es]
        churn.append({"author": AUTHORS[burst["author"]].name, "commits": [shas[i] for i in idxs],
                      "first_at": _iso(commits[idxs[0]].when), "last_at": _iso(commits[idxs[-1]].when),
                      "damaged": sum(e in DAMAGING for e in evs),
                      "healed": sum(e in ("healed", "unmarked") for e in evs), "still_damaged": 0})
    scripts = sorted(p for p in head if is_subject(p) and re.match(r"(fix|check|validate|run)_", p.rsplit("/", 1)[1]))
    return {
        "preset": "realistic",
        "incidents": inc,
        "incident_groups": groups,
        "fixer_script": {"path": "scripts/fix_syntax_errors.py", "added_in": shas[added],
                         "wave": [shas[i] for i in wave], "wave_first_at": _iso(commits[wave[0]].when),
                         "wave_last_at": _iso(commits[wave[-1]].when),
                         "mentions": ["# REMOVED_SYNTAX_ERROR: ", '"formatted_string"', "[item for item in []]"],
                         "rewrites": FIXER_REWRITES},
        "cleared_suspects": cleared,
        "silent_paths": silent,
        "placeholder_paths": placeholder,
        "placeholder_mentions": mentions,
        "churn_bursts": churn,
        "backup_runs": [{"sha": shas[r["commit"]], **{k: v for k, v in r.items() if k != "commit"}}
                        for r in story["backup_runs"]],
        "snapshots": [{"sha": shas[r["commit"]], "directory": r["directory"], "copies": r["copies"]}
                      for r in story["snapshots"]],
        "ci": ci(model, truth),
        "scripts": scripts,
        "bulk_commits": sum(1 for c in commits if c.paths_changed >= 50),
        "windows_path": {"sha": shas[story["windows_path"]["commit"]], "script": story["windows_path"]["script"],
                         "as_written": story["windows_path"]["script"].replace("/", "\\")},
        **blamed_truth(story, shas),
        "sets": {"wave_missed": story["wave"]["missed"], "wave_overreach": story["wave"]["overreach"],
                 "pinned": story["pinned"]},
        **compiles_truth(model, shas),
    }
