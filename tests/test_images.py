"""Image metadata (EXIF/GPS, XMP, text, comments) never reaches a draft's assets."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

from intake.convert.images import png_with_text, strip_metadata
from intake.models import FileType
from intake.samples import email as make_email
from intake.samples import tiny_png
from tests.conftest import CliResult


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


JFIF = _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
ICC = _segment(0xE2, b"ICC_PROFILE\x00\x01\x01colour")
EXIF = _segment(0xE1, b"Exif\x00\x00GPSLatitude 51.5074 N; Camera: Phone")
COMMENT = _segment(0xFE, b"taken on ward 7")
SCAN = _segment(0xDA, b"\x00\x01\x02") + b"\x12\x34\xff\x00\x56" + b"\xff\xd9"


def test_jpeg_loses_exif_and_comments_keeps_colour_and_pixels() -> None:
    photo = b"\xff\xd8" + JFIF + EXIF + ICC + COMMENT + SCAN
    cleaned, understood = strip_metadata(photo, FileType.JPEG)
    assert understood
    assert cleaned == b"\xff\xd8" + JFIF + ICC + SCAN
    assert b"GPS" not in cleaned and b"ward 7" not in cleaned


def test_png_loses_text_chunks() -> None:
    tagged = png_with_text(tiny_png(), "Location", "51.5074 N")
    assert b"51.5074" in tagged
    assert strip_metadata(tagged, FileType.PNG) == (tiny_png(), True)


def test_a_damaged_jpeg_is_returned_untouched_and_flagged() -> None:
    broken = b"\xff\xd8" + EXIF[:6]
    assert strip_metadata(broken, FileType.JPEG) == (broken, False)


def test_attached_photo_reaches_assets_without_gps_and_original_keeps_it(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    photo = b"\xff\xd8" + JFIF + EXIF + SCAN
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes(make_email(
        "Ana <ana@uni.example>", "Guest post: ward life",
        "Please find attached my guest post for your consideration. " + "Words " * 300,
        attachments=(("ward.jpg", "image/jpeg", photo),
                     ("scan.webp", "image/webp", b"RIFF\x10\x00\x00\x00WEBPVP8 data"))))
    config = make_config()
    assert cli("--config", config, "ingest", inbox).code == 0
    (draft,) = (config.parent / "var" / "drafts").iterdir()
    assert (draft / "assets" / "ward.jpg").read_bytes() == b"\xff\xd8" + JFIF + SCAN
    assert (draft / "original" / "ward.jpg").read_bytes() == photo
    text = (draft / "draft.md").read_text()
    assert "![ward.jpg](assets/ward.jpg)" in text
    assert "Image scan.webp may still carry metadata" in text
