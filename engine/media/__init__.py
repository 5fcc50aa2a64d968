"""What citizens upload with a report: checked from the content, and photos cleaned of metadata.

* ``inspect_upload`` decides what a file is from its bytes (never its name or declared type),
  applies the size and pixel limits, decodes photos completely and reads their EXIF location and
  capture time, and checks a video's container; ``check_batch`` does it for a report's files.
* ``clean_photo`` makes the photo that is stored and served: re-encoded from its pixels, upright,
  downscaled, with no EXIF/GPS, XMP, ICC profile or text left (see ``engine.media.photo``);
  ``prepare_batch`` inspects a report's files and cleans its photos, decoding each photo once.
* Videos are stored as sent, metadata included (see ``engine.media.video`` for why).
* ``sha256_hex`` / ``storage_name`` name what is stored by its content.

Every refusal is a ``MediaRefused`` with a sentence in Vietnamese and English naming the file.
Pillow is the only dependency; this package does not import any web framework.
"""

from __future__ import annotations

from .model import (
    EXTENSIONS,
    CleanedPhoto,
    Inspected,
    MediaLimits,
    MediaRefused,
    default_photo_types,
    display_name,
    sha256_hex,
    storage_name,
)
from .photo import clean_photo
from .upload import check_batch, inspect_upload, prepare_batch

__all__ = [
    "EXTENSIONS",
    "CleanedPhoto",
    "Inspected",
    "MediaLimits",
    "MediaRefused",
    "check_batch",
    "clean_photo",
    "default_photo_types",
    "display_name",
    "inspect_upload",
    "prepare_batch",
    "sha256_hex",
    "storage_name",
]
