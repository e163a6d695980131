"""Images as they may reach a draft: metadata removed, nothing active, bounded in size.

A phone photo can carry where and when it was taken (EXIF with GPS, XMP, IPTC,
comments, a second image with its own EXIF after the first), and in a medical
publication that can point to a patient. Every raster image is decoded and written
again by Pillow with nothing but its pixels, its colour profile and its orientation,
so whatever a format hides in it is gone whatever the format (JPEG, PNG, GIF, WebP,
TIFF, BMP; HEIC becomes JPEG, which browsers can show). An SVG can carry scripts: it
is left out of the draft. Windows metafiles carry no photo metadata and are kept as
they are (the draft warns that browsers cannot show them). An image that cannot be
decoded, or whose pixels would cost more memory than any photo needs, is left out
with a warning: original/ (or the original document) still has it.

This runs in the conversion worker, under its memory limit, never in the main process.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from PIL import Image, ImageSequence, UnidentifiedImageError

from intake.core.models import Asset

try:  # HEIC/HEIF, as iPhones send photos
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - declared as a dependency; read as unknown without
    pass

# A 50-megapixel photo is the largest a phone takes; past it, a "decompression bomb".
MAX_PIXELS = 60_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_METAFILE = (b"\xd7\xcd\xc6\x9a",)  # placeable WMF
_IMAGE_REF = re.compile(r"!\[[^\[\]]*\]\(assets/([^()\s]+)\)")
_ORIENTATION = 0x0112
_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP", "MPO", "HEIF", "AVIF"})


@dataclass(frozen=True)
class CleanImage:
    name: str  # the asset's name, with a new extension when the format changed
    data: bytes | None  # None: left out of the draft
    warning: str | None = None


def clean_image(name: str, data: bytes) -> CleanImage:
    """The image as it may be published: only pixels, colour profile and orientation."""
    if _is_svg(name, data):
        return CleanImage(name, None, f"Image {name} is an SVG drawing, which can carry "
                          "scripts: it was left out of the draft; ask the author for a PNG "
                          "or JPEG if it is needed.")
    if _is_metafile(data):
        return CleanImage(name, data)  # EMF/WMF: no EXIF, XMP or comments to carry
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _rewrite(name, data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        reason = f"has more than {MAX_PIXELS:,} pixels (a decompression bomb?)"
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            struct.error, zlib.error, MemoryError, KeyError, IndexError, TypeError) as exc:
        reason = f"could not be read ({type(exc).__name__})"
    return CleanImage(name, None, f"Image {name} {reason}, so its metadata (such as where a "
                      "photo was taken) could not be removed: it was left out of the draft; "
                      "the original file still has it.")


def clean_assets(markdown: str, assets: tuple[Asset, ...]
                 ) -> tuple[str, tuple[Asset, ...], tuple[str, ...]]:
    """Clean each asset; the Markdown follows renames, and an image left out becomes a
    note in the text where it stood, so the editor sees where something is missing."""
    kept: list[Asset] = []
    notes: list[str] = []
    taken = {a.name.lower() for a in assets}
    for asset in assets:
        clean = clean_image(asset.name, asset.data)
        if clean.warning:
            notes.append(clean.warning)
        if clean.data is None:
            markdown = _without_image(markdown, asset.name)
            continue
        name = clean.name
        if name != asset.name:
            while name.lower() in taken:
                name = "converted-" + name
            taken.add(name.lower())
            markdown = markdown.replace(f"](assets/{asset.name})", f"](assets/{name})")
        kept.append(Asset(name=name, data=clean.data))
    return markdown, tuple(kept), tuple(notes)


def _without_image(markdown: str, name: str) -> str:
    def note(m: re.Match[str]) -> str:
        return f"*[image {name} left out: see the warnings]*" if m.group(1) == name \
            else m.group(0)

    return _IMAGE_REF.sub(note, markdown)


def _rewrite(name: str, data: bytes) -> CleanImage:
    with Image.open(io.BytesIO(data)) as image:
        source = image.format or ""
        if source not in _FORMATS:
            raise ValueError(f"unsupported format {source or 'unknown'}")
        icc = image.info.get("icc_profile")
        orientation = image.getexif().get(_ORIENTATION, 1)
        out = io.BytesIO()
        if source in ("JPEG", "MPO"):
            # The first image only (an MPO's or a trailer's second one is dropped), encoded
            # with its own tables: the closest to the original a re-encode can be.
            image.info.clear()
            image.save(out, "JPEG", quality="keep", subsampling="keep", icc_profile=icc,
                       exif=_orientation_only(orientation))
        elif source in ("HEIF", "AVIF"):
            image.load()
            pixels = image.convert("RGB")
            pixels.save(out, "JPEG", quality=90, icc_profile=icc,
                        exif=_orientation_only(orientation))
        else:
            _save_pixels(image, source, out, icc)
        converted = source in ("HEIF", "AVIF")
        return CleanImage(f"{PurePosixPath(name).stem}.jpg" if converted else name,
                          out.getvalue(),
                          f"Image {name} ({source}) became {PurePosixPath(name).stem}.jpg, "
                          "which browsers can show." if converted else None)


def _save_pixels(image: Image.Image, source: str, out: io.BytesIO, icc: bytes | None) -> None:
    """Frames copied into new images, so no tag, chunk or comment of the file comes along;
    what showing them needs (palette, transparency, timing) is passed on by name."""
    frames = [_bare(frame) for frame in ImageSequence.Iterator(image)]
    keep: dict[str, object] = {k: image.info[k] for k in ("transparency", "duration", "loop",
                                                          "background", "disposal")
                               if k in image.info}
    if icc and source != "GIF":
        keep["icc_profile"] = icc
    if source == "WEBP":
        keep["lossless"] = True  # never lose pixels to a re-encode we chose to make
    if source == "TIFF":
        keep["compression"] = "tiff_deflate"
    fmt = "TIFF" if source == "TIFF" else source
    if len(frames) > 1 and source in ("GIF", "PNG", "WEBP", "TIFF"):
        frames[0].save(out, fmt, save_all=True, append_images=frames[1:], **keep)
    else:
        frames[0].save(out, fmt, **keep)


def _bare(frame: Image.Image) -> Image.Image:
    fresh = Image.frombytes(frame.mode, frame.size, frame.tobytes())
    palette = frame.getpalette() if frame.mode in ("P", "PA") else None
    if palette is not None:
        fresh.putpalette(palette)
    return fresh


def _orientation_only(orientation: object) -> bytes:
    exif = Image.Exif()
    if isinstance(orientation, int) and 2 <= orientation <= 8:
        exif[_ORIENTATION] = orientation  # how to show it upright; says nothing of anyone
    return exif.tobytes()


def _is_svg(name: str, data: bytes) -> bool:
    if name.lower().endswith((".svg", ".svgz")):
        return True
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in head


def _is_metafile(data: bytes) -> bool:
    return data.startswith(_METAFILE) or (data[:4] == b"\x01\x00\x00\x00"
                                          and data[40:44] == b" EMF") or \
        data[:6] in (b"\x01\x00\x09\x00\x00\x03", b"\x02\x00\x09\x00\x00\x03")


def png_with_text(png: bytes, key: str, value: str) -> bytes:
    """A PNG with one tEXt chunk added (for tests and the demo)."""
    body = b"tEXt" + key.encode("latin-1") + b"\x00" + value.encode("latin-1")
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    return png[:33] + chunk + png[33:]
