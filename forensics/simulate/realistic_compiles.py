"""Damage that compiles, in the realistic preset: a hollowing squash commit, a comment-out wave with a
prefix nobody configured, and the honest work that must not be mistaken for either.

After the twelve weeks of the main story, a ``plugins/`` tree (its own package, named by no CI
filter) lives through:

- ``add``: the plugin modules are added (every one real code: functions and a class);
- decoy ``formatting``: a repository-wide formatting pass over every plugin (quotes, spacing): the
  code stays;
- decoy ``split``: one commit splits six modules into two files each, leaving a shim that re-exports
  them (each module loses nearly all of its code; it moved to the new files of the same commit);
- decoy ``dead_code``: a commit deletes the dead half of six modules, and most of one more;
- decoy ``emptied``: a scratch module emptied on purpose, then deleted the next day;
- ``hollowing``: a squash commit (``30 * scale`` files) replaces plugins by stubs that compile: a
  docstring claiming the syntax was fixed, ``def main(): pass`` and an ``if __name__`` guard;
- ``claim_removed``: the next day a commit deletes the claim line from each stub (still hollowed);
- ``commentout``: a wave of four commits six minutes apart (``10 * scale`` files in all: fewer than
  five per commit at scale 1, so only the wave is bulk) comments out half of each module's functions
  with the prefix ``#~ `` (not a configured marker); the files still compile.

The truth (:func:`compiles_truth`) names every hollowed and commented-out path with its culprit, the
decoys with their commits, and the last good commit of each damaged path.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from forensics.simulate.model import Model

UTC = timezone.utc
ADDED_AT = datetime(2025, 10, 27, 9, 0, tzinfo=UTC)
FORMAT_AT = datetime(2025, 10, 28, 11, 0, tzinfo=UTC)
SPLIT_AT = datetime(2025, 10, 29, 14, 0, tzinfo=UTC)
DEAD_AT = datetime(2025, 10, 30, 10, 0, tzinfo=UTC)
EMPTIED_AT = datetime(2025, 10, 31, 9, 0, tzinfo=UTC)
SCRATCH_DELETED_AT = datetime(2025, 11, 1, 9, 0, tzinfo=UTC)
HOLLOW_AT = datetime(2025, 11, 3, 16, 0, tzinfo=UTC)
CLAIM_REMOVED_AT = datetime(2025, 11, 4, 10, 0, tzinfo=UTC)
COMMENTOUT_AT = datetime(2025, 11, 5, 15, 0, tzinfo=UTC)
PREFIX = "#~ "
CLAIM = '"""Syntax errors fixed by the automated fixer: this module now compiles."""\n'
STUB_BODY = '\n\ndef main():\n    pass\n\n\nif __name__ == "__main__":\n    main()\n'
FUNCTIONS = 6
WAVE_COMMITS = 4
GROUPS = ("ingest", "export", "render", "notify", "audit")


@dataclass(frozen=True)
class Plugin:
    """A plugin module: ``FUNCTIONS`` functions and a class. ``formatted`` is the formatting pass's
    style; ``commented`` the functions commented out with :data:`PREFIX`; ``dead_removed`` drops the
    dead half (``most``: all but one function); ``keep`` the functions a split leaves here."""

    name: str
    formatted: bool = False
    commented: tuple[int, ...] = ()
    dead_removed: bool = False
    most: bool = False
    part: str = ""              # "steps" (its functions only) or "stage" (its class only) after a split
    python = True

    def functions(self) -> list[int]:
        if self.part == "stage":
            return []
        ids = list(range(FUNCTIONS))
        if self.most:
            return ids[:1]
        return ids[: FUNCTIONS // 2] if self.dead_removed else ids

    def render(self) -> bytes:
        q = '"' if self.formatted else "'"
        sp = "\n\n" if self.formatted else "\n"
        out = [f'"""Plugin {self.name}: transforms records for the {self.name} stage."""\n',
               f"from .{self.name}_steps import {self.name}_step_0\n" if self.part == "stage" else "import json\n", sp]
        for k in self.functions():
            body = [f"def {self.name}_step_{k}(record, limit={k + 2}):\n",
                    f"    values = [value for value in record.get({q}values{q}, []) if value]\n",
                    f"    if len(values) > limit:\n",
                    f"        values = values[:limit]\n",
                    f"    payload = {{{q}step{q}: {k}, {q}values{q}: values}}\n",
                    f"    return json.dumps(payload, sort_keys=True)\n"]
            if k in self.commented:
                body = [PREFIX + line if line.strip() else line for line in body]
            out += body + [sp]
        if self.part != "steps":
            out += [f"class {self.name.title().replace('_', '')}Stage:\n",
                    f"    name = {q}{self.name}{q}\n", "\n",
                    "    def run(self, records):\n",
                    f"        return [{self.name}_step_0(r) for r in records]\n"]
        return "".join(out).encode()

    compiles = property(lambda self: True)
    tests = property(lambda self: 0)

    @property
    def markers(self) -> int:
        return sum(6 for k in self.commented if k in self.functions())   # every line of a commented function

    @property
    def state(self) -> str:
        return "marked" if self.commented else "healthy"


@dataclass(frozen=True)
class Stub:
    """What the hollowing squash left: a claim docstring (until deleted), ``def main(): pass``, a guard."""

    claim: bool = True
    python = True
    compiles = True
    markers = 0
    tests = 0
    state = "hollowed"

    def render(self) -> bytes:
        return ((CLAIM if self.claim else "") + STUB_BODY.lstrip("\n")).encode()


@dataclass(frozen=True)
class Shim:
    """A split module's remainder: it re-exports the two modules its code moved to."""

    name: str
    python = True
    compiles = True
    markers = 0
    tests = 0
    state = "healthy"

    def render(self) -> bytes:
        return (f'"""Plugin {self.name}: split into {self.name}_steps and {self.name}_stage."""\n'
                f"from .{self.name}_steps import *  # noqa: F401,F403\n"
                f"from .{self.name}_stage import *  # noqa: F401,F403\n").encode()


@dataclass(frozen=True)
class Empty:
    """A module emptied on purpose."""

    python = True
    compiles = True
    markers = 0
    tests = 0
    state = "healthy"

    def render(self) -> bytes:
        return b""


def add_compiling_damage(r: Any) -> None:
    """Append the plugins' story to the realistic builder ``r`` (:class:`forensics.simulate.realistic.Realistic`),
    after everything else; what the truth needs goes to ``r.story["compiles"]``."""
    s, m = r.s, r.m
    names: list[str] = []
    for g in GROUPS:
        names += [f"{g}_{j}" for j in range(11 * s)]
    paths = {n: f"plugins/{n.rsplit('_', 1)[0]}/{n}.py" for n in names}
    hollow = [paths[n] for n in names[: 30 * s]]
    commented = [paths[n] for n in names[30 * s: 40 * s]]
    split = [paths[n] for n in names[40 * s: 40 * s + 6]]
    dead = [paths[n] for n in names[40 * s + 6: 40 * s + 13]]
    scratch = "plugins/scratch.py"
    model: dict[str, Any] = {p: Plugin(n) for n, p in paths.items()}
    model[scratch] = Plugin("scratch")
    story: dict[str, Any] = {"hollowed": hollow, "commented": commented, "decoys": []}

    def commit(when: datetime, who: str, message: str, ops: list[tuple], role: str) -> int:
        r._at(when)
        return r._commit(who, message, ops, role=role)

    story["added"] = commit(ADDED_AT, "carol", "Add the plugin packages", [("put", p, f) for p, f in model.items()],
                            "plugins_added")
    model = {p: replace(f, formatted=True) for p, f in model.items()}
    fmt = commit(FORMAT_AT, "dave", "Format every plugin (quotes, blank lines)",
                 [("put", p, f) for p, f in sorted(model.items())], "formatting")
    story["decoys"].append({"kind": "formatting", "commit": fmt, "paths": sorted(model)})
    ops: list[tuple] = []
    for p in split:
        name = p.rsplit("/", 1)[1][:-3]
        folder = p.rsplit("/", 1)[0]
        ops += [("put", p, Shim(name)),
                ("put", f"{folder}/{name}_steps.py", replace(model[p], part="steps")),
                ("put", f"{folder}/{name}_stage.py", replace(model[p], part="stage"))]
    sp = commit(SPLIT_AT, "bob", "Split the large plugins into steps and stage modules", ops, "split")
    story["decoys"].append({"kind": "split", "commit": sp, "paths": split})
    ops = []
    for k, p in enumerate(dead):
        model[p] = replace(model[p], dead_removed=True, most=(k == len(dead) - 1))
        ops.append(("put", p, model[p]))
    dc = commit(DEAD_AT, "alice", "Delete dead code paths from the plugins", ops, "dead_code")
    story["decoys"].append({"kind": "dead_code", "commit": dc, "paths": dead})
    em = commit(EMPTIED_AT, "gina", "Empty the scratch plugin (kept for one day for imports)",
                [("put", scratch, Empty())], "emptied")
    gone = commit(SCRATCH_DELETED_AT, "gina", "Delete the scratch plugin", [("del", scratch)], "emptied_deleted")
    story["decoys"].append({"kind": "emptied", "commit": em, "deleted_in": gone, "paths": [scratch]})
    story["last_good"] = {p: fmt for p in hollow + commented}
    story["hollowing"] = commit(HOLLOW_AT, "bot", "Fix syntax errors across the plugins (squashed)",
                                [("put", p, Stub()) for p in hollow], "hollowing")
    story["claim_removed"] = commit(CLAIM_REMOVED_AT, "bot", "Remove the fixer's docstrings",
                                    [("put", p, Stub(claim=False)) for p in hollow], "claim_removed")
    story["commentout"], story["commentout_of"] = [], {}
    batches = [commented[k::WAVE_COMMITS] for k in range(WAVE_COMMITS)]    # fewer than 5 files each at scale 1
    for k, batch in enumerate(batches):
        ops = [("put", p, replace(model[p], commented=(1, 3, 5))) for p in batch]
        sha = commit(COMMENTOUT_AT + timedelta(minutes=6 * k), "erin",
                     f"Comment out failing plugin steps ({k + 1}/{WAVE_COMMITS})", ops, "commentout")
        story["commentout"].append(sha)
        story["commentout_of"].update({p: sha for p in batch})
    r.story["compiles"] = story


def compiles_truth(model: Model, shas: dict[int, str]) -> dict[str, Any]:
    """The truth sections of damage that compiles: ``hollowed_paths`` (path -> ``{culprit,
    claim_removed_by, last_good}``), ``commentout_paths`` (path -> ``{culprit, prefix, last_good}``),
    ``decoys`` (``{kind, sha, paths}``; ``deleted_in`` for the emptied file), ``hollowing_commit``,
    ``commentout_prefix``. Every SHA full."""
    story = model.realistic["compiles"]  # type: ignore[attr-defined]
    return {
        "hollowed_paths": {p: {"culprit": shas[story["hollowing"]], "claim_removed_by": shas[story["claim_removed"]],
                               "last_good": shas[story["last_good"][p]]} for p in story["hollowed"]},
        "commentout_paths": {p: {"culprit": shas[story["commentout_of"][p]], "prefix": PREFIX.strip(),
                                 "last_good": shas[story["last_good"][p]]} for p in story["commented"]},
        "decoys": [{"kind": d["kind"], "sha": shas[d["commit"]], "paths": d["paths"],
                    **({"deleted_in": shas[d["deleted_in"]]} if "deleted_in" in d else {})} for d in story["decoys"]],
        "hollowing_commit": shas[story["hollowing"]],
        "commentout_prefix": PREFIX.strip(),
    }
