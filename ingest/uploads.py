"""Uploaded files, kept in the data folder under safe names before they are ingested.

A name from a browser or a client is not trusted: only its last component is kept, stripped to
letters, digits, dot, dash and underscore, and the result must resolve inside the upload folder.
Limits (count, size, type) are checked before anything is copied, each with its own message.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ingest.loaders import LOADERS

MAX_NAME_CHARS = 120


class UploadError(ValueError):
    """An upload that is refused as a whole (too many files); the message says why."""


@dataclass
class SavedUploads:
    paths: list[Path] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)  # {"path": original name, "error": why}


def safe_name(name: str) -> str:
    """ "../../etc/passwd" -> "passwd"; "C:\\x\\Évian notes.md" -> "Evian_notes.md"; "" -> "upload"."""
    last = re.split(r"[\\/]", name or "")[-1]
    ascii_name = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._-")
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and len(cleaned) > MAX_NAME_CHARS:
        cleaned = stem[: MAX_NAME_CHARS - len(suffix) - 1] + "." + suffix
    return cleaned[:MAX_NAME_CHARS] or "upload"


def save_uploads(files: list[tuple[Path, str]], upload_dir: Path, *, max_files: int, max_bytes: int) -> SavedUploads:
    """Copy (temporary path, original name) pairs into `upload_dir`; refused files are listed with a reason."""
    if len(files) > max_files:
        raise UploadError(f"Too many files: {len(files)} at once; the limit is {max_files}.")
    upload_dir.mkdir(parents=True, exist_ok=True)
    root = upload_dir.resolve()
    saved = SavedUploads()
    for temp_path, original in files:
        name = safe_name(original or temp_path.name)
        suffix = Path(name).suffix.lower()
        if suffix not in LOADERS:
            kinds = ", ".join(sorted(LOADERS))
            saved.failed.append({"path": original, "error": f"unsupported file type {suffix or '(none)'}: use {kinds}"})
            continue
        size = temp_path.stat().st_size
        if size > max_bytes:
            error = f"file too large: {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB"
            saved.failed.append({"path": original, "error": error})
            continue
        target = (root / name).resolve()
        if target.parent != root:  # safe_name makes this impossible; checked all the same
            saved.failed.append({"path": original, "error": "file name points outside the upload folder"})
            continue
        shutil.copyfile(temp_path, target)
        saved.paths.append(target)
    return saved
