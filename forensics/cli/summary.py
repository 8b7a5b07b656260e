"""``forensics summary``: the plain-language account as Markdown, at most 25 non-empty lines."""
from __future__ import annotations

import argparse

from forensics.cli import _scan_options
from forensics.cli.incidents import build, story_options


def cmd_summary(args: argparse.Namespace) -> int:
    from forensics.analyses.summary import summary_markdown

    result, story = build(args)
    print(summary_markdown(result, story=story), end="")
    return 0


def register(sub) -> None:
    p = sub.add_parser("summary", help="the plain-language account as Markdown (at most 25 non-empty lines)")
    _scan_options(p)
    story_options(p)
    p.set_defaults(func=cmd_summary)
