"""``forensics simulate``: build the deterministic demo incident repository and its truth manifest.

Same seed and scale, same SHAs: identities, dates and contents are fixed, and the repository is
written by one ``git fast-import``. ``DIR/truth.json`` records, from the simulator's own model (never
from the scanner), every event, every state at the milestone tags, and each damaged path's chain,
root cause and last good version.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

from forensics.errors import ForensicsError
from forensics.engine.git import display_path, git_env
from forensics.simulate.ci import ci_truth
from forensics.simulate.fastimport import FastImport
from forensics.simulate.incident import Incident
from forensics.simulate.model import AUTHORS, NOT_DAMAGED, Model, Version, is_subject

TRUTH_SCHEMA = 3   # 2: the demo's `ci` section; 3: damage that compiles (realistic)
PRESETS: tuple[str, ...] = ("demo", "realistic", "legacy")


def _check_out_dir(out: Path) -> None:
    """``out`` must be a directory or a path that can become one: a file there, or on the way to it,
    is exit 2 with one line (never a NotADirectoryError)."""
    here = out.absolute()
    for p in [here, *here.parents]:
        if p.is_symlink() and not p.exists():
            raise ForensicsError(f"cannot build in {out}: {p} is a dangling symlink")
        if p.exists():
            if not p.is_dir():
                what = "is a file" if p == here else f"is inside {p}, which is not a directory"
                raise ForensicsError(f"cannot build in {out}: it {what}; choose a directory")
            return


def simulate(out_dir: str | Path, seed: int = 7, scale: int = 1, force: bool = False,
             preset: str = "demo") -> dict[str, Any]:
    """Build ``out_dir/repo`` and ``out_dir/truth.json``; reuse them when preset, seed and scale match.

    ``preset``: ``demo`` (the small demo incident, the default) or ``realistic`` (the noisy, realistic
    incident of :mod:`forensics.simulate.realistic`; its truth adds the sections documented in
    :mod:`forensics.simulate.realistic_truth`) or ``legacy`` (a long-lived project with a Python 2 era,
    its port, malformed dates, odd identity encodings and no incident: :mod:`forensics.simulate.legacy`)."""
    if preset not in PRESETS:
        raise ForensicsError(f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}")
    out = Path(out_dir)
    _check_out_dir(out)
    repo, truth_file = out / "repo", out / "truth.json"
    if truth_file.exists() and repo.exists() and not force:
        truth = json.loads(truth_file.read_text())
        same = truth.get("seed") == seed and truth.get("scale") == scale and truth.get("preset", "demo") == preset
        if same and truth.get("schema") == TRUTH_SCHEMA:
            return truth
        if not same:
            raise ForensicsError(f"{out} holds a simulation with other settings; pass --force to replace it")
        # the same simulation written by an older version of this tool: rebuilt below (only our own files)
    if out.exists() and any(out.iterdir()):
        ours = {".building", ".marks", "repo", "truth.json"}  # an earlier or interrupted simulation
        if not force and not {p.name for p in out.iterdir()} <= ours:
            raise ForensicsError(f"{out} exists and is not empty; choose another directory or pass --force")
        shutil.rmtree(out)
    if preset == "legacy":
        from forensics.simulate.legacy import LegacyProject, legacy_truth

        return write_model(LegacyProject(seed, scale).build(), out, seed, scale, extra=legacy_truth)
    if preset == "realistic":
        from forensics.simulate.realistic import realistic_model
        from forensics.simulate.realistic_truth import realistic_truth

        return write_model(realistic_model(seed, scale), out, seed, scale, extra=realistic_truth)
    return write_model(Incident(seed, scale).build(), out, seed, scale)


def write_model(model: Model, out_dir: str | Path, seed: int, scale: int,
                extra: Callable[[Model, dict[int, str], dict[str, Any]], dict[str, Any]] | None = None
                ) -> dict[str, Any]:
    """Write a simulator model as a repository with one ``git fast-import``, plus its truth manifest.

    ``extra(model, shas, truth)`` returns more truth sections (the realistic preset's)."""
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    repo, truth_file = out / "repo", out / "truth.json"
    building = out / ".building"
    env = git_env()
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(building)], check=True, env=env)
    marks = out / ".marks"
    fi = FastImport(str(building), str(marks))
    for c in model.commits:
        fi.commit(f"refs/heads/{c.branch}", c.mark, AUTHORS[c.author], int(c.when.timestamp()),
                  c.message + "\n", [model.commits[p].mark for p in c.parents], c.ops, raw=c.raw)
    for tag, idx in model.snapshots.items():
        fi.ref(f"refs/tags/{tag}", model.commits[idx].mark)
    fi.close()
    subprocess.run(["git", "-C", str(building), "reset", "-q", "--hard", "main"], check=True, env=env)
    shas = {}
    for line in marks.read_text().split("\n"):
        if line.startswith(":"):
            mark, sha = line[1:].split()
            shas[int(mark) - 1] = sha
    marks.unlink()
    building.rename(repo)
    truth = _truth(model, shas, seed, scale)
    if extra is not None:
        truth.update(extra(model, shas, truth))
    truth = _displayed(truth)
    truth["repo"] = str(repo)
    truth["truth_file"] = str(truth_file)
    truth_file.write_text(json.dumps(truth, indent=1, ensure_ascii=True))
    return truth


def _iso(c) -> str:
    return c.when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _last_healthy(v: Version | None) -> Version | None:
    while v is not None:
        if v.state == "healthy":
            return v
        if v.kind == "A":
            return None
        v = v.prev
    return None


def _chain(v: Version, shas: dict[int, str]) -> dict[str, Any]:
    steps, born, born_from, last_good = [], "", "", None
    cur = v
    while True:
        steps.append(cur)
        if cur.kind in ("A", "C"):
            born = cur.kind
            if cur.kind == "C" and cur.prev is not None:
                born_from = cur.prev.path
                last_good = _last_healthy(cur.prev)
            break
        prev = cur.prev
        if prev is None:
            break
        if prev.state == "healthy":
            last_good = prev
            break
        cur = prev
    events = [[shas[s.commit], s.path, e] for s in reversed(steps) for e in s.events]
    # edits a restore would throw away: later steps that changed content without an event
    edits = [shas[s.commit] for s in reversed(steps[:-1]) if not s.events and not (s.kind == "R" and s.prev is not None
                                                                                and s.prev.blob == s.blob)]
    return {
        "state": v.state,
        "blob": v.blob,
        "tests": v.tests,
        "events": events,
        "root_cause": events[0][0] if events else None,
        "root_cause_event": events[0][2] if events else None,
        "born": born,
        "born_from": born_from,
        "edits_since_damage": edits,
        "last_good": None if last_good is None else {
            "sha": shas[last_good.commit], "path": last_good.path, "blob": last_good.blob, "tests": last_good.tests},
    }


def _truth(model: Model, shas: dict[int, str], seed: int, scale: int) -> dict[str, Any]:
    commits = model.commits
    roles: dict[str, list[str]] = {}
    for c in commits:
        if c.role:
            roles.setdefault(c.role, []).append(shas[c.index])
    events = [{"sha": shas[c.index], "path": path, "old_path": old, "event": e}
              for c in commits for path, old, kind, evs in c.changes if is_subject(path) for e in evs]
    head = model.heads["main"]
    assert head is not None
    trees = dict(model.snapshot_trees)
    trees["HEAD"] = model.trees["main"]
    states = {name: {p: v.state for p, v in sorted(t.items()) if is_subject(p)} for name, t in trees.items()}
    head_tree = model.trees["main"]
    chains = {p: _chain(v, shas) for p, v in sorted(head_tree.items()) if is_subject(p) and v.state not in NOT_DAMAGED}
    ci = getattr(model, "ci", None)
    return {
        "schema": TRUTH_SCHEMA,
        "seed": seed,
        "scale": scale,
        "head": shas[head],
        "tags": {name: shas[idx] for name, idx in model.snapshots.items()},
        "commits": [{"sha": shas[c.index], "parents": [shas[p] for p in c.parents], "author": AUTHORS[c.author].name,
                     "committed_at": _iso(c), "subject": c.message, "role": c.role, "branch": c.branch,
                     "paths_changed": c.paths_changed, "is_merge": len(c.parents) > 1} for c in commits],
        "roles": roles,
        "events": events,
        "states": states,
        "tests_at_head": {p: v.tests for p, v in sorted(head_tree.items()) if is_subject(p)},
        "chains": chains,
        "sets": {k: sorted(v) for k, v in sorted(_sets(model).items())},
        "ci": ci_truth(ci, trees) if ci is not None else None,
        "counts": {"commits": len(commits), "paths_at_head": len(states["HEAD"]),
                   "damaged_at_head": len(chains), "events": len(events)},
    }


def _displayed(obj: Any) -> Any:
    """Every path in the text form the scanner's tables use (only paths can hold raw bytes)."""
    if isinstance(obj, str):
        return display_path(obj)
    if isinstance(obj, dict):
        return {_displayed(k): _displayed(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_displayed(v) for v in obj]
    return obj


def _sets(model: Model) -> dict[str, list[str]]:
    return getattr(model, "sets", {})
