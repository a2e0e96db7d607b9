"""Uploaded photos and scans (附件2 一寸照片 and 填表说明14, 第七条 专家工作证).

附件2 asks for 一寸彩色照片 (printed on the 登记表 and on the 专家工作证 of 第七条)
and copies of 身份证、职称证书、毕业证书 and other proofs. Uploads come from the
public self-recommendation form (SPEC §5), so they are treated as hostile:

* the format is sniffed from the bytes with Pillow, never taken from the file
  name: a script renamed ``.jpg`` is refused;
* size, pixel count (decompression bombs) and completeness are checked, with a
  Chinese message for each refusal;
* photos are re-encoded — EXIF orientation applied, then every piece of
  metadata (EXIF with its GPS position and camera serial, XMP, comments)
  dropped — as a baseline JPEG no larger than needed for print.

Pillow's global ``Image.MAX_IMAGE_PIXELS`` is left alone (other code shares
it); the pixel limit here is a parameter checked from the header before any
pixel is decoded, and JPEGs are decoded at reduced scale (libjpeg draft mode)
when only a small image is wanted.
"""

from __future__ import annotations

import io

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from app.services.errors import DomainError

MB = 1024 * 1024
PHOTO_MAX_BYTES = 5 * MB
DOCUMENT_MAX_BYTES = 10 * MB
#: A 48-megapixel phone photo passes; a 20000×20000 PNG bomb does not.
MAX_PIXELS = 50_000_000
PHOTO_MAX_SIDE = 1200
PHOTO_QUALITY = 85
THUMBNAIL_MAX_SIDE = 240
THUMBNAIL_MAX_BYTES = 25 * 1024
# A signature drawn on a phone (signature_pad): a PNG of the screen's size at most a few times over.
SIGNATURE_MAX_BYTES = 512 * 1024
SIGNATURE_MAX_PIXELS = 4_000_000
SIGNATURE_MAX_SIDE = (900, 360)

#: Pillow format names accepted. MPO is the multi-picture JPEG many phones write.
_IMAGE_FORMATS = ("JPEG", "PNG")
_MIME_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png"}
_PDF_MIME = "application/pdf"
_SRGB = ImageCms.createProfile("sRGB")


def sanitize_photo(
    data: bytes,
    max_bytes: int = PHOTO_MAX_BYTES,
    *,
    max_side: int = PHOTO_MAX_SIDE,
    max_pixels: int = MAX_PIXELS,
) -> bytes:
    """Check an uploaded 一寸照片 (附件2) and return it as a clean JPEG.

    Accepts JPEG or PNG of at most ``max_bytes``, recognised from the content;
    refuses anything else, a truncated or corrupt file, or more than
    ``max_pixels`` pixels — each with a Chinese :class:`DomainError`. Returns
    an RGB JPEG (quality 85) turned upright by its EXIF orientation, converted
    to sRGB, flattened onto white if transparent, at most ``max_side`` pixels
    on its long side, with no EXIF or other metadata.
    """
    image = _clean(_decode(data, max_bytes, max_pixels, what="照片", wanted_side=max_side))
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return _encode_jpeg(image, PHOTO_QUALITY)


def thumbnail(
    data: bytes,
    max_side: int = THUMBNAIL_MAX_SIDE,
    *,
    max_bytes: int = THUMBNAIL_MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> bytes:
    """A small JPEG of a photo for lists and the permit page (第七条 专家工作证).

    At most ``max_side`` pixels on its long side and at most ``max_bytes``
    (25 KB): the quality is lowered step by step, and if even the lowest
    quality is too large the picture is shrunk further. The input goes
    through the same checks as :func:`sanitize_photo`.
    """
    image = _clean(_decode(data, PHOTO_MAX_BYTES, max_pixels, what="照片", wanted_side=max_side))
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    while True:
        for quality in (85, 75, 65, 55, 45, 35):
            encoded = _encode_jpeg(image, quality)
            if len(encoded) <= max_bytes:
                return encoded
        # Even at quality 35 too large (pathological noise): shrink and retry.
        width, height = image.size
        if max(width, height) <= 16:
            return encoded
        image = image.resize(
            (max(1, width * 4 // 5), max(1, height * 4 // 5)), Image.Resampling.LANCZOS
        )


def sanitize_signature(data: bytes, max_bytes: int = SIGNATURE_MAX_BYTES) -> bytes:
    """Check a signature drawn on the phone and return it as a clean greyscale PNG (SPEC §3.19).

    Accepts a PNG (or JPEG) of at most ``max_bytes`` and ``SIGNATURE_MAX_PIXELS``, recognised from
    the content. The ink is flattened onto white, cropped to what was drawn (with a small
    margin), scaled down to fit 900×360 and encoded afresh without any metadata. An empty
    drawing is refused: a blank box is not a signature.
    """
    image = _clean(_decode(data, max_bytes, SIGNATURE_MAX_PIXELS, what="签名", wanted_side=1024)).convert("L")
    ink = image.point(lambda value: 255 if value < 200 else 0)
    box = ink.getbbox()
    if box is None:
        raise DomainError("签名是空白的，请手写签名")
    margin = 8
    left, top, right, bottom = box
    image = image.crop((max(0, left - margin), max(0, top - margin),
                        min(image.width, right + margin), min(image.height, bottom + margin)))
    image.thumbnail(SIGNATURE_MAX_SIDE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def sniff_document(data: bytes, max_bytes: int = DOCUMENT_MAX_BYTES) -> str:
    """Check a scanned proof (附件2 填表说明14: 身份证、职称证书、毕业证书…); return its MIME type.

    Accepts JPEG or PNG images that decode completely, and PDF files that
    start with ``%PDF-`` and end with ``%%EOF``; returns "image/jpeg",
    "image/png" or "application/pdf". Anything else, or more than
    ``max_bytes``, raises :class:`DomainError`. The file itself is kept as
    evidence, not re-encoded; serve it as an attachment, since a PDF may
    carry scripts.
    """
    _check_length(data, max_bytes, "文件")
    if bytes(data[:5]) == b"%PDF-":
        if b"%%EOF" not in bytes(data[-1024:]):
            raise DomainError("PDF 文件不完整或已损坏，请重新上传")
        return _PDF_MIME
    try:
        image = _decode(data, max_bytes, MAX_PIXELS, what="文件", wanted_side=1024)
    except _WrongFormat:
        raise DomainError("只接受 JPG、PNG 或 PDF 格式的文件") from None
    return _MIME_TYPES[image.format]


class _WrongFormat(DomainError):
    """The bytes are not one of the accepted image formats."""


def _check_length(data: bytes, max_bytes: int, what: str) -> None:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("upload data must be bytes")
    if len(data) == 0:
        raise DomainError(f"上传的{what}是空文件")
    if len(data) > max_bytes:
        raise DomainError(
            f"{what}不能超过{max_bytes / MB:g} MB（当前为{len(data) / MB:.1f} MB），"
            "请压缩后重新上传"
        )


def _decode(
    data: bytes, max_bytes: int, max_pixels: int, *, what: str, wanted_side: int
) -> Image.Image:
    """Sniff, bound and fully decode an image; refusals carry Chinese messages."""
    _check_length(data, max_bytes, what)
    try:
        with Image.open(io.BytesIO(data), formats=_IMAGE_FORMATS) as probe:
            width, height = probe.size
            if width * height > max_pixels:
                raise DomainError(
                    f"图片尺寸过大（{width}×{height} 像素），请缩小后重新上传"
                )
            probe.verify()  # PNG: walks every chunk and checks its CRC
        image = Image.open(io.BytesIO(data), formats=_IMAGE_FORMATS)
        if image.format in ("JPEG", "MPO"):
            # Decode at 1/2…1/8 scale when that still gives wanted_side pixels.
            image.draft("RGB", (wanted_side, wanted_side))
        image.load()
    except Image.DecompressionBombError:
        raise DomainError("图片尺寸过大，请缩小后重新上传") from None
    except UnidentifiedImageError:
        raise _WrongFormat(
            f"只接受 JPG 或 PNG 格式的{what}（按文件内容识别，与扩展名无关）"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise DomainError(f"{what}已损坏或不完整，请重新上传") from None
    return image


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a photo with a broken EXIF block is taken as it is."""
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, KeyError, TypeError):
        return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert from an embedded ICC profile (e.g. a phone's Display P3) to sRGB.

    The profile is dropped with the other metadata, so without this step the
    colours would be misread as sRGB. A profile that cannot be used is ignored.
    """
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def _clean(image: Image.Image) -> Image.Image:
    """Upright, sRGB, RGB pixels in a fresh image that carries no metadata at all.

    Transparency is flattened onto white (a 一寸照片 has a plain background).
    """
    image = _to_srgb(_upright(image))
    if image.mode.startswith("I"):
        # 16-bit greyscale (scanners): scale down rather than clip at 255.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        clean = Image.new("RGB", rgba.size, "white")
        clean.paste(rgba, mask=rgba.getchannel("A"))
        return clean
    clean = Image.new("RGB", image.size)
    clean.paste(image.convert("RGB"))
    return clean


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """Encode a clean image (see :func:`_clean`) as a baseline JPEG, without metadata."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()
