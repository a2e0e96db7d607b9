"""Uploaded photos and scans (附件2 一寸照片 and 填表说明14, 第七条)."""

import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms

from app.services.errors import DomainError
from app.services.images import (
    THUMBNAIL_MAX_BYTES,
    sanitize_photo,
    sniff_document,
    thumbnail,
)

ORIENTATION, MAKE, GPS_IFD = 0x0112, 0x010F, 0x8825


def encode(image, fmt="JPEG", **params):
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def portrait_photo(size=(300, 400)):
    """A 一寸-like portrait: red top half, blue bottom half."""
    image = Image.new("RGB", size, "blue")
    image.paste("red", (0, 0, size[0], size[1] // 2))
    return image


def with_exif(image, orientation=1):
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "SecretCam"
    exif.get_ifd(GPS_IFD)[2] = (31.0, 47.0, 0.0)  # GPSLatitude: 武进 ≈ 31°47'N
    return encode(image, exif=exif.tobytes(), quality=95)


def opened(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png_header_only(width, height):
    """A tiny PNG that claims to be width × height: a decompression bomb's header."""

    def chunk(kind, payload):
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --- sanitize_photo -----------------------------------------------------------


def test_jpeg_is_reencoded_without_exif():
    data = with_exif(portrait_photo())
    assert b"SecretCam" in data
    clean = sanitize_photo(data)
    image = opened(clean)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (300, 400)
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info
    assert b"SecretCam" not in clean


def test_exif_orientation_is_applied_before_it_is_dropped():
    # Stored landscape with orientation 6 ("rotate 90° clockwise to view").
    stored = portrait_photo().rotate(90, expand=True)
    assert stored.size == (400, 300)
    image = opened(sanitize_photo(with_exif(stored, orientation=6)))
    assert image.size == (300, 400)  # upright portrait again
    top, bottom = image.getpixel((150, 50)), image.getpixel((150, 350))
    assert top[0] > 200 and top[2] < 60  # red on top
    assert bottom[2] > 200 and bottom[0] < 60  # blue below


def test_png_is_accepted_and_transparency_becomes_white():
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    image.paste((0, 128, 0, 255), (50, 50, 150, 150))
    clean = opened(sanitize_photo(encode(image, "PNG")))
    assert clean.format == "JPEG"
    assert min(clean.getpixel((5, 5))) > 245  # white, not black
    assert clean.getpixel((100, 100))[1] > 100


@pytest.mark.parametrize("mode", ["L", "P", "1", "I;16"])
def test_png_modes_are_converted_to_rgb(mode):
    clean = opened(sanitize_photo(encode(Image.new(mode, (64, 64)), "PNG")))
    assert clean.mode == "RGB"


def test_sixteen_bit_grey_is_scaled_not_clipped():
    grey = Image.new("I;16", (32, 32), 32768)  # mid-grey in 16 bits
    value = opened(sanitize_photo(encode(grey, "PNG"))).getpixel((16, 16))[0]
    assert 120 <= value <= 136


def test_large_photo_is_limited_to_1200px():
    clean = opened(sanitize_photo(encode(portrait_photo((3000, 4000)))))
    assert clean.size == (900, 1200)


def test_phone_multi_picture_jpeg_is_accepted():
    frames = [portrait_photo(), portrait_photo()]
    out = io.BytesIO()
    frames[0].save(out, "MPO", save_all=True, append_images=frames[1:])
    assert opened(out.getvalue()).format == "MPO"
    assert opened(sanitize_photo(out.getvalue())).format == "JPEG"


def test_icc_profile_is_dropped():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(portrait_photo(), icc_profile=profile)
    assert "icc_profile" in opened(data).info
    assert "icc_profile" not in opened(sanitize_photo(data)).info


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "上传的照片是空文件"),
        (b"<script>alert(document.cookie)</script>", "只接受 JPG 或 PNG 格式的照片"),
        (b"#!/bin/sh\nrm -rf /\n" * 20, "只接受 JPG 或 PNG 格式的照片"),
        (encode(portrait_photo(), "GIF"), "只接受 JPG 或 PNG 格式的照片"),
        (encode(portrait_photo(), "BMP"), "只接受 JPG 或 PNG 格式的照片"),
        (b"%PDF-1.7\n%%EOF\n", "只接受 JPG 或 PNG 格式的照片"),
    ],
)
def test_non_images_are_refused(data, message):
    with pytest.raises(DomainError, match=message):
        sanitize_photo(data)


def test_script_renamed_jpg_is_refused_by_content():
    # The name never reaches the function: only the bytes decide.
    with pytest.raises(DomainError, match="按文件内容识别"):
        sanitize_photo(b"\xef\xbb\xbf<?php system($_GET['c']); ?>")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file_is_refused(fmt):
    noise = Image.effect_noise((300, 300), 80).convert("RGB")
    data = encode(noise, fmt)
    with pytest.raises(DomainError, match="照片已损坏或不完整"):
        sanitize_photo(data[: len(data) // 2])


def test_corrupted_png_chunk_is_refused():
    data = bytearray(encode(portrait_photo(), "PNG"))
    data[60] ^= 0xFF  # inside the image data: its CRC no longer matches
    with pytest.raises(DomainError, match="照片已损坏或不完整"):
        sanitize_photo(bytes(data))


def test_file_over_5mb_is_refused():
    data = with_exif(portrait_photo()) + b"\0" * (5 * 1024 * 1024)
    with pytest.raises(DomainError, match=r"照片不能超过5 MB（当前为5\.\d MB）"):
        sanitize_photo(data)


def test_size_limit_is_a_parameter():
    data = with_exif(portrait_photo())
    with pytest.raises(DomainError, match="不能超过"):
        sanitize_photo(data, max_bytes=len(data) - 1)
    assert sanitize_photo(data, max_bytes=len(data))


def test_decompression_bomb_is_refused_before_decoding():
    bomb = png_header_only(8_000, 8_000)  # 64 megapixels in 100 bytes
    assert len(bomb) < 200
    with pytest.raises(DomainError, match="图片尺寸过大（8000×8000 像素）"):
        sanitize_photo(bomb)


def test_pillow_hard_bomb_limit_is_refused_too():
    # Beyond 2 × Image.MAX_IMAGE_PIXELS Pillow itself refuses to open.
    with pytest.raises(DomainError, match="图片尺寸过大"):
        sanitize_photo(png_header_only(60_000, 60_000), max_pixels=10**10)


def test_pixel_limit_is_a_parameter():
    data = encode(portrait_photo((1000, 1000)))
    with pytest.raises(DomainError, match="图片尺寸过大（1000×1000 像素）"):
        sanitize_photo(data, max_pixels=999_999)


def test_wrong_type_is_a_programming_error():
    with pytest.raises(TypeError):
        sanitize_photo("not bytes")


# --- thumbnail ----------------------------------------------------------------


def test_thumbnail_of_a_photo():
    small = thumbnail(with_exif(portrait_photo((900, 1200))))
    image = opened(small)
    assert image.format == "JPEG"
    assert image.size == (180, 240)
    assert len(small) <= THUMBNAIL_MAX_BYTES
    assert dict(image.getexif()) == {}


def test_thumbnail_of_noise_still_fits_25kb():
    """Noise defeats JPEG: the quality, then the size, must come down."""
    noise = Image.merge(
        "RGB", [Image.effect_noise((240, 240), 128).convert("L") for _ in range(3)]
    )
    data = encode(noise, "PNG")
    assert len(encode(noise, quality=85)) > THUMBNAIL_MAX_BYTES  # the naive way fails
    small = thumbnail(data)
    assert len(small) <= THUMBNAIL_MAX_BYTES
    assert max(opened(small).size) <= 240


def test_thumbnail_refuses_what_sanitize_refuses():
    with pytest.raises(DomainError, match="只接受 JPG 或 PNG"):
        thumbnail(b"<svg onload=alert(1)>")


# --- sniff_document -----------------------------------------------------------

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (encode(portrait_photo()), "image/jpeg"),
        (encode(portrait_photo(), "PNG"), "image/png"),
        (MINIMAL_PDF, "application/pdf"),
    ],
)
def test_sniff_document_accepts(data, mime):
    assert sniff_document(data) == mime


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "上传的文件是空文件"),
        (b"<html><script>alert(1)</script></html>", "只接受 JPG、PNG 或 PDF 格式的文件"),
        (b"PK\x03\x04 docx or zip", "只接受 JPG、PNG 或 PDF 格式的文件"),
        (encode(portrait_photo(), "GIF"), "只接受 JPG、PNG 或 PDF 格式的文件"),
        (b"  %PDF-1.4 not at the start\n%%EOF", "只接受 JPG、PNG 或 PDF 格式的文件"),
        (MINIMAL_PDF[:30], "PDF 文件不完整或已损坏"),
        (encode(portrait_photo(), "PNG")[:200], "文件已损坏或不完整"),
    ],
)
def test_sniff_document_refuses(data, message):
    with pytest.raises(DomainError, match=message):
        sniff_document(data)


def test_sniff_document_size_limit():
    with pytest.raises(DomainError, match="文件不能超过10 MB"):
        sniff_document(MINIMAL_PDF + b"\n" * (10 * 1024 * 1024))
