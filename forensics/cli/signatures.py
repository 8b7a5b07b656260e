"""``forensics signatures``: the line transformations a commit (or its wave) applied to many files,
with each one's background rate in healthy code before it; ``--as-markers`` prints the specific ones.

Also the culprit resolution ``hunt`` and ``--signatures-from`` share: any commit in the repository,
whether or not ``--rev`` reaches it.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the guard runs without pandas: this module is imported to build the parser
    import pandas as pd

from forensics.cli import _csv_option, _do_scan, _emit, _scan_options
from forensics.errors import ForensicsError


@dataclass
class Culprit:
    """The commits of a culprit (``shas``), change rows for those the scan does not reach
    (``changes``, None when all are reached) and its first commit's time (``since``)."""

    shas: list[str]
    changes: pd.DataFrame | None
    since: pd.Timestamp


def resolve_culprit(result, given: list[str], wave: bool, window_minutes: float = 30,
                    cache=None) -> Culprit:
    """Each given commit, with its wave when ``wave``. The commit must be in the history of the
    scanned revision (the background and the paths hunted come from that history): one outside it
    is :class:`CommitOutsideRev` (exit 2). One the scan leaves out (``--since``) is read directly;
    its wave is taken from a scan at that commit."""
    import pandas as pd

    from forensics.analyses.signatures import culprit_commits
    from forensics.engine.commit_changes import commit_changes

    known = set(result.commits["sha"])
    when = result.commits.set_index("sha")["committed_at"]
    shas: list[str] = []
    extra: list[pd.DataFrame] = []
    times: list[pd.Timestamp] = []
    for g in given:
        sha = result.repo.resolve(g)
        if sha not in known and not result.repo.is_ancestor(sha, result.rev_sha):
            raise CommitOutsideRev(g, sha, result.rev, result.rev_sha)
        if sha in known:
            members = culprit_commits(result, [sha], wave, window_minutes)
            times.extend(when[m] for m in members)
            shas.extend(members)
            continue
        members = [sha]
        if wave:
            from forensics.engine.scan import scan

            s = result.settings
            other = scan(result.repo, sha, paths=list(s.paths), markers=list(s.markers), cache=cache,
                         include_backups=s.include_backups, progress=False)
            members = culprit_commits(other, [sha], True, window_minutes)
        for m in members:
            got = commit_changes(result.repo, m, result.settings)
            extra.append(got.changes)
            times.append(got.committed_at)
        shas.extend(members)
    return Culprit(list(dict.fromkeys(shas)), pd.concat(extra, ignore_index=True) if extra else None, min(times))


class CommitOutsideRev(ForensicsError):
    def __init__(self, given: str, sha: str, rev: str, rev_sha: str) -> None:
        named = given if sha.startswith(given.lower()) else f"{given} ({sha[:12]})"
        super().__init__(f"commit {named} is not in the history of --rev {rev} ({rev_sha[:12]}): "
                         f"pass a --rev that contains it (`git branch -a --contains {sha[:12]}` lists them)")


def _check_rate(rate: float) -> float:
    if not 0 <= rate <= 1:
        raise ForensicsError(f"--max-background must be a rate between 0 and 1 (got {rate})")
    return rate


def cmd_signatures(args: argparse.Namespace) -> int:
    from forensics.analyses.signatures import commit_signatures, specific_markers

    if args.min_files < 1:
        raise ForensicsError("--min-files must be at least 1")
    rate = _check_rate(args.max_background)
    result = _do_scan(args)
    culprit = resolve_culprit(result, args.commit, args.wave, args.wave_window,
                              cache=False if args.no_cache else args.cache)
    table = commit_signatures(result, culprit.shas, min_files=args.min_files, changes=culprit.changes,
                              before=culprit.since, budget_seconds=args.budget)
    note = background_note(table.attrs, culprit.since, args.budget)
    if args.as_markers:
        markers = specific_markers(table, rate)
        for marker in markers["marker"]:
            print(marker)
        if not args.quiet:
            print(f"{len(markers)} of {int((table['marker'] != '').sum())} marker patterns match at most "
                  f"{rate:g} of healthy lines before the culprit; {note}", file=sys.stderr)
        return 0
    if not args.csv:
        table = table[["signature", "files", "lines", "background_rate", "lift", "kind", "marker",
                       "example_after"]]
    if not args.quiet:
        print(note, file=sys.stderr)
    _emit(table, args)
    return 0


def background_note(a: dict, since, budget: float) -> str:
    """One line on what the background measured: lines, versions read, the sample and its bounds."""
    line = (f"background: {a['background_lines_read']} healthy lines in {a['background_versions']} of "
            f"{a['background_candidates']} versions before {since:%Y-%m-%dT%H:%M:%SZ}")
    if not a["background_complete"] and a.get("background_sample") is not None:
        line += f" (a stratified sample of {a['background_sample']}: newest of each path first)"
    if a.get("background_budget_reached"):
        line += f" (time budget of {budget:g} s reached)"
    if a.get("diff_bounded_files"):
        line += (f"; {a['diff_bounded_files']} large files aligned on their unique lines "
                 f"(gaps over {a['diff_bound_lines']} lines paired in order)")
    return line


def add_specificity_options(p: argparse.ArgumentParser) -> None:
    from forensics.engine.rewrites import DEFAULT_BUDGET_SECONDS, MAX_BACKGROUND_RATE

    p.add_argument("--max-background", type=float, default=MAX_BACKGROUND_RATE, metavar="RATE",
                   help=f"a specific signature matches at most this share of healthy lines written before the "
                        f"culprit (default {MAX_BACKGROUND_RATE:g}: 1 line in 10,000)")
    p.add_argument("--budget", type=float, default=DEFAULT_BUDGET_SECONDS, metavar="SECONDS",
                   help=f"time for reading and matching healthy versions before the culprit (default "
                        f"{DEFAULT_BUDGET_SECONDS:g})")
    p.add_argument("--wave-window", type=float, default=30, metavar="MIN", help="wave window (default 30)")
    p.add_argument("--min-files", type=int, default=2, metavar="N", help="files a signature must reach (default 2)")


def register(sub) -> None:
    p = sub.add_parser("signatures", help="the line transformations a commit (or wave) applied to many files")
    _scan_options(p)
    _csv_option(p)
    p.add_argument("--commit", action="append", required=True, metavar="SHA",
                   help="any commit in the repository (repeatable)")
    p.add_argument("--wave", action="store_true", help="take the whole wave each --commit belongs to")
    p.add_argument("--as-markers", action="store_true",
                   help="print one marker regex a line, for --marker: only those at or below --max-background")
    add_specificity_options(p)
    p.set_defaults(func=cmd_signatures)
