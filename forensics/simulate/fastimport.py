"""Write commits with ``git fast-import``: one process for the whole repository, whatever its size."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import IO

from forensics.engine.git import git_env


def quote_path(path: str) -> bytes:
    raw = path.encode("utf-8", "surrogateescape")
    if all(0x20 < b < 0x7F and b not in (0x22, 0x5C) for b in raw):
        return raw
    out = bytearray(b'"')
    for b in raw:
        if b in (0x22, 0x5C):
            out += b"\\" + bytes([b])
        elif b == 0x0A:
            out += b"\\n"
        elif 0x20 <= b < 0x7F:
            out.append(b)
        else:
            out += b"\\%03o" % b
    out += b'"'
    return bytes(out)


@dataclass
class Identity:
    name: str
    email: str
    tz: str  # "+0200"


@dataclass
class RawHeader:
    """A commit's identities exactly as written: ``author``/``committer`` are ``name <email> epoch tz``
    bytes (any bytes, any epoch, any offset git's ``raw-permissive`` date format takes), ``encoding``
    the commit's declared encoding (``i18n.commitEncoding``), if any."""

    author: bytes
    committer: bytes
    encoding: str | None = None


class FastImport:
    """Streams commits into ``git fast-import`` running in ``repo`` (dates ``raw-permissive``: what git
    stores, checked by nothing, as old importers wrote them)."""

    def __init__(self, repo: str, marks_file: str) -> None:
        self.proc = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet", "--done",
                                      "--date-format=raw-permissive", f"--export-marks={marks_file}"],
                                     stdin=subprocess.PIPE, env=git_env())
        assert self.proc.stdin is not None
        self.out: IO[bytes] = self.proc.stdin

    def _data(self, data: bytes) -> None:
        self.out.write(b"data %d\n" % len(data))
        self.out.write(data)
        self.out.write(b"\n")

    def commit(self, ref: str, mark: int, who: Identity, when: int, message: str, parents: list[int],
               ops: list[tuple[str, str, bytes | None]], raw: RawHeader | None = None) -> None:
        w = self.out.write
        w(f"commit {ref}\nmark :{mark}\n".encode())
        if raw is not None:
            w(b"author " + raw.author + b"\ncommitter " + raw.committer + b"\n")
            if raw.encoding:
                w(f"encoding {raw.encoding}\n".encode())
        else:
            w(f"author {who.name} <{who.email}> {when} {who.tz}\n".encode())
            w(f"committer {who.name} <{who.email}> {when} {who.tz}\n".encode())
        self._data(message.encode())
        if parents:
            w(f"from :{parents[0]}\n".encode())
            for p in parents[1:]:
                w(f"merge :{p}\n".encode())
        for op, path, data in ops:
            if op == "D":
                w(b"D " + quote_path(path) + b"\n")
            else:
                w(b"M 100644 inline " + quote_path(path) + b"\n")
                assert data is not None
                self._data(data)
        w(b"\n")

    def ref(self, ref: str, mark: int) -> None:
        self.out.write(f"reset {ref}\nfrom :{mark}\n\n".encode())

    def close(self) -> None:
        self.out.write(b"done\n")
        self.out.close()
        if self.proc.wait() != 0:
            raise RuntimeError("git fast-import failed")
