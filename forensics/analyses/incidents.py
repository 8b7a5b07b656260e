"""Incidents: the history's damage grouped into the stories a responder reads.

Damage is joined through damage episodes (a path damaged by X and then commented out by wave Y joins
X and Y; an unmask that re-breaks what a wave marked joins them too; a copy or rename of a damaged
file stays in its episode), through the damage chains of the paths damaged at the revision, and
through time (culprits whose damage lies within ``join_minutes`` of each other). A wave is one unit:
all its commits belong to the same incident. Churn (bursts that heal what they damage and leave
nothing damaged) is never an incident's culprit. Healing a path closes its episode without joining
the healer to the incident, so one clean-up commit never merges unrelated incidents.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

import pandas as pd

from forensics.analyses.culprits import churn_shas, culprit_commits, culprits as find_culprits
from forensics.analyses.story_model import Actor, Incident, Now, flat_counts, flat_shas
from forensics.engine.states import DAMAGED_STATES, DAMAGING_EVENTS, MARKED_STATES, BROKEN_STATES

INCIDENT_COLUMNS = ["incident", "first_at", "last_at", "paths_damaged", "paths_still_damaged", "root_causes",
                    "culprits", "maskers", "headline",
                    # beyond the contract
                    "surfacers", "healers", "cleared", "waves", "marked_now", "broken_now", "tests_lost",
                    "root_cause_paths", "masker_paths", "surfacer_paths", "healer_paths", "cleared_paths",
                    "root_cause_still", "masker_still", "surfacer_still", "followed_until"]


def _ns(times: pd.Series) -> list[int]:
    """UTC times as int64 nanoseconds."""
    return pd.to_datetime(times, utc=True).dt.tz_localize(None).to_numpy().astype("datetime64[ns]").astype("int64").tolist()


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass(frozen=True)
class Story:
    """The one story every view renders. ``records``: the incidents as typed records (see
    :mod:`forensics.analyses.story_model`), numbered by paths still damaged, most first; ``top``: the
    top culprit (the commit holding the most damage still present: the culprits table's first row, or
    its first member for a wave); ``now``: the state at the revision. ``incidents``: the same as a
    table (INCIDENT_COLUMNS); ``paths``: one row per (incident, path) with ``still_damaged``;
    ``culprits``: the culprits table it was built from."""

    incidents: pd.DataFrame
    paths: pd.DataFrame
    culprits: pd.DataFrame
    churn: set[str] = field(default_factory=set)
    records: tuple[Incident, ...] = ()
    top: Actor | None = None
    now: Now | None = None


def build_story(result, culprits: pd.DataFrame | None = None, *, join_minutes: float = 60,
                wave_window: float = 30, wave_span: float = 120) -> Story:
    """Group the damage of ``result`` into incidents (see the module docstring)."""
    cul = culprits if culprits is not None else find_culprits(result, wave_window=wave_window, wave_span=wave_span)
    churn = churn_shas(result, wave_window, wave_span)   # the index and bursts are cached with the scan
    unit_of: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for _, row in cul[cul["kind"] == "wave"].iterrows():
        shas = culprit_commits(result, row)
        members[row["sha"]] = shas
        for s in shas:
            unit_of[s] = row["sha"]
    order_of = dict(zip(result.commits["sha"], result.commits["order"]))
    # times as int64 nanoseconds: comparing Timestamps one by one costs more than the walk itself
    at_of = dict(zip(result.commits["sha"], _ns(result.commits["committed_at"])))
    uf = _Union()

    def unit(sha: str) -> str:
        return unit_of.get(sha, sha)

    damage: list[tuple[str, str, str, str]] = []     # (unit, sha, path, lineage) per damaging event, not churn
    starts: list[tuple[str, str]] = []               # (sha, path): episode started here (root cause)
    masks: list[tuple[str, str, str]] = []           # (unit, sha, episode): marked a path already damaged
    surfaces: list[tuple[str, str, str]] = []        # (unit, sha, episode): unmarked, left damaged
    heals: list[tuple[str, str, str]] = []           # (unit, sha, path): closed an episode
    open_: dict[str, str] = {}                       # path -> a unit of its open episode
    ev = result.events
    renames = result.changes[(result.changes["kind"] == "R") & ~result.changes["is_backup"]]
    moves: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for o, old, new in zip(renames["order"], renames["old_path"], renames["path"]):
        moves[int(o)].append((old, new))
    groups: dict[tuple[int, str, str], list[tuple[str, str, str, str]]] = {}
    for o, sha, path, old_path, event, sb, sa in zip(ev["order"], ev["sha"], ev["path"], ev["old_path"], ev["event"],
                                                     ev["state_before"], ev["state_after"]):
        groups.setdefault((int(o), sha, path), []).append((event, sb, sa, old_path))
    lineage: dict[str, str] = {}                     # path -> the name its open episode started under
    pending = sorted(moves)
    mi = 0
    for (o, sha, path), evs in sorted(groups.items(), key=lambda kv: kv[0][0]):
        while mi < len(pending) and pending[mi] <= o:    # renames up to this commit move open episodes
            for old, new in moves[pending[mi]]:
                if old in open_ and new != old:
                    open_[new] = open_.pop(old)
                    lineage[new] = lineage.pop(old, old)
            mi += 1
        u = unit(sha)
        is_churn = sha in churn
        after = evs[-1][2]
        kinds = [e[0] for e in evs]
        source = evs[0][3]
        if path not in open_ and source and source != path and source in open_ and "added_damaged" in kinds:
            open_[path] = open_[source]                     # a copy of a damaged file stays in its episode
            lineage[path] = f"{path}@{o}"
            if not is_churn:
                uf.union(open_[path], u)
        if path not in open_:
            if after in DAMAGED_STATES:
                open_[path] = u
                lineage[path] = f"{path}@{o}"
                uf.find(u)
                if not is_churn:
                    starts.append((sha, path))
        elif not is_churn:
            if any(k in DAMAGING_EVENTS for k in kinds) or after in DAMAGED_STATES:
                uf.union(open_[path], u)
        if not is_churn:
            for k, sb, sa, _ in evs:
                if k in DAMAGING_EVENTS:
                    damage.append((u, sha, path, lineage.get(path, path)))
                if k in ("marked", "hollowed") and sb in DAMAGED_STATES:   # masked: commented out or hollowed
                    masks.append((u, sha, lineage.get(path, path)))
                if k == "unmarked" and sa in DAMAGED_STATES:
                    surfaces.append((u, sha, lineage.get(path, path)))
        if after not in DAMAGED_STATES and path in open_:
            heals.append((open_.pop(path), sha, path))
            lineage.pop(path, None)
    # the damage chains of today's damage join everything they pass through
    chains = result.chains()
    still_unit: dict[str, str] = {}
    for path, chain, root in zip(chains["path"], chains["chain"], chains["root_cause"]):
        units = [unit(s) for s, _, _ in chain if s not in churn]
        for a in units[1:]:
            uf.union(units[0], a)
        anchor = unit(root) if root and root not in churn else (units[0] if units else "")
        still_unit[path] = anchor or f"unknown:{path}"
        if not anchor:
            uf.find(still_unit[path])
    # join components whose damaging commits lie close in time (commit to commit, not span to span:
    # a long incident does not swallow an unrelated break that happened in the middle of it)
    points = sorted({(at_of[s], uf.find(u)) for u, s, _, _ in damage}, key=lambda x: x[0])
    gap = int(join_minutes * 60e9)
    for (t0, a), (t1, b) in zip(points, points[1:]):
        if join_minutes > 0 and t1 - t0 <= gap:
            uf.union(a, b)
    # assemble
    comp: dict[str, dict] = defaultdict(lambda: {"starts": defaultdict(set), "masks": defaultdict(set),
                                                 "surfaces": defaultdict(set), "heals": Counter(), "paths": set(),
                                                 "still": set(), "unit_paths": defaultdict(set), "times": [],
                                                 "start_times": [], "after": [], "commit_paths": defaultdict(set)})
    for u, sha, path, key in damage:
        c = comp[uf.find(u)]
        c["unit_paths"][u].add(key)
        c["commit_paths"][sha].add(key)
        c["paths"].add(path)
        c["times"].append(at_of[sha])
    for sha, path in starts:
        c = comp[uf.find(unit(sha))]
        c["starts"][sha].add(path)
        c["start_times"].append(at_of[sha])
    for u, sha, key in masks:
        c = comp[uf.find(u)]
        c["masks"][sha].add(key)
        c["after"].append(at_of[sha])
    for u, sha, key in surfaces:
        c = comp[uf.find(u)]
        c["surfaces"][sha].add(key)
        c["after"].append(at_of[sha])
    for u, sha, path in heals:
        comp[uf.find(u)]["heals"][sha] += 1
    still_roots: dict[str, Counter] = defaultdict(Counter)
    for path, root in zip(chains["path"], chains["root_cause"]):
        c = comp[uf.find(still_unit[path])]
        c["still"].add(path)
        if root:
            still_roots[uf.find(still_unit[path])][root] += 1
    tree = result.subjects.set_index("path")
    tests_of = dict(zip(result.versions["blob"], result.versions["tests"]))
    tests_now = dict(zip(result.subjects["path"].tolist(), result.subjects["tests"].tolist()))
    lost_of = {p: max(0, int(tests_of.get(b, 0) or 0) - int(tests_now.get(p, 0) or 0)) if b else 0
               for p, b in zip(chains["path"].tolist(), chains["last_good_blob"].tolist())}
    cleared = _cleared(result, cul, comp)
    meta = result.commits.set_index("sha")
    wave_rows = {r["sha"]: r for _, r in cul[cul["kind"] == "wave"].iterrows()}
    actor = _ActorMaker(meta, unit_of, wave_rows)
    records, path_rows = [], []
    for root, c in comp.items():
        if not c["paths"] and not c["still"]:
            continue
        units = sorted(c["unit_paths"], key=lambda u: (-len(c["unit_paths"][u]), order_of.get(u, 0)))
        still = c["still"]
        # episodes (a path's run of damage, followed through renames) still open at the revision
        still_keys = {lineage[p] for p in still if p in lineage}
        # the commits that damaged, masked or surfaced its paths are ranked by the paths each acted on
        # (every one of a wave's commits did a share of one job), each with its count still damaged
        damaging = {s: len(p) for s, p in c["commit_paths"].items()}
        everyone = {s for u in units for s in members.get(u, [u])}
        began = {s: len(p) for s, p in c["starts"].items()}
        roots_still = still_roots[root]
        damagers = tuple(actor(s, len(c["commit_paths"].get(s, set()) & still_keys), damaging.get(s, 0)) for s in sorted(
            everyone, key=lambda s: (-damaging.get(s, 0), order_of.get(s, 0))))
        # root causes ranked by today's damage they began, then by the damage episodes they began
        rc = tuple(actor(s, roots_still.get(s, 0), began.get(s, 0) or roots_still.get(s, 0)) for s in sorted(
            set(began) | set(roots_still), key=lambda s: (-roots_still.get(s, 0), -began.get(s, 0), order_of.get(s, 0))))

        def ranked(table: dict[str, set[str]]) -> tuple[Actor, ...]:
            return tuple(actor(s, len(p & still_keys), len(p)) for s, p in sorted(
                table.items(), key=lambda kv: (-len(kv[1]), order_of.get(kv[0], 0))))

        first_times = c["start_times"] or c["times"]
        first = pd.Timestamp(min(first_times), tz="UTC") if first_times else None
        last = pd.Timestamp(max(first_times), tz="UTC") if first_times else None
        followed = max(c["after"] + [at_of[s] for s in c["heals"]] + first_times, default=None)
        # a healer belongs to what followed the damage: never one dated before the incident
        healers = tuple(actor(s, 0, n) for s, n in sorted(c["heals"].items(), key=lambda kv: (-kv[1], order_of.get(kv[0], 0)))
                        if first is None or at_of[s] >= min(first_times))
        states = tree.loc[sorted(still), "state"] if still else pd.Series(dtype=object)
        records.append((root, Incident(
            number=0, first_at=first, last_at=last,
            followed_until=pd.Timestamp(followed, tz="UTC") if followed is not None else None,
            paths_damaged=len(c["paths"]) or len(still), paths_still_damaged=len(still),
            marked_now=int(states.isin(MARKED_STATES).sum()), broken_now=int(states.isin(BROKEN_STATES).sum()),
            tests_lost=int(sum(lost_of.get(p, 0) for p in still)), root_causes=rc,
            maskers=ranked(c["masks"]), surfacers=ranked(c["surfaces"]), healers=healers,
            cleared=tuple(actor(s, 0, n) for s, n in cleared.get(root, [])), damagers=damagers)))
        for p in sorted(c["paths"] | still):
            path_rows.append((root, p, p in still))
    records.sort(key=lambda r: (-r[1].paths_still_damaged, -r[1].paths_damaged,
                                r[1].first_at if r[1].first_at is not None else pd.Timestamp.max.tz_localize("UTC")))
    records = [(root, replace(inc, number=i + 1)) for i, (root, inc) in enumerate(records)]
    number = {root: inc.number for root, inc in records}
    told = tuple(inc for _, inc in records)
    table = incidents_table(told, meta)
    paths = pd.DataFrame([(number[r], p, s) for r, p, s in path_rows], columns=["incident", "path", "still_damaged"])
    return Story(table, paths.sort_values(["incident", "path"]).reset_index(drop=True), cul, churn,
                 records=told, top=_top_culprit(cul, told, actor), now=_now(result, told))


class _ActorMaker:
    """Makes :class:`Actor` records: a commit's subject, author and time, and its wave as context."""

    def __init__(self, meta: pd.DataFrame, unit_of: dict[str, str], waves: dict[str, pd.Series]) -> None:
        self.meta, self.unit_of, self.waves = meta, unit_of, waves

    def __call__(self, sha: str, still: int, all_time: int) -> Actor:
        if sha not in self.meta.index:
            return Actor(sha, "", "", None, int(still), int(all_time), known=False)
        m = self.meta.loc[sha]
        w = self.waves.get(self.unit_of.get(sha, ""))
        at = pd.Timestamp(m["committed_at"])
        return Actor(sha, str(m["subject"]), str(m["author"]), at.tz_convert("UTC") if at.tzinfo else at.tz_localize("UTC"),
                     int(still), int(all_time),
                     **({} if w is None else {"wave": w["sha"], "wave_last": w["last_sha"], "wave_commits": int(w["commits"]),
                                              "wave_minutes": float(w["span_minutes"])}))


def _top_culprit(cul: pd.DataFrame, told: tuple[Incident, ...], actor: _ActorMaker) -> Actor | None:
    """The commit holding the most damage still present: the top main culprit's first member (its
    own sha for a single commit), with the paths still damaged it began and all it damaged."""
    from forensics.analyses.culprits import MAIN_KINDS

    main = cul[cul["kind"].isin(MAIN_KINDS)]
    main = main[(main["paths_still_caused"] > 0) | (main["paths_damaged"] > 0)]
    if not len(main):
        return None
    row = main.iloc[0]
    members = row["members"] or ((row["sha"], int(row["paths_still_caused"]), int(row["paths_damaged"])),)
    sha, still, all_time = members[0]
    return actor(sha, still, all_time)


def _now(result, told: tuple[Incident, ...]) -> Now:
    from forensics.engine.states import HOLLOWED

    states = result.subjects["state"]
    return Now(paths_in_scope=int(len(states)), damaged=int(states.isin(DAMAGED_STATES).sum()),
               marked=int(states.isin(MARKED_STATES).sum()), broken=int(states.isin(BROKEN_STATES).sum()),
               tests_lost=int(sum(i.tests_lost for i in told)), hollowed=int((states == HOLLOWED).sum()))


def incidents_table(told: tuple[Incident, ...], meta: pd.DataFrame | None = None) -> pd.DataFrame:
    """The incidents as a table (INCIDENT_COLUMNS): actor lists flattened to space-separated SHAs and
    their counts (``*_paths``: all-time, ``*_still``: still damaged), in rank order."""
    if not told:
        return pd.DataFrame(columns=INCIDENT_COLUMNS)
    rows = []
    for i in told:
        waves = []
        for a in i.damagers + i.maskers + i.surfacers:
            if a.wave and a.wave not in waves:
                waves.append(a.wave)
        rows.append({
            "incident": i.number, "first_at": i.first_at, "last_at": i.last_at, "paths_damaged": i.paths_damaged,
            "paths_still_damaged": i.paths_still_damaged, "root_causes": flat_shas(i.root_causes),
            "culprits": flat_shas(i.damagers), "maskers": flat_shas(i.maskers), "headline": headline(i),
            "surfacers": flat_shas(i.surfacers), "healers": flat_shas(i.healers), "cleared": flat_shas(i.cleared),
            "waves": " ".join(waves), "marked_now": i.marked_now, "broken_now": i.broken_now,
            "tests_lost": i.tests_lost, "root_cause_paths": flat_counts(i.root_causes),
            "masker_paths": flat_counts(i.maskers), "surfacer_paths": flat_counts(i.surfacers),
            "healer_paths": flat_counts(i.healers), "cleared_paths": flat_counts(i.cleared),
            "root_cause_still": flat_counts(i.root_causes, "still"), "masker_still": flat_counts(i.maskers, "still"),
            "surfacer_still": flat_counts(i.surfacers, "still"), "followed_until": i.followed_until})
    table = pd.DataFrame(rows)
    for col in ("first_at", "last_at", "followed_until"):
        table[col] = pd.to_datetime(table[col], utc=True)
    return table[INCIDENT_COLUMNS]


def _cleared(result, cul: pd.DataFrame, comp: dict) -> dict[str, list[tuple[str, int]]]:
    """Per incident: bulk commits that damaged nothing and touched its paths while they were damaged
    (the obvious suspects), most such paths first, at most 3: [(sha, already damaged paths of the
    incident it touched)]. A suspect is looked at only for incidents that had begun when it ran."""
    bulk = cul[(cul["kind"] == "bulk_commit") & (cul["paths_damaged"] == 0) & (cul["already_damaged"] > 0)]
    if not len(bulk):
        return {}
    ch = result.changes[result.changes["sha"].isin(set(bulk["sha"])) & ~result.changes["is_backup"]]
    damaged_blobs = set(result.versions.loc[result.versions["state"].isin(DAMAGED_STATES), "blob"].tolist())
    ch = ch[ch["old_blob"].isin(damaged_blobs)]
    at = dict(zip(bulk["sha"], _ns(bulk["committed_at"])))
    begun = {root: min(c["times"]) for root, c in comp.items() if c["times"]}
    owners: dict[str, list[str]] = defaultdict(list)          # path -> incidents it belongs to
    for root, c in comp.items():
        for p in c["paths"] | c["still"]:
            owners[p].append(root)
    hits: dict[str, Counter] = defaultdict(Counter)            # bulk sha -> incident -> its paths touched
    for sha, path in zip(ch["sha"].tolist(), ch["path"].tolist()):
        for root in owners.get(path, ()):
            hits[sha][root] += 1
    out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for sha, counts in hits.items():
        ranked = [(n, root) for root, n in counts.items()
                  if root in begun and begun[root] <= at[sha] and sha not in comp[root]["heals"]]
        if ranked:
            n, root = max(ranked, key=lambda x: (x[0], x[1]))
            out[root].append((sha, n))
    return {root: sorted(v, key=lambda x: -x[1])[:3] for root, v in out.items()}


def _at(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def when(i: Incident) -> str:
    """``at T`` for an incident with one time, ``T1 to T2`` otherwise."""
    if i.first_at is None:
        return "at an unknown time"
    return f"at {_at(i.first_at)}" if i.one_time else f"{_at(i.first_at)} to {_at(i.last_at)}"


def headline(i: Incident) -> str:
    """One line a responder reads first: how much is still damaged, the commit that broke most of
    it (still damaged first, all-time second), and how many commits masked and surfaced it."""
    def name(a: Actor) -> str:
        return f"{a.sha[:12]} ({a.subject[:60]!r})" if a.known else "a commit before the scanned history"

    text = f"{i.paths_still_damaged} of {i.paths_damaged} path{'' if i.paths_damaged == 1 else 's'} still damaged"
    if i.root_causes:
        a = i.root_causes[0]
        text += (f"; broken by {name(a)}: {a.still} still damaged, {a.all_time} in all"
                 + (f", and {len(i.root_causes) - 1} more" if len(i.root_causes) > 1 else ""))
    if i.maskers:
        text += f"; masked by {len(i.maskers)} commit" + ("s" if len(i.maskers) != 1 else "")
    if i.surfacers:
        text += f"; surfaced again by {len(i.surfacers)} commit" + ("s" if len(i.surfacers) != 1 else "")
    return text


def incidents(result, culprits: pd.DataFrame | None = None, **options) -> pd.DataFrame:
    """The incidents table. Columns: INCIDENT_COLUMNS (CONTRACT's first; SHA lists full SHAs separated
    by spaces, most paths first; ``*_paths`` give the path counts of each listed SHA in order;
    ``cleared`` the bulk commits that touched the incident's paths and damaged none)."""
    return build_story(result, culprits, **options).incidents


__all__ = ["INCIDENT_COLUMNS", "Story", "build_story", "incidents", "incidents_table", "headline", "when"]
