"""Images for the printed documents, as ``data:`` URIs xhtml2pdf embeds.

QR codes are PNG (an SVG goes through svglib, ~35 ms more per code). Photos
arrive as the bytes of an upload: phone pictures are large and often rotated
by an EXIF tag, so they are turned upright and scaled down to what a 300 dpi
print of an 一寸 photo needs before they reach the PDF.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import segno
from PIL import Image, ImageOps, UnidentifiedImageError

#: Largest photo side kept, in pixels: an 一寸 photo (25 × 35 mm) at 300 dpi
#: is 295 × 413, and twice that leaves room for a larger print.
PHOTO_MAX_SIDE = 800


@lru_cache(maxsize=512)
def qr_data_uri(url: str) -> str:
    """A QR code for ``url`` as a PNG ``data:`` URI (error correction M).

    One module is one pixel: the PDF scales the image without smoothing, so
    the code stays sharp at any printed size. A two-module quiet zone is
    kept inside the image so a white margin travels with it.
    """
    if not url:
        raise ValueError("QR code needs a non-empty URL")
    code = segno.make(url, error="m", micro=False)
    return code.png_data_uri(scale=1, border=2)


def image_data_uri(data: bytes | None) -> str | None:
    """Photo bytes (JPEG, PNG, GIF, WebP, …) → a JPEG ``data:`` URI, or ``None``.

    ``None`` or empty bytes give ``None`` so a template can show its
    placeholder box. Bytes Pillow cannot read raise ``ValueError`` rather
    than silently printing a form without its photo.
    """
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))  # fast JPEG downscale
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                # Transparent PNGs are flattened onto white, as on paper.
                background = Image.new("RGB", image.size, "white")
                rgba = image.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                image = background
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=88, optimize=True)
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"照片无法识别 / unreadable photo: {exc}") from exc
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")
