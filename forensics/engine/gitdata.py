"""git's data formats, without running git: the text form of a path, its bytes, a blob's id.
Analyses use these; only :mod:`forensics.engine.git` runs git."""
from __future__ import annotations

import hashlib

NULL_SHA = "0" * 40


def is_null_sha(sha: str) -> bool:
    """git's all-zero id ("no object"), in SHA-1 (40) or SHA-256 (64) repositories."""
    return bool(sha) and not sha.strip("0")

def display_path(path: str) -> str:
    """The text form of a path in every table: itself when it is valid UTF-8, else git's C-quoted form
    (``"src/caf\\351.py"``, quotes included), which is reversible and safe for pandas and Parquet.
    ``path`` is the raw bytes decoded with ``surrogateescape``."""
    if not path.startswith('"') and not any("\udc80" <= ch <= "\udcff" for ch in path):
        return path
    out = ['"']
    for b in path.encode("utf-8", "surrogateescape"):
        if b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\%03o" % b)
    out.append('"')
    return "".join(out)


def path_bytes(display: str) -> bytes:
    """Inverse of :func:`display_path`: the path's bytes."""
    if not (display.startswith('"') and display.endswith('"') and len(display) >= 2):
        return display.encode("utf-8")
    body, out, i = display[1:-1], bytearray(), 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt.isdigit():
                out.append(int(body[i + 1:i + 4], 8))
                i += 4
                continue
            out += nxt.encode()
            i += 2
            continue
        out += ch.encode("utf-8")
        i += 1
    return bytes(out)


def blob_id(data: bytes, object_format: str = "sha1") -> str:
    """The id git gives a blob with these bytes in a repository of ``object_format`` (``sha1`` or
    ``sha256``, as ``git rev-parse --show-object-format`` prints it)."""
    if object_format not in ("sha1", "sha256"):
        raise ValueError(f"unknown object format {object_format!r}")
    return hashlib.new(object_format, b"blob %d\0" % len(data) + data).hexdigest()
