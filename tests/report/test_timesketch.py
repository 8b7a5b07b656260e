"""The Timesketch export: every line is a JSON object Timesketch imports as it is (message, datetime in
ISO 8601, timestamp_desc), one line per event of the truth, two per culprit."""
from __future__ import annotations

import json
from datetime import datetime

from conftest import run_cli

KNOWN_DESCS = {"Commit time", "Culprit start", "Culprit end", "Incident start", "Backup written"}


def test_every_line_of_the_timesketch_export_imports(incident, tmp_path):
    out = tmp_path / "timeline.jsonl"
    proc = run_cli("timesketch", incident["repo"], "--out", str(out), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines
    parsed = []
    for n, text in enumerate(lines, 1):
        obj = json.loads(text)
        assert isinstance(obj, dict), n
        for field in ("message", "datetime", "timestamp_desc"):
            assert isinstance(obj[field], str) and obj[field], (n, field)
        when = datetime.fromisoformat(obj["datetime"])
        assert when.utcoffset() is not None, n
        assert obj["timestamp"] == int(when.timestamp() * 1_000_000), n
        assert obj["timestamp_desc"] in KNOWN_DESCS, n
        assert all(not isinstance(v, (dict, list)) for v in obj.values()), n  # flat fields, as Timesketch indexes them
        parsed.append(obj)
    assert [p["timestamp"] for p in parsed] == sorted(p["timestamp"] for p in parsed)

    events = [p for p in parsed if p["data_type"] == "forensics:event"]
    truth_events = {(e["sha"], e["path"], e["event"]) for e in incident["events"]}
    assert len(events) == len(incident["events"])
    assert {(e["sha"], e["path"], e["event"]) for e in events} == truth_events

    culprits = json.loads(run_cli("culprits", incident["repo"], "--no-cache", "-q", "--format", "json").stdout)
    backup_kinds = {"backup_set", "backup_run"}
    starts = [p for p in parsed if p["timestamp_desc"] == "Culprit start"]
    ends = [p for p in parsed if p["timestamp_desc"] == "Culprit end"]
    assert len(starts) == len(ends) == sum(c["kind"] not in backup_kinds and bool(c["committed_at"]) for c in culprits)
    fixer = [c["sha"] for c in incident["commits"] if c["role"] == "fixer"]
    wave = next(p for p in starts if p["kind"] == "wave")
    wave_end = next(p for p in ends if p["kind"] == "wave" and p["sha"] == wave["sha"])
    # a culprit's start and end are its first and last commit
    times = {c["sha"]: c["committed_at"] for c in incident["commits"]}
    assert wave["sha"] == fixer[0]
    assert wave_end["datetime"].replace("+00:00", "Z") == max(times[s] for s in fixer)


def test_every_table_command_speaks_json_jsonl_csv_and_writes_to_a_file(incident, tmp_path):
    import csv

    as_json = json.loads(run_cli("timeline", incident["repo"], "--no-cache", "-q", "--format", "json").stdout)
    out = tmp_path / "timeline.jsonl"
    proc = run_cli("timeline", incident["repo"], "--no-cache", "-q", "--format", "jsonl", "--out", str(out))
    assert proc.returncode == 0 and proc.stdout == ""
    as_jsonl = [json.loads(line) for line in out.read_text().splitlines()]
    assert as_json == as_jsonl
    shas_with_events = {e["sha"] for e in incident["events"]}
    assert {r["sha"] for r in as_json} == shas_with_events
    csv_out = tmp_path / "timeline.csv"
    assert run_cli("timeline", incident["repo"], "--no-cache", "-q", "--format", "csv", "--out", str(csv_out)).returncode == 0
    with open(csv_out, newline="") as fh:
        assert [r["sha"] for r in csv.DictReader(fh)] == [r["sha"] for r in as_json]
    head = json.loads(run_cli("timeline", incident["repo"], "--no-cache", "-q", "--format", "json", "--head", "3").stdout)
    assert head == as_json[:3]
