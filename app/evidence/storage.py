"""Evidence, bytes: a content-addressed store on the local filesystem (one file per SHA-256).

Paths are built from the hex digest alone, so nothing a client sends (a file name, a path)
can ever take part in one, and the same bytes are kept once however often they are sent.
"""

import hashlib
import os
import re
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.evidence.sniffing import HEAD_BYTES

_CHUNK = 1024 * 1024
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class TooLarge(Exception):
    """The stream went past the size limit; nothing was kept."""


@dataclass
class Staged:
    """A received file, hashed and waiting in the store's own temporary folder."""

    path: Path
    sha256: str
    size: int
    head: bytes


@dataclass(frozen=True)
class Kept:
    """What keep() did: placed the bytes itself (and left which inode, at which time), or found them."""

    sha256: str
    created: bool
    stamp: tuple[int, int] = (0, 0)  # (st_ino, st_mtime_ns) right after it was placed


class LocalEvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def path_for(self, sha256: str) -> Path:
        if not _DIGEST.fullmatch(sha256):
            raise ValueError("not a SHA-256 hex digest")
        path = self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256
        # The digest check already rules it out; kept so a future change cannot slip past.
        if not path.resolve().is_relative_to(self.root):
            raise ValueError("evidence path outside the store")
        return path

    def stage(self, stream: BinaryIO, *, max_bytes: int) -> Staged:
        """Copy a stream into a temporary file while hashing it; TooLarge past `max_bytes`."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        digest, size, head = hashlib.sha256(), 0, bytearray()
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge()
                    if len(head) < HEAD_BYTES:
                        head += chunk[:HEAD_BYTES - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Staged(path=Path(name), sha256=digest.hexdigest(), size=size, head=bytes(head))

    def keep(self, staged: Staged) -> Kept:
        """Move a staged file to its address; when the bytes are already there, drop the copy."""
        target = self.path_for(staged.sha256)
        if self._rely_on(target) and self.digest_of(staged.sha256) == staged.sha256:
            staged.path.unlink(missing_ok=True)
            return Kept(staged.sha256, created=False)
        # A missing or damaged copy is replaced: the new bytes are known to have this hash.
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged.path, 0o444)
        os.replace(staged.path, target)
        placed = target.stat()
        return Kept(staged.sha256, created=True, stamp=(placed.st_ino, placed.st_mtime_ns))

    @staticmethod
    def _rely_on(target: Path) -> bool:
        """Tell forget() that another upload now counts on this file: its mtime moves forward."""
        try:
            found = target.stat()
            os.utime(target, ns=(found.st_atime_ns, max(time.time_ns(), found.st_mtime_ns + 1)))
            return True
        except FileNotFoundError:
            return False

    def forget(self, kept: Kept) -> bool:
        """Remove a file kept for a transaction that rolled back, unless another upload relies on it.

        The file is first moved aside (atomically), so an upload arriving meanwhile finds no file and
        places its own copy. If its inode or mtime changed since keep(), another upload placed or
        relied on it before that, and it is put back.
        """
        if not kept.created:
            return False
        target = self.path_for(kept.sha256)
        aside = self.root / "tmp" / f"forget-{uuid.uuid4().hex}"
        aside.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(target, aside)
        except FileNotFoundError:
            return False
        found = aside.stat()
        try:
            if (found.st_ino, found.st_mtime_ns) != kept.stamp:
                try:
                    os.link(aside, target)
                except FileExistsError:
                    pass  # yet another upload placed the same bytes again
                return False
            return True
        finally:
            aside.unlink(missing_ok=True)

    def stored(self) -> Iterator[tuple[str, float]]:
        """(sha256, mtime) of every stored file."""
        for path in (self.root / "sha256").glob("*/*/*"):
            if _DIGEST.fullmatch(path.name):
                try:
                    yield path.name, path.stat().st_mtime
                except FileNotFoundError:
                    continue

    def remove(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)

    def leftovers(self, older_than: float) -> list[Path]:
        """Temporary files (interrupted uploads) last written before `older_than` (epoch seconds)."""
        folder = self.root / "tmp"
        if not folder.is_dir():
            return []
        return [p for p in folder.iterdir() if p.is_file() and p.stat().st_mtime < older_than]

    def discard(self, staged: Staged) -> None:
        staged.path.unlink(missing_ok=True)

    def read(self, sha256: str) -> bytes | None:
        try:
            return self.path_for(sha256).read_bytes()
        except FileNotFoundError:
            return None

    def digest_of(self, sha256: str) -> str | None:
        """The SHA-256 of what is stored now at that address (None when the file is gone)."""
        try:
            with self.path_for(sha256).open("rb") as handle:
                return hashlib.file_digest(handle, "sha256").hexdigest()
        except FileNotFoundError:
            return None


def safe_name(name: str | None) -> str | None:
    """A file name fit for display and Content-Disposition: no folders, no control characters."""
    if not name:
        return None
    name = unicodedata.normalize("NFC", name)
    # Both separators: a name from Windows arrives as C:\\Users\\...\\shot.png.
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if not name:
        return None
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 16 else name[:200]
    return name
