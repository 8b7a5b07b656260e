"""Apply a restore plan (the CSV ``forensics restore-list`` writes) to a repository's worktree.

A plan is input: before anything is written, every row must name a path git tracks at HEAD as a
regular file, relative, without ``..``, outside ``.git``, reached through no symlink, and named once
(:func:`check_plan`); ``--branch`` must be a new, valid branch name. Otherwise the plan is refused
whole (exit 2).

Dry run by default: per file, the diff stat and whether the candidate compiles and is free of
markers. ``apply=True``:

- refuses a target whose worktree content is neither the plan's ``current_blob`` nor the candidate
  (stale plan: HEAD moved on), and one with uncommitted changes (worktree differs from HEAD where the
  plan matches HEAD) unless ``force``;
- saves every file it overwrites under a run folder of its own in the backup directory first
  (fsynced, never overwriting a saved copy), logs the intent
  (``restoring``, with where the old content went), writes through a temporary file and
  ``os.replace`` (atomic), reads the result back and checks its blob id, then logs ``restored``
  (the log is a CSV, fsynced after every row; every row's outcome is logged: restored, already
  restored, refused, skipped, failed);
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
import secrets
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forensics.csvsafe import neutralise_cell, raw_csv_requested, restore_cell
from forensics.errors import BadPlan, ForensicsError, UnsafePlan
from forensics.engine.faults import fault
from forensics.engine.git import Repository, blob_id, display_path, path_bytes
from forensics.restore.gitwrite import check_new_branch, commit_on_new_branch
from forensics.restore.safe_write import check_dir, check_file, one_line, open_dir, open_file
from forensics.engine.health import HealthRules, judge, unmask

PLAN_REQUIRED = ("path", "source", "current_blob", "candidate_blob")
LOG_COLUMNS = ["time", "path", "action", "source", "from_blob", "to_blob", "saved_copy", "detail"]


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


@dataclass(frozen=True)
class _Place:
    """Where a restore writes: ``base`` (trusted: the git folder, or the parent of a path the user
    passed) and the components below it, each opened without following a symlink
    (:mod:`forensics.restore.safe_write`)."""
    base: str
    parts: tuple[str, ...]

    def below(self, *more: str) -> "_Place":
        return _Place(self.base, self.parts + tuple(more))

    def shown(self) -> str:
        return os.path.join(self.base, *self.parts)


def _user_place(path: str) -> _Place:
    """A path the user passed: its parent is theirs (created when missing), its last component is
    opened without following a symlink."""
    full = os.path.abspath(path)
    parent = os.path.dirname(full)
    os.makedirs(parent, exist_ok=True)
    return _Place(parent, (os.path.basename(full),))


def _save_copy(folder: _Place, rel: str, data: bytes) -> str:
    """Write ``data`` to ``folder/rel`` (a new file; never overwriting, never through a symlink), fsynced."""
    *dirs, name = rel.split("/")
    where = folder.below(*dirs)
    with open_dir(where.base, list(where.parts)) as dfd:
        fd = open_file(dfd, name, os.path.join(where.shown(), name), append=False)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return os.path.join(folder.shown(), rel)


def _append_log(log: _Place, row: dict) -> None:
    """Append ``row`` to the log CSV (header first when the file is new), fsynced. Every cell is one
    line (a path with a newline is quoted as git quotes it), and the file and its folders are opened
    without following a symlink."""
    *dirs, name = log.parts
    with open_dir(log.base, dirs) as dfd:
        fd = open_file(dfd, name, log.shown(), append=True)
        new = os.fstat(fd).st_size == 0
        with os.fdopen(fd, "a", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=LOG_COLUMNS)
            if new:
                w.writeheader()
            row = {k: one_line(str(v)) for k, v in row.items()}
            # a log for people: a path like "=cmd|..." stays text in a spreadsheet (raw with FORENSICS_RAW_CSV=1)
            w.writerow(row if raw_csv_requested() else {k: neutralise_cell(v) for k, v in row.items()})
            fh.flush()
            os.fsync(fh.fileno())


def _shown(path: Path) -> str:
    """A file system path as text any log or terminal can take: itself when it is valid UTF-8, else
    git's C-quoted form (as plan paths are)."""
    return display_path(os.fsdecode(path))


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


_REGULAR = ("100644", "100755")


def _unsafe(top: Path, path: str, tracked: dict[str, str]) -> str | None:
    """Why the plan row naming ``path`` must not be written, or None. The target must be a path git
    tracks at HEAD as a regular file, reached from the worktree ``top`` through real directories only
    (no symlink anywhere on the way, the file itself included)."""
    try:
        raw = path_bytes(path)
    except (ValueError, UnicodeError):
        return f"unreadable path {path!r}"
    if not raw or b"\0" in raw:
        return f"empty path or NUL byte in {path!r}"
    if raw.startswith(b"/") or os.path.isabs(os.fsdecode(raw)):
        return f"absolute path {path!r}"
    parts = raw.split(b"/")
    if b".." in parts:
        return f"path {path!r} contains '..'"
    if any(part.lower() == b".git" for part in parts):
        return f"path {path!r} is inside .git"
    if any(part in (b"", b".") for part in parts):
        return f"path {path!r} is not in git's form (empty or '.' component)"
    here = top
    for i, part in enumerate(parts):
        here = here / os.fsdecode(part)
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            break
        except OSError as exc:
            return f"cannot inspect {path!r}: {exc.strerror}"
        shown = os.fsdecode(b"/".join(parts[:i + 1]))
        if stat.S_ISLNK(st.st_mode):
            return f"{shown!r} is a symlink (the target {path!r} could resolve outside the worktree)"
        if i < len(parts) - 1 and not stat.S_ISDIR(st.st_mode):
            return f"{shown!r} is not a directory"
        if i == len(parts) - 1 and not stat.S_ISREG(st.st_mode):
            return f"{path!r} is not a regular file in the worktree"
    if not os.path.realpath(here).startswith(os.path.realpath(top) + os.sep):
        return f"{path!r} resolves outside the worktree"
    if tracked.get(path) not in _REGULAR:
        return f"git does not track {path!r} as a regular file at HEAD"
    return None


def check_plan(repo: Repository, df: pd.DataFrame, plan: str, tracked: dict[str, str]) -> None:
    """Refuse the whole plan (:class:`UnsafePlan`, exit 2) when any row is unsafe or names a path twice;
    called before anything is written."""
    top = Path(repo.path)
    first_line: dict[bytes, int] = {}
    for line, path in enumerate(df["path"], start=2):  # line 1 is the header
        reason = _unsafe(top, path, tracked)
        if reason:
            raise UnsafePlan(plan, line, reason)
        key = path_bytes(path)
        if key in first_line:
            raise UnsafePlan(plan, line, f"{path!r} is already on line {first_line[key]}")
        first_line[key] = line


def _new_run_folder(root: _Place) -> _Place:
    """A folder of its own for this run's saved copies: time, process id and random bits, created with
    an exclusive mkdir, so two runs never share one (even in the same second); ``root`` and its
    folders are real folders of the user's (never a symlink)."""
    with open_dir(root.base, list(root.parts)) as dfd:
        while True:
            run_id = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}-{secrets.token_hex(4)}"
            try:
                os.mkdir(run_id, 0o755, dir_fd=dfd)
                return root.below(run_id)
            except FileExistsError:
                continue


def restore(repo_path: str, plan: str, apply: bool = False, force: bool = False, branch: str | None = None,
            use_unmask: bool = False, backup_dir: str | None = None, log: str | None = None,
            rules: HealthRules | None = None) -> list[Outcome]:
    """Dry-run or apply ``plan``; one :class:`Outcome` per row. Before anything is written: the plan's
    rows are checked (:func:`check_plan`) and ``branch`` must be a valid name no branch has yet.
    Overwritten files are saved under ``backup_dir/RUN`` (default ``.git/forensics/restore-backups/RUN``);
    with ``apply``, every row's outcome is appended to the log."""
    repo = Repository.open(repo_path)
    if repo.is_bare:
        raise ForensicsError(f"{repo.path} is a bare repository: restore needs a worktree")
    if branch is not None:
        check_new_branch(repo, branch)
    df = read_plan(plan)
    rules = rules or HealthRules()
    fmt = repo.object_format
    head_tree = repo.tree(repo.resolve("HEAD")) if len(df) else []
    head = {display_path(p): b for _, b, p in head_tree}
    check_plan(repo, df, plan, {display_path(p): m for m, _, p in head_tree})
    git_dir = os.path.abspath(repo.git_dir)
    backups = _user_place(backup_dir) if backup_dir else _Place(git_dir, ("forensics", "restore-backups"))
    saved_root: _Place | None = None
    log_path = _user_place(log) if log else _Place(git_dir, ("forensics", "restore-log.csv"))
    if apply:  # refused before anything is written: a planted link, a FIFO, another user's file
        check_file(log_path.base, list(log_path.parts[:-1]), log_path.parts[-1])
        check_dir(backups.base, list(backups.parts))
    wanted = []
    for row in df.itertuples(index=False):
        if row.source in ("git", "backup") and row.candidate_blob:
            wanted.append(row.candidate_blob)
    with repo.blob_reader() as reader:
        contents = dict(reader.read_many(sorted(set(wanted))))
    outcomes: list[Outcome] = []
    replaced = 0

    def done(o: Outcome, source: str = "", from_blob: str = "", to_blob: str = "", saved: str = "") -> None:
        outcomes.append(o)
        if apply:
            _append_log(log_path, _log_row(o.path, o.action, source, from_blob, to_blob, saved, o.detail))

    for row in df.itertuples(index=False):
        path = row.path
        target = Path(repo.path) / os.fsdecode(path_bytes(path))
        current = target.read_bytes() if target.is_file() else None
        current_id = blob_id(current, fmt) if current is not None else ""
        if row.source in ("git", "backup") and row.candidate_blob:
            candidate, want = contents.get(row.candidate_blob), row.candidate_blob
            if candidate is None:
                done(Outcome(path, "failed", f"candidate {want[:12]} is not in the repository"), row.source,
                     current_id, want)
                continue
        elif use_unmask and getattr(row, "fallback", "") == "unmask" and current is not None:
            candidate = unmask(current, rules.compiled_markers)
            want = blob_id(candidate, fmt)
            if current_id == row.current_blob and want != getattr(row, "fallback_blob", want):
                done(Outcome(path, "refused", "unmasked text differs from the plan's; re-plan"), "unmask",
                     current_id, want)
                continue
        else:
            done(Outcome(path, "skipped", "no healthy source" + (
                " (the unmask fallback exists: pass --unmask)" if getattr(row, "fallback", "") == "unmask" else "")),
                row.source, current_id)
            continue
        source = row.source if want == row.candidate_blob else "unmask"
        health = judge(candidate, rules.compiled_markers)
        added, removed = _diffstat(current, candidate)
        base = dict(added=added, removed=removed, compiles=health.compiles, markers=health.markers)
        if not health.compiles or health.markers:
            # never trade one damaged file for another (an unmask that leaves the file broken, say)
            done(Outcome(path, "skipped", "the candidate is damaged too: "
                         + ("it does not compile" if not health.compiles else "it has markers"), **base),
                 source, current_id, want)
            continue
        if current_id == want:
            done(Outcome(path, "already restored", "", **base), source, current_id, want)
            continue
        if current_id != row.current_blob:
            if head.get(path) == row.current_blob:
                if not force:
                    done(Outcome(path, "refused", "uncommitted changes in the worktree (--force to overwrite; "
                                                  "the current file is saved first)", **base), source, current_id, want)
                    continue
            else:
                done(Outcome(path, "refused", "stale plan: the file changed since the plan was made "
                                              f"(plan {row.current_blob[:12]}, HEAD {head.get(path, 'absent')[:12]})",
                             **base), source, current_id, want)
                continue
        if not apply:
            outcomes.append(Outcome(path, "would restore", f"from {source}", **base))
            continue
        tmp: Path | None = None
        saved = ""
        try:
            recheck = _unsafe(Path(repo.path), path, {path: "100644"})  # the worktree may have moved on
            if recheck:
                raise OSError(recheck)
            if current is not None:
                saved_root = saved_root or _new_run_folder(backups)
                saved = _shown(Path(_save_copy(saved_root, os.fsdecode(path_bytes(path)), current)))
            _append_log(log_path, _log_row(path, "restoring", source, current_id, want, saved, ""))
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".forensics-tmp")
            tmp = Path(name)
            with os.fdopen(fd, "wb") as fh:
                fh.write(candidate)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, _mode_for(target))
            os.replace(tmp, target)
            replaced += 1
            fault("after_replace", kill=True)
            if blob_id(target.read_bytes(), fmt) != want:
                raise OSError("content read back differs from the candidate")
        except OSError as exc:
            if tmp is not None and tmp.exists():
                tmp.unlink()
            done(Outcome(path, "failed", f"{exc.strerror or exc}", **base), source, current_id, want, saved)
            continue
        done(Outcome(path, "restored", f"saved the old file to {saved}" if saved else "", **base),
             source, current_id, want, saved)
    if apply and branch:
        ok = [o for o in outcomes if o.action in ("restored", "already restored")]
        if ok and all(o.action not in ("refused", "failed") for o in outcomes):
            sha = commit_on_new_branch(repo, branch, [path_bytes(o.path) for o in ok],
                                       f"Restore {len(ok)} damaged files (forensics restore)\n\nPlan: {plan}\n")
            done(Outcome("", "committed", f"branch {branch} at {sha}"))
        else:
            done(Outcome("", "not committed", "some files were refused or failed"))
    return outcomes


def _mode_for(target: Path) -> int:
    """Permission bits for the new file: those of the file it replaces, else a new file's under the umask."""
    try:
        return os.lstat(target).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
