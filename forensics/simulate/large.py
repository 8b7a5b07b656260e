"""A large history for benchmarks: ``files`` Python files at the tip, ``commits`` commits, merges,
several bulk commits of thousands of files (a breaker, a fixer wave, an import rewrite, a
formatter), and more than 100,000 distinct Python versions at the defaults. Written by the same
model and ``git fast-import`` as the demo; its truth manifest is written too."""
from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from forensics.simulate.content import Func, TestModule
from forensics.simulate.model import Model

AUTHORS = ["alice", "bob", "carol", "dave"]


def large_model(files: int = 20_000, commits: int = 20_000, seed: int = 11) -> Model:
    rng = random.Random(seed)
    m = Model(verify_every=97)
    mods: dict[str, TestModule] = {}
    paths: list[str] = []
    counter = [0]

    def new_module(i: int) -> tuple[str, TestModule]:
        counter[0] += 1
        topic = f"mod_{i}"
        path = f"tests/pkg{i % 200:03d}/test_{topic}.py"
        return path, TestModule(topic, "tests", i % 3 != 0, (Func(f"test_case_{i}", i),),
                                tuple(Func(f"test_flow_{i}_{k}", i + k) for k in range(2)))

    def edit(path: str) -> tuple:
        counter[0] += 1
        mods[path] = mods[path].edited(Func(f"test_more_{counter[0]}", counter[0]))
        return ("put", path, mods[path])

    start = int(files * 0.6)
    ops = []
    for i in range(start):
        p, mod = new_module(i)
        mods[p] = mod
        paths.append(p)
        ops.append(("put", p, mod))
    m.commit("main", "alice", "Import the suite", ops, minutes=0)
    next_id = start
    bulk_at = {int(commits * f): kind for f, kind in ((0.5, "breaker"), (0.55, "fixer"), (0.7, "imports"), (0.8, "format"))}
    adds_left = files - start
    n = 1
    while n < commits:
        m.later(rng.randint(5, 90))
        kind = bulk_at.get(n)
        if kind == "breaker":
            picks = rng.sample(paths, files // 8)
            m.commit("main", "dave", "Migrate all test classes",
                     [("put", p, _set(mods, p, replace(mods[p], ssot=True, class_broken=True))) for p in sorted(picks)],
                     role="breaker")
            broken = sorted(picks)
            n += 1
            continue
        if kind == "fixer":
            for k in range(5):
                batch = broken[k::5]
                m.commit("main", "erin", f"Auto-fix syntax errors ({k + 1}/5)",
                         [("put", p, _set(mods, p, replace(mods[p], class_commented=True))) for p in batch],
                         minutes=0 if k == 0 else 2, role="fixer")
                n += 1
            continue
        if kind == "imports":
            picks = [p for p in paths if mods[p].uses_ws and not mods[p].ws_rewritten][: files // 5]
            m.commit("main", "frank", "Rewrite websocket imports (bulk_fix_imports.py)",
                     [("put", p, _set(mods, p, replace(mods[p], ws_rewritten=True))) for p in picks], role="imports")
            n += 1
            continue
        if kind == "format":
            healthy = [p for p in paths if mods[p].state == "healthy"]
            picks = sorted(rng.sample(healthy, min(files // 8, len(healthy))))
            m.commit("main", "erin", "Normalize string formatting",
                     [("put", p, _set(mods, p, replace(mods[p], placeholder=True, revision=mods[p].revision + 1)))
                      for p in picks], role="format")
            n += 1
            continue
        if n % 45 == 0 and n + 4 < commits:
            name = f"feature/{n}"
            m.branch(name)
            a, b, c = rng.sample(paths, 3)
            m.commit(name, rng.choice(AUTHORS), f"Extend {a}", [edit(a)], minutes=10)
            m.commit(name, rng.choice(AUTHORS), f"Extend {b}", [edit(b)], minutes=10)
            m.commit("main", rng.choice(AUTHORS), f"Hotfix {c}", [edit(c)], minutes=10)
            m.merge("main", name, rng.choice(AUTHORS), f"Merge branch '{name}'", {}, minutes=20)
            del m.trees[name], m.heads[name], m.bases[name]
            n += 4
            continue
        ops = [edit(p) for p in sorted(set(rng.sample(paths, rng.randint(3, 6))))]
        remaining = commits - n
        if adds_left > 0 and rng.random() < min(1.0, adds_left / max(remaining, 1) * 1.5):
            p, mod = new_module(next_id)
            next_id += 1
            mods[p] = mod
            paths.append(p)
            ops.append(("put", p, mod))
            adds_left -= 1
        m.commit("main", rng.choice(AUTHORS), "Routine change", ops)
        n += 1
    return m


def _set(mods: dict[str, TestModule], path: str, mod: TestModule) -> TestModule:
    mods[path] = mod
    return mod


def simulate_large(out_dir: str | Path, files: int = 20_000, commits: int = 20_000, seed: int = 11) -> dict[str, Any]:
    """Build (or reuse) ``out_dir/repo`` and ``out_dir/truth.json`` for the large history."""
    import json

    from forensics.simulate import write_model

    out = Path(out_dir)
    truth_file = out / "truth.json"
    if truth_file.exists() and (out / "repo").exists():
        truth = json.loads(truth_file.read_text())
        if truth.get("seed") == seed and truth.get("scale") == files * 1_000_000 + commits:
            return truth
    if out.exists():
        import shutil

        shutil.rmtree(out)
    return write_model(large_model(files, commits, seed), out, seed=seed, scale=files * 1_000_000 + commits)
