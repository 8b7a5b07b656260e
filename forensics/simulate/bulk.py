"""A repository with one huge commit: ``files`` healthy test modules, then one commit that marks a
third of them and breaks another third (the "5,000-file commit" case)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from forensics.simulate.content import Func, TestModule
from forensics.simulate.model import Model


def bulk_model(files: int = 5000) -> Model:
    m = Model()
    mods = {}
    for i in range(files):
        topic = f"bulk_{i}"
        mods[f"tests/bulk/d{i % 50:02d}/test_{topic}.py"] = TestModule(
            topic, "tests/bulk", i % 2 == 0, (Func(f"test_case_{i}", i),), (Func(f"test_flow_{i}", i + 1),))
    m.commit("main", "alice", "Add the bulk suite", [("put", p, mod) for p, mod in mods.items()], minutes=0)
    ops = []
    for i, (p, mod) in enumerate(mods.items()):
        if i % 3 == 0:
            ops.append(("put", p, replace(mod, class_commented=True)))
        elif i % 3 == 1:
            ops.append(("put", p, replace(mod, class_broken=True)))
    m.commit("main", "erin", "Rewrite everything at once", ops, minutes=5, role="huge")
    m.tag("sim/huge")
    return m


def simulate_bulk(out_dir: str | Path, files: int = 5000) -> dict[str, Any]:
    """Build ``out_dir/repo`` and ``out_dir/truth.json`` for the huge-commit case."""
    from forensics.simulate import write_model

    return write_model(bulk_model(files), out_dir, seed=0, scale=files)
