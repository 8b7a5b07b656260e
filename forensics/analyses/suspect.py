"""A verdict on a suspect the responder names: a commit (SHA or prefix), a script (its path or file
name), an author (name or e-mail, exactly) or a subject pattern (a regular expression).

For each: the commits it covers, the paths they touched, damaged, found already damaged and healed,
the real root causes of the touched paths damaged at the revision, and a verdict. A script's commits
are those that added, changed or ran it (named it in their message), each with its evidence; commits
that only moved or renamed it are listed as leads and never counted (moving is not evidence).

Columns (SUSPECT_COLUMNS): ``suspect, kind`` (``commit``, ``script``, ``file`` (a path that is not
script-like, weighed the same way), ``author``, ``subject``),
``commits`` (how many are counted), ``paths_touched, paths_damaged, already_damaged, paths_healed``,
``root_causes`` (tuple of (sha, paths still damaged) of the touched paths, most first; flattened only
in CSV and on the terminal), ``verdict`` (starts with ``cleared``, ``implicated`` or ``partly``),
``evidence`` (per commit, what links it); then ``shas`` (the counted commits) and ``leads``.
"""
from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from forensics.analyses.index import CulpritIndex, index_of
from forensics.analyses.scripts import is_script_path, name_of, script_edits, scripts_named_in
from forensics.errors import BadOption, ForensicsError

SUSPECT_COLUMNS = ["suspect", "kind", "commits", "paths_touched", "paths_damaged", "already_damaged", "paths_healed",
                   "root_causes", "verdict", "evidence", "shas", "leads"]
_HEX = re.compile(r"[0-9a-fA-F]{7,64}")


def _script_commits(result, index: CulpritIndex, name: str,
                    culprits: pd.DataFrame | None = None) -> tuple[str, list[str], list[str], list[str]] | None:
    """(script path, counted shas, evidence per commit, leads) for a script ``name`` (a path, or a file
    name matched at any depth), or None when no script of that name is in the history."""
    ch = result.changes[~result.changes["is_backup"]]
    wanted = name.replace("\\", "/")
    hit = ch[(ch["path"] == wanted) | (ch["old_path"] == wanted)]
    if not len(hit):
        base = name_of(wanted)
        hit = ch[(ch["path"].map(name_of) == base) | (ch["old_path"].fillna("").map(name_of) == base)]
    if not len(hit):
        return None
    names = set(hit["path"]) | set(hit["old_path"].dropna()) - {""}
    bases = {name_of(p) for p in names}
    edits = script_edits(result, names)
    counted: list[str] = []
    evidence: list[str] = []
    leads: list[str] = []
    produced: dict[str, str] = {}       # commit -> the written text of its culprit found in the script
    if culprits is not None and len(culprits):
        from forensics.analyses.culprits import culprit_commits

        links = culprits[(culprits["kind"] == "script") & culprits["subject"].isin(names)
                         & (culprits["strength"] == "direct") & culprits["evidence"].str.contains("source has")]
        main = culprits[culprits["kind"] != "script"].set_index("sha", drop=False)
        for link in links.itertuples(index=False):
            if link.linked_to in main.index:
                text = next(e for e in link.evidence.split("; ") if e.startswith("source has"))
                for s in culprit_commits(result, main.loc[link.linked_to]):
                    produced[s] = text
    for sha in result.commits.sort_values("order")["sha"]:
        why = []
        for path, how in edits.get(sha, ()):
            if path in names:
                if how in ("added", "changed"):
                    why.append(f"{how} {path}")
                else:
                    leads.append(f"{sha[:12]} moved it to {path} (moving is not evidence)")
        subject = index.meta[sha]["subject"]
        if any(name_of(n.replace("\\", "/")) in bases for n in scripts_named_in(subject)):
            why.append("ran it (named in its message)")
        if sha in produced and index.damaged.get(sha):
            why.append(f"its text produced the damaging lines ({produced[sha]})")
        if why:
            counted.append(sha)
            n = len(index.damaged.get(sha, ()))
            evidence.append(f"{sha[:12]} {' and '.join(why)}; damaged {n} in that commit")
    return sorted(names)[0] if wanted not in names else wanted, counted, evidence, leads


def _resolve(result, index: CulpritIndex, name: str,
             culprits: pd.DataFrame | None = None) -> tuple[str, list[str], list[str], list[str]]:
    """(kind, counted shas, evidence, leads) for one suspect name. Raises ForensicsError when nothing
    in the scanned history matches, BadOption for a bad pattern."""
    commits = result.commits
    if _HEX.fullmatch(name):
        found = commits[commits["sha"].str.startswith(name.lower())]
        if len(found) == 1:
            return "commit", [found["sha"].iloc[0]], ["its own changes"], []
        if len(found) > 1:
            raise ForensicsError(f"suspect {name!r}: {len(found)} commits start with it; give more digits")
    script = _script_commits(result, index, name, culprits)
    if script is not None:
        path, counted, evidence, leads = script
        return ("script" if is_script_path(path) else "file"), counted, evidence, leads
    low = name.lower()
    by_author = commits[(commits["author"].str.lower() == low) | (commits["author_email"].str.lower() == low)]
    if len(by_author):
        return "author", by_author["sha"].tolist(), [f"{len(by_author)} commits by {name}"], []
    try:
        pattern = re.compile(name)
    except re.error as exc:
        raise BadOption("suspect", name, f"not a commit, script or author, and not a valid pattern ({exc})") from None
    hits = commits[commits["subject"].map(lambda s: bool(pattern.search(s))).astype(bool)]
    if not len(hits):
        raise ForensicsError(f"suspect {name!r}: no commit, script, author or subject in the scanned history matches")
    return "subject", hits["sha"].tolist(), [f"{len(hits)} commits whose subject matches {name!r}"], []


def _names_now(result, shas: list[str]) -> set[str]:
    """The paths ``shas`` touched, under the names they have at the revision (renames followed)."""
    ch = result.changes[~result.changes["is_backup"]]
    mine = ch[ch["sha"].isin(set(shas))]
    renames = ch[ch["kind"] == "R"].sort_values("order")
    moves: dict[str, list[tuple[int, str]]] = {}
    for o, old, new in zip(renames["order"], renames["old_path"], renames["path"]):
        moves.setdefault(old, []).append((int(o), new))
    out = set()
    for path, order in zip(mine["path"], mine["order"]):
        o, seen = int(order), 0
        while seen < 64:            # a path renamed back and forth ends; a cycle cannot loop forever
            nxt = next(((mo, new) for mo, new in moves.get(path, ()) if mo > o), None)
            if nxt is None:
                break
            o, path = nxt
            seen += 1
        out.add(path)
    return out


def _root_causes(result, index: CulpritIndex, shas: list[str]) -> tuple[tuple[str, int], ...]:
    chains = result.chains()
    touched = _names_now(result, shas)
    roots = Counter(r for p, r in zip(chains["path"], chains["root_cause"]) if p in touched and r)
    return tuple(sorted(roots.items(), key=lambda kv: (-kv[1], index.order.get(kv[0], 0))))


def _verdict(kind: str, shas: list[str], damaged: int, touched: int, already: int, healed: int,
             roots: tuple[tuple[str, int], ...], leads: list[str]) -> str:
    mine = set(shas)
    still = sum(n for _, n in roots)
    own = sum(n for s, n in roots if s in mine)
    if not shas:
        return "cleared: it did nothing in the scanned history" + ("; only leads (moved, never ran)" if leads else "")
    if damaged == 0:
        text = f"cleared: touched {touched} paths, damaged none ({already} already damaged when touched"
        if roots:
            text += f"; the damage in them began with {roots[0][0][:12]}"
        return text + ")"
    if still and own * 2 < still:
        return (f"partly: damaged {damaged} of {touched} paths touched, but began only {own} of the {still} "
                f"touched paths still damaged (most began with {roots[0][0][:12]})")
    return f"implicated: damaged {damaged} of {touched} paths touched, began {own} still damaged"


def suspect(result, names: list[str], culprits: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per name (see the module docstring). ``culprits`` (default: found here) supplies the
    scripts whose text produced a culprit's damaging lines. Columns: SUSPECT_COLUMNS."""
    from forensics.analyses.culprits import culprits as find_culprits

    index = index_of(result)
    culprits = culprits if culprits is not None else find_culprits(result)
    rows = []
    for name in names:
        kind, shas, evidence, leads = _resolve(result, index, name, culprits)
        stats = index.stats(shas) if shas else {"paths_touched": 0, "paths_damaged": 0, "paths_healed": 0,
                                                "already_damaged": 0}
        roots = _root_causes(result, index, shas)
        rows.append({"suspect": name, "kind": kind, "commits": len(shas), "paths_touched": stats["paths_touched"],
                     "paths_damaged": stats["paths_damaged"], "already_damaged": stats["already_damaged"],
                     "paths_healed": stats["paths_healed"], "root_causes": roots,
                     "verdict": _verdict(kind, shas, stats["paths_damaged"], stats["paths_touched"],
                                         stats["already_damaged"], stats["paths_healed"], roots, leads),
                     "evidence": "; ".join(evidence + leads), "shas": tuple(shas), "leads": tuple(leads)})
    return pd.DataFrame(rows, columns=SUSPECT_COLUMNS)


__all__ = ["SUSPECT_COLUMNS", "suspect"]
