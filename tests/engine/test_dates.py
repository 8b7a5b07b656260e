"""Commit dates as git stores them: no commit's metadata ends a command, odd ones are kept raw and flagged."""
from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from conftest import run_cli
from forensics import scan
from forensics.engine.dates import decode_ident, parse_git_date

NOW = 1_750_000_000  # 2025-06-15: a fixed "now" for the future check


@pytest.mark.parametrize("raw, utc, local, flags", [
    ("1315449530 +0200", "2011-09-08T02:38:50Z", "2011-09-08T04:38:50+02:00", ""),
    ("1315449530 +51800", "2011-09-08T02:38:50Z", "2011-09-08T02:38:50+00:00", "offset_out_of_range"),
    ("1315449530 +9999", "2011-09-08T02:38:50Z", "2011-09-08T02:38:50+00:00", "offset_out_of_range"),
    ("1315449530 -0000", "2011-09-08T02:38:50Z", "2011-09-08T02:38:50+00:00", ""),
    ("1315449530 -0930", "2011-09-08T02:38:50Z", "2011-09-07T17:08:50-09:30", ""),
    ("1315449530 +0575", "2011-09-08T02:38:50Z", "2011-09-08T02:38:50+00:00", "offset_out_of_range"),
    ("-31536000 +0100", "1969-01-01T00:00:00Z", "1969-01-01T01:00:00+01:00", "before_1970"),
    ("4102444800 +0000", "2100-01-01T00:00:00Z", "2100-01-01T00:00:00+00:00", "in_future"),
    ("99999999999999 +0000", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00", "unrepresentable"),
    ("", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00", "missing"),
    ("yesterday", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00", "missing"),
])
def test_every_date_shape_git_accepts_parses_and_is_flagged(raw, utc, local, flags):
    got = parse_git_date(raw, now=NOW)
    assert got.utc.strftime("%Y-%m-%dT%H:%M:%SZ") == utc
    assert got.local == local
    assert got.flags == flags
    assert got.raw == raw.strip()


def test_identities_in_odd_encodings_decode_without_losing_a_byte():
    assert decode_ident("Zoë".encode()) == "Zoë"
    assert decode_ident("François".encode("latin-1")) == "François"
    assert "\ufffd" not in decode_ident(bytes(range(128, 256)))


def _fast_import(repo, stream: bytes) -> None:
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet", "--date-format=raw-permissive"],
                   input=stream, check=True)


def test_a_history_of_dates_git_stores_but_iso_refuses_scans_whole(tmp_path):
    """The incident of the issue: one commit with offset +51800 ended every command. Built with
    ``git fast-import`` (raw dates), with a date pandas cannot hold and a Latin-1 name besides."""
    def commit(ident: bytes, n: int) -> bytes:
        body = b"x = %d\n" % n
        return (b"commit refs/heads/main\nauthor " + ident + b"\ncommitter " + ident +
                b"\ndata 4\nmsg\nM 100644 inline a.py\ndata %d\n" % len(body) + body + b"\n")
    stream = (commit(b"A <a@x> 1315449530 +51800", 1) + commit(b"Fran\xe7ois <f@x> -86400 +0100", 2)
              + commit(b"B <b@x> 99999999999999 +0000", 3) + commit(b"C <c@x> 4102444800 +9999", 4))
    _fast_import(tmp_path / "r", stream)
    r = scan(str(tmp_path / "r"), cache=False, progress=False)
    c = r.commits.sort_values("order").reset_index(drop=True)
    assert list(c["authored_at_raw"]) == ["1315449530 +51800", "-86400 +0100", "99999999999999 +0000",
                                         "4102444800 +9999"]
    assert c.loc[0, "authored_at"] == pd.Timestamp("2011-09-08T02:38:50Z")
    assert c.loc[1, "authored_at"] == pd.Timestamp("1969-12-31T00:00:00Z")
    assert c.loc[1, "author"] == "François"
    assert c.loc[0, "date_flag"] == "author_offset_out_of_range;committer_offset_out_of_range"
    assert c.loc[1, "date_flag"] == "author_before_1970;committer_before_1970"
    assert "author_unrepresentable" in c.loc[2, "date_flag"]
    assert "committer_in_future" in c.loc[3, "date_flag"] and "committer_offset_out_of_range" in c.loc[3, "date_flag"]
    assert c["committed_at"].notna().all()


def test_every_command_runs_on_such_a_history(tmp_path):
    stream = (b"commit refs/heads/main\nauthor A <a@x> 1315449530 +51800\ncommitter A <a@x> -5 -0000\n"
              b"data 4\nmsg\nM 100644 inline a.py\ndata 6\nx = 1\n\n")
    _fast_import(tmp_path / "r", stream)
    for cmd in ("scan", "culprits"):
        proc = run_cli(cmd, str(tmp_path / "r"), "--no-cache", "-q")
        assert proc.returncode == 0, (cmd, proc.stderr)
        assert "internal error" not in proc.stderr
