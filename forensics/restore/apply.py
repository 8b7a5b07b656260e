"""Apply a restore plan (the CSV ``forensics restore-list`` writes) to a repository's worktree.

Dry run by default: per file, the diff stat and whether the candidate compiles and is free of
markers. ``apply=True``:

- refuses a target whose worktree content is neither the plan's ``current_blob`` nor the candidate
  (stale plan: HEAD moved on), and one with uncommitted changes (worktree differs from HEAD where the
  plan matches HEAD) unless ``force``;
- saves every file it overwrites under the backup directory first (fsynced), logs the intent
  (``restoring``, with where the old content went), writes through a temporary file and
  ``os.replace`` (atomic), reads the result back and checks its blob id, then logs ``restored``
  (the log is a CSV, fsynced after every row);
- is idempotent: a target that already holds the candidate is reported ``already restored``; after a
  kill -9 at any point every target holds either its old or its new content, and a re-run completes;
- with ``branch``, commits the restored files on a new branch.

Testing hook (:mod:`forensics.engine.faults`): ``FORENSICS_FAULT=after_replace:N`` kills the process
(SIGKILL) right after the N-th replacement, to prove the claims above.
"""
from __future__ import annotations

import csv
import difflib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forensics.csvsafe import raw_csv_requested, restore_cell
from forensics.errors import ForensicsError
from forensics.engine.faults import fault
from forensics.engine.git import Repository, blob_id, path_bytes
from forensics.restore.gitwrite import commit_on_new_branch
from forensics.engine.health import HealthRules, judge, unmask

PLAN_REQUIRED = ("path", "source", "current_blob", "candidate_blob")
LOG_COLUMNS = ["time", "path", "action", "source", "from_blob", "to_blob", "saved_copy", "detail"]


class BadPlan(ForensicsError):
    def __init__(self, plan: str, reason: str) -> None:
        super().__init__(f"unreadable plan {plan}: {reason}")


@dataclass
class Outcome:
    path: str
    action: str        # restored | would restore | already restored | refused | failed | skipped
    detail: str
    added: int = 0
    removed: int = 0
    compiles: bool | None = None
    markers: int | None = None


def read_plan(plan: str) -> pd.DataFrame:
    try:
        df = pd.read_csv(plan, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise BadPlan(plan, str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    missing = [c for c in PLAN_REQUIRED if c not in df.columns]
    if missing:
        raise BadPlan(plan, f"missing columns {', '.join(missing)} (write it with `forensics restore-list --csv`)")
    if not raw_csv_requested():  # cells were quoted against spreadsheet formulas when written
        df = df.apply(lambda col: col.map(restore_cell)) if len(df) else df
    return df


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _append_log(log: Path, row: dict) -> None:
    new = not log.exists()
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=LOG_COLUMNS)
        if new:
            w.writeheader()
        w.writerow(row)
        fh.flush()
        os.fsync(fh.fileno())


def _log_row(path: str, action: str, source: str, from_blob: str, to_blob: str, saved: str, detail: str) -> dict:
    return {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "path": path, "action": action,
            "source": source, "from_blob": from_blob, "to_blob": to_blob, "saved_copy": saved, "detail": detail}


def _diffstat(old: bytes | None, new: bytes) -> tuple[int, int]:
    a = (old or b"").decode("utf-8", "replace").splitlines()
    b = new.decode("utf-8", "replace").splitlines()
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return added, removed


def restore(repo_path: str, plan: str, apply: bool = False, force: bool = False, branch: str | None = None,
            use_unmask: bool = False, backup_dir: str | None = None, log: str | None = None,
            rules: HealthRules | None = None) -> list[Outcome]:
    """Dry-run or apply ``plan``; one :class:`Outcome` per row."""
    repo = Repository.open(repo_path)
    if repo.is_bare:
        raise ForensicsError(f"{repo.path} is a bare repository: restore needs a worktree")
    df = read_plan(plan)
    rules = rules or HealthRules()
    head = {p: b for _, b, p in repo.tree(repo.resolve("HEAD"))} if len(df) else {}
    run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    saved_root = Path(backup_dir) if backup_dir else Path(repo.git_dir) / "forensics" / "restore-backups" / run_id
    log_path = Path(log) if log else Path(repo.git_dir) / "forensics" / "restore-log.csv"
    wanted = []
    for row in df.itertuples(index=False):
        if row.source in ("git", "backup") and row.candidate_blob:
            wanted.append(row.candidate_blob)
    with repo.blob_reader() as reader:
        contents = dict(reader.read_many(sorted(set(wanted))))
    outcomes: list[Outcome] = []
    replaced = 0
    restored_paths: list[bytes] = []
    for row in df.itertuples(index=False):
        path = row.path
        target = Path(repo.path) / os.fsdecode(path_bytes(path))
        current = target.read_bytes() if target.is_file() else None
        current_id = blob_id(current) if current is not None else ""
        if row.source in ("git", "backup") and row.candidate_blob:
            candidate, want = contents.get(row.candidate_blob), row.candidate_blob
            if candidate is None:
                outcomes.append(Outcome(path, "failed", f"candidate {want[:12]} is not in the repository"))
                continue
        elif use_unmask and getattr(row, "fallback", "") == "unmask" and current is not None:
            candidate = unmask(current, rules.compiled_markers)
            want = blob_id(candidate)
            if current_id == row.current_blob and want != getattr(row, "fallback_blob", want):
                outcomes.append(Outcome(path, "refused", "unmasked text differs from the plan's; re-plan"))
                continue
        else:
            outcomes.append(Outcome(path, "skipped", "no healthy source" + (
                " (the unmask fallback exists: pass --unmask)" if getattr(row, "fallback", "") == "unmask" else "")))
            continue
        health = judge(candidate, rules.compiled_markers)
        added, removed = _diffstat(current, candidate)
        base = dict(added=added, removed=removed, compiles=health.compiles, markers=health.markers)
        if not health.compiles or health.markers:
            # never trade one damaged file for another (an unmask that leaves the file broken, say)
            outcomes.append(Outcome(path, "skipped", "the candidate is damaged too: "
                                    + ("it does not compile" if not health.compiles else "it has markers"), **base))
            continue
        if current_id == want:
            outcomes.append(Outcome(path, "already restored", "", **base))
            if apply:
                _append_log(log_path, _log_row(path, "already restored", row.source, current_id, want, "", ""))
            continue
        if current_id != row.current_blob:
            if head.get(path) == row.current_blob:
                if not force:
                    outcomes.append(Outcome(path, "refused", "uncommitted changes in the worktree (--force to overwrite; "
                                                               "the current file is saved first)", **base))
                    continue
            else:
                outcomes.append(Outcome(path, "refused", "stale plan: the file changed since the plan was made "
                                                           f"(plan {row.current_blob[:12]}, HEAD {head.get(path, 'absent')[:12]})",
                                        **base))
                continue
        if not apply:
            outcomes.append(Outcome(path, "would restore", f"from {row.source if want == row.candidate_blob else 'unmask'}", **base))
            continue
        tmp: Path | None = None
        saved = ""
        try:
            if current is not None:
                copy = saved_root / os.fsdecode(path_bytes(path))
                copy.parent.mkdir(parents=True, exist_ok=True)
                _fsync_write(copy, current)
                saved = str(copy)
            _append_log(log_path, _log_row(path, "restoring", row.source, current_id, want, saved, ""))
            tmp = target.with_name(f".{target.name}.forensics-tmp")
            target.parent.mkdir(parents=True, exist_ok=True)
            _fsync_write(tmp, candidate)
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o7777)
            os.replace(tmp, target)
            replaced += 1
            fault("after_replace", kill=True)
            if blob_id(target.read_bytes()) != want:
                raise OSError("content read back differs from the candidate")
        except OSError as exc:
            if tmp is not None and tmp.exists():
                tmp.unlink()
            outcomes.append(Outcome(path, "failed", f"{exc.strerror or exc}", **base))
            _append_log(log_path, _log_row(path, "failed", row.source, current_id, want, saved, str(exc)))
            continue
        _append_log(log_path, _log_row(path, "restored", row.source if want == row.candidate_blob else "unmask",
                                       current_id, want, saved, ""))
        restored_paths.append(path_bytes(path))
        outcomes.append(Outcome(path, "restored", f"saved the old file to {saved}" if saved else "", **base))
    if apply and branch:
        ok = [o for o in outcomes if o.action in ("restored", "already restored")]
        if ok and all(o.action not in ("refused", "failed") for o in outcomes):
            sha = commit_on_new_branch(repo, branch, [path_bytes(o.path) for o in ok],
                                       f"Restore {len(ok)} damaged files (forensics restore)\n\nPlan: {plan}\n")
            outcomes.append(Outcome("", "committed", f"branch {branch} at {sha}"))
        else:
            outcomes.append(Outcome("", "not committed", "some files were refused or failed"))
    return outcomes
