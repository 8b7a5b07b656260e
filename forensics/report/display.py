"""Tables and text for people, in notebooks and in the exported report: whole, escaped, offline.

``Table(df)`` shows every row (no pandas cut at 10), no index column, SHAs as 12 characters with the
full SHA on hover, commands whole, and a search box and sortable columns from a small script of its
own (no network, nothing loaded). Every cell, heading and sentence from the analysed repository is
HTML-escaped: a commit subject ``<img src=x onerror=...>`` or ``[me](javascript:...)`` stays text.
"""
from __future__ import annotations

import html
import itertools
import re
from typing import Iterable

import pandas as pd

from forensics.report.tables import for_output

SHORT_SHA = 12
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_SHA_LIST = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?( [0-9a-f]{40}([0-9a-f]{24})?)+$")
_ids = itertools.count(1)

# Sorting and searching, defined once per page; tables find it through their data attribute.
_SCRIPT = """<script>
(function () {
  if (window.fxTable) { window.fxTable.init(); return; }
  function key(td) { var v = td.getAttribute('data-sort'); if (v === null) v = td.textContent;
    var n = Number(v); return (v !== '' && !isNaN(n)) ? [0, n] : [1, v.toLowerCase()]; }
  function cmp(a, b) { return a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0); }
  function sort(th) {
    var table = th.closest('table'), body = table.tBodies[0], col = th.cellIndex;
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.cells, function (c) { c.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) { return dir * cmp(key(r1.cells[col]), key(r2.cells[col])); });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function search(input) {
    var box = input.closest('.fx-table'), q = input.value.toLowerCase(), shown = 0;
    var rows = box.querySelector('tbody').rows;
    for (var i = 0; i < rows.length; i++) {
      var hit = !q || rows[i].textContent.toLowerCase().indexOf(q) >= 0 ||
                (rows[i].getAttribute('data-shas') || '').indexOf(q) >= 0;
      rows[i].style.display = hit ? '' : 'none'; if (hit) shown++;
    }
    box.querySelector('.fx-count').textContent = shown + ' of ' + rows.length + (rows.length === 1 ? ' row' : ' rows');
  }
  function init() {
    document.querySelectorAll('.fx-table:not([data-ready])').forEach(function (box) {
      box.setAttribute('data-ready', '1');
      box.querySelectorAll('th').forEach(function (th) {
        th.addEventListener('click', function () { sort(th); }); });
      var input = box.querySelector('input');
      if (input) input.addEventListener('input', function () { search(input); });
    });
  }
  window.fxTable = {init: init};
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
</script>"""

# JupyterLab right-aligns output table cells with a selector of specificity (0,2,1); the doubled class
# outranks it, in JupyterLab and in the exported page alike.
_STYLE = """<style>
.fx-table.fx-table { margin: 0.5em 0 1.5em 0; }
.fx-table.fx-table .fx-bar { display: flex; gap: 1em; align-items: center; margin-bottom: 0.3em; font-size: 0.9em; }
.fx-table.fx-table input { padding: 2px 6px; min-width: 18em; }
.fx-table.fx-table .fx-scroll { max-height: 36em; overflow: auto; border: 1px solid rgba(128,128,128,0.35); }
.fx-table.fx-table table { border-collapse: collapse; font-size: 0.85em; width: max-content; min-width: 100%; }
.fx-table.fx-table th { position: sticky; top: 0; background: var(--jp-layout-color1, #fff); cursor: pointer;
  text-align: left; padding: 3px 8px; border-bottom: 1px solid rgba(128,128,128,0.5); white-space: nowrap; }
.fx-table.fx-table th[aria-sort=ascending]::after { content: " \\25B2"; }
.fx-table.fx-table th[aria-sort=descending]::after { content: " \\25BC"; }
.fx-table.fx-table td { padding: 2px 8px; vertical-align: top; border-bottom: 1px solid rgba(128,128,128,0.15);
  text-align: left; max-width: none; white-space: nowrap; }
.fx-table.fx-table tbody tr:nth-child(odd) { background: rgba(128,128,128,0.06); }
.fx-table.fx-table td.fx-text { max-width: 32em; white-space: normal; overflow-wrap: anywhere; }
.fx-table.fx-table td.fx-code, .fx-table.fx-table td.fx-sha { font-family: var(--jp-code-font-family, monospace); white-space: nowrap; }
.fx-table.fx-table td.fx-num, .fx-table.fx-table th.fx-num { text-align: right; }
</style>"""

_TEXT_COLUMNS = {"subject", "headline", "evidence", "reason", "text", "scripts", "summary", "title", "edits"}


def esc(value: object) -> str:
    """Any value as HTML text (``None`` and NaN are empty)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA or value is pd.NaT:
        return ""
    return html.escape(str(value), quote=True)


def _is_command(col: str) -> bool:
    return col.endswith("command") or col in ("show", "git_show")


def _cell(col: str, value: object, numeric: bool) -> str:
    s = "" if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA else str(value)
    if _SHA.match(s):
        return f'<td class="fx-sha" title="{esc(s)}" data-sort="{esc(s)}">{esc(s[:SHORT_SHA])}</td>'
    if _SHA_LIST.match(s):
        short = " ".join(x[:SHORT_SHA] for x in s.split())
        return f'<td class="fx-sha" title="{esc(s)}">{esc(short)}</td>'
    if _is_command(col):
        return f'<td class="fx-code">{esc(s)}</td>'
    if numeric:
        return f'<td class="fx-num">{esc(s)}</td>'
    if col in _TEXT_COLUMNS or len(s) > 60:
        return f'<td class="fx-text">{esc(s)}</td>'
    return f"<td>{esc(s)}</td>"


def table_html(df: pd.DataFrame, caption: str | None = None, searchable: bool = True) -> str:
    """Every row of ``df`` as an escaped, sortable, searchable HTML table (no index column)."""
    out = for_output(df.reset_index(drop=True))
    numeric = {c: pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns}
    tid = f"fx-table-{next(_ids)}"
    head = "".join(f'<th scope="col"{" class=fx-num" if numeric[c] else ""}>{esc(c)}</th>' for c in out.columns)
    cols = list(out.columns)
    rows = []
    for values in out.itertuples(index=False, name=None):
        cells = "".join(_cell(c, v, numeric[c]) for c, v in zip(cols, values))
        shas = " ".join(str(v) for v in values if isinstance(v, str) and (_SHA.match(v) or _SHA_LIST.match(v)))
        rows.append(f'<tr data-shas="{esc(shas)}">{cells}</tr>' if shas else f"<tr>{cells}</tr>")
    n = len(out)
    count = f"{n} row" if n == 1 else f"{n} rows"
    bar = (f'<div class="fx-bar">'
           + (f'<input type="search" placeholder="search (full SHAs too)" aria-label="search {esc(caption or "table")}">'
              if searchable else "")
           + f'<span class="fx-count">{count}</span><span>click a column to sort</span></div>')
    label = f' aria-label="{esc(caption)}"' if caption else ""
    return (f'{_STYLE}<div class="fx-table" id="{tid}">{bar}<div class="fx-scroll"><table{label}>'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div></div>{_SCRIPT}')


class Table:
    """A DataFrame shown whole in a notebook or the report (``_repr_html_``), and as text elsewhere."""

    def __init__(self, df: pd.DataFrame, caption: str | None = None) -> None:
        self.df, self.caption = df, caption

    def _repr_html_(self) -> str:
        return table_html(self.df, self.caption)

    def __repr__(self) -> str:
        return for_output(self.df).to_string(index=False)


def with_show_command(df: pd.DataFrame, sha_column: str = "sha", name: str = "git_show") -> pd.DataFrame:
    """``df`` with a column ``git_show``: the ``git show`` command of the row's commit (full SHA)."""
    if sha_column not in df.columns:
        return df
    shas = df[sha_column].astype("string")
    cmd = ("git show --stat " + shas).where(shas.notna() & (shas != ""), "")
    return df.assign(**{name: cmd.astype(object)})


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 wave``, ``2 waves``, ``0 other breakers`` (``many`` for irregular plurals)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def html_list(items: Iterable[str]) -> str:
    """Sentences as an escaped bullet list."""
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def heading(text: str, level: int = 2, anchor: str | None = None) -> str:
    anchor = anchor or re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return f'<h{level} id="{esc(anchor)}">{esc(text)}</h{level}>'
