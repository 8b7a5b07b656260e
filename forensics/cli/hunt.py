"""``forensics hunt``: the paths at ``--rev`` that carry a culprit's specific signatures on lines
that are not marker lines (``placeholder`` when they otherwise look healthy); and the
``--signatures-from`` scan option that puts the placeholder state into every analysis."""
from __future__ import annotations

import argparse
import sys

from forensics.cli import _csv_option, _do_scan, _emit, _machine_output, _scan_options
from forensics.errors import ForensicsError

MAX_CULPRITS = 40   # forensics.analyses.hunt's defaults, without loading the analysis stack
MAX_FILES = 200
from forensics.cli.signatures import _check_rate, add_specificity_options, resolve_culprit


def cmd_hunt(args: argparse.Namespace) -> int:
    from forensics.analyses.hunt import hunt, mine

    rate = _check_rate(args.max_background)
    if args.max_culprits < 1 or args.max_files < 1:
        raise ForensicsError("--max-culprits and --max-files must be at least 1")
    result = _do_scan(args)
    if not args.from_:
        return _hunt_bulk(result, args, rate)
    culprit = resolve_culprit(result, args.from_, True, args.wave_window, cache=False if args.no_cache else args.cache)
    hunted = mine(result, culprit.shas, rate, args.min_files, args.budget, culprit.changes, culprit.since)
    table = hunt(result, hunted)
    if not args.quiet:
        print(f"hunted {len(hunted.specific)} specific signatures of {len(culprit.shas)} commits: "
              + "; ".join(hunted.specific["signature"]), file=sys.stderr)
    if not _machine_output(args):
        table = table[["path", "state", "lines", "brought_by", "surfaced_by", "signatures"]]
    _emit(table, args)
    return 0


def _hunt_bulk(result, args: argparse.Namespace, rate: float) -> int:
    """``hunt`` with no ``--from``: every bulk culprit mined, its specific rewrites hunted."""
    from forensics.analyses.hunt import hunt_bulk, mine_bulk

    mined = mine_bulk(result, rate, args.min_files, args.budget, args.max_culprits, args.max_files, args.wave_window)
    table = hunt_bulk(result, mined)
    if not args.quiet:
        live = [h for h in mined.hunted if len(h.specific)]
        bg = mined.background
        print(f"mined {len(mined.hunted)} of {mined.culprits} bulk culprits (at most {args.max_culprits}, "
              f"{args.max_files} files each, most damaging first) in {mined.seconds:.1f} s; "
              f"{len(live)} carry placeholder rewrites" + (": " if live else "")
              + "; ".join(f"{h.label[:12]}: {', '.join(h.specific['signature'].head(3))}" for h in live[:5])
              + (f"; background: {bg.get('lines', 0)} healthy lines in {bg.get('versions', 0)} versions "
                 f"(a stratified sample of {bg.get('sample', 0)} of {bg.get('candidates', 0)})" if bg else "")
              + (f" (time budget of {args.budget:g} s reached)" if bg.get("budget_reached") else ""),
              file=sys.stderr)
    if not _machine_output(args):
        table = table[["path", "state", "lines", "culprit", "brought_by", "surfaced_by", "signatures"]]
    _emit(table, args)
    return 0


def with_hunted_placeholders(result, args: argparse.Namespace):
    """``result`` with the placeholder state, when ``--signatures-from`` names culprits."""
    from forensics.analyses.hunt import mine
    from forensics.analyses.signatures import MAX_BACKGROUND_RATE
    from forensics.engine.placeholders import with_placeholders

    culprit = resolve_culprit(result, args.signatures_from, True, cache=False if args.no_cache else args.cache)
    hunted = mine(result, culprit.shas, MAX_BACKGROUND_RATE, changes=culprit.changes, since=culprit.since)
    store = None
    if not args.no_cache:
        from forensics.engine.cache import ScanCache, default_root

        store = ScanCache(args.cache or default_root(), result.repo.common_dir)
    return with_placeholders(result, hunted.probes, culprit.since, store)


def register(sub) -> None:
    p = sub.add_parser("hunt", help="paths that carry a culprit's specific signatures outside marker lines")
    _scan_options(p)
    _csv_option(p)
    p.add_argument("--from", dest="from_", action="append", metavar="SHA",
                   help="a culprit commit (any commit of a wave selects the wave; repeatable); "
                        "default: every bulk culprit, mined automatically")
    p.add_argument("--max-culprits", type=int, default=MAX_CULPRITS, metavar="N",
                   help=f"without --from: bulk culprits mined, most damaging first (default {MAX_CULPRITS})")
    p.add_argument("--max-files", type=int, default=MAX_FILES, metavar="N",
                   help=f"without --from: changed files diffed per culprit, spread over directories (default {MAX_FILES})")
    add_specificity_options(p)
    p.set_defaults(func=cmd_hunt)
