"""Reading a file as text, with clear errors for what cannot be an article."""

from __future__ import annotations

from pathlib import Path

from ingest.articles import LoadError

MAX_FILE_BYTES = 50 * 1024 * 1024


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    size = path.stat().st_size
    if size > max_bytes:
        raise LoadError(f"too large: {size:,} bytes (limit {max_bytes:,})")
    data = path.read_bytes()
    if not data.strip():
        raise LoadError("empty file")
    if b"\x00" in data[:8192]:
        raise LoadError("binary file, not text (NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LoadError(
            f"not UTF-8 text: byte 0x{data[err.start]:02x} at offset {err.start} cannot be decoded"
        ) from None
