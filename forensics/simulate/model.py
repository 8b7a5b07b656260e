"""The simulator's model of a repository: branches of trees of versions, each version knowing the
version it came from, its state by construction, and the events its creation caused."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from forensics.simulate.content import blob_id
from forensics.simulate.fastimport import Identity

AUTHORS = {
    "alice": Identity("Alice Moreau", "alice@example.com", "+0200"),
    "bob": Identity("Bob Tanaka", "bob@example.com", "-0700"),
    "carol": Identity("Carol Okafor", "carol@example.com", "+0000"),
    "dave": Identity("Dave Iyer", "dave@example.com", "+0530"),
    "erin": Identity("ci-autofix", "autofix-bot@example.com", "+0000"),
    "frank": Identity("Frank Novak", "frank@example.com", "-0400"),
    # used only by the realistic preset (the demo never names them, so its SHAs do not change)
    "bot": Identity("deploy-bot", "deploy-bot@example.com", "+0000"),
    "gina": Identity("Gina Rossi", "gina@example.com", "+0100"),
}


def is_subject(path: str) -> bool:
    """Paths the default scan is about: ``*.py`` that are not backups (CONTRACT)."""
    if not path.endswith(".py"):
        return False
    *dirs, name = path.split("/")
    return not any("backup" in d.lower() for d in dirs) and ".backup" not in name.lower()


NOT_DAMAGED = ("healthy", "legacy")   # legacy: another dialect's code, born that way (not damage)


def _events(kind: str, old: "Version | None", new: "Version | None") -> tuple[str, ...]:
    if kind in ("A", "C"):
        return ("added_damaged",) if new is not None and new.state not in NOT_DAMAGED else ()
    if kind == "D":
        return ("deleted_damaged",) if old is not None and old.state not in NOT_DAMAGED else ()
    assert old is not None and new is not None
    out = []
    old_ok, new_ok = old.compiles or old.state == "legacy", new.compiles or new.state == "legacy"
    if old_ok and not new_ok:
        out.append("broke")
    if not old_ok and new_ok:
        out.append("healed")
    if old.markers == 0 and new.markers > 0:
        out.append("marked")
    if old.markers > 0 and new.markers == 0:
        out.append("unmarked")
    if new.state == "hollowed" and old.state != "hollowed":    # the code went (realistic_compiles)
        out.append("hollowed")
    if old.state == "hollowed" and new.state == "healthy":     # the code came back
        out.append("healed")
    return tuple(out)


@dataclass(eq=False)
class Version:
    path: str
    model: Any
    data: bytes
    blob: str
    state: str
    markers: int
    compiles: bool
    tests: int
    commit: int
    kind: str
    prev: "Version | None"
    events: tuple[str, ...] = ()


@dataclass
class Commit:
    index: int
    branch: str
    author: str
    when: datetime
    message: str
    parents: list[int]
    ops: list[tuple[str, str, bytes | None]]
    changes: list[tuple[str, str, str, tuple[str, ...]]]   # (path, old_path, kind, events)
    paths_changed: int
    role: str = ""
    raw: Any = None          # a RawHeader: identities and dates written as given (odd encodings, odd dates)

    @property
    def mark(self) -> int:
        return self.index + 1


@dataclass
class Model:
    start: datetime = field(default_factory=lambda: datetime(2025, 8, 4, 9, 0, 0, tzinfo=timezone.utc))
    commits: list[Commit] = field(default_factory=list)
    trees: dict[str, dict[str, Version]] = field(default_factory=lambda: {"main": {}})
    heads: dict[str, int | None] = field(default_factory=lambda: {"main": None})
    bases: dict[str, dict[str, Version]] = field(default_factory=dict)
    snapshots: dict[str, int] = field(default_factory=dict)   # tag -> commit index on main
    snapshot_trees: dict[str, dict[str, Version]] = field(default_factory=dict)
    now: datetime | None = None
    verify_every: int = 1     # cross-check every Nth version with compile() (1: all of them)
    made: int = 0
    # when set, decides instead of verify_every which versions compile() cross-checks:
    # verify(made, content_model, previous_version) -> bool
    verify: Any = None
    verified: int = 0
    checked: set = field(default_factory=set)   # blobs compile() already checked (with ``verify``)
    # per live branch: every path changed on any branch since it was created (what a merge must look at)
    dirty: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.now = self.start

    # -- time -------------------------------------------------------------------------------------
    def at(self, when: datetime) -> None:
        assert self.now is not None and when > self.now, (when, self.now)
        self.now = when

    def later(self, minutes: float) -> None:
        assert self.now is not None
        self.now = self.now + timedelta(minutes=minutes)

    # -- versions ---------------------------------------------------------------------------------
    def _version(self, path: str, model: Any, commit: int, kind: str, prev: Version | None) -> Version:
        data = model.render()
        python = getattr(model, "python", True)
        self.made += 1
        if self.verify is not None:
            bid = blob_id(data)
            check = python and bid not in self.checked and self.verify(self.made, model, prev)
            if check:
                self.checked.add(bid)
        else:
            check = python and self.made % self.verify_every == 0
        self.verified += check
        compiles = (_really_compiles(data) if check else model.compiles) if python else True
        if python and compiles != model.compiles:
            raise AssertionError(f"simulator model of {path} says compiles={model.compiles}, compile() says {compiles}")
        v = Version(path, model, data, blob_id(data), model.state if python else "healthy",
                    model.markers if python else 0, compiles, model.tests if python else 0, commit, kind, prev)
        v.events = _events(kind, prev, v)
        return v

    # -- commits ----------------------------------------------------------------------------------
    def branch(self, name: str, from_branch: str = "main") -> None:
        self.trees[name] = dict(self.trees[from_branch])
        self.heads[name] = self.heads[from_branch]
        self.bases[name] = dict(self.trees[from_branch])
        self.dirty[name] = set()

    def commit(self, branch: str, author: str, message: str, ops: list[tuple], minutes: float | None = None,
               role: str = "") -> int:
        if minutes is not None:
            self.later(minutes)
        idx = len(self.commits)
        tree = self.trees[branch]  # changed in place: large histories cannot copy 20,000 paths per commit
        fast: list[tuple[str, str, bytes | None]] = []
        changes: list[tuple[str, str, str, tuple[str, ...]]] = []
        for op in ops:
            kind = op[0]
            if kind == "put":
                _, path, model = op
                old = tree.get(path)
                v = self._version(path, model, idx, "M" if old else "A", old)
                if old is not None and old.blob == v.blob:
                    raise AssertionError(f"no-op edit of {path}")
                tree[path] = v
                fast.append(("M", path, v.data))
                changes.append((path, path if old else "", v.kind, v.events))
            elif kind == "del":
                _, path = op
                old = tree.pop(path)
                fast.append(("D", path, None))
                changes.append((path, path, "D", _events("D", old, None)))
            elif kind == "mv":
                _, src, dst = op
                old = tree.pop(src)
                v = self._version(dst, old.model, idx, "R", old)
                tree[dst] = v
                fast.append(("D", src, None))
                fast.append(("M", dst, v.data))
                changes.append((dst, src, "R", v.events))
            elif kind == "cp":
                _, src, dst = op
                v = self._version(dst, tree[src].model, idx, "C", tree[src])
                tree[dst] = v
                fast.append(("M", dst, v.data))
                changes.append((dst, src, "C", v.events))
            else:
                raise ValueError(kind)
        parents = [self.heads[branch]] if self.heads[branch] is not None else []
        self._finish(idx, branch, author, message, parents, tree, fast, changes, len(ops) - 0, role)
        return idx

    def merge(self, into: str, from_branch: str, author: str, message: str, resolutions: dict[str, Any],
              minutes: float, role: str = "") -> int:
        self.later(minutes)
        idx = len(self.commits)
        ours, theirs, base = self.trees[into], self.trees[from_branch], self.bases[from_branch]
        merged = dict(ours)
        # only paths changed since the branch point can differ between ours, theirs and the base
        if from_branch in self.dirty:
            candidates = self.dirty[from_branch] | set(resolutions)
        else:
            candidates = set(theirs) | set(base) | set(ours)
        for path in sorted(candidates):
            b, t, o = base.get(path), theirs.get(path), ours.get(path)
            if t is b:
                continue
            if o is b:
                if t is None:
                    merged.pop(path, None)
                else:
                    merged[path] = t
            elif path not in resolutions:
                raise AssertionError(f"conflict on {path} needs a resolution")
        for path, model in resolutions.items():
            merged[path] = self._version(path, model, idx, "M", ours[path])
        fast: list[tuple[str, str, bytes | None]] = []
        changes: list[tuple[str, str, str, tuple[str, ...]]] = []
        for path in sorted(candidates):
            m, o = merged.get(path), ours.get(path)
            if m is None and o is None:
                continue
            if m is not None and o is not None and m.blob == o.blob:
                continue
            fast.append(("D", path, None) if m is None else ("M", path, m.data))
        n_changed = 0
        for path in sorted(candidates):
            m = merged.get(path)
            mb = m.blob if m else None
            if all(mb != (p.blob if p else None) for p in (ours.get(path), theirs.get(path))):
                n_changed += 1
                o = ours.get(path)
                kind = "D" if m is None else ("M" if o is not None else "A")
                ev = m.events if m is not None and m.commit == idx else _events(kind, o, m)
                changes.append((path, path if o is not None else "", kind, ev))
        parents = [self.heads[into], self.heads[from_branch]]
        self._finish(idx, into, author, message, parents, merged, fast, changes, n_changed, role)
        return idx

    def _finish(self, idx: int, branch: str, author: str, message: str, parents: list[int | None],
                tree: dict[str, Version], fast: list, changes: list, n_changed: int, role: str) -> None:
        assert self.now is not None
        self.commits.append(Commit(idx, branch, author, self.now, message, [p for p in parents if p is not None],
                                   fast, changes, n_changed, role))
        self.trees[branch] = tree
        self.heads[branch] = idx
        for name in list(self.dirty):
            if name not in self.bases:      # a branch its builder dropped after merging it
                del self.dirty[name]
            else:
                self.dirty[name].update(op[1] for op in fast)

    def tag(self, name: str) -> None:
        head = self.heads["main"]
        assert head is not None
        self.snapshots[name] = head
        self.snapshot_trees[name] = dict(self.trees["main"])


def _really_compiles(data: bytes) -> bool:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, "<sim>", "exec", dont_inherit=True)
    except Exception:
        return False
    return True
