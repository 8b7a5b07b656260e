"""The plain-language account of a history's damage, as Markdown in at most 25 non-empty lines
whatever the history: the state now, then per incident (at most 5, most damage still present first)
what broke it, what masked it and surfaced it again, and the obvious suspects cleared; then how many
incidents and culprits the tables hold beyond it. Every number is read from the tables (incidents,
culprits, the scan's tree); no sentence is parsed back.
"""
from __future__ import annotations

import re

import pandas as pd

from forensics.analyses.culprits import MAIN_KINDS
from forensics.analyses.incidents import Story, build_story, when
from forensics.analyses.story_model import Actor
from forensics.engine.declared_python import declared_python_line
from forensics.engine.limits import MAX_VERSION_BYTES
from forensics.engine.states import LEGACY

MAX_LINES = 25
MAX_INCIDENTS = 5
_MARKUP = re.compile(r"([\\`*\[\]<>#|!~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def md_text(value: object, limit: int = 70) -> str:
    """Repository text (a subject, an author, a path) as inert Markdown: markup characters escaped,
    control characters dropped, long text cut."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(value))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _no_autolink(_MARKUP.sub(r"\\\1", text))


# what GitHub-flavoured Markdown turns into a link without any markup: a scheme's "://", "www." and an
# e-mail address's "@"; a backslash before the ':', the '.' or the '@' keeps them text
_AUTOLINK = re.compile(r"(:)(?=//)|(?<![A-Za-z0-9])([Ww][Ww][Ww])(\.)|(@)")


def _no_autolink(text: str) -> str:
    return _AUTOLINK.sub(lambda m: "\\:" if m.group(1) else ("\\@" if m.group(4) else m.group(2) + "\\."), text)


def md_code(value: object, limit: int = 80) -> str:
    """Repository text as an inline code span (paths, settings): shown literally, never markup. The
    fence is one backtick longer than the longest run of backticks in the text (CommonMark: a span
    closes only on a run of exactly its fence's length), so no content can close it early; a space
    pads each side when the text holds a backtick (read back as nothing)."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(value))[:limit]
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _when(ts) -> str:
    return "unknown time" if pd.isna(ts) else pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class _Names:
    """How the summary names a commit: sha, subject, author and time the first time (with its wave as
    context the first time the wave comes up), ``the same commit`` after; never a wave alone."""

    def __init__(self) -> None:
        self.named: set[str] = set()         # commits named in full
        self.waves: set[str] = set()         # waves already described

    def name(self, a: Actor) -> str:
        if not a.known:
            return "a commit before the scanned history"
        if a.sha in self.named:
            return f"the same commit {a.sha[:12]}"
        self.named.add(a.sha)
        wave = ""
        if a.wave and a.wave not in self.waves:
            self.waves.add(a.wave)
            wave = (f", in the wave {a.wave[:12]}..{a.wave_last[:12]} of {a.wave_commits} commits in "
                    f"{a.wave_minutes:.0f} minutes")
        elif a.wave:
            wave = f", in the same wave {a.wave[:12]}"
        return f"{a.sha[:12]} (“{md_text(a.subject, 60)}”, {md_text(a.author, 30)}, {_when(a.committed_at)}{wave})"


def _phrase(names: _Names, actors: tuple[Actor, ...], verb: str, limit: int, still: bool = True) -> str:
    """The first ``limit`` actors named with their counts (still damaged first, all-time second), then
    how many more (and how many of those belong to a wave already named)."""
    out = []
    for a in actors[:limit]:
        counts = (f"{a.still} still damaged, {a.all_time} in all" if still else _plural(a.all_time, "path"))
        out.append(f"{names.name(a)} {verb} ({counts})")
    rest = actors[limit:]
    if rest:
        waves = {a.wave for a in rest if a.wave}
        out.append(f"and {_plural(len(rest), 'more commit')}"
                   + (f" (of the same wave{'s' if len(waves) > 1 else ''})" if waves and all(a.wave for a in rest) else ""))
    return "; ".join(out)


def summarize(result, culprits: pd.DataFrame | None = None, chains: pd.DataFrame | None = None,
              story: Story | None = None, suspects: pd.DataFrame | None = None) -> list[str]:
    """The summary as Markdown lines (non-empty; at most MAX_LINES), rendered from the story
    (:class:`forensics.analyses.incidents.Story`): the state now, the top culprit, then per incident
    what broke it, masked it, surfaced it, healed it and who was cleared. ``suspects`` (a
    ``forensics suspect`` table) adds one verdict line each. ``chains`` is accepted for older callers
    and unused."""
    story = story or build_story(result, culprits)
    now = story.now
    names = _Names()
    told = story.records
    interpreter = result.manifest.get("interpreter", "")
    head = [f"# What the history of {md_text(result.rev, 40)} ({result.rev_sha[:12]}) shows"
            + (f", judged with {md_text(interpreter, 40)}" if interpreter else ""),
            f"**Now:** {now.damaged} of {_plural(now.paths_in_scope, 'path')} in scope "
            f"{'is' if now.damaged == 1 else 'are'} damaged ({now.marked} marked, {now.broken} "
            f"{'does' if now.broken == 1 else 'do'} not compile"
            + (f", {now.hollowed} hollowed: stubs that compile" if now.hollowed else "") + "), "
            f"{_plural(now.tests_lost, 'test')} lost, in "
            f"{_plural(sum(1 for i in told if i.paths_still_damaged), 'incident')} still open of {len(told)}."]
    top = story.top
    if top is not None:
        home = next((i.number for i in told if any(a.sha == top.sha for a in i.root_causes + i.damagers)), None)
        head.append(f"**Top culprit:** {names.name(top)}: root cause of {_plural(top.still, 'path')} still damaged "
                    f"({top.all_time} damaged in all)" + (f", incident {home}" if home else "") + ".")
    for line in _suspect_lines(suspects):
        head.append(line)
    context = _context(result, result.subjects)
    extra = ["**Judged:** " + context] if context else []
    blocks: list[list[str]] = []
    # incidents still open come first and are told in full; healed ones only when none is open (a
    # slip made and fixed within the hour is in incidents.csv, not on the first screen)
    open_ = [i for i in told if i.paths_still_damaged]
    chosen = (open_ or list(told[:2]))[:MAX_INCIDENTS]
    for i in chosen:
        block = [f"## Incident {i.number}, {when(i)}: {i.paths_still_damaged} of {_plural(i.paths_damaged, 'path')} "
                 f"still damaged" + (f", {_plural(i.tests_lost, 'test')} lost" if i.tests_lost else "")]
        if i.root_causes:
            block.append("- **Broke it:** " + _phrase(names, i.root_causes, "is the root cause", 3) + ".")
        moved = []
        if i.maskers:
            moved.append("**Masked by** " + _phrase(names, i.maskers, "masked paths already damaged", 2))
        if i.surfacers:
            moved.append("**surfaced again by** " + _phrase(names, i.surfacers, "unmasked paths, left damaged", 2))
        if i.healers:
            moved.append("**healed by** " + _phrase(names, i.healers, "healed or deleted", 1, still=False))
        if moved:
            moved[0] = "**" + moved[0][2].upper() + moved[0][3:]
            block.append("- " + "; ".join(moved) + ".")
        cleared = _cleared_lines(story, i, names)
        if cleared:
            block.append("- **Cleared:** " + "; ".join(cleared) + ".")
        blocks.append(block)
    while blocks and len(head) + sum(len(b) for b in blocks) + len(extra) + 1 > MAX_LINES:
        blocks.pop()
    shown = len(blocks)
    main = story.culprits[story.culprits["kind"].isin(MAIN_KINDS)]
    named = {a.sha for i in chosen[:shown] for a in i.root_causes + i.damagers + i.maskers + i.surfacers + i.cleared}
    more_culprits = sum(1 for sha, members in zip(main["sha"], main["members"])
                        if sha not in named and not any(m[0] in named for m in members))
    healed = sum(1 for i in told if not i.paths_still_damaged) - sum(1 for i in chosen[:shown] if not i.paths_still_damaged)
    more = len(told) - shown
    tail = f"{_plural(more, 'more incident')}" + ((" (all healed)" if healed == more else f" ({healed} healed)")
                                                  if healed else "") + \
           f", {_plural(more_culprits, 'more culprit')}: " \
           f"see incidents.csv, culprits.csv"
    lines = head + [line for b in blocks for line in b] + extra + [tail]
    return lines[:MAX_LINES]


def _cleared_lines(story: Story, i, names: _Names) -> list[str]:
    """The obvious suspects of an incident that damaged none of it (at most 2), by script when one
    is linked to them by direct evidence."""
    cul = story.culprits
    main = cul[cul["kind"].isin(MAIN_KINDS)].set_index("sha")
    scripts = cul[(cul["kind"] == "script") & (cul.get("strength", "direct") == "direct")] if len(cul) else cul
    by_culprit = {sha: g.sort_values("score", ascending=False)["subject"].tolist()
                  for sha, g in scripts.groupby("linked_to")}
    out = []
    for a in i.cleared[:2]:
        if a.sha not in main.index:
            continue
        c = main.loc[a.sha]
        who = ", ".join(md_code(s) for s in by_culprit.get(a.sha, [])[:1])
        label = f"{who} (commit {a.sha[:12]})" if who else names.name(a)
        names.named.add(a.sha)
        out.append(f"{label}: touched {c['paths_touched']}, damaged {c['paths_damaged']}, "
                   f"{c['already_damaged']} already damaged")
    return out


def _suspect_lines(suspects: pd.DataFrame | None) -> list[str]:
    if suspects is None or not len(suspects):
        return []
    return [f"**Suspect {md_code(r.suspect, 60)}:** {md_text(r.verdict, 200)}" for r in suspects.itertuples(index=False)]


def _context(result, subj: pd.DataFrame) -> str:
    """One line on how the verdict was reached: the interpreter, legacy code set apart, a partial clone,
    settings the analysed repository chose. Empty when there is nothing to say."""
    m = result.manifest
    parts: list[str] = []
    interpreter = md_text(m.get("interpreter", "this Python"), 40)
    legacy = int((subj["state"] == LEGACY).sum())
    if legacy:
        parts.append(f"{_plural(legacy, 'legacy path')} (Python 2, or a newer Python than {interpreter}: never "
                     "compiled here) set apart, not damage (`--strict` counts them)")
    too_large = int(m.get("too_large_now", 0) or 0)
    if too_large:
        parts.append(f"{_plural(too_large, 'path')} in scope too large to judge (over {MAX_VERSION_BYTES >> 20} MiB): "
                     "neither healthy nor damaged, look at them by hand")
    unreadable = len(m.get("unreadable_objects", []))
    if m.get("partial_clone") and unreadable:
        parts.append(f"a partial clone: {_plural(unreadable, 'object')} it never fetched "
                     "could not be read (nothing was fetched; unreadable, not judged)")
    declared = m.get("declared_python") or {}
    if declared.get("needs_newer"):
        parts.append("the repository declares " + md_text(declared_python_line(declared), 300))
    prefixes = sorted({p["prefix"] for p in m.get("comment_prefixes", [])})
    if prefixes:
        parts.append("comment prefixes mined from the history and counted as markers: "
                     + ", ".join(md_code(p, 40) for p in prefixes))
    settings = m.get("repo_settings") or {}
    if settings.get("applied"):
        applied = ", ".join(f"{k} = {v!r}" for k, v in settings["applied"].items())
        parts.append(f"settings from the analysed repository itself ({md_code(applied, 80)}; "
                     "`--ignore-repo-config` leaves them out)")
    return "; ".join(parts) + "." if parts else ""


def summary_markdown(result, culprits: pd.DataFrame | None = None, story: Story | None = None,
                     suspects: pd.DataFrame | None = None) -> str:
    """The summary as one Markdown text (what ``forensics summary`` prints and the report shows)."""
    return as_markdown(summarize(result, culprits, story=story, suspects=suspects))


_ESCAPED = re.compile(r"\\([\\`*\[\]<>#|!~&_:.@])")


def as_terminal_text(markdown: str) -> str:
    """The summary's Markdown as plain text for a terminal: the escapes that kept repository text
    inert in Markdown are removed (``\\#`` reads ``#``), emphasis marks dropped; headings, bullets and
    code spans stay as they read."""
    lines = []
    for line in markdown.splitlines():
        line = re.sub(r"(?<!\\)\*\*", "", line)
        lines.append(_ESCAPED.sub(r"\1", line))
    return "\n".join(lines) + "\n"


def as_markdown(lines: list[str]) -> str:
    """Summary lines as one Markdown text: a blank line before each incident heading, after a list,
    and between two lines of prose (each is its own paragraph: Markdown would join them)."""
    out = []
    for i, line in enumerate(lines):
        ends_list = out and out[-1].startswith("- ") and not line.startswith("- ")
        prose = out and not line.startswith(("- ", "#")) and not out[-1].startswith(("- ", "# ")) and out[-1]
        if (line.startswith("## ") and i) or ends_list or prose:
            out.append("")                      # blank lines are free: only non-empty lines count
        out.append(line)
    return "\n".join(out) + "\n"
