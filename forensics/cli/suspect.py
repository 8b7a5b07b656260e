"""``forensics suspect``: a verdict on each suspect a responder names (a commit, a script, an author
or a subject pattern): what it touched, damaged, found already damaged and healed, and the real root
causes of what it touched."""
from __future__ import annotations

import argparse

from forensics.cli import _csv_option, _do_scan, _emit, _scan_options


def cmd_suspect(args: argparse.Namespace) -> int:
    from forensics.analyses.suspect import SUSPECT_COLUMNS, suspect

    result = _do_scan(args)
    table = suspect(result, args.names)
    if not args.csv:
        table = table[SUSPECT_COLUMNS[:10]]
    _emit(table, args)
    return 0


def register(sub) -> None:
    p = sub.add_parser("suspect", help="a verdict on each suspect named: a commit, a script, an author or a "
                                       "subject pattern")
    _scan_options(p, repo_required=True)
    p.add_argument("names", nargs="+", metavar="NAME|SHA|AUTHOR|REGEX",
                   help="a commit (SHA or prefix), a script (path or file name), an author (name or e-mail) "
                        "or a regular expression on subjects")
    _csv_option(p)
    p.set_defaults(func=cmd_suspect)
