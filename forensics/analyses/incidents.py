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
from dataclasses import dataclass, field

import pandas as pd

from forensics.analyses.culprits import churn_shas, culprit_commits, culprits as find_culprits
from forensics.engine.states import DAMAGED_STATES, DAMAGING_EVENTS, MARKED_STATES, BROKEN_STATES

INCIDENT_COLUMNS = ["incident", "first_at", "last_at", "paths_damaged", "paths_still_damaged", "root_causes",
                    "culprits", "maskers", "headline",
                    # beyond the contract
                    "surfacers", "healers", "cleared", "waves", "marked_now", "broken_now", "tests_lost",
                    "root_cause_paths", "masker_paths", "surfacer_paths", "healer_paths", "cleared_paths"]


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


@dataclass
class Story:
    """``incidents``: INCIDENT_COLUMNS, numbered by paths still damaged, most first. ``paths``: one
    row per (incident, path) with ``still_damaged`` (path as it is named now, for still-damaged ones).
    ``culprits``: the culprits table it was built from."""

    incidents: pd.DataFrame
    paths: pd.DataFrame
    culprits: pd.DataFrame
    churn: set[str] = field(default_factory=set)


def _ranked(counter: Counter, order: dict[str, int]) -> list[str]:
    return [s for s, _ in sorted(counter.items(), key=lambda kv: (-kv[1], order.get(kv[0], 0)))]


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
    masks: list[tuple[str, str, str]] = []           # (unit, sha, path): marked a path already damaged
    surfaces: list[tuple[str, str, str]] = []        # (unit, sha, path): unmarked, left damaged
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
                    masks.append((u, sha, path))
                if k == "unmarked" and sa in DAMAGED_STATES:
                    surfaces.append((u, sha, path))
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
    comp: dict[str, dict] = defaultdict(lambda: {"starts": Counter(), "masks": Counter(),
                                                 "surfaces": Counter(), "heals": Counter(), "paths": set(),
                                                 "still": set(), "unit_paths": defaultdict(set), "times": [],
                                                 "commit_paths": defaultdict(set)})
    for u, sha, path, key in damage:
        c = comp[uf.find(u)]
        c["unit_paths"][u].add(key)
        c["commit_paths"][sha].add(path)
        c["paths"].add(path)
        c["times"].append(at_of[sha])
    for sha, path in starts:
        comp[uf.find(unit(sha))]["starts"][sha] += 1
    for u, sha, path in masks:
        c = comp[uf.find(u)]
        c["masks"][sha] += 1
        c["times"].append(at_of[sha])
    for u, sha, path in surfaces:
        c = comp[uf.find(u)]
        c["surfaces"][sha] += 1
        c["times"].append(at_of[sha])
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
    rows, path_rows = [], []
    for root, c in comp.items():
        if not c["paths"] and not c["still"]:
            continue
        units = sorted(c["unit_paths"], key=lambda u: (-len(c["unit_paths"][u]), order_of.get(u, 0)))
        # commits ranked by the paths each damaged; every commit of a wave is listed
        damaging = {s: len(p) for s, p in c["commit_paths"].items()}
        everyone = {s for u in units for s in members.get(u, [u])}
        culprit_list = sorted(everyone, key=lambda s: (-damaging.get(s, 0), order_of.get(s, 0)))
        starts_c = c["starts"] + Counter()
        # root causes ranked by the damage episodes they began (paths), then by today's damage
        rc_rank = sorted(set(starts_c) | set(still_roots[root]),
                         key=lambda s: (-starts_c[s], order_of.get(s, 0)))
        maskers = _ranked(c["masks"], order_of)
        surfacers = _ranked(c["surfaces"], order_of)
        healers = _ranked(c["heals"], order_of)
        still = c["still"]
        states = tree.loc[sorted(still), "state"] if still else pd.Series(dtype=object)
        times = [pd.Timestamp(t, tz="UTC") for t in (min(c["times"]), max(c["times"]))] if c["times"] else [pd.NaT]
        wave_ids = [u for u in units if u in members]
        rows.append({
            "first_at": min(times), "last_at": max(times), "paths_damaged": len(c["paths"]) or len(still),
            "paths_still_damaged": len(still), "root_causes": " ".join(rc_rank), "culprits": " ".join(culprit_list),
            "maskers": " ".join(maskers), "surfacers": " ".join(surfacers), "healers": " ".join(healers),
            "cleared": " ".join(s for s, _ in cleared.get(root, [])), "waves": " ".join(wave_ids),
            "marked_now": int(states.isin(MARKED_STATES).sum()), "broken_now": int(states.isin(BROKEN_STATES).sum()),
            "tests_lost": int(sum(lost_of.get(p, 0) for p in still)),
            "root_cause_paths": " ".join(str(starts_c[s] or still_roots[root][s]) for s in rc_rank),
            "masker_paths": " ".join(str(c["masks"][s]) for s in maskers),
            "surfacer_paths": " ".join(str(c["surfaces"][s]) for s in surfacers),
            "healer_paths": " ".join(str(c["heals"][s]) for s in healers),
            "cleared_paths": " ".join(str(n) for _, n in cleared.get(root, [])),
            "_root": root, "_culprit_units": len(units),
        })
        for p in sorted(c["paths"] | still):
            path_rows.append((root, p, p in still))
    table = pd.DataFrame(rows)
    if not len(table):
        return Story(pd.DataFrame(columns=INCIDENT_COLUMNS), pd.DataFrame(columns=["incident", "path", "still_damaged"]),
                     cul, churn)
    table = table.sort_values(["paths_still_damaged", "paths_damaged", "first_at"], ascending=[False, False, True],
                              kind="stable").reset_index(drop=True)
    table["incident"] = range(1, len(table) + 1)
    number = dict(zip(table["_root"], table["incident"]))
    table["headline"] = [_headline(r, meta) for r in table.itertuples(index=False)]
    for col in ("first_at", "last_at"):
        table[col] = pd.to_datetime(table[col], utc=True)
    paths = pd.DataFrame([(number[r], p, s) for r, p, s in path_rows], columns=["incident", "path", "still_damaged"])
    return Story(table[INCIDENT_COLUMNS], paths.sort_values(["incident", "path"]).reset_index(drop=True), cul, churn)


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


def _headline(r, meta: pd.DataFrame) -> str:
    def name(sha: str) -> str:
        if sha.startswith("unknown:") or sha not in meta.index:
            return "a commit before the scanned history"
        return f"{sha[:12]} ({meta.at[sha, 'subject'][:60]!r})"

    rcs = r.root_causes.split()
    text = f"{r.paths_still_damaged} of {r.paths_damaged} paths still damaged"
    if rcs:
        text += f"; broken by {name(rcs[0])}" + (f" and {len(rcs) - 1} more" if len(rcs) > 1 else "")
    if r.maskers:
        text += f"; masked by {len(r.maskers.split())} commit" + ("s" if len(r.maskers.split()) != 1 else "")
    if r.surfacers:
        text += f"; surfaced again by {len(r.surfacers.split())} commit" + ("s" if len(r.surfacers.split()) != 1 else "")
    return text


def incidents(result, culprits: pd.DataFrame | None = None, **options) -> pd.DataFrame:
    """The incidents table. Columns: INCIDENT_COLUMNS (CONTRACT's first; SHA lists full SHAs separated
    by spaces, most paths first; ``*_paths`` give the path counts of each listed SHA in order;
    ``cleared`` the bulk commits that touched the incident's paths and damaged none)."""
    return build_story(result, culprits, **options).incidents


__all__ = ["INCIDENT_COLUMNS", "Story", "build_story", "incidents"]
