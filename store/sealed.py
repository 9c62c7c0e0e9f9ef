"""The sealed files on the share: the one AES-GCM codec for everything a workstation writes there.

Three kinds, one way of sealing (AES-GCM under the programme key, a fresh 12-byte nonce per sealed part,
the file's magic and header bound as associated data, so a file cannot be swapped, renamed, cut short or
replayed unnoticed):

- the share's marker and the snapshot requests: `MARKER_MAGIC`, a nonce, one sealed JSON object;
- ops files `<first>-<last>.ops`: magic, header (workstation, sequence range, count), one sealed,
  compressed JSON list of change-log entries;
- snapshots `snapshot-<covered>.snap`: magic, header (workstation, version vector, counts), then frames of
  at most FRAME_OPS entries, each sealed with the header and its index.

Anything that must not be applied raises `BadFile`. This module knows the bytes only: no database, no
share; `cryptography` is imported when a file is sealed or opened, not at start-up.
"""
from __future__ import annotations

import json
import os
import re
import struct
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from store import changes
from store.i18n import Key, t

MARKER_MAGIC = b"ARENA-SHARE-1\n"
OPS_MAGIC = b"ARENA-OPS-1\n"
SNAPSHOT_MAGIC = b"ARENA-SNAP-1\n"
OPS_NAME = re.compile(r"^(\d{12})-(\d{12})\.ops$")
SNAPSHOT_NAME = re.compile(r"^snapshot-(\d{12})(?:-(\d{12}))?\.snap$")  # covered[-base]: a delta
ENTRY_KEYS = {"op", "ws", "seq", "hlc", "tbl", "row", "kind", "changes", "at", "by"}
FRAME_OPS = 20_000
NONCE = 12


class BadFile(Exception):
    """A file that must not be applied: damaged, truncated, foreign, renamed or replayed. `reason` is a
    catalog key (`bad.…`): the problem line and the quarantine say it in the reader's language."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = Key(reason)

    def __str__(self) -> str:
        return t(self.reason)


def _aead(key: bytes) -> Any:  # noqa: ANN401 -- AESGCM, imported late
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _seal(aead: Any, plain: bytes, bound: bytes) -> bytes:  # noqa: ANN401
    """Nonce and ciphertext of `plain`, authenticated together with `bound`."""
    nonce = os.urandom(NONCE)
    return nonce + aead.encrypt(nonce, plain, bound)


def _open(aead: Any, nonce: bytes, sealed: bytes, bound: bytes) -> bytes:  # noqa: ANN401
    from cryptography.exceptions import InvalidTag

    try:
        return bytes(aead.decrypt(nonce, sealed, bound))
    except InvalidTag as error:
        raise BadFile("bad.decrypt") from error


def _pack(entries: list[dict]) -> bytes:
    return zlib.compress(json.dumps(entries, ensure_ascii=False, sort_keys=True).encode(), 6)


def _unpack(body: bytes) -> Any:  # noqa: ANN401 -- JSON
    try:
        return json.loads(zlib.decompress(body))
    except (zlib.error, ValueError) as error:
        raise BadFile("bad.content") from error


def _with_header(magic: bytes, header: dict) -> tuple[bytes, bytes]:
    """The file's start (magic, header length, header) and the header's bytes."""
    header_bytes = json.dumps(header, sort_keys=True).encode()
    return magic + struct.pack(">I", len(header_bytes)) + header_bytes, header_bytes


def _header_of(data: bytes, magic: bytes, minimum: int, what: str) -> tuple[dict, bytes, int]:
    """The header, its bytes and where the body starts."""
    if not data.startswith(magic) or len(data) < len(magic) + 4 + minimum:
        raise BadFile("bad.truncated_" + what)
    start = len(magic) + 4
    (size,) = struct.unpack(">I", data[len(magic):start])
    header_bytes = data[start:start + size]
    try:
        header = json.loads(header_bytes)
    except ValueError as error:
        raise BadFile("bad.header") from error
    if not isinstance(header, dict):
        raise BadFile("bad.header")
    return header, header_bytes, start + size


# ------------------------------------------------------------------------------- marker and requests

def seal_note(key: bytes, payload: dict) -> bytes:
    """A small sealed JSON object: the share's marker, a request for a snapshot."""
    return MARKER_MAGIC + _seal(_aead(key), json.dumps(payload).encode(), MARKER_MAGIC)


def open_note(key: bytes, data: bytes) -> dict:
    if not data.startswith(MARKER_MAGIC):
        raise BadFile("bad.marker")
    at = len(MARKER_MAGIC)
    try:
        payload = json.loads(_open(_aead(key), data[at:at + NONCE], data[at + NONCE:], MARKER_MAGIC))
    except BadFile as error:
        raise BadFile("bad.key") from error
    except ValueError as error:
        raise BadFile("bad.content") from error
    if not isinstance(payload, dict):
        raise BadFile("bad.content")
    return payload


# ------------------------------------------------------------------------------------------ ops files

def ops_file_name(first: int, last: int) -> str:
    return f"{first:012d}-{last:012d}.ops"


def encode_ops(key: bytes, workstation: str, first: int, last: int, ops: list[dict]) -> bytes:
    start, header_bytes = _with_header(OPS_MAGIC, {"v": 1, "ws": workstation, "first": first, "last": last,
                                                   "count": len(ops)})
    return start + _seal(_aead(key), _pack(ops), OPS_MAGIC + header_bytes)


def decode_ops(key: bytes, data: bytes, workstation: str, name: str) -> tuple[dict, list[dict]]:
    match = OPS_NAME.match(name)
    if not match:
        raise BadFile("bad.name")
    header, header_bytes, at = _header_of(data, OPS_MAGIC, NONCE + 16, "file")
    if header.get("ws") != workstation:
        raise BadFile("bad.foreign")
    if (header.get("first"), header.get("last")) != (int(match[1]), int(match[2])):
        raise BadFile("bad.range")
    ops = _unpack(_open(_aead(key), data[at:at + NONCE], data[at + NONCE:], OPS_MAGIC + header_bytes))
    seqs = [op.get("seq") for op in ops] if isinstance(ops, list) and all(isinstance(op, dict) for op in ops) else None
    if seqs is None or len(ops) != header.get("count") or seqs != list(range(header["first"], header["last"] + 1)) \
            or any(op.get("ws") != workstation for op in ops):
        raise BadFile("bad.mismatch")
    return header, ops


# ------------------------------------------------------------------------------------------ snapshots

def snapshot_name(covered: int, base: int | None = None) -> str:
    """`snapshot-<covered>.snap` holds everything up to its vector; `snapshot-<covered>-<base>.snap` (a
    delta) only what its base snapshot, named in its header, did not."""
    return f"snapshot-{covered:012d}.snap" if base is None else f"snapshot-{covered:012d}-{base:012d}.snap"


def encode_snapshot(key: bytes, workstation: str, covered: dict[str, int], entries: Iterable[dict],
                    base: tuple[str, dict[str, int]] | None = None) -> bytes:
    """Frames of at most FRAME_OPS entries, each sealed with the header and its index, so a file cut
    short, frames swapped or a header edited all fail to decrypt. A delta names its base snapshot (the
    same workstation's) and that one's vector: it holds only the entries past it."""
    plain: list[bytes] = []
    chunk: list[dict] = []
    count = 0
    for entry in entries:
        chunk.append(entry)
        count += 1
        if len(chunk) == FRAME_OPS:
            plain.append(_pack(chunk))
            chunk = []
    if chunk or not plain:
        plain.append(_pack(chunk))
    header = {"v": 1, "ws": workstation, "vector": covered, "covered": sum(covered.values()), "count": count,
              "frames": len(plain)}
    if base is not None:
        header.update({"base": base[0], "base_vector": base[1]})
    start, header_bytes = _with_header(SNAPSHOT_MAGIC, header)
    aead = _aead(key)
    out = [start]
    for index, body in enumerate(plain):
        sealed = _seal(aead, body, SNAPSHOT_MAGIC + header_bytes + struct.pack(">I", index))
        out += [struct.pack(">I", len(sealed) - NONCE), sealed]
    return b"".join(out)


def decode_snapshot(key: bytes, data: bytes, workstation: str, name: str) -> tuple[dict, Iterator[list[dict]]]:
    """Check the header now; decrypt and check the frames as they are read (raising BadFile)."""
    match = SNAPSHOT_NAME.match(name)
    if not match:
        raise BadFile("bad.name")
    header, header_bytes, start = _header_of(data, SNAPSHOT_MAGIC, 0, "snapshot")
    try:
        covered = {str(ws): int(seq) for ws, seq in header["vector"].items()}
        frames, count = int(header["frames"]), int(header["count"])
        below = {str(ws): int(seq) for ws, seq in header.get("base_vector", {}).items()}
        base_name = str(header["base"]) if match[2] else None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BadFile("bad.header") from error
    if match[2] and (sum(below.values()) != int(match[2]) or not SNAPSHOT_NAME.match(base_name or "")):
        raise BadFile("bad.renamed")
    if not match[2] and "base" in header:
        raise BadFile("bad.renamed")
    if header.get("ws") != workstation:
        raise BadFile("bad.snapshot_foreign")
    if sum(covered.values()) != int(match[1]) or header.get("covered") != int(match[1]):
        raise BadFile("bad.renamed")

    def frames_of() -> Iterator[list[dict]]:
        aead = _aead(key)
        at, seen = start, 0
        for index in range(frames):
            if at + 4 > len(data):
                raise BadFile("bad.truncated")
            (length,) = struct.unpack(">I", data[at:at + 4])
            nonce, sealed = data[at + 4:at + 4 + NONCE], data[at + 4 + NONCE:at + 4 + NONCE + length]
            at += 4 + NONCE + length
            entries = _unpack(_open(aead, nonce, sealed, SNAPSHOT_MAGIC + header_bytes + struct.pack(">I", index)))
            for entry in entries:
                if not ENTRY_KEYS <= entry.keys() or entry["seq"] > covered.get(entry["ws"], 0) \
                        or entry["seq"] <= below.get(entry["ws"], 0) \
                        or entry["tbl"] not in changes.SYNCED or entry["kind"] not in ("upsert", "delete"):
                    raise BadFile("bad.mismatch")
            seen += len(entries)
            yield entries
        if seen != count or at != len(data):
            raise BadFile("bad.mismatch")

    return header, frames_of()
