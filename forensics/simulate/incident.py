"""The demo incident: weeks of ordinary history, then a breaker bulk commit, a fixer wave, a backup
snapshot, placeholder corruption, damage in a merge's conflict resolution, a bulk import script that
touches most test files and damages none, copies, renames and deletions of damaged files, a repair
script that mentions the marker, and a sed unmask. See README's "The demo incident"."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timezone

from forensics.simulate.content import (BULK_IMPORT_SCRIPT, MIGRATE_SCRIPT, REPAIR_SCRIPT, Func, RawFile,
                                        SrcModule, TestModule)
from forensics.simulate.ci import RUNNER, RUNNER_SCRIPT, DemoCI
from forensics.simulate.model import Model

KEYWORDS = ["websocket", "agent", "auth", "database", "config", "security", "load", "memory", "ssot",
            "billing", "routing", "session", "cache", "metrics", "startup", "events"]
AREAS = {"tests/mission_critical": 24, "tests/unit": 30, "tests/integration": 18, "tests/e2e": 8}
PACKAGES = ["websocket", "websocket_core", "agents", "auth", "database", "config", "core"]

BREAKER_AT = datetime(2025, 9, 6, 20, 2, 59, tzinfo=timezone.utc)
FIXER_AT = datetime(2025, 9, 7, 16, 11, 5, tzinfo=timezone.utc)
SNAPSHOT_AT = datetime(2025, 9, 8, 17, 15, 0, tzinfo=timezone.utc)   # 10:15 for bob (-0700)
SNAPSHOT_DIR = "backups/tests_20250908_101500"
BULK_AT = datetime(2025, 9, 10, 8, 43, 51, tzinfo=timezone.utc)
BULK_BACKUP_SUFFIX = ".backup_20250910_044026"                          # frank's wall clock (-0400)

class Incident:
    def __init__(self, seed: int, scale: int) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.m = Model()
        self.models: dict[str, TestModule] = {}      # current model of each test path on main
        self.srcs: dict[str, SrcModule] = {}
        self.counter = 0
        self.roles: dict[str, object] = {}
        self.sets: dict[str, list[str]] = {}

    # -- helpers ----------------------------------------------------------------------------------
    def _n(self) -> int:
        self.counter += 1
        return self.counter

    def _new_test(self, area: str, i: int) -> tuple[str, TestModule]:
        kw = KEYWORDS[(i + len(area)) % len(KEYWORDS)]
        topic = f"{kw}_{area.split('/')[-1]}_{i}"
        uses_ws = kw in ("websocket", "agent", "events") or self.rng.random() < 0.7
        methods = tuple(Func(f"test_{kw}_case_{k}", self._n()) for k in range(self.rng.randint(2, 4)))
        funcs = tuple(Func(f"test_{kw}_flow_{k}", self._n()) for k in range(self.rng.randint(2, 3)))
        return f"{area}/test_{topic}.py", TestModule(topic, area, uses_ws, methods, funcs)

    def _tests_on(self, branch: str = "main") -> list[str]:
        return sorted(p for p in self.m.trees[branch] if p.startswith("tests/") and p in self.models)

    def _put(self, path: str, model: TestModule) -> tuple:
        self.models[path] = model
        return ("put", path, model)

    def _who(self) -> str:
        return self.rng.choice(["alice", "bob", "carol", "dave"])

    # -- the story --------------------------------------------------------------------------------
    def build(self) -> Model:
        self.ordinary_history()
        self.m.tag("sim/before-breaker")
        self.breaker()
        self.m.tag("sim/after-breaker")
        self.fixer_wave()
        self.m.tag("sim/after-fixer")
        self.snapshot()
        self.placeholders()
        self.conflict_merge()
        self.bulk_script()
        self.m.tag("sim/after-bulk-script")
        self.feature_edits_after_damage()
        self.copy_rename_delete()
        self.repair_script()
        self.sed_unmask()
        self.epilogue()
        self.m.sets = self.sets  # type: ignore[attr-defined]
        self.m.ci = self.ci  # type: ignore[attr-defined]
        return self.m

    def ordinary_history(self) -> None:
        s, rng, m = self.scale, self.rng, self.m
        ops: list[tuple] = []
        for area, count in AREAS.items():
            for i in range(count * s):
                path, model = self._new_test(area, i)
                ops.append(self._put(path, model))
        for pkg in PACKAGES:
            for j in range(3 * s):
                name = "manager" if j == 0 else f"{pkg}_part_{j}"
                src = SrcModule(pkg, name)
                path = f"src/app/{pkg}/{name}.py"
                self.srcs[path] = src
                ops.append(("put", path, src))
        tests = [op[1] for op in ops if op[1].startswith("tests/")]
        self.ci = DemoCI(tests, {p: (self.models[p].class_name, self.models[p].methods[0].name,
                                     self.models[p].functions[0].name) for p in tests})
        for path, text in self.ci.files.items():
            ops.append(("put", path, RawFile(text.encode(), python=False)))
        ops.append(("put", "pyproject.toml", RawFile(self.ci.pyproject.encode(), python=False)))
        ops.append(("put", RUNNER, RawFile(RUNNER_SCRIPT.encode())))
        m.commit("main", "alice", "Initial import of the service and its test suite", ops, minutes=0)
        next_index = {a: c * s for a, c in AREAS.items()}
        steps = 60 * s
        broke_at = steps // 3
        legacy_at = steps // 2
        renamed = deleted = 0
        for step in range(steps):
            m.later(max(1, rng.randint(60, 600) // s))  # the ordinary history fits before the breaker at any scale
            who = self._who()
            tests = self._tests_on()
            roll = rng.random()
            if step == broke_at:
                path = sorted(self.srcs)[1]
                bad = replace(self.srcs[path], revision=self.srcs[path].revision + 1, broken=True)
                m.commit("main", "bob", f"Refactor {path.split('/')[-1]}", [("put", path, bad)], role="ordinary_break")
                good = replace(bad, revision=bad.revision + 1, broken=False)
                self.srcs[path] = good
                m.commit("main", "bob", f"Fix typo in {path.split('/')[-1]}", [("put", path, good)], minutes=47,
                         role="ordinary_heal")
                continue
            if step == legacy_at:
                self.legacy_files(who)
                continue
            if roll < 0.35:
                path = rng.choice(tests)
                mod = self.models[path]
                extra = Func(f"test_{mod.topic.split('_')[0]}_extra_{self._n()}", self._n())
                m.commit("main", who, f"Add coverage to {path.split('/')[-1]}", [self._put(path, mod.edited(extra))])
            elif roll < 0.50:
                area = rng.choice(sorted(AREAS))
                path, model = self._new_test(area, next_index[area])
                next_index[area] += 1
                m.commit("main", who, f"Add {path.split('/')[-1]}", [self._put(path, model)])
            elif roll < 0.65:
                path = rng.choice(sorted(self.srcs))
                src = replace(self.srcs[path], revision=self.srcs[path].revision + 1)
                self.srcs[path] = src
                m.commit("main", who, f"Update {path}", [("put", path, src)])
            elif roll < 0.80:
                self.feature_branch(step, who)
            elif roll < 0.86 and renamed < 2 * s:
                path = rng.choice([t for t in tests if t.count("/") == 2])
                area, name = path.rsplit("/", 1)
                dst = f"{area}/{name.split('_')[1]}/{name}"
                m.commit("main", who, f"Move {name} into {dst.rsplit('/', 1)[0]}", [("mv", path, dst)])
                self.models[dst] = self.models.pop(path)
                renamed += 1
            elif roll < 0.90 and deleted < 2 * s:
                path = rng.choice(tests)
                m.commit("main", who, f"Remove obsolete {path.split('/')[-1]}", [("del", path)])
                del self.models[path]
                deleted += 1
            else:
                picks = rng.sample(tests, 3)
                ops = []
                for p in sorted(picks):
                    mod = self.models[p]
                    ops.append(self._put(p, mod.edited(Func(f"test_{mod.topic.split('_')[0]}_refactor_{self._n()}", self._n()))))
                m.commit("main", who, "Tidy up test helpers", ops)

    def legacy_files(self, who: str) -> None:
        ops = [
            ("put", "src/app/legacy/latin1_names.py",
             RawFile(b"# -*- coding: latin-1 -*-\nNAME = \"caf\xe9\"\n", compiles=True)),
            ("put", "src/app/legacy/raw_bytes.py", RawFile(b"NAME = \"caf\xe9\"\n", compiles=False)),
            ("put", "src/app/legacy/nul_byte.py", RawFile(b"VALUE = 1\n\x00\n", compiles=False)),
            ("put", "src/app/legacy/caf\udce9_utils.py", RawFile(b"def helper():\n    return 1\n", compiles=True)),
        ]
        self.m.commit("main", who, "Import legacy modules from the old service", ops, role="legacy")

    def feature_branch(self, step: int, who: str) -> None:
        m, rng = self.m, self.rng
        name = f"feature/{who}-{step}"
        m.branch(name)
        tests = self._tests_on(name)
        picks = rng.sample(tests, 3)
        branch_models = {}
        for p in picks[:2]:
            mod = self.models[p].edited(Func(f"test_feature_{self._n()}", self._n()))
            branch_models[p] = mod
            m.commit(name, who, f"Extend {p.split('/')[-1]}", [("put", p, mod)],
                     minutes=max(1, rng.randint(20, 90) // self.scale))
        other = picks[2]
        mod = self.models[other].edited(Func(f"test_mainline_{self._n()}", self._n()))
        m.commit("main", self._who(), f"Hotfix in {other.split('/')[-1]}", [self._put(other, mod)],
                 minutes=max(1, rng.randint(20, 90) // self.scale))
        self.models.update(branch_models)
        m.merge("main", name, who, f"Merge branch '{name}'", {}, minutes=max(1, rng.randint(30, 120) // self.scale))

    def breaker(self) -> None:
        m, rng = self.m, self.rng
        m.at(BREAKER_AT)
        targets = [p for p in self._tests_on() if not p.startswith("tests/e2e/")]
        broken, double, ok = [], [], []
        ops: list[tuple] = [("put", "scripts/migrate_ssot_base.py", RawFile(MIGRATE_SCRIPT.encode()))]
        for p in targets:
            mod = self.models[p]
            if rng.random() < 0.62:
                new = replace(mod, ssot=True, class_broken=True)
                if rng.random() < 0.08:
                    funcs = list(new.functions)
                    funcs[-1] = replace(funcs[-1], broken=True)
                    new = replace(new, functions=tuple(funcs))
                    double.append(p)
                broken.append(p)
            else:
                new = replace(mod, ssot=True)
                ok.append(p)
            ops.append(self._put(p, new))
        m.commit("main", "dave", "Migrate test classes to SSotBaseTestCase (scripts/migrate_ssot_base.py)", ops,
                 role="breaker")
        self.sets.update(breaker_touched=targets, breaker_broke=broken, breaker_double=double)

    def fixer_wave(self) -> None:
        m, rng = self.m, self.rng
        m.at(FIXER_AT)
        broken = self.sets["breaker_broke"]
        missed = sorted(rng.sample(broken, max(1, len(broken) // 12)))
        fixed = [p for p in broken if p not in missed]
        healthy = [p for p in self._tests_on() if self.models[p].state == "healthy"]
        extra = sorted(rng.sample(healthy, 6 * self.scale))
        files = sorted(fixed + extra)
        rng.shuffle(files)
        batches = [sorted(files[i::6]) for i in range(6)]
        for k, batch in enumerate(batches):
            ops = self._born_marked() if k == 0 else []
            for p in batch:
                mod = self.models[p]
                if p in fixed:
                    new = replace(mod, class_commented=True)
                else:
                    funcs = list(mod.functions)
                    for j in range(min(2, len(funcs))):
                        funcs[j] = replace(funcs[j], commented=True)
                    new = replace(mod, functions=tuple(funcs))
                ops.append(self._put(p, new))
            m.commit("main", "erin", f"Auto-fix syntax errors (batch {k + 1}/6)", ops,
                     minutes=0 if k == 0 else rng.randint(1, 2), role="fixer")
        self.sets.update(fixer_fixed=sorted(fixed), fixer_missed=missed, fixer_marked_healthy=extra)

    def _born_marked(self) -> list[tuple]:
        """Two files the fixer adds already commented out: no healthy version ever existed."""
        ops = []
        for i, broken_class in ((900, False), (901, True)):
            path, mod = self._new_test("tests/unit", i)
            mod = replace(mod, ssot=True, class_broken=broken_class, class_commented=broken_class,
                          functions=tuple(replace(f, commented=True) for f in mod.functions))
            ops.append(self._put(path, mod))
            self.sets.setdefault("born_marked_unmask_compiles" if not broken_class else "born_marked_unmask_broken",
                                 []).append(path)
        return ops

    def snapshot(self) -> None:
        self.m.at(SNAPSHOT_AT)
        ops = [("put", f"{SNAPSHOT_DIR}/{p}", self.models[p]) for p in self._tests_on()]
        self.m.commit("main", "bob", "Snapshot the test suite before cleanup", ops, role="snapshot")
        self.sets["snapshot"] = [op[1] for op in ops]

    def placeholders(self) -> None:
        healthy = [p for p in self._tests_on() if self.models[p].state == "healthy"]
        picks = sorted(self.rng.sample(healthy, 8 * self.scale))
        ops = [self._put(p, replace(self.models[p], placeholder=True, revision=self.models[p].revision + 1))
               for p in picks]
        self.m.commit("main", "erin", "Normalize string formatting", ops, minutes=215, role="placeholder")
        self.sets["placeholder"] = picks

    def conflict_merge(self) -> None:
        m = self.m
        healthy = [p for p in self._tests_on() if p.startswith("tests/integration/")
                   and self.models[p].state == "healthy" and not self.models[p].placeholder]
        target = healthy[0]
        name = "feature/alice-retry-policy"
        m.branch(name)
        base = self.models[target]
        theirs = base.edited(Func("test_retry_policy_branch", self._n()))
        m.commit(name, "alice", "Add retry policy test", [("put", target, theirs)], minutes=600)
        ours = base.edited(Func("test_retry_policy_main", self._n()))
        m.commit("main", "carol", "Add retry policy test on main", [self._put(target, ours)], minutes=45)
        funcs = list(ours.functions)
        funcs[-1] = replace(funcs[-1], conflict=True)
        resolved = replace(ours, functions=tuple(funcs), revision=ours.revision + 1)
        self.models[target] = resolved
        m.merge("main", name, "alice", f"Merge branch '{name}'", {target: resolved}, minutes=30, role="conflict_merge")
        self.sets["conflict"] = [target]

    def bulk_script(self) -> None:
        m = self.m
        m.at(BULK_AT)
        ops: list[tuple] = [("put", "bulk_fix_websocket_imports.py", RawFile(BULK_IMPORT_SCRIPT.encode()))]
        touched = []
        for p in self._tests_on():
            mod = self.models[p]
            if mod.uses_ws and not mod.ws_rewritten:
                ops.append(("put", p + BULK_BACKUP_SUFFIX, RawFile(mod.render(), compiles=mod.compiles,
                                                                   markers=mod.markers, tests=mod.tests)))
                ops.append(self._put(p, replace(mod, ws_rewritten=True)))
                touched.append(p)
        m.commit("main", "frank", "Fix websocket imports across the test suite (bulk_fix_websocket_imports.py)",
                 ops, role="bulk_script")
        already = [p for p in touched if self.models[p].state != "healthy"]
        self.sets.update(bulk_touched=touched, bulk_touched_already_damaged=already)

    def feature_edits_after_damage(self) -> None:
        damaged = [p for p in self._tests_on() if self.models[p].state != "healthy"]
        picks = sorted(self.rng.sample(damaged, 4 * self.scale))
        ops = [self._put(p, self.models[p].edited(Func(f"test_regression_{self._n()}", self._n()))) for p in picks]
        self.m.commit("main", "alice", "Add regression tests for session handling", ops, minutes=300, role="feature_edits")
        self.sets["edited_after_damage"] = picks
        # alice keeps her reworked, healthy copy of one damaged file beside it
        target = next(p for p in self.sets["fixer_fixed"] if p in self.models and p not in picks
                      and p not in self.sets["breaker_double"])
        good = replace(self.models[target], ssot=False, class_broken=False, class_commented=False, revision=99)
        good = good.edited(Func("test_reworked_by_alice", self._n()))
        assert good.state == "healthy"
        self.m.commit("main", "alice", f"Keep my reworked {target.split('/')[-1]} as .bak",
                      [("put", target + ".bak", RawFile(good.render(), compiles=True, tests=good.tests))],
                      minutes=30, role="bak_newer")
        self.sets["bak_newer"] = [target]

    def copy_rename_delete(self) -> None:
        m = self.m
        marked = [p for p in self._tests_on() if self.models[p].state == "marked"
                  and p not in self.sets["edited_after_damage"] and p not in self.sets["bak_newer"]
                  and p.count("/") == 2]
        src, ren, gone = marked[0], marked[1], marked[2]
        dst = src.replace(".py", "_v2.py")
        self.models[dst] = self.models[src]
        edited = self.models[src].edited()
        m.commit("main", "bob", f"Split {src.split('/')[-1]} into a v2 suite",
                 [("cp", src, dst), self._put(src, edited)], minutes=900, role="copy")
        area, name = ren.rsplit("/", 1)
        ren_dst = f"{area}/legacy/{name}"
        m.commit("main", "carol", f"Move {name} to legacy", [("mv", ren, ren_dst)], minutes=40, role="rename")
        self.models[ren_dst] = self.models.pop(ren)
        m.commit("main", "dave", f"Delete {gone.split('/')[-1]}", [("del", gone)], minutes=25, role="delete")
        del self.models[gone]
        self.sets.update(copy_source=[src], copy=[dst], renamed_from=[ren], renamed_to=[ren_dst], deleted=[gone])

    def repair_script(self) -> None:
        self.m.commit("main", "carol", "Add a marker repair helper",
                      [("put", "scripts/repair_markers.py", RawFile(REPAIR_SCRIPT.encode()))], minutes=600,
                      role="repair_script")

    def sed_unmask(self) -> None:
        fixed = [p for p in self.sets["fixer_fixed"] if p in self.models]
        healthy_marked = [p for p in self.sets["fixer_marked_healthy"] if p in self.models
                          and self.models[p].state == "marked"]
        picks = sorted(self.rng.sample(fixed, 5 * self.scale) + healthy_marked[: 3 * self.scale])
        ops = [self._put(p, self.models[p].unmasked()) for p in picks]
        self.m.commit("main", "carol", "Unmask REMOVED_SYNTAX_ERROR lines (sed)", ops, minutes=120, role="sed_unmask")
        self.sets["sed_unmask"] = picks

    def epilogue(self) -> None:
        for _ in range(3 * self.scale):
            path = self.rng.choice(sorted(self.srcs))
            src = replace(self.srcs[path], revision=self.srcs[path].revision + 1)
            self.srcs[path] = src
            self.m.commit("main", self._who(), f"Update {path}", [("put", path, src)], minutes=self.rng.randint(60, 300))
