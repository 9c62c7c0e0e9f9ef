"""`arena sync --import-share DIR`: a programme moves from a file share to PostgreSQL by copying the
share's files to the hub once (what the directory share and the PostgreSQL hub hold is the same sealed
files). Apart from `store.pgshare`, which the sync opens, so neither module imports the other back.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from store import sealed, sync
from store.i18n import ArenaError
from store.pgshare import OPS_NAME, SNAP_NAME, PgShare


@dataclass
class Imported:
    copied: int = 0
    present: int = 0  # already on the hub with the same content (or the same ops): an earlier import
    ignored: int = 0  # not Arena files (a stray document on the share)
    collisions: list[str] = field(default_factory=list)


def import_share(source, target: PgShare, key: bytes) -> Imported:  # noqa: ANN001 -- any Share
    """Copy a file share's marker, ops files, snapshots and snapshot requests to the hub, byte for byte,
    once: a file already there with the same bytes is skipped, so a rerun (or an import stopped half-way)
    copies only what is missing. A name taken by different bytes is a collision unless both decode to the
    same ops (a workstation stopped after writing a file and re-sent its range elsewhere).

    Everything is looked at before anything is written: with one collision nothing is copied (a wrong or
    foreign share must not leave files on the hub that every workstation would then stumble over), and a
    directory without the share's marker (an unmounted share, an empty folder) is refused."""
    result = Imported()
    if not _exists(source, sync.MARKER_FOLDER, sync.MARKER):
        raise ArenaError("sync.not_mounted", path=str(source))
    plan: list[tuple[str, str, bytes]] = []
    for ws in [sync.MARKER_FOLDER] + source.workstations():
        have = target.digests(ws)
        names = [sync.MARKER] if ws == sync.MARKER_FOLDER else source.files(ws)
        for name in names:
            if not (ws == sync.MARKER_FOLDER or OPS_NAME.match(name) or SNAP_NAME.match(name)
                    or sync.REQUEST.match(name)):
                result.ignored += 1
                continue
            try:
                data = source.read(ws, name)
            except sealed.BadFile:  # a folder named like a file: not Arena's, not copied
                result.ignored += 1
                continue
            if have.get(name) == hashlib.sha256(data).digest():
                result.present += 1
            elif name not in have:
                plan.append((ws, name, data))
            elif OPS_NAME.match(name) and _same_ops(key, data, target.read(ws, name), ws, name):
                result.present += 1
            else:
                result.collisions.append(f"{ws}/{name}")
    if result.collisions:
        return result
    for ws, name, data in plan:  # the marker first: the hub is then the same programme's share
        try:
            target.write_once(ws, name, data)
            result.copied += 1
        except FileExistsError:  # another workstation importing the same file at the same moment
            result.collisions.append(f"{ws}/{name}")
    return result


def _exists(share, ws: str, name: str) -> bool:  # noqa: ANN001
    try:
        share.read(ws, name)
    except FileNotFoundError:
        return False
    return True


def _same_ops(key: bytes, ours: bytes, theirs: bytes, ws: str, name: str) -> bool:
    try:
        return sealed.decode_ops(key, ours, ws, name)[1] == sealed.decode_ops(key, theirs, ws, name)[1]
    except sealed.BadFile:
        return False
