"""The investigation notebook's library: from an incident to the lines that changed, shown step by
step (``Investigation``), and the same steps as linked widgets in JupyterLab (:meth:`Investigation.widget`).
Under papermill, or without ``ipywidgets``, the notebook's parameters choose the incident, culprit and
path instead. Every string from the analysed repository is escaped in every HTML output.

>>> inv = investigate("data/demo/repo")                 # doctest: +SKIP
>>> inv.culprits(1); inv.files(1, 0); inv.diff(path)    # doctest: +SKIP
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import pandas as pd

from forensics.analyses.drilldown import (Diff, Restoration, change_diff, culprit_files, damaging_change,
                                          incident_culprits, last_good_beside_current)
from forensics.analyses.incidents import build_story
from forensics.engine.scan import ScanResult, scan
from forensics.errors import ForensicsError
from forensics.report.display import Table, esc, with_show_command
from forensics.report.results import path_chain

CONTEXT = 3                 # unchanged lines shown around a change, beside and in diffs
MAX_SIDE_ROWS = 300         # rows of the side-by-side view (the rest is summarised)
MAX_OPTIONS = 500           # files offered in a dropdown (damaged first)

_STYLE = """<style>
.fx-diff.fx-diff { font-family: var(--jp-code-font-family, monospace); font-size: 0.85em; margin: 0.3em 0 1.2em 0;
  border: 1px solid rgba(128,128,128,0.35); max-height: 40em; overflow: auto; }
.fx-diff.fx-diff pre { margin: 0; padding: 0 6px; white-space: pre; background: transparent; color: inherit; }
.fx-diff.fx-diff .fx-add { background: rgba(0,114,178,0.22); }
.fx-diff.fx-diff .fx-del { background: rgba(213,94,0,0.25); }
.fx-diff.fx-diff .fx-hunk { color: #808080; }
.fx-side.fx-side { border-collapse: collapse; width: 100%; table-layout: fixed; }
.fx-side.fx-side td { vertical-align: top; padding: 0 6px; white-space: pre; overflow: hidden; text-overflow: ellipsis;
  font-family: var(--jp-code-font-family, monospace); text-align: left; }
.fx-side.fx-side th { text-align: left; padding: 2px 6px; border-bottom: 1px solid rgba(128,128,128,0.5); }
.fx-side.fx-side td.fx-num { color: #808080; width: 4em; text-align: right; }
.fx-side.fx-side .fx-gap td { color: #808080; font-style: italic; }
.fx-step.fx-step { margin: 0.2em 0 0.4em 0; }
</style>"""


def diff_html(diff: Diff, caption: str = "") -> str:
    """A unified diff as escaped, coloured HTML (``+`` lines blue, ``-`` lines vermillion: colour-blind safe)."""
    lines = []
    for ln in diff.text.splitlines():
        cls = ("fx-hunk" if ln.startswith(("@@", "---", "+++")) else "fx-add" if ln.startswith("+")
               else "fx-del" if ln.startswith("-") else "")
        lines.append(f'<pre class="{cls}">{esc(ln) or " "}</pre>')
    if diff.cut:
        lines.append('<pre class="fx-hunk">… cut here: the whole diff is longer</pre>')
    if not diff.text:
        lines.append('<pre class="fx-hunk">(no change in the text)</pre>')
    head = (f'<p class="fx-step"><b>{esc(caption or diff.title)}</b>: +{diff.added} −{diff.removed} lines '
            f'(<code>{esc(diff.before_name)}</code> → <code>{esc(diff.after_name)}</code>)</p>')
    return f'{_STYLE}{head}<div class="fx-diff" aria-label="diff">{"".join(lines)}</div>'


def side_by_side_html(current: bytes | None, last_good: bytes | None, current_name: str, last_good_name: str) -> str:
    """The current version beside the last good one, changed lines highlighted and unchanged runs
    folded to ``CONTEXT`` lines: on the left, what a restore throws away."""
    a = (current or b"").decode("utf-8", "replace").splitlines()
    b = (last_good or b"").decode("utf-8", "replace").splitlines()
    rows: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            n = i2 - i1
            keep = range(n) if n <= 2 * CONTEXT + 1 else [*range(CONTEXT), -1, *range(n - CONTEXT, n)]
            for k in keep:
                if k == -1:
                    rows.append(f'<tr class="fx-gap"><td class="fx-num"></td><td colspan="3">… {n - 2 * CONTEXT} '
                                'unchanged lines</td></tr>')
                    continue
                rows.append(_side_row(i1 + k + 1, a[i1 + k], j1 + k + 1, b[j1 + k], ""))
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            left = (i1 + k + 1, a[i1 + k]) if i1 + k < i2 else ("", None)
            right = (j1 + k + 1, b[j1 + k]) if j1 + k < j2 else ("", None)
            rows.append(_side_row(left[0], left[1], right[0], right[1], "changed"))
    shown = rows[:MAX_SIDE_ROWS]
    if len(rows) > MAX_SIDE_ROWS:
        shown.append(f'<tr class="fx-gap"><td class="fx-num"></td><td colspan="3">… {len(rows) - MAX_SIDE_ROWS} '
                     'more rows</td></tr>')
    return (f'{_STYLE}<div class="fx-diff"><table class="fx-side" aria-label="last good beside current">'
            '<colgroup><col style="width:4em"><col><col style="width:4em"><col></colgroup>'
            f'<thead><tr><th></th><th>now: {esc(current_name)}</th><th></th><th>last good: {esc(last_good_name)}</th>'
            f'</tr></thead><tbody>{"".join(shown)}</tbody></table></div>')


def _side_row(ln_a: object, text_a: str | None, ln_b: object, text_b: str | None, tag: str) -> str:
    cls_a = ' class="fx-del"' if tag and text_a is not None else ""
    cls_b = ' class="fx-add"' if tag and text_b is not None else ""
    return (f'<tr><td class="fx-num">{esc(ln_a)}</td><td{cls_a}>{esc(text_a or "")}</td>'
            f'<td class="fx-num">{esc(ln_b)}</td><td{cls_b}>{esc(text_b or "")}</td></tr>')


class HTMLBlock:
    """Escaped HTML built here, shown by a notebook (``_repr_html_``) and as text elsewhere."""

    def __init__(self, html: str, text: str = "") -> None:
        self.html, self.text = html, text

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text or "(HTML)"


@dataclass(frozen=True)
class Choice:
    """Where a notebook run drills: ``incident`` (number), ``culprit`` (position in the incident's
    culprits, or a SHA prefix), ``path`` (the file followed) and ``damaging_sha`` (the root cause of
    its damage, empty when the path is not damaged)."""

    incident: int
    culprit: int | str
    path: str
    damaging_sha: str


@dataclass
class Investigation:
    """One scan and its story, ready to drill down: ``incidents`` (the incidents table), ``culprit_table``
    (every culprit), and one method per step. Each step takes the previous step's choice."""

    result: ScanResult
    incidents: pd.DataFrame
    culprit_table: pd.DataFrame

    # -- the steps ---------------------------------------------------------------------------------

    def incident_table(self) -> Table:
        cols = [c for c in ("incident", "first_at", "last_at", "paths_damaged", "paths_still_damaged", "headline")
                if c in self.incidents.columns]
        return Table(self.incidents[cols], "incidents")

    def culprits_of(self, incident: int | str) -> pd.DataFrame:
        """The commits and waves behind ``incident`` (see :func:`incident_culprits`)."""
        return incident_culprits(self.result, self.incidents, self.culprit_table, incident)

    def culprits(self, incident: int | str) -> Table:
        df = self.culprits_of(incident)
        return Table(with_show_command(df.drop(columns=["last_sha"])), f"culprits of incident {incident}")

    def files_of(self, incident: int | str, culprit: int | str = 0) -> pd.DataFrame:
        """The files of one culprit of ``incident`` (by position in :meth:`culprits_of`, or by SHA)."""
        return culprit_files(self.result, self._culprit_row(incident, culprit))

    def files(self, incident: int | str, culprit: int | str = 0, files: pd.DataFrame | None = None) -> Table:
        """The culprit's files as a table, its caption counting each verdict (``files``: the table of
        :meth:`files_of` when already built)."""
        df = self.files_of(incident, culprit) if files is None else files
        counts = df["verdict"].value_counts()
        caption = "files: " + ", ".join(f"{n} {v}" for v, n in counts.items())
        return Table(df.drop(columns=["old_blob", "new_blob"]), caption)

    def chain(self, path: str) -> Table:
        """The path's damage chain, event and state first (every event, renames followed, when it
        is not damaged now)."""
        return Table(path_chain(self.result, path), f"chain of {path}")

    def diff(self, path: str) -> HTMLBlock:
        """The change that damaged ``path`` (the root cause of its chain; for a path healthy again,
        its latest damaging change) as a unified diff."""
        change = damaging_change(self.result, path)
        if change is None:
            return HTMLBlock(f"<p>{esc(path)} was never damaged in the scanned history: no damaging change.</p>",
                             f"{path} was never damaged")
        d = change_diff(self.result, change)
        healed = path not in set(self.result.chains()["path"])
        caption = (f"the change that damaged it{' (healthy again since)' if healed else ''}: {change.event} in "
                   f"{change.sha[:12]} by {change.author} "
                   f"({change.committed_at:%Y-%m-%d %H:%M}Z): {change.subject}")
        return HTMLBlock(diff_html(d, caption), d.text)

    def restoration_of(self, path: str) -> Restoration | None:
        return last_good_beside_current(self.result, path)

    def last_good(self, path: str) -> HTMLBlock:
        """The last good version beside the current one, and what a restore would throw away: the
        current lines it replaces and the later edits whose work is lost."""
        r = self.restoration_of(path)
        if r is None:
            return HTMLBlock(f"<p>{esc(path)} is not damaged at {esc(self.result.rev)}: nothing to restore.</p>",
                             f"{path} is not damaged")
        if not r.last_good_blob:
            return HTMLBlock(f"<p>{esc(path)} has no healthy version in the scanned history: nothing to restore "
                             "it from (see the restore list's fallback).</p>", "no last good version")
        blobs = self.result.read_blobs([r.current_blob, r.last_good_blob])
        side = side_by_side_html(blobs.get(r.current_blob), blobs.get(r.last_good_blob), path,
                                 f"{r.last_good_path} at {r.last_good_sha[:12]}")
        n = len(r.edits)
        lost = (f"A restore throws away {r.diff.removed} current lines (left, highlighted) and the work of "
                f"{n} later edit{'s' if n != 1 else ''}" + (":" if n else "."))
        edits = Table(r.edits.drop(columns=["path"]), "later edits a restore would lose")._repr_html_() if n else ""
        return HTMLBlock(f'<p class="fx-step">{esc(lost)}</p>{side}{edits}', r.diff.text if r.diff else "")

    def commit_view(self, sha: str, path: str | None = None) -> Table:
        """One commit as pydriller sees it on the engine's throwaway view: modified files, lines
        added and deleted, methods changed in ``path`` (see
        :func:`forensics.engine.pydriller_view.commit_files_via_pydriller`)."""
        from forensics.engine.pydriller_view import commit_files_via_pydriller

        df = commit_files_via_pydriller(self.result.repo, sha, path)
        return Table(df, f"files of {sha[:12]} (pydriller)")

    # -- choices -------------------------------------------------------------------------------------

    def _culprit_row(self, incident: int | str, culprit: int | str) -> pd.Series:
        df = self.culprits_of(incident)
        if not len(df):
            raise ForensicsError(f"incident {incident} has no culprit")
        if isinstance(culprit, int) or (isinstance(culprit, str) and culprit.isdigit() and len(culprit) < 7):
            i = int(culprit)
            if not 0 <= i < len(df):
                raise ForensicsError(f"incident {incident} has {len(df)} culprits: choose 0..{len(df) - 1}")
            return df.iloc[i]
        hit = df[df["sha"].astype(str).str.startswith(str(culprit))]
        if not len(hit):
            raise ForensicsError(f"no culprit {culprit!r} in incident {incident}")
        return hit.iloc[0]

    def choose(self, incident: int = 1, culprit: int | str = 0, path: str = "") -> Choice:
        """The notebook's parameters checked against the story (one clear error when an incident,
        culprit or path does not exist); an empty ``path`` is the culprit's first damaged file."""
        if not len(self.incidents):
            raise ForensicsError("no incident: the scanned history has no damage to drill into")
        culprit = int(culprit) if isinstance(culprit, str) and culprit.isdigit() and len(culprit) < 7 else culprit
        self._culprit_row(incident, culprit)
        path = path or self.default_path(incident, culprit)
        if path and path not in set(self.result.subjects["path"]) and path not in set(self.result.events["path"]):
            raise ForensicsError(f"path {path!r} is neither in scope at {self.result.rev} nor in any event")
        change = damaging_change(self.result, path) if path else None
        return Choice(int(incident), culprit, path, change.sha if change else "")

    def default_path(self, incident: int | str, culprit: int | str = 0) -> str:
        """The first file the culprit damaged (or touched), for a notebook run with no path given."""
        files = self.files_of(incident, culprit)
        return str(files["path"].iloc[0]) if len(files) else ""

    # -- widgets -------------------------------------------------------------------------------------

    def widget(self) -> Any:
        """Linked dropdowns in JupyterLab: incident -> culprit -> file, each redrawing the next steps
        (culprits, files, chain, the damaging diff, last good beside current), and a button for the
        damaging commit as pydriller sees it. Without ``ipywidgets``, a hint to use the notebook's
        parameters (and in a headless run, where nobody clicks: :func:`forensics.report.explore.headless`)."""
        from forensics.report.explore import headless

        if headless():
            return HTMLBlock("<p><em>Headless run: the notebook's <code>incident</code>, <code>culprit</code> and "
                             "<code>path</code> parameters chose what follows (JupyterLab shows dropdowns here).</em></p>")
        try:
            import ipywidgets as widgets
        except ImportError:
            return HTMLBlock("<p><em>Without <code>ipywidgets</code>, set the notebook's <code>incident</code>, "
                             "<code>culprit</code> and <code>path</code> parameters.</em></p>")
        from IPython.display import display

        layout = widgets.Layout(width="60em")
        incident = widgets.Dropdown(description="incident", layout=layout, options=[
            (f"#{r.incident}: {str(r.headline)[:110]}", str(r.incident))
            for r in self.incidents.itertuples(index=False)])
        culprit = widgets.Dropdown(description="culprit", layout=layout)
        path = widgets.Dropdown(description="file", layout=layout)
        out_culprits, out_files, out_path, out_commit = (widgets.Output(), widgets.Output(), widgets.Output(),
                                                         widgets.Output())
        commit = widgets.Button(description="the damaging commit as pydriller sees it", layout=widgets.Layout(width="24em"))

        def show(out: Any, *objs: Any) -> None:
            out.clear_output(wait=True)
            with out:
                for o in objs:
                    display(o)

        def on_incident(change: Any = None) -> None:
            if incident.value is None:
                return
            df = self.culprits_of(incident.value)
            show(out_culprits, self.culprits(incident.value))
            culprit.options = [(f"{r.role}: {r.kind} {str(r.sha)[:12]} {str(r.subject)[:60]}", i)
                               for i, r in enumerate(df.itertuples(index=False))]
            culprit.value = 0 if len(df) else None

        def on_culprit(change: Any = None) -> None:
            if culprit.value is None or incident.value is None:
                return
            files = self.files_of(incident.value, culprit.value)
            show(out_files, self.files(incident.value, culprit.value, files))
            shown = files.head(MAX_OPTIONS)
            path.options = [(f"{r.verdict}: {r.path}", r.path) for r in shown.itertuples(index=False)]
            path.value = shown["path"].iloc[0] if len(shown) else None

        def on_path(change: Any = None) -> None:
            if not path.value:
                return
            show(out_path, self.chain(path.value), self.diff(path.value), self.last_good(path.value))
            out_commit.clear_output()
            commit.disabled = damaging_change(self.result, path.value) is None

        def on_commit(_: Any = None) -> None:
            # on request only: pydriller builds a throwaway view and diffs the whole commit (a second or
            # more for a bulk commit), and a headless run (papermill) never clicks
            change = damaging_change(self.result, path.value) if path.value else None
            if change is not None:
                show(out_commit, self.commit_view(change.sha, change.path))

        def guarded(fn):
            def run(change: Any = None) -> None:
                try:
                    fn(change)
                except ForensicsError as exc:
                    show(out_path, HTMLBlock(f"<p>{esc(exc)}</p>", str(exc)))
            return run

        incident.observe(guarded(on_incident), names="value")
        culprit.observe(guarded(on_culprit), names="value")
        path.observe(guarded(on_path), names="value")
        commit.on_click(guarded(on_commit))
        guarded(on_incident)()
        return widgets.VBox([incident, out_culprits, culprit, out_files, path, out_path, commit, out_commit])


def investigate(repo_or_result: Any, rev: str = "HEAD", **scan_options: Any) -> Investigation:
    """Scan (or take a scan) and build the story the drill-down starts from."""
    result = repo_or_result if isinstance(repo_or_result, ScanResult) else scan(repo_or_result, rev, **scan_options)
    story = build_story(result)
    return Investigation(result, story.incidents, story.culprits)
