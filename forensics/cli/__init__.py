"""The ``forensics`` command: a thin layer over the library. Exit 0 ok, 1 damage found by a check,
2 bad input (one clear line on stderr, no traceback), 3 an internal error (one line; set
``FORENSICS_DEBUG=1`` for the traceback)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Callable

from forensics.errors import ForensicsError


def _scan_options(p: argparse.ArgumentParser, repo_required: bool = False) -> None:
    p.add_argument("repo", nargs=None if repo_required else "?", default=".", metavar="REPO",
                   help="repository (worktree top or bare); default: current directory")
    p.add_argument("--rev", default="HEAD", help="revision to analyse (default HEAD)")
    p.add_argument("--paths", action="append", metavar="PATHSPEC",
                   help="limit to paths matching a git pathspec (repeatable; default '*.py')")
    p.add_argument("--marker", action="append", metavar="REGEX",
                   help="marker regex searched per line (repeatable; replaces the defaults)")
    p.add_argument("--config", metavar="FILE.toml", help="settings file ([tool.forensics] table or top level)")
    p.add_argument("--cache", metavar="DIR", help="cache directory (default $FORENSICS_CACHE or ~/.cache/forensics)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--jobs", type=int, metavar="N", help="processes for judging versions (default: all cores)")
    p.add_argument("--bulk-threshold", type=int, metavar="N", help="changed paths that make a commit bulk (default 50)")
    p.add_argument("--include-backups", action="store_true", default=None,
                   help="treat backup paths as subjects instead of evidence")
    p.add_argument("--since", metavar="DATE", help="only commits after DATE (git's date formats)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.add_argument("--no-compile", action="store_true",
                   help="markers only: do not compile versions (no broke/healed events; fast timeline)")
    p.add_argument("--strict", action="store_true", default=None,
                   help="count Python 2 / newer-Python code that never compiled here as broken (default: legacy, apart)")
    p.add_argument("--signatures-from", action="append", metavar="SHA",
                   help="a culprit (any commit of a wave selects the wave; repeatable): versions that compile, "
                        "carry no marker and carry one of its specific signatures are in state `placeholder`")
    p.add_argument("--python", metavar="PATH",
                   help="judge with the Python interpreter at PATH (e.g. the version the repository declares)")
    p.add_argument("--trust-repo", action="store_true",
                   help="analyse a repository owned by another user (git safe.directory for that path only)")
    p.add_argument("--ignore-repo-config", action="store_true",
                   help="ignore the analysed repository's own [tool.forensics] settings")


def _csv_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--csv", metavar="FILE", help="write the table as CSV to FILE ('-' for stdout; every column)")
    p.add_argument("--format", choices=("table", "csv", "json", "jsonl"),
                   help="output format (default: table on stdout; csv with --csv)")
    p.add_argument("--out", metavar="FILE", help="write the output to FILE instead of stdout")
    p.add_argument("--all-columns", action="store_true",
                   help="print every column, uncut (default: the command's main columns, fitted to the terminal)")
    p.add_argument("--all", action="store_true",
                   help="print every row on a terminal (default: the first 40 of the command's ranking, "
                        "and how many more; files and pipes always get every row)")


def _machine_output(args: argparse.Namespace) -> bool:
    """True when the output is for scripts (CSV, JSON, JSONL): every column, no terminal trimming."""
    return bool(getattr(args, "csv", None)) or getattr(args, "format", None) in ("csv", "json", "jsonl")


def _do_scan(args: argparse.Namespace):
    from forensics.engine.scan import scan

    if args.jobs is not None and args.jobs < 1:
        raise ForensicsError("--jobs must be at least 1")
    if args.bulk_threshold is not None and args.bulk_threshold < 1:
        raise ForensicsError("--bulk-threshold must be at least 1")
    if getattr(args, "head", None) is not None and args.head < 0:
        raise ForensicsError("--head must be 0 or more")
    if getattr(args, "wave_window", None) is not None and not 0 <= args.wave_window < 1e9:
        raise ForensicsError(f"--wave-window must be a number of minutes, 0 or more (got {args.wave_window})")
    cache = False if args.no_cache else args.cache
    result = scan(args.repo, args.rev, paths=args.paths, markers=args.marker, config=args.config, cache=cache,
                  jobs=args.jobs, include_backups=args.include_backups, bulk_threshold=args.bulk_threshold,
                  since=args.since, progress=not args.quiet, check_compile=not args.no_compile,
                  strict=getattr(args, "strict", None), trust_repo=args.trust_repo,
                  repo_config=not args.ignore_repo_config, python=args.python)
    _say_view_notes(result.manifest, args)
    from forensics.engine.settings import repo_settings_note
    from forensics.termtext import printable

    note = repo_settings_note(result.manifest.get("repo_settings"))
    if note and args.command != "scan":   # (scan's own summary has a "repo settings" line)
        # disclosed whatever --quiet says: the evidence chose part of this verdict
        print(printable(f"forensics: note: {note}"), file=sys.stderr)
    since = result.settings.since
    if since and not result.manifest["commits"] and args.command != "scan":
        print(f"forensics: no commit after {since} (--since) up to {args.rev}: the window is empty", file=sys.stderr)
    if getattr(args, "signatures_from", None):
        from forensics.cli.hunt import with_hunted_placeholders

        result = with_hunted_placeholders(result, args)
    return result


def _say_view_notes(manifest: dict, args: argparse.Namespace) -> None:
    """What changed or bounds the view of history (shallow, grafts, rename limit, corrupt objects):
    one line each on stderr, for every command (``scan`` prints them in its summary)."""
    from forensics.engine.view import view_notes

    if args.command == "scan":
        return
    from forensics.termtext import printable

    for _, note in view_notes(manifest):
        print(printable(f"forensics: note: {note}"), file=sys.stderr)


def _emit(df, args: argparse.Namespace, max_rows: int | None = None) -> None:
    """``df`` to where the arguments say: a terminal table shows the top rows (``--head N``, else
    :data:`forensics.report.tables.TERMINAL_ROWS`; ``--all`` every row) and says how many more there
    are; a file, a pipe or a machine format (``--csv``, ``--format``, ``--out``) gets every row unless
    ``--head N`` asks for fewer."""
    from forensics.report.tables import TERMINAL_ROWS, print_table

    fmt = getattr(args, "format", None) or ("csv" if getattr(args, "csv", None) else "table")
    target = getattr(args, "out", None) or (getattr(args, "csv", None) if fmt == "csv" else None) or "-"
    if fmt == "table" and target == "-":
        terminal = sys.stdout.isatty()
        if max_rows is None and terminal and not getattr(args, "all", False):
            max_rows = TERMINAL_ROWS
        print_table(df, max_rows=max_rows, command=getattr(args, "command", None),
                    all_columns=getattr(args, "all_columns", False), hint=terminal)
        return
    from forensics.report.tables import write_table

    write_table(df.head(max_rows) if max_rows is not None else df, target, fmt)
    if target != "-" and not args.quiet:
        print(f"wrote {len(df)} rows to {target}", file=sys.stderr)


def cmd_scan(args: argparse.Namespace) -> int:
    from forensics.engine.declared_python import declared_python_line
    from forensics.engine.view import view_notes

    result = _do_scan(args)
    m = result.manifest
    lines = [
        f"repository      {m['repo']}{'  (bare)' if m['bare'] else ''}",
        f"revision        {args.rev} = {m['rev_sha']}",
        f"commits         {m['commits']}",
        f"versions        {m['versions']} distinct ({m['versions_judged']} judged now, {m['versions_reused']} reused from cache)",
        f"unreadable      {len(m['unreadable_objects'])} objects" + (
            f" (first: {', '.join(m['unreadable_objects'][:3])})" if m["unreadable_objects"] else ""),
        f"events          {m['events']}",
        f"paths in scope  {m['paths_in_scope']}",
        f"damaged now     {m['damaged_now']}",
        f"legacy now      {m.get('legacy_now', 0)}" + ("  (--strict: counted as broken)" if m.get("strict") else
                                                      "  (another dialect's code, never compiled here: not damage)"),
        f"error kinds     {_error_kinds_line(result)}",
        f"interpreter     {m['interpreter']}",
        *([f"declared python {_declared}"] if (_declared := declared_python_line(m.get("declared_python"))) else []),
        *([f"hollowed now    {m['hollowed_now']}  (stubs that compile; by "
           + ", ".join(c['sha'][:12] for c in m.get('hollowing_commits', [])[:3]) + ")"] if m.get("hollowed_now") else []),
        *([f"comment-outs    " + ", ".join(f"prefix {p['prefix']!r} by {p['sha'][:12]} in {p['files']} files"
                                           for p in m.get("comment_prefixes", [])[:3])] if m.get("comment_prefixes") else []),
        f"time            {m['seconds_total']:.2f} s" + ("  (cached scan)" if m.get("from_cache") else ""),
    ]
    if m["shallow"]:
        lines.append("shallow         yes: history stops at the clone's boundary; the first versions there count as additions")
    lines += [f"history view    {note}" for kind, note in view_notes(m) if kind not in ("shallow", "unreadable")]
    if m.get("partial_clone"):
        lines.append("partial clone   yes: objects the clone never fetched are unreadable (counted above); nothing was fetched")
    if m["settings"].get("since"):
        lines.insert(3, f"window          commits after {m['settings']['since']}" + (
            "  (none: the window is empty)" if not m["commits"] else ""))
    repo_settings = m.get("repo_settings") or {}
    if repo_settings.get("applied"):
        applied = ", ".join(f"{k} = {v!r}" for k, v in repo_settings["applied"].items())
        lines.append(f"repo settings   {repo_settings['source']}: {applied}  (--ignore-repo-config to ignore)")
    elif repo_settings.get("ignored"):
        lines.append("repo settings   ignored (--ignore-repo-config)")
    if m.get("cache_problem"):
        lines.append(f"cache           not used: {m['cache_problem']}")
    if not m["renames_detected"]:
        lines.append("renames         not detected: missing objects made git's rename detection fail")
    print("\n".join(lines))
    return 0


def _error_kinds_line(result) -> str:
    from forensics.analyses.error_kinds import error_kind_breakdown

    table = error_kind_breakdown(result)
    now = [f"{r.error_kind} {r.paths_now}" for r in table.itertuples(index=False) if r.error_kind != "*" and r.paths_now]
    return ", ".join(now) + " (paths now)" if now else "none now"


def cmd_timeline(args: argparse.Namespace) -> int:
    from forensics.analyses.timeline import timeline

    result = _do_scan(args)
    df = timeline(result).drop(columns=["order"])
    _emit(df, args, max_rows=args.head)
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from forensics.engine.events import EVENT_COLUMNS

    result = _do_scan(args)
    from forensics.analyses.index import is_masking

    cols = EVENT_COLUMNS[:11] + ["author", "kind", "state_before", "state_after", "error_kind_after"]
    ev = result.events[cols]
    # a `healed` event whose path is still damaged (commented out to compile) is masking, never healing
    ev = ev.assign(masked=[is_masking(e, a) for e, a in zip(ev["event"].astype(str), ev["state_after"])])
    _emit(ev, args, max_rows=args.head)
    return 0


def cmd_census(args: argparse.Namespace) -> int:
    from forensics.analyses.census import census, census_json

    if args.depth < 0:
        raise ForensicsError("--depth must be 0 or more")
    from forensics.engine.tiers import load_tiers

    tiers = load_tiers(args.priority_rules) if (args.by_tier or args.priority_rules) else None
    result = _do_scan(args)
    if args.error_kinds:
        from forensics.analyses.error_kinds import error_kind_breakdown

        _emit(error_kind_breakdown(result), args)
        return 0
    if args.over_time:
        from forensics.analyses.blast import census_over_time
        from forensics.engine.tiers import DEFAULT_TIERS

        _emit(census_over_time(result, tiers or DEFAULT_TIERS, args.depth, freq=args.over_time), args)
        return 0
    table = census(result, depth=args.depth, tiers=tiers)
    if args.json:
        data = census_json(table)
        changed = (result.manifest.get("repo_settings") or {}).get("changed")
        if changed:
            data["repo_settings"] = {"source": result.manifest["repo_settings"].get("source"), "changed": changed}
        print(json.dumps(data, indent=2))
    else:
        _emit(table, args)
    return 0


def cmd_culprits(args: argparse.Namespace) -> int:
    from forensics.analyses.culprits import culprits

    result = _do_scan(args)
    if args.wave_span <= 0:
        raise ForensicsError("--wave-span must be more than 0")
    table = culprits(result, args.bulk_threshold, args.wave_window, args.wave_min_damaged,
                     breaker_min_damaged=args.breaker_min_damaged, wave_span=args.wave_span,
                     worktree_backups=result.worktree_backups() if args.worktree_backups else None)
    _emit(table, args)
    return 0


def cmd_restore_list(args: argparse.Namespace) -> int:
    from forensics.analyses.restore_list import lost_edits, restore_list
    from forensics.engine.tiers import load_tiers

    tiers = load_tiers(args.priority_rules)
    result = _do_scan(args)
    plan = restore_list(result, tiers)
    _emit(plan, args)
    if args.edits_csv:
        from forensics.report.tables import write_table

        edits = lost_edits(result, plan)
        write_table(edits, args.edits_csv, "csv")
        if not args.quiet:
            print(f"wrote {len(edits)} later edits a restore would lose to {args.edits_csv}", file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from forensics.restore.apply import restore
    from forensics.termtext import one_line

    outcomes = restore(args.repo, args.plan, apply=args.apply, force=args.force, branch=args.branch,
                       use_unmask=args.unmask, backup_dir=args.backup_dir, log=args.log)
    width = max((len(one_line(o.path)) for o in outcomes), default=10)
    for o in outcomes:
        if args.quiet and o.action in ("restored", "already restored", "would restore"):
            continue
        health = "" if o.compiles is None else (
            f"  +{o.added} -{o.removed}  compiles={'yes' if o.compiles else 'NO'} markers={o.markers}")
        print(f"{o.action:16} {one_line(o.path):{width}}{health}  {one_line(o.detail)}".rstrip())
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.action] = counts.get(o.action, 0) + 1
    print(", ".join(f"{n} {a}" for a, n in counts.items()) + ("" if args.apply else "  (dry run: pass --apply)"),
          file=sys.stderr)
    return 1 if counts.get("refused") or counts.get("failed") or counts.get("not committed") else 0


def cmd_blast_radius(args: argparse.Namespace) -> int:
    from forensics.analyses.blast import blast_radius, culprit_shas
    from forensics.engine.tiers import load_tiers

    if args.depth < 0:
        raise ForensicsError("--depth must be 0 or more")
    tiers = load_tiers(args.priority_rules)
    result = _do_scan(args)
    shas = None
    if args.culprit:
        sha = result.repo.resolve(args.culprit)
        if sha not in set(result.commits["sha"]):
            raise ForensicsError(f"commit {args.culprit} is not in the history of {args.rev}")
        shas = culprit_shas(result, sha)
    _emit(blast_radius(result, tiers, args.depth, shas), args)
    return 0


def cmd_dependents(args: argparse.Namespace) -> int:
    from forensics.analyses.dependents import dependents, jobs_summary

    result = _do_scan(args)
    deps = dependents(result)
    _emit(deps, args)
    if not _machine_output(args) and not getattr(args, "out", None):
        print()
        _emit(jobs_summary(deps), args)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from forensics.report.run import run_report

    overrides = {"paths": args.paths, "markers": args.marker, "title": args.title,
                 "cache": "" if args.no_cache else args.cache, "priority_rules": args.priority_rules,
                 "ignore_repo_config": True if args.ignore_repo_config else None, "suspects": args.suspect,
                 "since": args.since, "until": args.until}
    status, html, message = run_report(args.repo, args.out, rev=args.rev, params_file=args.parameters,
                                       overrides=overrides, cell_timeout=args.cell_timeout, progress=not args.quiet)
    if status or not args.quiet:
        print(message, file=sys.stderr if status else sys.stdout)
    try:
        note = json.loads((html.parent / "report.json").read_text()).get("repo_settings") if status == 0 else ""
    except (OSError, ValueError):
        note = ""
    if note:           # disclosed whatever --quiet says (the page's header and report.json have it too)
        from forensics.termtext import printable

        print(printable(f"forensics: note: {note}"), file=sys.stderr)
    return status


def cmd_guard(args: argparse.Namespace) -> int:
    from forensics.guard.guard import guard, install_hook

    if args.install:
        hook = install_hook(args.repo)
        print(f"installed {hook}")
        return 0
    from forensics.termtext import printable

    findings = guard(args.repo, files=args.files or None, rev_range=args.range, mass_threshold=args.mass_threshold,
                     markers=args.marker, paths=args.paths, config=args.config, allow_backups=args.allow_backups,
                     repo_config=not args.ignore_repo_config)
    for f in findings:
        print(f)
    if findings:
        print(f"forensics guard: {len(findings)} problem{'s' if len(findings) != 1 else ''} found; nothing was changed",
              file=sys.stderr)
        return 1
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    from forensics.guard.manifest import create_manifest, verify_manifest

    if args.action == "create":
        path, n = create_manifest(args.repo, args.file, paths=args.paths, markers=args.marker)
        print(f"wrote {path}: {n} protected files")
        return 0
    from forensics.termtext import one_line

    problems = verify_manifest(args.repo, args.file, markers=args.marker)
    for p in problems:
        print(one_line(p))
    if problems:
        print(f"forensics manifest: {len(problems)} protected files changed, missing or damaged", file=sys.stderr)
        return 1
    print("all protected files unchanged")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from forensics.simulate import simulate

    if args.scale < 1:
        raise ForensicsError("--scale must be at least 1")
    t = time.perf_counter()
    truth = simulate(args.dir, seed=args.seed, scale=args.scale, force=args.force, preset=args.preset)
    print(f"built {truth['repo']} ({truth['counts']['commits']} commits, {truth['counts']['paths_at_head']} "
          f"Python paths at HEAD, {truth['counts']['damaged_at_head']} damaged) and {truth['truth_file']} "
          f"in {time.perf_counter() - t:.1f} s")
    return 0


# Commands that live in their own module, forensics/cli/<name>.py, each with
# ``register(sub: argparse._SubParsersAction) -> None`` that adds its parsers (use the helpers above:
# _scan_options, _csv_option, _do_scan, _emit). One line per module keeps this file small.
# ``forensics --help`` lists commands in the order they are registered (the README's order): the
# story's modules come after ``culprits``, the interoperability ones last.
STORY_MODULES: tuple[str, ...] = ("incidents", "summary", "suspect", "signatures", "hunt")
LAST_MODULES: tuple[str, ...] = ("interop",)
COMMAND_MODULES: tuple[str, ...] = STORY_MODULES + LAST_MODULES


def _register_command_modules(sub, names: tuple[str, ...] = COMMAND_MODULES) -> None:
    import importlib

    for name in names:
        importlib.import_module(f"forensics.cli.{name}").register(sub)


def build_parser() -> argparse.ArgumentParser:
    from forensics import __version__

    parser = argparse.ArgumentParser(prog="forensics", description="Investigate bulk damage in git repositories.")
    parser.add_argument("--version", action="version", version=f"forensics {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("scan", help="mine the history and print a summary")
    _scan_options(p)
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("timeline", help="one row per commit with at least one event")
    _scan_options(p)
    _csv_option(p)
    p.add_argument("--head", type=int, metavar="N", help="only the first N rows (terminal, files and pipes)")
    p.set_defaults(func=cmd_timeline)

    p = sub.add_parser("events", help="one row per (commit, path, event)")
    _scan_options(p)
    _csv_option(p)
    p.add_argument("--head", type=int, metavar="N", help="only the first N rows (terminal, files and pipes)")
    p.set_defaults(func=cmd_events)

    p = sub.add_parser("census", help="state of every path in scope at a revision, by directory")
    _scan_options(p)
    _csv_option(p)
    p.add_argument("--depth", type=int, default=2, help="directory depth to group by (default 2)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--by-tier", action="store_true", help="one row per priority tier instead of per directory")
    p.add_argument("--priority-rules", metavar="FILE.toml", help="priority tier rules (with --by-tier)")
    p.add_argument("--over-time", choices=["day", "commit"],
                   help="damaged and total paths per directory and tier at the end of each UTC day, or after "
                        "each first-parent commit")
    p.add_argument("--error-kinds", action="store_true",
                   help="one row per compile-error kind (paths now, damaged, legacy, versions, damaging events)")
    p.set_defaults(func=cmd_census)

    p = sub.add_parser("culprits", help="bulk commits, waves, breakers, scripts and backup sets")
    _scan_options(p)
    _csv_option(p)
    p.add_argument("--wave-window", type=float, default=30, metavar="MIN",
                   help="most minutes between a wave's commits (default 30)")
    p.add_argument("--wave-min-damaged", type=int, default=20, metavar="N",
                   help="paths a wave must damage to be reported (default 20)")
    p.add_argument("--breaker-min-damaged", type=int, default=3, metavar="N",
                   help="paths another commit must damage to be reported as a breaker (default 3)")
    p.add_argument("--wave-span", type=float, default=120, metavar="MIN",
                   help="most minutes a wave lasts; a longer burst is split (default 120)")
    p.add_argument("--worktree-backups", action="store_true",
                   help="also count backup copies found in the worktree (never read or written)")
    p.set_defaults(func=cmd_culprits)
    _register_command_modules(sub, STORY_MODULES)

    p = sub.add_parser("blast-radius", help="damage by directory and tier, at a revision or for one culprit")
    _scan_options(p)
    _csv_option(p)
    p.add_argument("--culprit", metavar="SHA", help="a commit, or any commit of a wave (the whole wave is taken)")
    p.add_argument("--depth", type=int, default=2, help="directory depth (default 2)")
    p.add_argument("--priority-rules", metavar="FILE.toml", help="priority tier rules (replace the shipped P0-P4)")
    p.set_defaults(func=cmd_blast_radius)

    p = sub.add_parser("dependents", help="per CI job: what triggers it, what its pytest collects, its verdict")
    _scan_options(p)
    _csv_option(p)
    p.set_defaults(func=cmd_dependents)

    p = sub.add_parser("restore-list", help="one row per damaged path: what to restore, from where, what it loses")
    _scan_options(p)
    _csv_option(p)
    p.add_argument("--priority-rules", metavar="FILE.toml", help="priority tier rules (replace the shipped P0-P4)")
    p.add_argument("--edits-csv", metavar="FILE",
                   help="write the later edits a restore would lose to FILE, one row per (path, commit)")
    p.set_defaults(func=cmd_restore_list)

    p = sub.add_parser("restore", help="dry-run or apply a restore plan (a restore-list CSV)")
    p.add_argument("repo", nargs="?", default=".", metavar="REPO")
    p.add_argument("--plan", required=True, metavar="CSV", help="the CSV written by `forensics restore-list --csv`")
    p.add_argument("--apply", action="store_true", help="write the files (default: dry run)")
    p.add_argument("--force", action="store_true", help="overwrite targets with uncommitted changes (saved first)")
    p.add_argument("--branch", metavar="NAME", help="commit the restored files on a new branch")
    p.add_argument("--unmask", action="store_true", help="strip markers where no healthy source exists")
    p.add_argument("--backup-dir", metavar="DIR", help="overwritten files are saved in DIR/RUN, a new folder per run (default .git/forensics/restore-backups)")
    p.add_argument("--log", metavar="CSV", help="restore log (default .git/forensics/restore-log.csv)")
    p.add_argument("--quiet", "-q", action="store_true", help="print only files that were not restored")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("report", help="run the papermill notebooks and write DIR/incident_report.html plus the CSVs")
    p.add_argument("repo", nargs="?", default=".", metavar="REPO")
    p.add_argument("--rev", default=None, help="revision (default HEAD, or the parameter file's)")
    p.add_argument("--out", metavar="DIR", help="output directory, never inside the analysed repository (default "
                   "$FORENSICS_REPORTS/<repo>, else ~/.local/share/forensics/reports/<repo>)")
    p.add_argument("-f", "--parameters", metavar="PARAMS.yaml", help="notebook parameters (papermill YAML)")
    p.add_argument("--paths", action="append", metavar="PATHSPEC")
    p.add_argument("--marker", action="append", metavar="REGEX")
    p.add_argument("--title", help="page title")
    p.add_argument("--priority-rules", metavar="FILE.toml")
    p.add_argument("--cache", metavar="DIR")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--cell-timeout", type=int, default=900, metavar="S", help="seconds per notebook cell (default 900)")
    p.add_argument("--ignore-repo-config", action="store_true",
                   help="ignore the analysed repository's own [tool.forensics] settings")
    p.add_argument("--suspect", action="append", metavar="NAME|SHA|AUTHOR|REGEX",
                   help="add the verdict on a suspect to the summary and report.json (repeatable)")
    p.add_argument("--since", metavar="DATE", help="the report's window starts here (ISO 8601; the notebook's since)")
    p.add_argument("--until", metavar="DATE", help="the report's window ends here (ISO 8601; the notebook's until)")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("guard", help="refuse staged changes (or FILES, or --range A..B) that add damage")
    p.add_argument("files", nargs="*", metavar="FILES", help="check these worktree files instead of the staged changes")
    p.add_argument("--repo", default=".", help="repository (default: current directory)")
    p.add_argument("--range", metavar="A..B", help="check the commits in a range (CI)")
    p.add_argument("--mass-threshold", type=int, default=50, metavar="N",
                   help="refuse more than N files sharing one line transformation (default 50; 0 disables)")
    p.add_argument("--marker", action="append", metavar="REGEX")
    p.add_argument("--paths", action="append", metavar="PATHSPEC")
    p.add_argument("--config", metavar="FILE.toml")
    p.add_argument("--allow-backups", action="store_true", help="accept backup copies (*.bak, *.backup_*) in the change")
    p.add_argument("--ignore-repo-config", action="store_true",
                   help="use no [tool.forensics] from the repository (by default HEAD's, or with --range the base's: "
                        "never the checked commits')")
    p.add_argument("--install", action="store_true", help="install a plain git pre-commit hook (keeps any existing one)")
    p.set_defaults(func=cmd_guard)

    p = sub.add_parser("manifest", help="SHA-256 manifest of protected files: create, or verify")
    p.add_argument("action", choices=["create", "verify"])
    p.add_argument("repo", nargs="?", default=".", metavar="REPO")
    p.add_argument("--file", default=".forensics-manifest.json", metavar="F",
                   help="manifest file, relative to REPO (default .forensics-manifest.json)")
    p.add_argument("--paths", action="append", metavar="PATHSPEC", help="files to protect (default: the healthy *.py)")
    p.add_argument("--marker", action="append", metavar="REGEX")
    p.set_defaults(func=cmd_manifest)

    p = sub.add_parser("simulate", help="build the deterministic demo incident repository and its truth manifest")
    p.add_argument("dir", metavar="DIR", help="output directory: DIR/repo and DIR/truth.json")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--scale", type=int, default=1, help="grow files and commits for benchmarks "
                   "(realistic: about 1,750 commits per unit of scale)")
    p.add_argument("--preset", choices=("demo", "realistic", "legacy"), default="demo",
                   help="demo: the small demo incident (default); realistic: a noisy history with three incidents; "
                        "legacy: a long-lived project with a Python 2 era, its port, odd dates and no incident")
    p.add_argument("--force", action="store_true", help="replace an existing DIR")
    p.set_defaults(func=cmd_simulate)
    _register_command_modules(sub, LAST_MODULES)
    return parser


# Third-party stacks the guard does not need, and the extra that installs each (see pyproject.toml).
_OPTIONAL_STACKS = {
    "pandas": "analysis", "pyarrow": "analysis", "pydriller": "analysis", "yaml": "analysis", "tqdm": "analysis",
    "plotly": "report", "papermill": "report", "nbconvert": "report", "nbformat": "report",
    "ipykernel": "report", "itables": "report", "dask": "fleet", "distributed": "fleet",
}


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ForensicsError as exc:
        print(f"forensics: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _OPTIONAL_STACKS:
            raise
        extra = _OPTIONAL_STACKS[(exc.name or "").split(".")[0]]
        print(f"forensics: error: `forensics {args.command}` needs the {extra!r} extra ({exc.name} is not installed): "
              f"pip install 'forensics[{extra}]' (or 'forensics[all]')", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("forensics: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback, unless asked
        if os.environ.get("FORENSICS_DEBUG"):
            raise
        print(f"forensics: internal error: {type(exc).__name__}: {exc} (FORENSICS_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    raise SystemExit(main())
