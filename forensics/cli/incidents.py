"""``forensics incidents``: damage grouped into incidents, numbered by paths still damaged."""
from __future__ import annotations

import argparse
import json

from forensics.cli import _csv_option, _do_scan, _emit, _scan_options
from forensics.errors import ForensicsError


def story_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``incidents`` and ``summary``: how culprits and incidents are found."""
    p.add_argument("--wave-window", type=float, default=30, metavar="MIN",
                   help="most minutes between a wave's commits (default 30)")
    p.add_argument("--wave-span", type=float, default=120, metavar="MIN",
                   help="most minutes a wave lasts; a longer burst is split (default 120)")
    p.add_argument("--join-minutes", type=float, default=60, metavar="MIN",
                   help="join incidents whose damaging commits lie this close in time (default 60; 0: never)")


def check_story_options(args: argparse.Namespace) -> None:
    for name in ("wave_window", "wave_span"):
        if getattr(args, name) <= 0:
            raise ForensicsError(f"--{name.replace('_', '-')} must be more than 0")
    if args.join_minutes < 0:
        raise ForensicsError("--join-minutes must be 0 or more")


def build(args: argparse.Namespace):
    """Scan, then the culprits and incidents of the scan (a :class:`forensics.analyses.incidents.Story`)."""
    from forensics.analyses.culprits import culprits
    from forensics.analyses.incidents import build_story

    check_story_options(args)
    result = _do_scan(args)
    cul = culprits(result, args.bulk_threshold, args.wave_window, wave_span=args.wave_span)
    return result, build_story(result, cul, join_minutes=args.join_minutes, wave_window=args.wave_window,
                               wave_span=args.wave_span)


def cmd_incidents(args: argparse.Namespace) -> int:
    _, story = build(args)
    table = story.incidents
    if args.json:
        out = table.copy()
        for col in ("first_at", "last_at", "followed_until"):
            out[col] = out[col].map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ") if t == t else None)
        print(json.dumps(out.to_dict(orient="records"), indent=1, default=int))
        return 0
    if not args.csv:
        table = table[["incident", "first_at", "last_at", "paths_damaged", "paths_still_damaged", "tests_lost",
                       "headline"]]
    _emit(table, args)
    return 0


def register(sub) -> None:
    p = sub.add_parser("incidents", help="damage grouped into incidents, most paths still damaged first")
    _scan_options(p)
    _csv_option(p)
    story_options(p)
    p.add_argument("--json", action="store_true", help="print the incidents as a JSON list")
    p.set_defaults(func=cmd_incidents)
