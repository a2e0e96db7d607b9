"""Signatures for demo and test data: a hand-like stroke drawn with Pillow, as a phone would send it."""
import io
import math
import random

from PIL import Image, ImageDraw


def drawn_signature(seed: str = "签名", width: int = 600, height: int = 200) -> bytes:
    """A transparent PNG with a few joined pen strokes (different for each ``seed``)."""
    rng = random.Random(seed)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    x, points = 40.0, []
    while x < width - 60:
        points.append((x, height / 2 + math.sin(x / rng.uniform(15, 35)) * rng.uniform(20, 60)))
        x += rng.uniform(6, 14)
    pen.line(points, fill=(17, 17, 17, 255), width=4, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def receipt_filled(signer: str):
    """The 回执 as an enterprise fills it online: the signer's name and a drawn signature."""
    from app.services.forms.validation import Filled

    return Filled(values={"signer_name": signer}, files={"signature": drawn_signature(signer)})
