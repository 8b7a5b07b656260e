"""Commands that hand findings to other tools: ``timesketch`` (a JSONL timeline) and ``fleet`` (many
repositories on Dask)."""
from __future__ import annotations

import argparse
import sys

from forensics.cli import _do_scan, _scan_options
from forensics.errors import ForensicsError


def cmd_timesketch(args: argparse.Namespace) -> int:
    from forensics.analyses.culprits import culprits
    from forensics.report.timesketch import timesketch_lines, write_jsonl

    result = _do_scan(args)
    events = result.events
    meta = result.commits[["sha", "subject"]]
    if "subject" not in events.columns:
        events = events.merge(meta, on="sha", how="left")
    incidents = _incidents(result)
    lines = timesketch_lines(events, culprits(result), result.commits, incidents)
    n = write_jsonl(lines, args.out)
    if not args.quiet:
        print(f"wrote {n} lines to {args.out} (Timesketch JSONL: message, datetime, timestamp_desc)", file=sys.stderr)
    return 0


def _incidents(result):
    """The incidents table when this build has the incidents analysis, else None."""
    try:
        from forensics.analyses.incidents import incidents
    except ImportError:
        return None
    return incidents(result)


def cmd_fleet(args: argparse.Namespace) -> int:
    from forensics.fleet import fleet
    from forensics.report.tables import print_table

    if args.task_timeout < 0:
        raise ForensicsError("--task-timeout must be 0 (no bound) or more seconds")
    if args.workers is not None and args.workers < 1:
        raise ForensicsError("--workers must be at least 1")
    from pathlib import Path

    from forensics.errors import BadOutput
    from forensics.report.run import check_outside_evidence

    for repo in args.repos:          # the evidence is read-only: no output directory inside any of it
        try:
            check_outside_evidence(Path(args.out).resolve(), repo, args.out)
        except BadOutput:
            raise
        except ForensicsError:
            pass                     # not a repository (yet): its row will say why
    options = {"paths": args.paths, "markers": args.marker, "cache": False if args.no_cache else args.cache,
               "repo_config": not args.ignore_repo_config}
    res = fleet(args.repos, args.out, rev=args.rev, scheduler=args.scheduler, workers=args.workers,
                scan_options=options, progress=not args.quiet, task_timeout=args.task_timeout)
    from forensics.termtext import printable

    for r in res.census.itertuples(index=False):
        if r.repo_settings:      # disclosed whatever --quiet says (the fleet_census.csv column has it too)
            print(printable(f"forensics: note: {r.repo}: {r.repo_settings}"), file=sys.stderr)
    if not args.quiet:
        print_table(res.census[["repo", "commits", "paths", "damaged", "marked", "broken", "tests_lost", "error"]])
        print(f"wrote {res.files['fleet_census']} and one folder per repository", file=sys.stderr)
    failed = int((res.census["error"].fillna("") != "").sum())
    return 0 if failed < len(res.census) else 2


def register(sub) -> None:
    p = sub.add_parser("timesketch", help="a timeline Timesketch imports as it is (JSONL)")
    _scan_options(p)
    p.add_argument("--out", required=True, metavar="FILE.jsonl", help="where to write the JSONL timeline")
    p.set_defaults(func=cmd_timesketch)

    p = sub.add_parser("fleet", help="scan many repositories on Dask; DIR/fleet_census.csv")
    p.add_argument("repos", nargs="+", metavar="REPO", help="repositories (paths every worker can reach)")
    p.add_argument("--rev", default="HEAD", help="revision to analyse in each (default HEAD)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running Dask scheduler (tcp://host:8786); default: a local cluster on this machine")
    p.add_argument("--workers", type=int, metavar="N", help="local cluster worker processes (default: cores)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (never inside one of the repositories)")
    p.add_argument("--paths", action="append", metavar="PATHSPEC", help="limit to paths (default '*.py')")
    p.add_argument("--marker", action="append", metavar="REGEX", help="marker regex (repeatable)")
    p.add_argument("--cache", metavar="DIR", help="cache directory (one cache per repository inside it)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--ignore-repo-config", action="store_true",
                   help="ignore each analysed repository's own [tool.forensics] settings")
    p.add_argument("--task-timeout", type=float, default=3600.0, metavar="SECONDS",
                   help="one repository's time bound, from when a worker takes it; beyond it the row is an error "
                        "'timed out' and the fleet goes on (default 3600; 0: no bound)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_fleet)
