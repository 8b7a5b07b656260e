"""Dependents: CI workflows and config files whose references (a file, a directory, a glob) match
paths in scope at the revision, and how many of those paths are damaged. So a report can say
"these jobs run damaged tests" and, as clearly, which jobs only run healthy ones."""
from __future__ import annotations

import fnmatch
import re

import pandas as pd
from forensics.engine.states import DAMAGED_STATES

DEPENDENT_FILES = (".github/workflows/*.yml", ".github/workflows/*.yaml", "Makefile", "tox.ini", "pytest.ini",
                   "setup.cfg", "pyproject.toml", "*conftest.py", "noxfile.py", ".gitlab-ci.yml")
DEPENDENT_COLUMNS = ["file", "line", "reference", "paths_matched", "damaged_matched", "healthy_matched", "text"]
_TOKEN = re.compile(r"""[A-Za-z0-9_.*?\[\]/-]*[A-Za-z0-9_*\]]""")


def is_dependent_file(path: str) -> bool:
    return any(fnmatch.fnmatchcase(path, p) for p in DEPENDENT_FILES)


def _matches(reference: str, paths: list[str], base: str) -> list[str]:
    ref = reference.strip("./") if not reference.startswith("../") else ""
    if not ref or ref in (".", "*"):
        return []
    candidates = [ref] + ([f"{base}/{ref}"] if base else [])
    out = []
    for c in candidates:
        if any(ch in c for ch in "*?["):
            rx = fnmatch.translate(c)
            out = [p for p in paths if re.match(rx, p) or re.match(fnmatch.translate(c + "/*"), p)]
        else:
            out = [p for p in paths if p == c or p.startswith(c.rstrip("/") + "/")]
        if out:
            return out
    return out


def dependents(result, files: dict[str, bytes] | None = None) -> pd.DataFrame:
    """One row per reference found. Columns: DEPENDENT_COLUMNS (``file``, 1-based ``line``, the
    ``reference`` text, how many paths in scope it matches, how many of them are damaged and healthy,
    and the line itself). ``files`` (path -> bytes) defaults to the dependent files at the revision."""
    if files is None:
        files = result.files_at_rev(is_dependent_file)
    subj = result.subjects
    paths = subj["path"].tolist()
    state = dict(zip(subj["path"], subj["state"]))
    rows = []
    for file, data in sorted(files.items()):
        if data is None:
            continue
        base = file.rsplit("/", 1)[0] if file.endswith("conftest.py") and "/" in file else ""
        for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            seen = set()
            for tok in _TOKEN.findall(line):
                if tok in seen or ("/" not in tok and not tok.endswith(".py") and tok not in ("tests", "test")):
                    continue
                seen.add(tok)
                hit = _matches(tok, paths, base)
                if hit:
                    damaged = sum(state[p] in DAMAGED_STATES for p in hit)
                    rows.append((file, n, tok, len(hit), damaged, len(hit) - damaged, stripped[:200]))
    return pd.DataFrame(rows, columns=DEPENDENT_COLUMNS)


def jobs_summary(deps: pd.DataFrame) -> pd.DataFrame:
    """One row per dependent file: references, paths matched, damaged matched, and a verdict
    (``runs damaged tests`` or ``runs only healthy tests``)."""
    if not len(deps):
        return pd.DataFrame(columns=["file", "references", "paths_matched", "damaged_matched", "verdict"])
    g = deps.groupby("file").agg(references=("reference", "size"), paths_matched=("paths_matched", "sum"),
                                 damaged_matched=("damaged_matched", "sum")).reset_index()
    g["verdict"] = g["damaged_matched"].map(lambda d: "runs damaged tests" if d else "runs only healthy tests")
    return g
