"""Product pictures drawn with Pillow: a two-colour gradient, a few soft shapes, the product's
initials and a caption. Nothing is downloaded; one 800 px picture takes about 10 ms."""

import functools
import io
import random
import unicodedata

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps


def latin_caption(text: str) -> str:
    """The text without accents and without characters the built-in font cannot draw."""
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if c.isascii() and (c.isprintable())).strip()


def initials(text: str) -> str:
    """ "Habagat Runner 2" -> "HR"; "Fig & Cedar Eau de Parfum" -> "FC"."""
    words = [w for w in latin_caption(text).split() if w[:1].isalpha()]
    return "".join(w[0].upper() for w in words[:2]) or "P"


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _is_light(rgb: tuple[int, int, int]) -> bool:
    r, g, b = rgb
    return 0.299 * r + 0.587 * g + 0.114 * b > 170


def product_picture(
    *, title: str, caption: str, colours: tuple[str, str], seed: str, size: int = 800
) -> bytes:
    """A square JPEG for a product: ``colours`` make the gradient, ``seed`` places the shapes."""
    rng = random.Random(seed)
    dark, light = _hex(colours[0]), _hex(colours[1])
    # The background is soft, so it is drawn small and enlarged: a few ms instead of 20.
    small = 160
    gradient = Image.linear_gradient("L").resize((small, small), Image.Resampling.BILINEAR)
    gradient = gradient.transpose(
        rng.choice(
            [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270, Image.Transpose.FLIP_TOP_BOTTOM]
        )
    )
    background = ImageOps.colorize(gradient, black=dark, white=light).convert("RGBA")
    overlay = Image.new("RGBA", (small, small), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for _n in range(3):
        radius = rng.randint(small // 6, small // 2)
        x, y = rng.randint(0, small), rng.randint(0, small)
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius),
            fill=(255, 255, 255, rng.randint(28, 60)),
        )
    band = int(small * 0.2)
    draw.rectangle((0, small - band, small, small), fill=(0, 0, 0, 90))
    background = Image.alpha_composite(background, overlay).convert("RGB")
    background = background.filter(ImageFilter.GaussianBlur(1.5))
    picture = background.resize((size, size), Image.Resampling.BILINEAR)
    band = int(size * 0.2)

    draw = ImageDraw.Draw(picture)
    ink = (30, 30, 30) if _is_light(_mean(dark, light)) else (255, 255, 255)
    big = _font(max(size // 3, 10))
    text = _font(max(size // 22, 8))
    centre = (size // 2, int((size - band) * 0.5))
    draw.text(centre, initials(title), font=big, fill=ink, anchor="mm")
    draw.text(
        (size // 2, size - band // 2 - size // 40),
        latin_caption(title)[:48],
        font=text,
        fill=(255, 255, 255),
        anchor="mm",
    )
    draw.text(
        (size // 2, size - band // 2 + size // 28),
        latin_caption(caption)[:48],
        font=text,
        fill=(230, 230, 230),
        anchor="mm",
    )
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _mean(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int, int]:
    return (a[0] + b[0]) // 2, (a[1] + b[1]) // 2, (a[2] + b[2]) // 2
