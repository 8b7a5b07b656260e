"""git's data formats, without running git: the text form of a path, its bytes, a blob's id.
Analyses use these; only :mod:`forensics.engine.git` runs git."""
from __future__ import annotations

import codecs
import hashlib
import re
from typing import Callable, NamedTuple

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


class CommitText(NamedTuple):
    """What ``git log --format='%an %ae %ad %cn %ce %cd %s' --date=raw --encoding=UTF-8`` prints
    of one commit, read from its raw object instead: the dates are ``<epoch> <offset>`` as stored
    ("" when the ident has none)."""

    author: str
    author_email: str
    authored_raw: str
    committer: str
    committer_email: str
    committed_raw: str
    subject: str


_SPACE = b" \t\n\r"


def _ident(line: bytes) -> tuple[bytes, bytes, str]:
    """(name, email, raw date) of an ident line's value, split as git's ``split_ident_line`` does:
    the name ends before the first ``<``, the email at the next ``>``, the date follows the last ``>``.
    The date is what ``--date=raw`` prints (``<epoch> %+05d`` of the offset, so ``-0000`` is
    ``+0000``); where git prints none (a negative epoch, no offset) it is the text as stored, as
    :func:`forensics.engine.dates.ident_date` reads it, or ""."""
    lt = line.find(b"<")
    gt = line.find(b">", lt + 1) if lt >= 0 else -1
    if gt < 0:
        return b"", b"", ""
    name, email = line[:lt].rstrip(_SPACE), line[lt + 1:gt]
    m = _GIT_DATE.match(line, line.rfind(b">") + 1)
    if m:
        epoch, tz = int(m.group(1)), int(m.group(2))
        epoch = 0 if epoch >= 2 ** 63 - 1 else epoch       # git's date_overflows
        tz = 0 if not -(2 ** 31) < tz < 2 ** 31 - 1 else tz
        return name, email, f"{epoch} {tz:+05d}"
    stored = _STORED_DATE.search(line)
    date = " ".join(g.decode("ascii") for g in stored.groups() if g is not None) if stored else ""
    return name, email, date


_GIT_DATE = re.compile(rb"[ \t\n\r]*(\d+)[ \t\n\r]*([+-]\d+)")
_STORED_DATE = re.compile(rb"> *(-?\d+)(?: +([+-]?\d+))? *$")


def _subject(message: bytes) -> bytes:
    """git's ``%s``: the first paragraph (after leading blank lines), its lines stripped at the end
    and joined with spaces; the message ends at a NUL, as it does for git."""
    message = message.split(b"\0", 1)[0]
    lines: list[bytes] = []
    for line in message.split(b"\n"):
        line = line.rstrip(_SPACE)
        if not line:
            if lines:
                break
            continue
        lines.append(line)
    return b" ".join(lines)


# Python codecs that are no character set (git's iconv knows none of them): their "decoding" would
# interpret the commit's text (``\\x1b`` becoming an escape character), not re-encode it
_NOT_CHARSETS = {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "utf_8"}


def _charset(name: str) -> str | None:
    """The Python codec of a commit's ``encoding`` header when it is a character set other than
    UTF-8, else None (UTF-8, unknown, or no character set)."""
    if not name:
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in _NOT_CHARSETS:
        return None
    return info.name


def parse_commit(data: bytes, decode: Callable[[bytes], str]) -> CommitText:
    """The text of a raw commit object (``git cat-file commit``). A header line is ``key value``
    up to the first empty line; continuation lines (a signature's) start with a space and are never
    a header; where a key repeats, the last counts, as for git. Text is re-encoded from the commit's
    ``encoding`` header when Python knows it and the bytes fit it, else ``decode`` reads the bytes
    (as git prints them when it cannot re-encode)."""
    head, _, message = data.partition(b"\n\n")
    fields: dict[bytes, bytes] = {}
    for line in head.split(b"\n"):
        if line[:1] == b" ":
            continue
        key, _, value = line.partition(b" ")
        fields[key] = value
    encoding = fields.get(b"encoding", b"").decode("ascii", "replace").strip()

    codec = _charset(encoding)

    def text(raw: bytes) -> str:
        if codec is not None:
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                pass
        return decode(raw)

    an, ae, ad = _ident(fields.get(b"author", b""))
    cn, ce, cd = _ident(fields.get(b"committer", b""))
    return CommitText(text(an), text(ae), ad, text(cn), text(ce), cd, text(_subject(message)))
