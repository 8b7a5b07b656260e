"""``forensics summary``: the plain-language account as Markdown, at most 25 non-empty lines."""
from __future__ import annotations

import argparse

from forensics.cli import _scan_options
from forensics.cli.incidents import build, story_options


def cmd_summary(args: argparse.Namespace) -> int:
    import sys

    from forensics.analyses.summary import as_terminal_text, summary_markdown
    from forensics.termtext import printable

    result, story = build(args)
    suspects = None
    if args.suspect:
        from forensics.analyses.suspect import suspect

        suspects = suspect(result, args.suspect)
    text = summary_markdown(result, story=story, suspects=suspects)
    # Markdown for a pipe or a file; readable text (no Markdown escapes) for a person at a terminal
    print(printable(as_terminal_text(text)) if sys.stdout.isatty() or args.plain else text, end="")
    return 0


def register(sub) -> None:
    p = sub.add_parser("summary", help="the plain-language account as Markdown (at most 25 non-empty lines)")
    _scan_options(p)
    story_options(p)
    p.add_argument("--suspect", action="append", metavar="NAME|SHA|AUTHOR|REGEX",
                   help="add the verdict on a suspect (see forensics suspect; repeatable)")
    p.add_argument("--plain", action="store_true",
                   help="readable text without Markdown escapes (the default at a terminal)")
    p.set_defaults(func=cmd_summary)
