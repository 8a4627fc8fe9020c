"""An atelier's image, decoded and encoded again before anyone else sees it.

A PNG or JPEG signature says nothing of what follows: a 420 KB PNG of 12000×12000 pixels took
1.4 GB to print on an invitation, and a signature followed by junk made every PDF of its atelier
fail. So an upload is decoded here, in a render worker (``server.documents.workers``), only
after its header says it has at most :data:`MAX_PIXELS` pixels; it is reduced to fit
:data:`MAX_SIDE` pixels a side, turned upright (EXIF orientation) and encoded again without its
metadata (a phone's photo carries where it was taken). What is stored, served and printed is
that new image only.
"""

from __future__ import annotations

import io
import warnings

__all__ = ["MAX_PIXELS", "MAX_SIDE", "ImageRejected", "normalized_image", "printable_image"]

#: Largest image accepted, in pixels (a 40-megapixel photo decodes to 120 MB of RGB).
MAX_PIXELS = 40_000_000
#: Longest side of the stored image: 60 mm on an invitation at 500 dpi.
MAX_SIDE = 1200

_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


class ImageRejected(ValueError):
    """The upload is not an image this server keeps; ``args[0]`` is the reason's code:
    ``image_type`` (not PNG or JPEG), ``image_pixels`` (too many pixels) or
    ``image_unreadable`` (a signature followed by something that does not decode)."""

    passes_through_render_pool = True

    @property
    def code(self) -> str:
        return str(self.args[0])


def normalized_image(data: bytes) -> tuple[bytes, str]:
    """``data`` decoded, bounded and encoded again: ``(bytes, media type)``.

    Raises :class:`ImageRejected`. Runs in a render worker: decoding is the costly part, and
    Pillow is imported there only (the server imports this module for :class:`ImageRejected`).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ImageRejected("image_pixels")
                source_format = image.format or "PNG"
                image.load()
                upright = ImageOps.exif_transpose(image)
        except ImageRejected:
            raise
        except UnidentifiedImageError:
            raise ImageRejected("image_type") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected("image_pixels") from None
        except (OSError, SyntaxError, ValueError, EOFError):  # what Pillow raises on bad data
            raise ImageRejected("image_unreadable") from None
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    transparent = upright.mode in {"RGBA", "LA", "PA"} or "transparency" in upright.info
    out = io.BytesIO()
    if source_format == "JPEG" and not transparent:
        upright.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
        return out.getvalue(), "image/jpeg"
    mode = "RGBA" if transparent else "RGB"
    upright.convert(mode).save(out, format="PNG", optimize=True)
    return out.getvalue(), "image/png"


def printable_image(data: bytes | None) -> bytes | None:
    """An image for a PDF: stored images were normalised at upload, but one stored before that
    (or restored from an archive) is checked again; one that does not pass is left out of the
    page rather than failing it."""
    if not data:
        return None
    try:
        return normalized_image(data)[0]
    except ImageRejected:
        return None
