"""Uploads from any channel: all checked before any is kept, photos cleaned, stored by content."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFile

from engine.config.loader import load
from engine.uploads import IncomingFile, MediaRefused, MediaStore, accept, proposed_place
from tests.engine import media_samples as samples

ROOT = Path(__file__).resolve().parents[2]
PORTAL = load(ROOT / "config").portal


def test_photo_cleaned_stored_by_hash_with_thumbnail_and_place(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    (stored,) = accept(
        [IncomingFile(samples.jpeg_with_gps(), "o-ga.jpg", "image/jpeg")], PORTAL, store
    )
    kept = store.path(stored.path).read_bytes()
    assert Image.open(BytesIO(kept)).getexif() == {}  # no EXIF, so no GPS, in what is served
    assert stored.path.endswith(f"{stored.sha256}.jpg") and stored.thumbnail_path
    assert store.path(stored.thumbnail_path).is_file()
    place = proposed_place([stored], PORTAL.bounds)
    assert place is not None and PORTAL.bounds.contains(*place)
    # The same photo again is the same stored file.
    (again,) = accept([IncomingFile(samples.jpeg_with_gps(), "lai.jpg")], PORTAL, store)
    assert again.path == stored.path


def test_one_bad_file_refuses_the_batch_and_stores_nothing(tmp_path: Path) -> None:
    files = [
        IncomingFile(samples.png(), "anh.png"),
        IncomingFile(samples.text_named_jpg(), "x.jpg"),
    ]
    with pytest.raises(MediaRefused) as caught:
        accept(files, PORTAL, MediaStore(tmp_path))
    assert "x.jpg" in caught.value.message_vi
    assert not any(tmp_path.rglob("*.*"))


def test_each_photo_is_decoded_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checking and cleaning share one decoding: a large photo's cost is not paid twice."""
    decoded: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def counting(image: ImageFile.ImageFile) -> Any:
        if image.tile:  # pixels still to decode
            decoded.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting)
    files = [
        IncomingFile(samples.jpeg_with_gps(), "o-ga.jpg"),
        IncomingFile(samples.png(size=(70, 40)), "so-do.png"),
        IncomingFile(samples.mp4(), "clip.mp4"),
    ]
    stored = accept(files, PORTAL, MediaStore(tmp_path))
    assert [s.kind for s in stored] == ["photo", "photo", "video"]
    assert len(decoded) == 2 and (70, 40) in decoded


def test_store_refuses_paths_that_leave_its_root(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        MediaStore(tmp_path).path("../../etc/passwd")
