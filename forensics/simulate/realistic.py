"""The realistic incident (``forensics simulate DIR --preset realistic [--seed N] [--scale S]``).

Twelve weeks of a noisy repository, built with the demo's model (every version cross-checked with
``compile()``) and one ``git fast-import``; same seed and scale, same SHAs. What real incidents carry:

- ordinary work by six people: test and source edits, new test files, feature branches merged,
  single renames and deletions, a few syntax errors made and fixed within the hour;
- two automation identities (``ci-autofix``, ``deploy-bot``) regenerating ``src/app/generated/`` in
  bursts of dozens of commits an hour that break and mark files and heal them again (churn);
- hundreds of bulk commits (50 files or more) that damage nothing: formatting, import rewrites,
  package reorganisations (renames);
- hundreds of script-like files (``fix_*.py``, ``check_*.py``, ``validate_*.py``, ``run_*.py``) added in
  unrelated commits, some minutes before a bulk commit;
- incident A: three breaker commits (``scripts/migrate_ssot_base.py`` drops the class colon), then
  ``scripts/fix_syntax_errors.py`` (its source holds the marker text and both placeholders) run as a wave
  of 24 commits in about 20 minutes that comments the broken classes out with compound rewrites
  (marker prefix + ``"formatted_string"``/``[item for item in []]`` + re-indent on one line), also
  comments out healthy module tests (indentation kept), re-indents untouched lines and inserts blank
  lines; a backup run and a ``backups/<date>/`` snapshot tree;
- a bulk import script (``scripts/bulk_fix_websocket_imports.py``) touching most test files, with a
  backup run whose suffixes span 30 consecutive seconds, damaging none;
- incident B: a style commit (``scripts/wrap_long_lines.py``) that breaks hundreds of files, healed in
  part three days later;
- incident C: a sed unmask that strips the markers: the masked classes break again, and the masked
  module tests come back as code that compiles but carries placeholders (the silent paths);
- a large healthy background: dozens of modules of 2,000 to 5,000 lines edited thousands of times at
  scale 10 (:mod:`forensics.simulate.realistic_background`);
- CI in the real shapes: ``**`` path filters, a matrix, ``working-directory``, bare ``pytest`` with
  ``testpaths`` in ``pyproject.toml``, a ``file::Class::test`` id, a custom runner script, prose that
  says "tests" and pytest marker descriptions.

The truth manifest's extra sections are documented in :mod:`forensics.simulate.realistic_truth`.
Sizes: about 1,900 commits and 745 Python paths at scale 1 (about 10 s of CPU); commits and paths grow
linearly with ``--scale`` (scale 10: about 17,500 commits, 6,900 Python paths, 85 s of CPU). The story's
dates do not move with the scale (a check refuses to run it more than three hours late).
"""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from forensics.simulate.content import RawFile, SrcModule
from forensics.simulate import realistic_background as background
from forensics.simulate.model import AUTHORS, Model
from forensics.simulate.realistic_blamed import BLAMED_AT, blamed_renamed, blamed_rename_ops, blamed_script_run
from forensics.simulate.realistic_ci import ci_files
from forensics.simulate.realistic_compiles import add_compiling_damage
from forensics.simulate.realistic_content import (BULK_WS_SCRIPT, CODE, FIXER_SCRIPT, MASKED, MIGRATE_SCRIPT,
                                                  PYPROJECT, SURFACED, UNIFIED_RUNNER, WRAP_SCRIPT, GenModule,
                                                  RealTest, script_text)

UTC = timezone.utc
START = datetime(2025, 8, 4, 9, 0, 0, tzinfo=UTC)
END = datetime(2025, 10, 24, 18, 0, 0, tzinfo=UTC)
BREAKERS_AT = (datetime(2025, 8, 25, 14, 10, tzinfo=UTC), datetime(2025, 8, 26, 10, 30, tzinfo=UTC),
               datetime(2025, 8, 26, 16, 45, tzinfo=UTC))
FIXER_ADDED_AT = datetime(2025, 8, 27, 8, 20, tzinfo=UTC)
WAVE_AT = datetime(2025, 8, 27, 9, 2, 11, tzinfo=UTC)
SNAPSHOT_1_AT = datetime(2025, 8, 28, 17, 0, tzinfo=UTC)
BULK_WS_AT = datetime(2025, 9, 3, 16, 40, 26, tzinfo=UTC)     # 12:40:26 on frank's clock (-0400)
STYLE_AT = datetime(2025, 9, 15, 15, 20, tzinfo=UTC)
STYLE_HEAL_AT = datetime(2025, 9, 18, 11, 5, tzinfo=UTC)
UNMASK_AT = datetime(2025, 10, 6, 10, 30, tzinfo=UTC)
SNAPSHOT_2_AT = datetime(2025, 10, 7, 9, 0, tzinfo=UTC)
QUIET = [(BREAKERS_AT[0] - timedelta(hours=1), WAVE_AT + timedelta(hours=3))]   # no bursts or bulk here

FIXER_PATH = "scripts/fix_syntax_errors.py"
BULK_WS_PATH = "scripts/bulk_fix_websocket_imports.py"
WAVE_COMMITS = 24
HUMANS = ["alice", "bob", "carol", "dave", "frank", "gina"]
BOTS = ["erin", "bot"]
KEYWORDS = ["websocket", "agent", "auth", "database", "config", "security", "load", "memory", "ssot", "billing",
            "routing", "session", "cache", "metrics", "startup", "events", "golden_path", "tenant"]
UNIT_GROUPS = ["api", "models", "services", "utils", "core", "handlers", "schemas", "clients"]
MC_SUBDIRS = ["websocket", "agents", "auth", "core"]
PACKAGES = ["websocket", "websocket_core", "agents", "auth", "database"]
SCRIPT_DIRS = ["scripts", "scripts/maintenance", "tools", "tests"]
SCRIPT_VERBS = ["fix", "check", "validate", "run"]
# kept marked-or-healthy (no style break, no unmask, no file the wave misses): its CI job loses tests silently
AGENTS = "tests/mission_critical/agents/"
STARTUP_FILES = ("tests/startup/test_app_boots.py", "tests/startup/test_config_loads.py",
                 "tests/startup/test_routes_register.py")


def _is_copy(path: str) -> bool:
    """Backup copies and snapshot trees: written once, never edited, not tracked as files of the story."""
    return path.startswith("backups/") or ".backup_" in path


def _tzlocal(when: datetime, tz: str) -> datetime:
    sign = 1 if tz[0] == "+" else -1
    return when + sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[3:5]))


class Realistic:
    """Builds the realistic incident's :class:`Model`; ``model.realistic`` holds what the truth needs."""

    def __init__(self, seed: int = 7, scale: int = 1) -> None:
        self.seed = seed
        self.rng = random.Random(seed * 7919 + scale)
        self.s = scale
        self.m = Model(start=START, verify=self._verify)
        self._test_paths: list[str] | None = None
        self.files: dict[str, Any] = {}          # content model of every path on main
        self.counter = 0
        self.area_next: dict[str, int] = {}
        self.pre: dict[int, dict[str, str | None]] = {}
        self.post: dict[int, dict[str, str | None]] = {}
        self.story: dict[str, Any] = {"backup_runs": [], "snapshots": [], "churn": [], "ci_jobs": [],
                                      "pinned": {}, "scripts_added": []}

    # -- plumbing --------------------------------------------------------------------------------
    def _verify(self, made: int, model: Any, prev: Any) -> bool:
        """Which versions ``compile()`` cross-checks (each distinct blob once): every new path, every
        change of state, and one in ``4 * scale`` of the edits that keep the state (formatting noise)."""
        return prev is None or prev.state != model.state or made % (4 * self.s) == 0

    def _n(self) -> int:
        self.counter += 1
        return self.counter

    def _at(self, when: datetime) -> None:
        assert self.m.now is not None
        if when > self.m.now:
            self.m.at(when)
        else:
            self.m.later(1 / 60)

    def _commit(self, author: str, message: str, ops: list[tuple], role: str = "", branch: str = "main",
                minutes: float | None = None) -> int:
        tree = self.m.trees[branch]
        keys: list[str] = []
        pre: dict[str, str | None] = {}
        for op in ops:
            if op[0] in ("put", "del"):
                keys.append(op[1])
                pre[op[1]] = tree[op[1]].state if op[1] in tree else None
            elif op[0] == "mv":
                keys.append(op[2])
                pre[op[2]] = tree[op[1]].state
        idx = self.m.commit(branch, author, message, ops, minutes=minutes, role=role)
        after = self.m.trees[branch]
        self.pre[idx] = pre
        self.post[idx] = {k: (after[k].state if k in after else None) for k in keys}
        if branch == "main":
            for op in ops:
                if op[0] == "put" and not _is_copy(op[1]):
                    if op[1] not in self.files:
                        self._test_paths = None
                    self.files[op[1]] = op[2]
                elif op[0] == "del":
                    self.files.pop(op[1], None)
                    self._test_paths = None
                elif op[0] == "mv":
                    self.files[op[2]] = self.files.pop(op[1])
                    self._test_paths = None
        return idx

    def tests(self, pred: Callable[[str, RealTest], bool] | None = None) -> list[str]:
        """Test modules on main (sorted), optionally those whose path and model satisfy ``pred``."""
        if self._test_paths is None:
            self._test_paths = sorted(p for p, f in self.files.items() if isinstance(f, RealTest))
        if pred is None:
            return list(self._test_paths)
        return [p for p in self._test_paths if pred(p, self.files[p])]

    def _pinned(self, path: str) -> bool:
        return path in self.story["pinned"].values() or path.startswith("tests/startup/")

    def _new_test(self, area: str) -> tuple[str, RealTest]:
        i = self.area_next.get(area, 0)
        self.area_next[area] = i + 1
        kw = KEYWORDS[(i * 7 + len(area)) % len(KEYWORDS)]
        leaf = area.rstrip("/").split("/")[-1]
        topic = f"{kw}_{leaf}_{i}"
        uses_ws = kw in ("websocket", "agent", "events", "golden_path") or self.rng.random() < 0.72
        methods = tuple(f"test_{kw}_case_{k}" for k in range(self.rng.randint(2, 4)))
        funcs = tuple(f"test_{kw}_flow_{k}" for k in range(self.rng.randint(2, 3)))
        return f"{area}/test_{topic}.py", RealTest(topic, area, uses_ws, methods, funcs, seed=self._n() * 3)

    def _area(self) -> str:
        r = self.rng.random()
        if r < 0.2:
            sub = self.rng.choice(MC_SUBDIRS + [""])
            return "tests/mission_critical" + (f"/{sub}" if sub else "")
        if r < 0.62:
            return f"tests/unit/{self.rng.choice(UNIT_GROUPS[:4])}"
        if r < 0.9:
            return "tests/integration"
        return "tests/e2e"

    # -- the story -------------------------------------------------------------------------------
    def build(self) -> Model:
        self.initial_import()
        actions: list[tuple[datetime, int, Callable[[], None]]] = []
        seq = iter(range(10**9))

        def at(when: datetime, fn: Callable[[], None]) -> None:
            actions.append((when, next(seq), fn))

        at(BLAMED_AT, lambda: blamed_script_run(self))
        at(BREAKERS_AT[0] - timedelta(minutes=1), lambda: self.m.tag("sim/before-incident-a"))
        for k, when in enumerate(BREAKERS_AT):
            at(when, lambda k=k: self.breaker(k))
        at(BREAKERS_AT[-1] + timedelta(minutes=1), lambda: self.m.tag("sim/after-breakers"))
        at(FIXER_ADDED_AT, self.add_fixer_script)
        at(WAVE_AT - timedelta(minutes=12), self.fixer_plan)
        at(WAVE_AT, self.fixer_wave)
        at(WAVE_AT + timedelta(minutes=40), lambda: self.m.tag("sim/after-wave"))
        at(SNAPSHOT_1_AT, lambda: self.snapshot("backups/2025-08-28"))
        at(BULK_WS_AT, self.bulk_ws_script)
        at(STYLE_AT - timedelta(minutes=1), lambda: self.m.tag("sim/before-style"))
        at(STYLE_AT, self.style_break)
        at(STYLE_AT + timedelta(minutes=1), lambda: self.m.tag("sim/after-style"))
        at(STYLE_HEAL_AT, self.style_heal)
        at(UNMASK_AT, self.sed_unmask)
        at(UNMASK_AT + timedelta(minutes=1), lambda: self.m.tag("sim/after-unmask"))
        at(SNAPSHOT_2_AT, lambda: self.snapshot("backups/2025-10-07"))
        n_story = len(actions)

        def noise(when: datetime, fn: Callable[[], None]) -> None:
            actions.append((when, next(seq), fn))

        self.schedule_noise(noise)
        for when, order, fn in sorted(actions, key=lambda a: (a[0], a[1])):
            self._at(when)
            assert self.m.now is not None
            if order < n_story and self.m.now - when > timedelta(hours=3):
                raise AssertionError(f"the story runs {self.m.now - when} late: too much noise before {when}")
            fn()
        add_compiling_damage(self)
        self.m.realistic = {**self.story, "pre": self.pre, "post": self.post}  # type: ignore[attr-defined]
        return self.m

    def _quiet(self, when: datetime, margin_hours: float | None) -> bool:
        """Keep noise away from the story: ordinary work (``None``) only from the hours before each
        story commit (a feature branch takes up to two hours); bursts and bulk commits from the whole
        of incident A and ``margin_hours`` around every story commit."""
        fixed = [*BREAKERS_AT, BLAMED_AT, FIXER_ADDED_AT, WAVE_AT - timedelta(minutes=12), WAVE_AT, SNAPSHOT_1_AT, BULK_WS_AT,
                 STYLE_AT, STYLE_HEAL_AT, UNMASK_AT, SNAPSHOT_2_AT]
        if margin_hours is None:
            return any(t - timedelta(hours=3) <= when <= t + timedelta(minutes=40) for t in fixed)
        pad = timedelta(hours=margin_hours)
        return any(a - pad <= when <= b + pad for a, b in QUIET) or any(
            t - pad - timedelta(hours=2) <= when <= t + pad + timedelta(minutes=40) for t in fixed)

    def _times(self, n: int, margin_hours: float | None = None,
               start: datetime = START + timedelta(hours=2), rng: random.Random | None = None) -> list[datetime]:
        span = (END - start).total_seconds()
        out: list[datetime] = []
        draw = (rng or self.rng).random
        while len(out) < n:
            t = start + timedelta(seconds=int(draw() * span))
            if not self._quiet(t, margin_hours):
                out.append(t)
        return sorted(out)

    def schedule_noise(self, at: Callable[[datetime, Callable[[], None]], None]) -> None:
        s, rng = self.s, self.rng
        for when in self._times(700 * s):
            at(when, self.ordinary)
        bulk_times = self._times(160 + 60 * (s - 1), margin_hours=0.5)
        for k, when in enumerate(bulk_times):
            at(when, self.bulk)
            if k % 4 == 0:   # a script-like file lands minutes before a bulk commit: proximity, no evidence
                at(when - timedelta(minutes=rng.randint(2, 9)), self.add_scripts)
        for when in self._times(100 * s, margin_hours=0.5):
            at(when, self.add_scripts)
        for bot in BOTS:
            for when in self._times(8 * s, margin_hours=24 if bot == "erin" else 2):
                at(when, lambda bot=bot: self.churn_burst(bot))
        background.schedule(s, self.seed, lambda r, n: self._times(n, margin_hours=2, rng=r), at, self.large_edit)

    def large_edit(self, rng: random.Random) -> None:
        """One of the large healthy modules edited (see :mod:`forensics.simulate.realistic_background`)."""
        big = sorted(p for p, f in self.files.items() if isinstance(f, background.LargeModule))
        p = rng.choice(big)
        self._commit(rng.choice(HUMANS), f"Refactor {p.rsplit('/', 1)[1]} helpers", [("put", p, self.files[p].edited(rng))])

    def initial_import(self) -> None:
        s = self.s
        ops: list[tuple] = []
        areas = [("tests/mission_critical", 10 * s)] + [(f"tests/mission_critical/{d}", 14 * s) for d in MC_SUBDIRS]
        areas += [(f"tests/unit/{g}", 45 * s) for g in UNIT_GROUPS[:4]]
        areas += [("tests/integration", 110 * s), ("tests/e2e", 30 * s)]
        for area, count in areas:
            for _ in range(count):
                ops.append(("put", *self._new_test(area)))
        for path in STARTUP_FILES:
            name = path.rsplit("/", 1)[1][5:-3]
            ops.append(("put", path, RealTest(name, "tests/startup", False, (f"test_{name}",), (f"test_{name}_flow",),
                                              seed=self._n() * 3)))
        for pkg in PACKAGES:
            for j in range(8 * s):
                name = "manager" if j == 0 else f"{pkg}_part_{j}"
                ops.append(("put", f"src/app/{pkg}/{name}.py", SrcModule(pkg, name)))
        for j in range(12 * s):
            ops.append(("put", f"src/app/generated/schema_{j}.py", GenModule(f"schema_{j}")))
        ops += [("put", path, module) for path, module in background.initial(s, self.seed)]
        e2e = sorted(op[1] for op in ops if op[1].startswith("tests/e2e/"))[0]
        e2e_mod = next(op[2] for op in ops if op[1] == e2e)
        self.story["pinned"] = {"e2e_node": e2e, "mc_top": sorted(op[1] for op in ops if op[1].count("/") == 2
                                                                    and op[1].startswith("tests/mission_critical/"))[0]}
        node_id = f"{e2e}::{e2e_mod.class_name}::{e2e_mod.methods[0]}"
        files, jobs = ci_files(node_id)
        self.story["ci_jobs"] = jobs
        for path, text in files.items():
            ops.append(("put", path, RawFile(text.encode(), python=False)))
        ops.append(("put", "pyproject.toml", RawFile(PYPROJECT.encode(), python=False)))
        ops.append(("put", "tests/unified_test_runner.py", RawFile(UNIFIED_RUNNER.encode())))
        ops.append(("put", "README.md", RawFile(b"# netra-realistic\n\nA service with a large, noisy test suite.\n",
                                                 python=False)))
        self._commit("alice", "Initial import of the service, its test suite and CI", ops)

    # -- ordinary work ---------------------------------------------------------------------------
    def ordinary(self) -> None:
        rng = self.rng
        who = rng.choice(HUMANS)
        roll = rng.random()
        tests = self.tests()
        if roll < 0.30:
            p = rng.choice(tests)
            f = self.files[p]
            self._commit(who, f"Add coverage to {p.rsplit('/', 1)[1]}", [("put", p, f.edited(f"test_extra_{self._n()}"))])
        elif roll < 0.40:
            p, f = self._new_test(self._area())
            self._commit(who, f"Add {p.rsplit('/', 1)[1]}", [("put", p, f)])
        elif roll < 0.55:
            p = rng.choice(sorted(x for x, f in self.files.items() if isinstance(f, SrcModule) and not f.broken))
            f = self.files[p]
            self._commit(who, f"Update {p}", [("put", p, replace(f, revision=f.revision + 1))])
        elif roll < 0.70:
            self.feature_branch(who)
        elif roll < 0.80:
            picks = sorted(rng.sample(tests, 3))
            self._commit(who, "Tidy up test helpers",
                         [("put", p, self.files[p].edited(f"test_tidy_{self._n()}")) for p in picks])
        elif roll < 0.84:
            p = rng.choice([t for t in tests if not self._pinned(t)])
            self._commit(who, f"Remove obsolete {p.rsplit('/', 1)[1]}", [("del", p)])
        elif roll < 0.88:
            p = rng.choice([t for t in tests if not self._pinned(t) and t.startswith(("tests/unit/", "tests/integration"))])
            area = "tests/unit" if p.startswith("tests/unit/") else "tests/integration"
            dst = f"{area}/{rng.choice(UNIT_GROUPS)}/{p.rsplit('/', 1)[1]}"
            if dst != p:
                self._commit(who, f"Move {p.rsplit('/', 1)[1]} to {dst.rsplit('/', 1)[0]}", [("mv", p, dst)])
        elif roll < 0.905:
            self.ordinary_break_and_heal(who)
        else:
            scripts = self.story["scripts_added"]      # never moved or deleted
            if scripts:
                p = rng.choice(scripts)
                name, subject, rev = self.files[p].meta["script"]
                f = RawFile(script_text(name, subject, rev + 1), meta={"script": (name, subject, rev + 1)})
                self._commit(who, f"Improve {p.rsplit('/', 1)[1]}", [("put", p, f)])

    def ordinary_break_and_heal(self, who: str) -> None:
        p = self.rng.choice(sorted(x for x, f in self.files.items() if isinstance(f, SrcModule) and not f.broken))
        f = self.files[p]
        bad = replace(f, revision=f.revision + 1, broken=True)
        self._commit(who, f"Refactor {p.rsplit('/', 1)[1]}", [("put", p, bad)], role="ordinary_break")
        self._commit(who, f"Fix typo in {p.rsplit('/', 1)[1]}", [("put", p, replace(bad, revision=bad.revision + 1,
                                                                                   broken=False))],
                     role="ordinary_heal", minutes=self.rng.randint(20, 90))

    def feature_branch(self, who: str) -> None:
        rng, m = self.rng, self.m
        name = f"feature/{who}-{self._n()}"
        m.branch(name)
        picks = rng.sample(self.tests(), 3)
        mods = {}
        for p in picks[:2]:
            mods[p] = self.files[p].edited(f"test_feature_{self._n()}")
            self._commit(who, f"Extend {p.rsplit('/', 1)[1]}", [("put", p, mods[p])], branch=name,
                         minutes=rng.randint(2, 8))
        other = picks[2]
        self._commit(rng.choice(HUMANS), f"Hotfix in {other.rsplit('/', 1)[1]}",
                     [("put", other, self.files[other].edited(f"test_hotfix_{self._n()}"))], minutes=rng.randint(2, 8))
        m.merge("main", name, who, f"Merge pull request #{self._n()} from netra/{name}", {}, minutes=rng.randint(2, 12))
        self.files.update(mods)
        del m.trees[name], m.heads[name], m.bases[name]

    def add_scripts(self) -> None:
        rng = self.rng
        ops = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            verb = rng.choice(SCRIPT_VERBS)
            name = f"{verb}_{rng.choice(KEYWORDS)}_{self._n()}"
            subject = rng.choice(["imports", "fixtures", "startup", "websocket events", "configs", "ports"])
            path = f"{rng.choice(SCRIPT_DIRS)}/{name}.py"
            ops.append(("put", path, RawFile(script_text(name, subject), meta={"script": (name, subject, 0)})))
            self.story["scripts_added"].append(path)
        self._commit(rng.choice(HUMANS), f"Add helper script{'s' if len(ops) > 1 else ''} for local checks", ops)

    def bulk(self) -> None:
        rng = self.rng
        roll = rng.random()
        tests = self.tests()
        if roll < 0.12:
            cands = [t for t in tests if not self._pinned(t) and t.startswith(("tests/unit/", "tests/integration"))]
            picks = sorted(rng.sample(cands, min(len(cands), rng.randint(50, 70))))
            ops = []
            group = rng.choice(UNIT_GROUPS)
            for p in picks:
                area = "tests/unit" if p.startswith("tests/unit/") else "tests/integration"
                dst = f"{area}/{group}/{p.rsplit('/', 1)[1]}"
                if dst != p:
                    ops.append(("mv", p, dst))
            self._commit(rng.choice(HUMANS), f"Reorganize test packages into {group}/", ops, role="bulk_rename")
            return
        pool = tests + sorted(p for p, f in self.files.items() if isinstance(f, SrcModule))
        picks = sorted(rng.sample(pool, min(len(pool), rng.randint(50, 90))))
        if roll < 0.37:
            ops = []
            for p in picks:
                f = self.files[p]
                ops.append(("put", p, f.imports_rewritten() if isinstance(f, RealTest) else replace(f, revision=f.revision + 1)))
            message = "Rewrite test imports to the new fixtures package (isort)"
            named = [p for p in self.story["scripts_added"] if p.startswith("scripts/maintenance/fix_")]
            if named and "windows_path" not in self.story:
                # run from a Windows checkout: the message names the script with backslashes
                message = f"Rewrite test imports (python {named[0].replace('/', chr(92))})"
            idx = self._commit(rng.choice(HUMANS), message, ops, role="bulk_imports")
            if message.startswith("Rewrite test imports (python"):
                self.story["windows_path"] = {"commit": idx, "script": named[0]}
            return
        ops = []
        for p in picks:
            f = self.files[p]
            ops.append(("put", p, f.formatted() if isinstance(f, RealTest) else replace(f, revision=f.revision + 1)))
        who = "erin" if roll < 0.6 else rng.choice(HUMANS)
        self._commit(who, rng.choice(["Apply formatting (black)", "Normalize docstrings", "pre-commit autoupdate: reformat"]),
                     ops, role="bulk_format")

    def churn_burst(self, bot: str) -> None:
        """Dozens of commits in about an hour that break, mark and heal generated modules: net nothing."""
        rng = self.rng
        gens = sorted(p for p, f in self.files.items() if isinstance(f, GenModule))
        work = rng.sample(gens, min(len(gens), 4))
        commits = []
        n = rng.randint(24, 40)
        for k in range(n):
            damaged = [p for p in work if self.files[p].state != "healthy"]
            healthy = [p for p in work if p not in damaged]
            if damaged and (k >= n - len(damaged) or not healthy or rng.random() < 0.5):
                p, new = damaged[0], self.files[damaged[0]].rebuilt()
            else:
                p, r = rng.choice(healthy), rng.random()
                new = self.files[p].rebuilt(broken=r < 0.35, marked=0.35 <= r < 0.5)
            idx = self._commit(bot, f"chore(generated): rebuild {p.rsplit('/', 1)[1][:-3]} (build {new.build})",
                               [("put", p, new)], minutes=0 if k == 0 else rng.uniform(0.8, 2.4), role="churn")
            commits.append(idx)
        for p in work:
            if self.files[p].state != "healthy":
                commits.append(self._commit(bot, f"chore(generated): rebuild {p.rsplit('/', 1)[1][:-3]}",
                                            [("put", p, self.files[p].rebuilt())], minutes=1, role="churn"))
        self.story["churn"].append({"author": bot, "commits": commits})

    # -- incident A: breakers, the fixer script, its wave ----------------------------------------
    def breaker(self, k: int) -> None:
        rng = self.rng
        scopes = (("tests/mission_critical/",), ("tests/unit/",), ("tests/integration/", "tests/e2e/"))
        names = ("mission critical", "unit", "integration and e2e")
        targets = self.tests(lambda p, f: p.startswith(scopes[k]) and not self._pinned(p) and not f.ssot
                             and f.state == "healthy")
        ops: list[tuple] = []
        if k == 0:
            ops.append(("put", "scripts/migrate_ssot_base.py", RawFile(MIGRATE_SCRIPT.encode())))
        for p in targets:
            f = self.files[p]
            ops.append(("put", p, replace(f, ssot=True, class_broken=rng.random() < 0.35)))
        self._commit("dave", f"Migrate {names[k]} tests to SSotBaseTestCase (scripts/migrate_ssot_base.py)", ops,
                     role="breaker")

    def add_fixer_script(self) -> None:
        self._commit("erin", "Add the syntax error auto-fixer", [("put", FIXER_PATH, RawFile(FIXER_SCRIPT.encode()))],
                     role="fixer_script")

    def fixer_plan(self) -> None:
        """Choose what the wave will touch, and back it up: suffixes over 30 consecutive seconds."""
        rng, s = self.rng, self.s
        broken = self.tests(lambda p, f: f.class_broken and f.class_mode == CODE)
        missed = set(rng.sample([p for p in broken if not p.startswith(AGENTS)], max(1, len(broken) // 12)))
        healthy = self.tests(lambda p, f: f.state == "healthy" and not self._pinned(p) and len(f.functions) >= 2)
        overreach = set(rng.sample(healthy, 20 * s))
        targets = sorted((set(broken) - missed) | overreach)
        self.story["wave"] = {"missed": sorted(missed), "overreach": sorted(overreach), "targets": targets}
        self._backup_run("erin", targets, self.m.now, "Back up test files before auto-fix", role="fixer_backup")

    def fixer_wave(self) -> None:
        rng = self.rng
        targets = list(self.story["wave"]["targets"])
        overreach = set(self.story["wave"]["overreach"])
        rng.shuffle(targets)
        for k in range(WAVE_COMMITS):
            ops = []
            for p in sorted(targets[k::WAVE_COMMITS]):
                f = self.files[p]
                if p in overreach:
                    new = replace(f, funcs_mode=MASKED, funcs_n=rng.choice((1, 2)), fixer_noise=True)
                else:
                    new = replace(f, class_mode=MASKED, fixer_noise=True)
                ops.append(("put", p, new))
            idx = self._commit("erin", f"Auto-fix syntax errors (batch {k + 1}/{WAVE_COMMITS})",
                               ops + blamed_rename_ops(self, k), role="fixer",
                               minutes=None if k == 0 else rng.uniform(0.6, 1.2))
            blamed_renamed(self, k, idx)

    def _backup_run(self, who: str, paths: list[str], first: datetime, message: str, role: str) -> None:
        """One commit of ``PATH.backup_YYYYmmdd_HHMMSS`` copies whose suffixes span 30 consecutive seconds."""
        tz = AUTHORS[who].tz
        ops, stamps = [], []
        for i, p in enumerate(sorted(paths)):
            local = _tzlocal(first + timedelta(seconds=i * 30 // max(len(paths), 1)), tz)
            stamp = local.strftime("%Y%m%d_%H%M%S")
            stamps.append(stamp)
            f = self.files[p]
            ops.append(("put", f"{p}.backup_{stamp}", RawFile(f.render(), compiles=f.compiles, markers=f.markers,
                                                                tests=f.tests)))
        self._at(first + timedelta(seconds=30 + 60 * 2))
        idx = self._commit(who, message, ops, role=role)
        self.story["backup_runs"].append({"commit": idx, "first_suffix": min(stamps), "last_suffix": max(stamps),
                                          "copies": len(ops), "author_tz": tz})

    def snapshot(self, directory: str) -> None:
        ops = [("put", f"{directory}/{p}", self.files[p]) for p in self.tests()]
        idx = self._commit("bob", "Snapshot the test suite before cleanup", ops, role="snapshot")
        self.story["snapshots"].append({"commit": idx, "directory": directory, "copies": len(ops)})

    def bulk_ws_script(self) -> None:
        """Most test files rewritten, none damaged; a backup run over 30 s minutes before the commit."""
        touched = self.tests(lambda p, f: f.uses_ws and not f.ws_rewritten)
        tz = AUTHORS["frank"].tz
        assert self.m.now is not None
        first = self.m.now - timedelta(minutes=4)
        ops: list[tuple] = [("put", BULK_WS_PATH, RawFile(BULK_WS_SCRIPT.encode()))]
        stamps = []
        for i, p in enumerate(touched):
            f = self.files[p]
            stamp = _tzlocal(first + timedelta(seconds=i * 30 // len(touched)), tz).strftime("%Y%m%d_%H%M%S")
            stamps.append(stamp)
            ops.append(("put", f"{p}.backup_{stamp}", RawFile(f.render(), compiles=f.compiles, markers=f.markers,
                                                                tests=f.tests)))
            ops.append(("put", p, replace(f, ws_rewritten=True)))
        idx = self._commit("frank", "Fix websocket imports across the test suite (bulk_fix_websocket_imports.py)",
                           ops, role="bulk_script")
        self.story["backup_runs"].append({"commit": idx, "first_suffix": min(stamps), "last_suffix": max(stamps),
                                          "copies": len(touched), "author_tz": tz})
        self.story["bulk_script"] = {"path": BULK_WS_PATH, "commit": idx}

    # -- incident B: a style commit that breaks hundreds --------------------------------------------
    def style_break(self) -> None:
        rng = self.rng
        pin = self.story["pinned"]["e2e_node"]
        cands = self.tests(lambda p, f: f.state == "healthy" and not p.startswith("tests/startup/") and not f.wrap)
        cands = [p for p in cands if not p.startswith(AGENTS)]
        picks = set(rng.sample(cands, int(len(cands) * 0.85))) | ({pin} if pin in cands else set())
        ops: list[tuple] = [("put", "scripts/wrap_long_lines.py", RawFile(WRAP_SCRIPT.encode()))]
        ops += [("put", p, replace(self.files[p], wrap=1)) for p in sorted(picks)]
        self._commit("frank", "Wrap long assertions to 100 columns (scripts/wrap_long_lines.py)", ops, role="style_break")

    def style_heal(self) -> None:
        pin = self.story["pinned"]["e2e_node"]
        broken = self.tests(lambda p, f: f.wrap == 1 and p != pin)
        picks = sorted(self.rng.sample(broken, int(len(broken) * 0.6)))
        self._commit("carol", "Close the assertions the line wrapper left open",
                     [("put", p, replace(self.files[p], wrap=2)) for p in picks], role="style_heal")

    # -- incident C: the sed unmask ----------------------------------------------------------------
    def sed_unmask(self) -> None:
        rng = self.rng
        classes = self.tests(lambda p, f: f.class_mode == MASKED and not p.startswith(AGENTS))
        funcs = self.tests(lambda p, f: f.funcs_mode == MASKED and not p.startswith(AGENTS))
        picks_c = set(rng.sample(classes, int(len(classes) * 0.6)))
        picks_f = set(rng.sample(funcs, int(len(funcs) * 0.75)))
        ops = []
        for p in sorted(picks_c | picks_f):
            f = self.files[p]
            ops.append(("put", p, replace(f, class_mode=SURFACED if p in picks_c else f.class_mode,
                                          funcs_mode=SURFACED if p in picks_f else f.funcs_mode)))
        self._commit("carol", "Unmask REMOVED_SYNTAX_ERROR lines (sed 's/# REMOVED_SYNTAX_ERROR: //')", ops,
                     role="sed_unmask")


def realistic_model(seed: int = 7, scale: int = 1) -> Model:
    """The realistic incident's model (see the module docstring)."""
    return Realistic(seed, scale).build()
