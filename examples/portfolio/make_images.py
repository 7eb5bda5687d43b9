"""Regenerate the example site's images (kept small; committed as binaries).

Synthetic but realistic containers: a JPEG with EXIF (camera, orientation, date) and an
sRGB ICC profile, a PNG with an ICC profile and a text chunk, a lossy WebP, and a press
portrait JPEG. Run: python examples/portfolio/make_images.py
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageCms, ImageDraw, ImageFilter, PngImagePlugin

HERE = Path(__file__).resolve().parent / "public"
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def landscape(
    size: tuple[int, int], sky: tuple[int, int, int], ground: tuple[int, int, int], seed: int
) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(img)
    w, h = size
    for y in range(h):  # sky gradient
        t = y / h
        draw.line([(0, y), (w, y)], fill=tuple(int(c * (1 - 0.5 * t)) for c in sky))
    points = [(0, h)]
    x, y = 0, int(h * 0.55)
    while x < w:
        x += rng.randint(20, 60)
        y = max(int(h * 0.25), min(int(h * 0.8), y + rng.randint(-40, 40)))
        points.append((x, y))
    points.append((w, h))
    draw.polygon(points, fill=ground)
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    # Film-like grain, so the files compress like photographs rather than flat art.
    grain = Image.effect_noise(size, 24).convert("RGB")
    return Image.blend(img, grain, 0.12)


def exif(model: str, orientation: int = 1) -> Image.Exif:
    data = Image.Exif()
    data[0x010F] = "FUJIFILM"  # Make
    data[0x0110] = model  # Model
    data[0x0112] = orientation
    data[0x0132] = "2026:10:12 07:42:10"  # DateTime
    data[0x0131] = "Capture One 16.5"  # Software
    return data


def main() -> None:
    (HERE / "images").mkdir(exist_ok=True)
    (HERE / "press").mkdir(exist_ok=True)
    mountains = landscape((640, 427), (120, 160, 220), (70, 80, 90), 1)
    mountains.save(HERE / "images/mountains.jpg", quality=82, icc_profile=SRGB, exif=exif("X-T5"))
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", "Granite coast at low tide")
    landscape((480, 320), (200, 180, 150), (40, 60, 80), 2).save(
        HERE / "images/coast.png", icc_profile=SRGB, pnginfo=info, optimize=True
    )
    landscape((560, 373), (230, 170, 90), (60, 90, 40), 3).save(
        HERE / "images/forest.webp", quality=80, method=6
    )
    portrait = landscape((320, 400), (180, 180, 190), (90, 70, 60), 4)
    portrait.save(HERE / "press/portrait.jpg", quality=85, icc_profile=SRGB, exif=exif("X100VI", 1))


if __name__ == "__main__":
    main()
