"""CI written in YAML, read with line numbers: GitHub Actions workflows and GitLab CI.

GitHub: ``on.<event>.paths`` / ``paths-ignore``; per job, its steps' ``run:`` scripts with
``working-directory`` (step, job ``defaults.run``, workflow ``defaults.run``) and the literal values of its
``strategy.matrix`` (one job per combination, named as GitHub names it: ``job (v1, v2)``;
``include``/``exclude`` applied). ``${{ matrix.x }}`` is replaced by its value; any other expression
leaves the argument unresolved. GitLab: each job's ``before_script`` and ``script``. Only keys CI
executes are read: names, descriptions and comments are prose.
"""
from __future__ import annotations

import itertools
import re

import yaml

from forensics.analyses.ci_commands import invocations, join_path
from forensics.analyses.ci_model import Job, Trigger

MAX_MATRIX = 256           # combinations per job (a larger matrix is cut, and said so)
# Bounds per file, against YAML aliases multiplied by matrices (a few hundred bytes of ``*job`` and
# ``*steps`` aliases name millions of step runs): the expanded document (every alias counted each time
# it is used), the jobs after matrix expansion, and the step scripts read. A file over the first is
# not read (an error of that file); past the others the remaining jobs are left out, and said so with
# the counts in the note of the jobs kept.
MAX_YAML_NODES = 100_000
MAX_JOBS_PER_FILE = 1_024
MAX_STEP_RUNS_PER_FILE = 20_000
_CHANGE_EVENTS = ("push", "pull_request", "pull_request_target")


# -- YAML with line numbers ----------------------------------------------------------------------------
class LStr(str):
    """A YAML string that remembers where it starts (1-based ``line``; a block scalar's first content
    line) and whether it is a literal block (its lines are the script's lines)."""

    line: int
    block: bool


def _lstr(value: str, line: int, block: bool) -> LStr:
    s = LStr(value)
    s.line, s.block = line, block
    return s


def _expanded_size(node) -> int:
    """Nodes the document would have with every alias copied out (each node counted once per use),
    computed once per distinct node; saturates past :data:`MAX_YAML_NODES`."""
    sizes: dict[int, int] = {}
    order, stack = [], [node]
    while stack:                                  # iterative: deep nesting cannot exhaust the C stack
        n = stack.pop()
        if id(n) in sizes:
            continue
        sizes[id(n)] = 0
        order.append(n)
        if isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            stack.extend(x for kv in n.value for x in kv)
    for n in reversed(order):                     # children before parents (a cycle counts once)
        kids = n.value if isinstance(n, yaml.SequenceNode) else (
            [x for kv in n.value for x in kv] if isinstance(n, yaml.MappingNode) else [])
        sizes[id(n)] = min(1 + sum(sizes[id(k)] for k in kids), MAX_YAML_NODES + 1)
    return sizes[id(node)]


class YamlTooLarge(ValueError):
    """A YAML document whose aliases expand past :data:`MAX_YAML_NODES` nodes."""


def load_yaml(text: str):
    """Parse YAML (safe: no tags) into dicts, lists and :class:`LStr` scalars (None for nulls).
    Aliases are shared, not copied (no billion laughs); ``<<`` merge keys are applied. A document whose
    aliases would expand past :data:`MAX_YAML_NODES` nodes raises :class:`YamlTooLarge`."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is not None and _expanded_size(node) > MAX_YAML_NODES:
        raise YamlTooLarge(f"its aliases expand to more than {MAX_YAML_NODES:,} nodes: not read")
    memo: dict[int, object] = {}

    def plain(n):
        if id(n) in memo:
            return memo[id(n)]
        if isinstance(n, yaml.ScalarNode):
            if n.tag.endswith(":null"):
                out = None
            else:
                block = n.style in ("|", ">")
                out = _lstr(n.value, n.start_mark.line + 1 + (1 if block else 0), n.style == "|")
            memo[id(n)] = out
            return out
        if isinstance(n, yaml.SequenceNode):
            lst: list = []
            memo[id(n)] = lst
            lst.extend(plain(v) for v in n.value)
            return lst
        d: dict = {}
        memo[id(n)] = d
        merges = []
        for k, v in n.value:
            key = _lstr(k.value, k.start_mark.line + 1, False) if isinstance(k, yaml.ScalarNode) else str(id(k))
            if key == "<<":
                merges.append(plain(v))
            else:
                d[key] = plain(v)
        for m in merges:
            for src in (m if isinstance(m, list) else [m]):
                if isinstance(src, dict):
                    for k, v in src.items():
                        d.setdefault(k, v)
        return d

    return plain(node) if node is not None else None


def _line(value, default: int = 0) -> int:
    return getattr(value, "line", default)


# -- GitHub Actions -------------------------------------------------------------------------------------
def _triggers(on) -> tuple[Trigger, ...]:
    if isinstance(on, str):
        return (Trigger(str(on), _line(on)),)
    if isinstance(on, list):
        return tuple(Trigger(str(e), _line(e)) for e in on if isinstance(e, str))
    if not isinstance(on, dict):
        return ()
    out = []
    for event, spec in on.items():
        paths = ignore = None
        line = 0
        if isinstance(spec, dict) and event in _CHANGE_EVENTS:
            p, pi = spec.get("paths"), spec.get("paths-ignore")
            if isinstance(p, list):
                paths = tuple(str(x) for x in p if isinstance(x, str))
                line = min((_line(x) for x in p if isinstance(x, str)), default=0)
            if isinstance(pi, list):
                ignore = tuple(str(x) for x in pi if isinstance(x, str))
                line = line or min((_line(x) for x in pi if isinstance(x, str)), default=0)
        out.append(Trigger(str(event), line, paths, ignore))
    return tuple(out)


def _matrix(strategy) -> tuple[list[dict[str, str]], str]:
    """The literal combinations of a job's matrix (an empty dict: no matrix) and a note."""
    if not isinstance(strategy, dict) or not isinstance(strategy.get("matrix"), dict):
        if isinstance(strategy, dict) and isinstance(strategy.get("matrix"), str):
            return [{}], "matrix from an expression: not known from the file"
        return [{}], ""
    m = strategy["matrix"]
    keys = [k for k in m if k not in ("include", "exclude")]
    axes = []
    note = ""
    for k in keys:
        v = m[k]
        if isinstance(v, list):
            axes.append([_scalar(x) for x in v])
        else:
            axes.append([_scalar(v)])
            note = "matrix values from an expression: not known from the file"
    combos: list[dict[str, str]] = []
    for values in itertools.islice(itertools.product(*axes), MAX_MATRIX + 1):
        combos.append(dict(zip(keys, values)))
    if len(combos) > MAX_MATRIX:
        total = 1
        for axis in axes:
            total *= len(axis)
        combos, note = combos[:MAX_MATRIX], f"matrix cut at {MAX_MATRIX} combinations of {total:,}"
    exclude = m.get("exclude") if isinstance(m.get("exclude"), list) else []
    for ex in exclude:
        if isinstance(ex, dict):
            exs = {k: _scalar(v) for k, v in ex.items()}
            combos = [c for c in combos if not all(c.get(k) == v for k, v in exs.items())]
    include = m.get("include") if isinstance(m.get("include"), list) else []
    original = set(keys)
    for inc in include:
        if not isinstance(inc, dict):
            continue
        incs = {k: _scalar(v) for k, v in inc.items()}
        matched = False
        for c in combos:
            if keys and all(c.get(k) == v for k, v in incs.items() if k in original):
                for k, v in incs.items():
                    if k not in original:
                        c[k] = v
                matched = True
        if not matched:
            combos.append(dict(incs))
    return combos or [{}], note


def _scalar(v) -> str:
    if isinstance(v, (dict, list)):
        return "$"                               # an object value: its fields are not followed
    return "" if v is None else str(v)


def _expand(text: str, matrix: dict[str, str]) -> str:
    """``${{ matrix.x }}`` -> its literal value; any other expression -> ``$GH_EXPR`` (unresolved). An
    expression is ``${{`` to the first ``}}`` on the same line; found with ``str.find``, line by line,
    in one pass (the regex it replaced, ``\\s*(.*?)\\s*``, took minutes on ``${{`` and 5 KB of blanks)."""
    if "${{" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        out, pos = [], 0
        while (start := line.find("${{", pos)) >= 0:
            end = line.find("}}", start + 3)
            if end < 0:
                break                        # no later ${{ on this line closes either
            expr = line[start + 3:end].strip()
            mm = re.fullmatch(r"matrix\.([A-Za-z0-9_-]+)", expr)
            value = matrix.get(mm.group(1), "$") if mm else "$"
            out.extend((line[pos:start], value if "$" not in value else "$GH_EXPR"))
            pos = end + 2
        out.append(line[pos:])
        lines.append("".join(out))
    return "\n".join(lines)


def _is_true(value) -> bool:
    """A literal YAML true (an expression is not known from the file: not lenient)."""
    return isinstance(value, str) and value in ("true", "True", "TRUE", "yes", "on")


def _working_directory(*levels) -> str | None:
    for lvl in levels:
        if isinstance(lvl, dict):
            d = lvl.get("defaults", {}) if "defaults" in lvl else {}
            run = d.get("run") if isinstance(d, dict) else None
            if isinstance(run, dict) and isinstance(run.get("working-directory"), str):
                return run["working-directory"]
    return None


def parse_github_workflow(file: str, text: str) -> list[Job]:
    """The jobs of one workflow file (one per matrix combination)."""
    doc = load_yaml(text)
    if not isinstance(doc, dict):
        return []
    triggers = _triggers(doc.get("on", doc.get("true")))
    jobs = doc.get("jobs")
    out: list[Job] = []
    if not isinstance(jobs, dict):
        return out
    step_runs, stop = 0, False
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            continue
        combos, note = _matrix(job.get("strategy"))
        steps = job.get("steps") if isinstance(job.get("steps"), list) else []
        room = min(MAX_JOBS_PER_FILE - len(out), (MAX_STEP_RUNS_PER_FILE - step_runs) // max(len(steps), 1))
        if room < len(combos):            # the file names more work than any CI would run: cut, and say so
            cut = (f"file cut at {MAX_JOBS_PER_FILE:,} jobs or {MAX_STEP_RUNS_PER_FILE:,} step runs (aliases x "
                   f"matrix): it has {len(jobs):,} job entries; {job_id} alone {len(combos):,} x {len(steps):,}")
            for kept in out:
                kept.note = "; ".join(x for x in (kept.note, cut) if x)
            combos, note, stop = combos[:max(room, 0)], "; ".join(x for x in (note, cut) if x), True
            if not combos:
                if not out:
                    raise YamlTooLarge(cut)
                break
        step_runs += len(combos) * len(steps)
        job_wd = _working_directory(job, doc)
        if isinstance(job.get("uses"), str):
            note = note or f"calls the reusable workflow {job['uses']}: not followed"
        for combo in combos:
            name = job_id if not combo else f"{job_id} ({', '.join(combo.values())})"
            j = Job(file, name, _line(job_id) or _line(next(iter(job.values()), None)), "github", triggers, note=note)
            for step in steps:
                if not isinstance(step, dict) or not isinstance(step.get("run"), str):
                    continue
                run = step["run"]
                wd = step.get("working-directory") if isinstance(step.get("working-directory"), str) else job_wd
                cwd = join_path("", _expand(wd, combo)) if wd else ""
                first = _line(run, 1)
                script = _expand(str(run), combo)
                if not getattr(run, "block", False):
                    script = script.replace("\n", " ")   # a folded or plain scalar is one line
                found = invocations(script, first, "$" if "$" in cwd else cwd)
                if _is_true(step.get("continue-on-error")) or _is_true(job.get("continue-on-error")):
                    j.lenient.update(inv.line for inv in found)
                j.invocations.extend(found)
            out.append(j)
        if stop:
            break
    return out


# -- GitLab CI -------------------------------------------------------------------------------------------
_GITLAB_RESERVED = {"stages", "variables", "default", "include", "workflow", "image", "services", "before_script",
                    "after_script", "cache", "types", "pages:deploy"}


def parse_gitlab(file: str, text: str) -> list[Job]:
    doc = load_yaml(text)
    out: list[Job] = []
    if not isinstance(doc, dict):
        return out
    default = doc.get("default") if isinstance(doc.get("default"), dict) else {}
    top_before = doc.get("before_script", default.get("before_script") if default else None)
    for name, job in doc.items():
        if name in _GITLAB_RESERVED or name.startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        j = Job(file, name, _line(name), "gitlab")
        for key in ("before_script", "script"):
            lines = job.get(key, top_before if key == "before_script" else None)
            if isinstance(lines, str):
                lines = [lines]
            for line in lines if isinstance(lines, list) else []:
                if isinstance(line, str):
                    j.invocations.extend(invocations(_expand(str(line), {}), _line(line, 1)))
        out.append(j)
    return out
