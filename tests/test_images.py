"""Image metadata (EXIF/GPS, XMP, text, comments, trailing images) never reaches a draft's
assets, whatever the format; active images (SVG) never do; damaged ones are said."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from intake.convert.images import clean_assets, clean_image, png_with_text
from intake.core.models import Asset
from intake.demo.samples import email as make_email
from intake.demo.samples import tiny_png
from tests.conftest import CliResult

SECRET = "51.5074N Ward 7 Bed 3"


def _exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x010E] = SECRET  # ImageDescription
    if orientation != 1:
        exif[0x0112] = orientation
    return exif.tobytes()


def _image(fmt: str, mode: str = "RGB", **extra: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (32, 24), "red" if mode == "RGB" else 1).save(out, fmt, **extra)
    return out.getvalue()


def _hidden(data: bytes) -> bool:
    return any(s in data for s in (SECRET.encode(), b"PhoneMaker", b"xmpmeta", b"ward secret"))


XMP = b"<x:xmpmeta>ward secret GPS</x:xmpmeta>"
CASES = {
    "photo.jpg": _image("JPEG", exif=_exif(6), comment=b"ward secret", xmp=XMP)
    # A phone's second image after the first, with its own EXIF.
    + _image("JPEG", exif=_exif()),
    "scan.png": png_with_text(_image("PNG", exif=_exif()), "Location", SECRET),
    "anim.gif": _image("GIF", mode="P", comment=b"ward secret", xmp=XMP),
    "shot.webp": _image("WEBP", exif=_exif(), xmp=XMP),
    "page.tif": _image("TIFF", tiffinfo={270: SECRET, 700: XMP}),
    "pic.bmp": _image("BMP"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_format_loses_its_metadata_and_keeps_its_pixels(name: str) -> None:
    data = CASES[name]
    assert _hidden(data) or name == "pic.bmp"
    clean = clean_image(name, data)
    assert clean.data is not None and clean.warning is None and clean.name == name
    assert not _hidden(clean.data)
    with Image.open(io.BytesIO(clean.data)) as after, Image.open(io.BytesIO(data)) as before:
        assert after.size == before.size and after.format == before.format


def test_a_jpeg_keeps_its_orientation_and_only_that() -> None:
    clean = clean_image("photo.jpg", CASES["photo.jpg"])
    assert clean.data is not None
    with Image.open(io.BytesIO(clean.data)) as after:
        assert dict(after.getexif()) == {0x0112: 6}
        assert "comment" not in after.info and "xmp" not in after.info
    assert clean.data.count(b"\xff\xd8") == 1  # the trailing image is gone


def test_heic_becomes_a_jpeg_without_metadata() -> None:
    pytest.importorskip("pillow_heif")
    heic = _image("HEIF", exif=_exif())
    assert b"PhoneMaker" in heic
    clean = clean_image("IMG_0001.HEIC", heic)
    assert clean.name == "IMG_0001.jpg" and clean.data is not None
    assert clean.data.startswith(b"\xff\xd8") and not _hidden(clean.data)


def test_svg_and_damaged_images_are_left_out_with_a_warning_in_place() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    broken = CASES["photo.jpg"][:200]
    markdown = ("![a](assets/image-001.svg)\n\n![b](assets/image-002.jpg)\n\n"
                "![c](assets/image-003.png)\n")
    text, kept, notes = clean_assets(markdown, (
        Asset("image-001.svg", svg), Asset("image-002.jpg", broken),
        Asset("image-003.png", tiny_png())))
    assert [a.name for a in kept] == ["image-003.png"]
    assert "*[image image-001.svg left out: see the warnings]*" in text
    assert "*[image image-002.jpg left out: see the warnings]*" in text
    assert "![c](assets/image-003.png)" in text
    assert "SVG drawing, which can carry scripts" in notes[0]
    assert "could not be read" in notes[1]


def test_a_pixel_bomb_is_left_out() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 MP in a few KB
    clean = clean_image("bomb.png", out.getvalue())
    assert clean.data is None and clean.warning and "decompression bomb" in clean.warning


def test_attached_photo_reaches_assets_clean_and_original_keeps_it(
        tmp_path: Path, make_config: Callable[..., Path], cli: Callable[..., CliResult]) -> None:
    photo = CASES["photo.jpg"]
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
    assert not _hidden((draft / "assets" / "ward.jpg").read_bytes())
    assert (draft / "original" / "ward.jpg").read_bytes() == photo
    assert not (draft / "assets" / "scan.webp").exists()
    text = (draft / "draft.md").read_text()
    assert "![ward.jpg](assets/ward.jpg)" in text
    assert "Image scan.webp could not be read" in text
