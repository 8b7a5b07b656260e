"""Scripts behind culprits, linked by evidence only (never by proximity alone).

Each kind of evidence is named in the ``evidence`` column and scored:

- ``source has '<text>'`` (4): the script's source, as it stood at the culprit's last commit,
  contains the text of one of the culprit's line signatures (the marker it writes, the placeholder
  it writes): the strongest sign a script can produce this damage;
- ``named in message`` (3): a commit of the culprit names it (it ran it), unless the culprit's
  commits edit the very file it names without adding it (then the file is the subject, not a tool);
- ``added in a damaging commit`` (2): the script was added in one of the culprit's commits that
  damaged paths (the damage in the same change; a script merely rewritten along with every other
  file by a bulk commit is a bystander, not the tool);
- ``backup time (<run>)`` (1): a backup run written within minutes before the culprit's commits
  (only adds to a script linked by other evidence).

Moving or renaming a script is never evidence: a script only renamed (same content) inside a culprit's
commits, with a name like a bulk fixer's, is a *lead* (``strength='lead'``) and carries no damage
counts. A source matching on one common word is not evidence either: a fragment must be the
culprit's specific written text (punctuation, an underscore, a digit, or a CamelCase name) that the
healthy code written before the culprit rarely holds (at most BACKGROUND_RATE of a sample of
BACKGROUND_SAMPLE healthy versions: ``-> None`` or ``@dataclass`` are everybody's code).
Contents are read through ``result.read_blobs``; paths are kept exactly as written.
"""
from __future__ import annotations

import builtins
import difflib
import fnmatch
import functools
import keyword
import math
import re
from collections import Counter

import pandas as pd

from forensics.analyses.index import CULPRIT_COLUMNS, CulpritIndex
from forensics.engine.states import DAMAGING_EVENTS

SCRIPT_NAME_PATTERNS = ("bulk_*", "fix_*", "*fixer*", "migrate_*", "restore_*", "repair_*", "*_fix_*",
                        "*_fix", "mass_*", "batch_*", "auto_fix*", "autofix*")
SCRIPT_DIRS = ("scripts", "script", "tools", "bin")
SCRIPT_EXTENSIONS = (".py", ".sh")
# a name is tried from the start of a token only (the lookbehind): linear in a message of 100 KB of letters
_SCRIPT_IN_MESSAGE = re.compile(r"(?<![\w./\\-])[\w./\\-]+\.(?:py|sh)\b")
SCORES = {"source": 4, "message": 3, "same_commit": 2, "backup": 1, "lead": 0}
_BARE_WORD = re.compile(r"[A-Za-z]+")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
SAMPLE_FILES = 12
BACKGROUND_SAMPLE = 400      # healthy versions read once, spread over the history
BACKGROUND_RATE = 0.02       # a fragment in more of the healthy code before the culprit is not specific
MIN_FRAGMENT = 6


def name_of(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


@functools.lru_cache(maxsize=65536)
def is_fixer_name(path: str) -> bool:
    """A name like a bulk fixer's (``bulk_*``, ``fix_*``, ``*fixer*``, ``migrate_*`` ...)."""
    stem = name_of(path).rsplit(".", 1)[0].lower()
    return any(fnmatch.fnmatch(stem, p) for p in SCRIPT_NAME_PATTERNS)


def is_test_path(path: str) -> bool:
    """Named like a test module (a script may live in a tests/ directory and still be a script)."""
    name = name_of(path)
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


@functools.lru_cache(maxsize=65536)
def is_script_path(path: str) -> bool:
    """A file that could be a script: a .py/.sh outside the tests, at the top level, in a
    scripts/tools/bin directory, or named like a fixer."""
    if not path.endswith(SCRIPT_EXTENSIONS) or is_test_path(path):
        return False
    parts = path.split("/")
    return len(parts) == 1 or any(p.lower() in SCRIPT_DIRS for p in parts[:-1]) or is_fixer_name(path)


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
# words of every Python file (a stub's ``if __name__ == "__main__": main()`` included): no evidence
_COMMON = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"self", "import", "return", "__main__",
                                                                   "if __name__", "main", "def main"}


def scripts_named_in(message: str) -> list[str]:
    """Script names a commit message mentions, exactly as written (``tools\\fix_all.py`` keeps its
    backslash; test modules are not scripts)."""
    return [n for n in _SCRIPT_IN_MESSAGE.findall(message) if not is_test_path(n)]


def _distinctive(text: str) -> str:
    text = text.strip().strip("\"'").strip()
    if len(text) < MIN_FRAGMENT or sum(ch.isalnum() for ch in text) < 4 or text in _COMMON:
        return ""
    if _BARE_WORD.fullmatch(text) and sum(ch.isupper() for ch in text[1:]) < 1:
        return ""          # one plain word ('problematic') is anybody's text, not the culprit's
    if all(w in _COMMON for w in _IDENTIFIER.findall(text)):
        return ""          # only Python's own words and punctuation ('main():', 'return None'): any file's
    return text


def written_pieces(old: bytes | None, new: bytes | None) -> set[str]:
    """The texts a rewrite wrote into changed lines (token-level insertions and replacements), e.g.
    ``# REMOVED_SYNTAX_ERROR:`` and ``formatted_string`` for a line commented out with a placeholder.
    Blank lines and indentation are ignored; whole new lines are not pieces (ordinary edits add lines)."""
    a = [ln for ln in (old or b"").decode("utf-8", "replace").splitlines() if ln.strip()]
    b = [ln for ln in (new or b"").decode("utf-8", "replace").splitlines() if ln.strip()]
    out: set[str] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "replace":
            continue
        for o, n in zip(a[i1:i2], b[j1:j2]):
            ta, tb = _TOKEN.findall(o.strip()), _TOKEN.findall(n.strip())
            for op, _, _, k1, k2 in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
                if op in ("insert", "replace"):
                    piece = _distinctive("".join(tb[k1:k2]))
                    if piece:
                        out.add(piece)
    return out


def signature_fragments(result, members: dict[str, list[str]], culprit_shas: list[str]) -> dict[str, list[str]]:
    """For each culprit that damaged paths: the texts its rewrites wrote into at least 30% of a sample
    of the files it damaged (at most SAMPLE_FILES per culprit, read in one batch), most files first."""
    ev = result.events
    ev = ev[ev["event"].isin(DAMAGING_EVENTS) & ev["kind"].isin(["M", "R"]) & (ev["old_blob"] != "")
            & (ev["new_blob"] != "")]
    by_sha: dict[str, list[tuple[str, str, str]]] = {}
    for sha, path, old, new in zip(ev["sha"], ev["path"], ev["old_blob"], ev["new_blob"]):
        by_sha.setdefault(sha, []).append((path, old, new))
    samples: dict[str, list[tuple[str, str, str]]] = {}
    for cul in culprit_shas:
        pairs = sorted({p for s in members[cul] for p in by_sha.get(s, ())})
        if pairs:
            step = max(1, len(pairs) // SAMPLE_FILES)
            samples[cul] = pairs[::step][:SAMPLE_FILES]
    blobs = result.read_blobs(sorted({b for pairs in samples.values() for _, o, n in pairs for b in (o, n)}))
    out: dict[str, list[str]] = {}
    for cul, pairs in samples.items():
        counts: Counter = Counter()
        for _, o, n in pairs:
            counts.update(written_pieces(blobs.get(o), blobs.get(n)))
        need = max(1, math.ceil(0.3 * len(pairs)))
        frags = [t for t, k in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if k >= need][:8]
        if frags:
            out[cul] = frags
    return out


def _background(result) -> list[tuple[int, str]]:
    """(order, text) of up to BACKGROUND_SAMPLE healthy in-scope versions, spread evenly over the
    history (read in one batch)."""
    from forensics.engine.health import HEALTHY

    healthy = set(result.versions.loc[result.versions["state"] == HEALTHY, "blob"].tolist())
    ch = result.changes[~result.changes["is_backup"] & result.changes["new_blob"].isin(healthy)]
    ch = ch.drop_duplicates("new_blob").sort_values("order")
    if not len(ch):
        return []
    step = max(1, len(ch) // BACKGROUND_SAMPLE)
    picked = ch.iloc[::step].head(BACKGROUND_SAMPLE)
    texts = result.read_blobs(picked["new_blob"].tolist())
    return [(int(o), (texts.get(b) or b"").decode("utf-8", "replace")) for o, b in zip(picked["order"], picked["new_blob"])]


def _specific(result, fragments: dict[str, list[str]], first_order: dict[str, int]) -> dict[str, list[str]]:
    """The fragments of each culprit that the healthy code written before it rarely holds."""
    if not fragments:
        return fragments
    background = _background(result)
    out: dict[str, list[str]] = {}
    for cul, frags in fragments.items():
        before = [t for o, t in background if o < first_order[cul]]
        limit = max(1, int(BACKGROUND_RATE * len(before)))
        kept = [f for f in frags if sum(f in t for t in before) <= limit]
        if kept:
            out[cul] = kept
    return out


def _script_versions(result) -> dict[str, list[tuple[int, str, str]]]:
    """Every script-like path in history: [(order, sha, blob)] oldest first (blob empty when deleted)."""
    ch = result.changes[~result.changes["is_backup"]]
    scripts = {p for p in ch["path"].unique().tolist() if is_script_path(p)}
    ch = ch[ch["path"].isin(scripts)].sort_values("order")
    out: dict[str, list[tuple[int, str, str]]] = {}
    for path, order, sha, blob in zip(ch["path"], ch["order"], ch["sha"], ch["new_blob"]):
        out.setdefault(path, []).append((int(order), sha, blob))
    return out


def _as_of(versions: list[tuple[int, str, str]], order: int) -> tuple[str, str] | None:
    """(sha, blob) of the newest version at or before ``order``, None if absent then."""
    best = None
    for o, sha, blob in versions:
        if o > order:
            break
        best = (sha, blob) if blob else None
    return best


def link_scripts(result, main: pd.DataFrame, members: dict[str, list[str]], index: CulpritIndex,
                 backup_links: dict[str, list[str]], max_scripts: int = 3) -> pd.DataFrame:
    """One ``script`` row per (script, culprit) link with evidence, at most ``max_scripts`` (the best
    scored) per culprit. Columns: CULPRIT_COLUMNS with ``kind='script'``: ``subject`` and
    ``scripts`` the script path as written, ``sha`` the commit of the script version the evidence
    rests on (empty when the script is only named), ``linked_to`` the culprit, ``evidence`` and
    ``score``, ``strength`` (``direct``; ``lead`` for a script only moved inside the culprit: no
    damage counts); the path counts are the culprit's for direct evidence, 0 for a lead."""
    versions = _script_versions(result)
    all_paths = set(versions)
    edits = script_edits(result)
    damaging = [r.sha for r in main.itertuples(index=False) if r.paths_damaged > 0]
    fragments = signature_fragments(result, members, damaging)
    fragments = _specific(result, fragments, {c: min(index.meta[s]["order"] for s in members[c]) for c in fragments})
    # each script version read once, whatever the number of culprits
    wanted: dict[tuple[str, int], tuple[str, str]] = {}
    last_order = {c: max(index.meta[s]["order"] for s in members[c]) for c in main["sha"]}
    for cul in fragments:
        for path, vs in versions.items():
            hit = _as_of(vs, last_order[cul])
            if hit:
                wanted[(path, last_order[cul])] = hit
    contents = result.read_blobs(sorted({b for _, b in wanted.values()}))
    text_of = {b: (data or b"").decode("utf-8", "replace") for b, data in contents.items()}
    rows = []
    for cul in main.itertuples(index=False):
        shas = members[cul.sha]
        found: dict[str, dict[str, object]] = {}

        def add(path: str, kind: str, text: str, sha: str = "") -> None:
            entry = found.setdefault(path, {"evidence": [], "score": 0, "sha": ""})
            if text not in entry["evidence"]:
                entry["evidence"].append(text)
                entry["score"] += SCORES[kind]
            entry["sha"] = entry["sha"] or sha

        order = last_order[cul.sha]
        frags = fragments.get(cul.sha, ())
        for path in sorted(all_paths) if frags else ():
            hit = wanted.get((path, order))
            if not hit:
                continue
            text = text_of.get(hit[1], "")
            seen = [f for f in frags if f in text]
            if seen:
                add(path, "source", "source has " + ", ".join(repr(f) for f in seen), hit[0])
                found[path]["score"] += len(seen) - 1
        added_here = {p for s in shas for p, how in edits.get(s, ()) if how == "added"}
        edited = index.touched_by(shas) - added_here
        for s in shas:
            for name in scripts_named_in(index.meta[s]["subject"]):
                known = name if name in all_paths else next(
                    (p for p in sorted(all_paths) if p.endswith("/" + name) or p == name.replace("\\", "/")), "")
                path = known or name
                if path in edited or (not known and any(p.endswith("/" + name) for p in edited)):
                    continue        # a file the culprit edits, named as its subject: not a tool it ran
                hit = _as_of(versions.get(path, []), order)
                add(path, "message", "named in message" + (f" as {name!r}" if name != path else ""),
                    hit[0] if hit else "")
        leads: dict[str, tuple[str, str]] = {}
        for s in shas:
            damaged_here = bool(index.damaged.get(s))
            for path, how in edits.get(s, ()):
                if how == "added" and damaged_here:
                    add(path, "same_commit", "added in a damaging commit", s)
                elif how == "moved" and is_fixer_name(path) and path not in found:
                    leads.setdefault(path, (s, "renamed in a commit of the culprit, named like a bulk fixer "
                                                "(moving is not evidence)"))
        for run in backup_links.get(cul.sha, ()):
            for path in found:
                add(path, "backup", f"backup time ({run})")
        best = sorted(found.items(), key=lambda kv: (-int(kv[1]["score"]), kv[0]))[:max_scripts]
        for path, (s, text) in sorted(leads.items())[: max(0, max_scripts - len(best))]:
            meta = index.meta.get(s)
            rows.append({"kind": "script", "sha": s, "committed_at": meta["committed_at"] if meta else pd.NaT,
                         "author": meta["author"] if meta else "", "subject": path, "paths_changed": 0,
                         "paths_damaged": 0, "paths_healed": 0, "scripts": path, "paths_still_damaged": 0,
                         "evidence": text, "score": 0, "last_sha": s, "last_at": meta["committed_at"] if meta else pd.NaT,
                         "commits": 0, "span_minutes": 0.0, "paths_touched": 0, "already_damaged": 0,
                         "linked_to": cul.sha, "suffix_first": "", "suffix_last": "", "strength": "lead"})
        for path, e in best:
            sha = str(e["sha"])
            meta = index.meta.get(sha)
            rows.append({"kind": "script", "sha": sha, "committed_at": meta["committed_at"] if meta else pd.NaT,
                         "author": meta["author"] if meta else "", "subject": path, "paths_changed": 0,
                         "paths_damaged": cul.paths_damaged, "paths_healed": cul.paths_healed, "scripts": path,
                         "paths_still_damaged": cul.paths_still_damaged, "evidence": "; ".join(e["evidence"]),
                         "score": int(e["score"]), "last_sha": sha, "last_at": meta["committed_at"] if meta else pd.NaT,
                         "commits": 0, "span_minutes": 0.0, "paths_touched": cul.paths_touched,
                         "already_damaged": cul.already_damaged, "linked_to": cul.sha, "suffix_first": "",
                         "suffix_last": "", "strength": "direct"})
    return pd.DataFrame(rows, columns=CULPRIT_COLUMNS)


def script_edits(result, paths: set[str] | None = None) -> dict[str, list[tuple[str, str]]]:
    """Per commit, the script-like paths (or the given ``paths``) it changed: (path, ``added``) for a
    new one, (path, ``changed``) when its text changed, (path, ``moved``) when only renamed or copied
    with the same text."""
    ch = result.changes[~result.changes["is_backup"]]
    keep = ch["path"].isin(paths) if paths is not None else ch["path"].map(is_script_path)
    ch = ch[keep.astype(bool)]      # (an empty mask must stay a mask)
    out: dict[str, list[tuple[str, str]]] = {}
    for sha, path, kind, old, new in zip(ch["sha"], ch["path"], ch["kind"], ch["old_blob"], ch["new_blob"]):
        if not new:
            continue
        how = "moved" if kind in ("R", "C") and old == new else "added" if kind == "A" else "changed"
        out.setdefault(sha, []).append((path, how))
    return out
