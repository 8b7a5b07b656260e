"""``forensics hunt``: the paths at ``--rev`` that carry a culprit's specific signatures on lines
that are not marker lines (``placeholder`` when they otherwise look healthy); and the
``--signatures-from`` scan option that puts the placeholder state into every analysis."""
from __future__ import annotations

import argparse
import sys

from forensics.cli import _csv_option, _do_scan, _emit, _scan_options
from forensics.cli.signatures import _check_rate, add_specificity_options, resolve_culprit


def cmd_hunt(args: argparse.Namespace) -> int:
    from forensics.analyses.hunt import hunt, mine

    rate = _check_rate(args.max_background)
    result = _do_scan(args)
    culprit = resolve_culprit(result, args.from_, True, args.wave_window, cache=False if args.no_cache else args.cache)
    hunted = mine(result, culprit.shas, rate, args.min_files, args.budget, culprit.changes, culprit.since)
    table = hunt(result, hunted)
    if not args.quiet:
        print(f"hunted {len(hunted.specific)} specific signatures of {len(culprit.shas)} commits: "
              + "; ".join(hunted.specific["signature"]), file=sys.stderr)
    if not args.csv:
        table = table[["path", "state", "lines", "brought_by", "surfaced_by", "signatures"]]
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
    p.add_argument("--from", dest="from_", action="append", required=True, metavar="SHA",
                   help="a culprit commit (any commit of a wave selects the wave; repeatable)")
    add_specificity_options(p)
    p.set_defaults(func=cmd_hunt)
