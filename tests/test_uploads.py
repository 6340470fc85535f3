"""Uploaded files: safe names, limits, and nothing written outside the upload folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.uploads import UploadError, safe_name, save_uploads


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("/etc/cron.d/evil.txt", "evil.txt"),
        ("C:\\Users\\x\\..\\notes.md", "notes.md"),
        ("Évian — notes ✓.md", "Evian_notes_.md"),
        ("..", "upload"),
        ("", "upload"),
        ("\x00\x1f.md", "md"),
    ],
)
def test_safe_name(given: str, kept: str):
    assert safe_name(given) == kept


def test_uploads_land_in_the_folder_under_safe_names(tmp_path: Path):
    source = tmp_path / "tmp-upload"
    source.write_text("Body.")
    folder = tmp_path / "data" / "uploads"
    saved = save_uploads([(source, "../../outside.md")], folder, max_files=5, max_bytes=1000)
    assert saved.paths == [folder.resolve() / "outside.md"] and saved.failed == []
    assert not (tmp_path / "outside.md").exists()


def test_limits_each_say_what_was_wrong(tmp_path: Path):
    small, big, binary = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    small.write_text("ok")
    big.write_text("x" * 2000)
    binary.write_bytes(b"\x89PNG")
    saved = save_uploads(
        [(small, "ok.md"), (big, "big.txt"), (binary, "photo.png")], tmp_path / "up", max_files=5, max_bytes=1000
    )
    assert [p.name for p in saved.paths] == ["ok.md"]
    errors = {f["path"]: f["error"] for f in saved.failed}
    assert errors["big.txt"].startswith("file too large: 0.0 MB") and "limit" in errors["big.txt"]
    assert errors["photo.png"].startswith("unsupported file type .png")
    with pytest.raises(UploadError, match="Too many files: 3 at once; the limit is 2"):
        save_uploads([(small, "1.md"), (small, "2.md"), (small, "3.md")], tmp_path / "up", max_files=2, max_bytes=1000)
