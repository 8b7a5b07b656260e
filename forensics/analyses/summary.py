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
from forensics.analyses.incidents import Story, build_story
from forensics.engine.states import BROKEN_STATES, DAMAGED_STATES, LEGACY, MARKED_STATES

MAX_LINES = 25
MAX_INCIDENTS = 5
_MARKUP = re.compile(r"([\\`*\[\]<>#|!~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def md_text(value: object, limit: int = 70) -> str:
    """Repository text (a subject, an author, a path) as inert Markdown: markup characters escaped,
    control characters dropped, long text cut."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(value))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _MARKUP.sub(r"\\\1", text)


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
    """How the summary names a commit: a wave once for all its commits, a commit by sha and subject."""

    def __init__(self, result, culprits: pd.DataFrame) -> None:
        self.meta = result.commits.set_index("sha")
        waves = culprits[culprits["kind"] == "wave"]
        self.wave_of: dict[str, dict] = {}
        from forensics.analyses.culprits import culprit_commits

        for _, w in waves.iterrows():
            for s in culprit_commits(result, w):
                self.wave_of[s] = w.to_dict()
        self.mentioned: set[str] = set()
        self.named: set[str] = set()

    def unit(self, sha: str) -> str:
        return self.wave_of[sha]["sha"] if sha in self.wave_of else sha

    def name(self, sha: str) -> str:
        unit = self.unit(sha)
        again = unit in self.named
        self.mentioned.add(unit)
        self.named.add(unit)
        if again:
            return f"the same wave {unit[:12]}" if sha in self.wave_of else f"the same commit {sha[:12]}"
        if sha in self.wave_of:
            w = self.wave_of[sha]
            return (f"the wave {w['sha'][:12]}..{w['last_sha'][:12]} ({md_text(w['author'], 30)}, "
                    f"{w['commits']} commits in {w['span_minutes']:.0f} minutes)")
        if sha not in self.meta.index:
            return "a commit before the scanned history"
        m = self.meta.loc[sha]
        return f"{sha[:12]} (“{md_text(m['subject'], 60)}”, {md_text(m['author'], 30)}, {_when(m['committed_at'])})"

    def grouped(self, shas: str, counts: str, limit: int = 3) -> list[tuple[str, int]]:
        """(unit name, paths) for a SHA list and its per-SHA path counts, waves merged, most paths first."""
        total: dict[str, int] = {}
        first: dict[str, str] = {}
        for sha, n in zip(shas.split(), counts.split()):
            u = self.unit(sha)
            total[u] = total.get(u, 0) + int(n)
            first.setdefault(u, sha)
        ranked = sorted(total, key=lambda u: -total[u])
        return [(self.name(first[u]), total[u]) for u in ranked[:limit]] + (
            [("", len(ranked) - limit)] if len(ranked) > limit else [])


def _phrase(parts: list[tuple[str, int]], verb: str) -> str:
    out = []
    for name, n in parts:
        out.append(f"and {_plural(n, 'more commit')}" if not name else f"{name} {verb.format(paths=_plural(n, 'path'))}")
    return "; ".join(out)


def summarize(result, culprits: pd.DataFrame | None = None, chains: pd.DataFrame | None = None,
              story: Story | None = None) -> list[str]:
    """The summary as Markdown lines (non-empty; at most MAX_LINES). ``chains`` is accepted for
    older callers and unused: the incidents carry what it gave."""
    story = story or build_story(result, culprits)
    culprits = story.culprits
    inc = story.incidents
    names = _Names(result, culprits)
    subj = result.subjects
    states = subj["state"]
    damaged = int(states.isin(DAMAGED_STATES).sum())
    interpreter = result.manifest.get("interpreter", "")
    head = [f"# What the history of {md_text(result.rev, 40)} ({result.rev_sha[:12]}) shows"
            + (f", judged with {md_text(interpreter, 40)}" if interpreter else ""),
            f"**Now:** {damaged} of {len(subj)} paths in scope are damaged ({int(states.isin(MARKED_STATES).sum())} "
            f"marked, {int(states.isin(BROKEN_STATES).sum())} do not compile), "
            f"{int(inc['tests_lost'].sum()) if len(inc) else 0} tests lost, in "
            f"{_plural(int((inc['paths_still_damaged'] > 0).sum()) if len(inc) else 0, 'incident')} "
            f"still open of {len(inc)}."]
    context = _context(result, subj)
    extra = ["**Judged:** " + context] if context else []
    scripts = culprits[culprits["kind"] == "script"]
    by_culprit = {sha: g.sort_values("score", ascending=False)["subject"].tolist()
                  for sha, g in scripts.groupby("linked_to")}
    main = culprits[culprits["kind"].isin(MAIN_KINDS)].set_index("sha")
    blocks: list[list[str]] = []
    block_mentions: list[set[str]] = []
    for r in inc.head(MAX_INCIDENTS).itertuples(index=False):
        before = set(names.mentioned)
        block = [f"## Incident {r.incident}: {_when(r.first_at)} to {_when(r.last_at)}: "
                 f"{r.paths_still_damaged} of {_plural(r.paths_damaged, 'path')} still damaged"
                 + (f", {r.tests_lost} tests lost" if r.tests_lost else "")]
        if r.root_causes:
            block.append("- **Broke it:** " + _phrase(names.grouped(r.root_causes, r.root_cause_paths), "is the root cause of {paths}")
                         + ".")
        moved = []
        if r.maskers:
            moved.append("**Masked by** " + _phrase(names.grouped(r.maskers, r.masker_paths, 2), "(marked {paths} already damaged)"))
        if r.surfacers:
            moved.append("**surfaced again by** " + _phrase(names.grouped(r.surfacers, r.surfacer_paths, 2),
                                                           "(unmasked {paths}, left damaged)"))
        if r.healers:
            moved.append("**healed by** " + _phrase(names.grouped(r.healers, r.healer_paths, 1),
                                                    "(healed or deleted {paths})"))
        if moved:
            moved[0] = "**" + moved[0][2].upper() + moved[0][3:]
            block.append("- " + "; ".join(moved) + ".")
        cleared = []
        for sha in r.cleared.split()[:2]:
            if sha not in main.index:
                continue
            c = main.loc[sha]
            names.mentioned.add(sha)
            who = ", ".join(md_code(s) for s in by_culprit.get(sha, [])[:1])
            label = f"{who} (commit {sha[:12]})" if who else names.name(sha)
            cleared.append(f"{label}: touched {c['paths_touched']}, damaged {c['paths_damaged']}, "
                           f"{c['already_damaged']} already damaged")
        if cleared:
            block.append("- **Cleared:** " + "; ".join(cleared) + ".")
        blocks.append(block)
        block_mentions.append(names.mentioned - before)
    while blocks and len(head) + sum(len(b) for b in blocks) + len(extra) + 1 > MAX_LINES:
        blocks.pop()
        names.mentioned -= block_mentions.pop()
    shown = len(blocks)
    more_culprits = len(set(main.index) - names.mentioned)
    tail = f"{_plural(len(inc) - shown, 'more incident')}, {_plural(more_culprits, 'more culprit')}: " \
           f"see incidents.csv, culprits.csv"
    lines = head + [line for b in blocks for line in b] + extra + [tail]
    return lines[:MAX_LINES]


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
    if m.get("partial_clone"):
        parts.append(f"a partial clone: {_plural(len(m.get('unreadable_objects', [])), 'object')} it never fetched "
                     "could not be read (nothing was fetched; unreadable, not judged)")
    settings = m.get("repo_settings") or {}
    if settings.get("applied"):
        applied = ", ".join(f"{k} = {v!r}" for k, v in settings["applied"].items())
        parts.append(f"settings from the analysed repository itself ({md_code(applied, 80)}; "
                     "`--ignore-repo-config` leaves them out)")
    return "; ".join(parts) + "." if parts else ""


def summary_markdown(result, culprits: pd.DataFrame | None = None, story: Story | None = None) -> str:
    """The summary as one Markdown text (what ``forensics summary`` prints and the report shows)."""
    return as_markdown(summarize(result, culprits, story=story))


def as_markdown(lines: list[str]) -> str:
    """Summary lines as one Markdown text: a blank line before each incident heading."""
    out = []
    for i, line in enumerate(lines):
        ends_list = out and out[-1].startswith("- ") and not line.startswith("- ")
        if (line.startswith("## ") and i) or ends_list:
            out.append("")                      # blank lines are free: only non-empty lines count
        out.append(line)
    return "\n".join(out) + "\n"
