"""Write the seed corpus under fuzz/corpus/<target>/ (small, deterministic, committed).

    python fuzz/make_corpus.py          # rewrite every seed directory

Seeds are tiny valid files that reach each writer's paths: every container layout the
writers distinguish (existing XMP, XMP after the image data, MPF, Photoshop IRB, VP8X,
animation, big-endian TIFF, ...), one already-stamped file per format (the "unchanged"
path) and hostile XMP packets (DTDs, entities, UTF-16). Keep the total under 1 MB.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import imagefactory as f  # noqa: E402
from PIL import Image, PngImagePlugin  # noqa: E402

from fuzz import oracle  # noqa: E402
from optout_site.build.work import stamp_image as stamp  # noqa: E402
from optout_site.images import xmp  # noqa: E402

CORPUS = HERE / "corpus"


def _stamped(data: bytes, ext: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"in.{ext}"
        src.write_bytes(data)
        stamp(src, src, oracle.rights_for(data))
        return src.read_bytes()


def jpeg_seeds() -> dict[str, bytes]:
    pic = f.photo((16, 12), 1)
    base = f.save(pic, "JPEG", quality=60)
    std, ext_segment = f.extended_xmp()
    seeds = {
        "baseline.jpg": base,
        "progressive_exif.jpg": f.save(pic, "JPEG", progressive=True, exif=f.exif_bytes(6)),
        "icc.jpg": f.save(pic, "JPEG", quality=50, icc_profile=f.icc_profile()),
        "gray.jpg": f.save(pic.convert("L"), "JPEG", quality=50),
        "cmyk.jpg": f.save(pic.convert("CMYK"), "JPEG", quality=50),
        "foreign_xmp.jpg": f.save(pic, "JPEG", quality=50, xmp=f.FOREIGN_XMP),
        "extended_xmp.jpg": f.insert_segments(
            f.save(pic, "JPEG", quality=50, xmp=std), 1, ext_segment
        ),
        "iptc.jpg": f.insert_segments(
            f.save(
                pic,
                "JPEG",
                quality=50,
                exif=f.exif_bytes(1, artist="Old Artist", copyright="(c) Old"),
            ),
            2,
            f.jpeg_segment(0xED, f.photoshop_irb()),
        ),
        "comment.jpg": f.save(pic, "JPEG", quality=50, comment=b"a comment"),
        "mpo.jpg": f.save(
            pic, "MPO", save_all=True, append_images=[f.photo((16, 12), 2)], quality=50
        ),
    }
    seeds["stamped.jpg"] = _stamped(base, "jpg")
    return seeds


def png_seeds() -> dict[str, bytes]:
    pic = f.noise("RGB", (8, 8), 1)
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", "plain")
    info.add_itxt("XML:com.adobe.xmp", f.FOREIGN_XMP.decode(), zip=True)
    foreign = PngImagePlugin.PngInfo()
    foreign.add_itxt("XML:com.adobe.xmp", f.FOREIGN_XMP.decode())
    with_xmp = f.save(pic, "PNG", pnginfo=foreign)
    chunks, _ = f.png_chunks(with_xmp)
    xmp_chunk = next(c for c in chunks if f.is_png_xmp(*c))
    moved = [c for c in chunks if c is not xmp_chunk]
    moved.insert(len(moved) - 1, xmp_chunk)
    apng = f.save(
        f.noise("RGBA", (6, 6), 3),
        "PNG",
        save_all=True,
        append_images=[f.noise("RGBA", (6, 6), 4)],
        duration=50,
    )
    seeds = {
        "rgb.png": f.save(pic, "PNG"),
        "rgba.png": f.save(f.noise("RGBA", (7, 5), 2), "PNG"),
        "palette_trns.png": f.save(f.noise("P", (9, 7), 3), "PNG", transparency=0),
        "gray16.png": f.save(f.noise("I;16", (5, 5), 4), "PNG"),
        "bilevel.png": f.save(f.noise("1", (9, 3), 5), "PNG"),
        "foreign_xmp.png": with_xmp,
        "xmp_after_idat.png": f.png_from_chunks(moved, b"trailer"),
        "compressed_xmp.png": f.save(pic, "PNG", pnginfo=info),
        "apng.png": apng,
        "caBX.png": f.png_from_chunks([*chunks[:-1], (b"caBX", b"manifest"), chunks[-1]]),
    }
    seeds["stamped.png"] = _stamped(seeds["rgb.png"], "png")
    return seeds


def webp_seeds() -> dict[str, bytes]:
    pic = f.photo((16, 12), 1)
    frames = [f.noise("RGB", (8, 8), s) for s in range(2)]
    seeds = {
        "lossy.webp": f.save(pic, "WEBP", quality=50),
        "lossless.webp": f.save(f.noise("RGB", (6, 6), 2), "WEBP", lossless=True),
        "alpha_lossless.webp": f.save(f.noise("RGBA", (6, 6), 3), "WEBP", lossless=True),
        "alpha_lossy.webp": f.save(f.noise("RGBA", (8, 8), 4), "WEBP", quality=40),
        "exif_icc.webp": f.save(
            pic, "WEBP", quality=40, exif=f.exif_bytes(3), icc_profile=f.icc_profile()
        ),
        "animated.webp": f.save(
            frames[0],
            "WEBP",
            save_all=True,
            append_images=frames[1:],
            duration=50,
            loop=0,
            lossless=True,
        ),
        "foreign_xmp.webp": f.save(pic, "WEBP", quality=40, xmp=f.FOREIGN_XMP),
    }
    seeds["stamped.webp"] = _stamped(seeds["lossy.webp"], "webp")
    return seeds


def tiff_seeds() -> dict[str, bytes]:
    pages = [f.noise("L", (4, 4), s) for s in range(2)]
    seeds = {
        "ii_raw.tif": f.save(f.noise("RGB", (5, 4), 1), "TIFF"),
        "ii_lzw.tif": f.save(f.noise("RGBA", (6, 5), 2), "TIFF", compression="tiff_lzw"),
        "packbits.tif": f.save(f.noise("L", (7, 3), 3), "TIFF", compression="packbits"),
        "deflate.tif": f.save(f.noise("CMYK", (4, 4), 4), "TIFF", compression="tiff_adobe_deflate"),
        "mm.tif": f.tiff_mm(f.noise("RGB", (5, 5), 5), rows_per_strip=2),
        "mm16.tif": f.save(f.noise("I;16B", (4, 3), 6), "TIFF"),
        "bilevel.tif": f.save(f.noise("1", (9, 4), 7), "TIFF"),
        "multipage.tif": f.save(pages[0], "TIFF", save_all=True, append_images=pages[1:]),
        "foreign_xmp.tif": f.save(f.noise("RGB", (4, 4), 8), "TIFF", tiffinfo={700: f.FOREIGN_XMP}),
    }
    seeds["stamped.tif"] = _stamped(seeds["ii_raw.tif"], "tif")
    return seeds


def gif_seeds() -> dict[str, bytes]:
    frames = [f.noise("P", (8, 6), s) for s in range(3)]
    plain = f.save(f.noise("P", (6, 6), 9), "GIF", comment=b"x")
    head, blocks, tail = f.gif_blocks(plain)
    seeds = {
        "static87a.gif": f.save(f.noise("P", (8, 8), 1), "GIF"),
        "animated_loop.gif": f.save(
            frames[0],
            "GIF",
            save_all=True,
            append_images=frames[1:],
            duration=40,
            loop=0,
            comment=b"c",
        ),
        "transparent.gif": f.save(f.noise("P", (5, 5), 2), "GIF", transparency=3),
        "foreign_xmp.gif": b"GIF89a"
        + head[6:]
        + b"".join(blocks)
        + f.gif_xmp_block(f.FOREIGN_XMP)
        + tail,
        "no_global_table.gif": _gif_local_table(),
    }
    seeds["stamped.gif"] = _stamped(seeds["static87a.gif"], "gif")
    return seeds


def _gif_local_table() -> bytes:
    """A GIF with a local colour table only (Pillow always writes a global one)."""
    data = bytes.fromhex("47494638396102000200000000")
    image = (
        bytes.fromhex("2c000000000200020080")
        + bytes.fromhex("000000ffffff")
        + b"\x02\x02\x44\x01\x00"
    )
    return data + image + b"\x3b"


def xmp_seeds() -> dict[str, bytes]:
    canary = oracle.CANARY.as_uri()
    ours = xmp.merge(None, oracle.RIGHTS, 64, None)
    rdf_ns = b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            b'<!ENTITY %c "%s">' % (ord("b") + i, (b"&%c;" % (ord("a") + i)) * 10) for i in range(8)
        )
        + b']><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        + rdf_ns
        + b'><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<dc:title>&i;</dc:title></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    external = (
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "' + canary.encode() + b'">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF ' + rdf_ns + b">"
        b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<dc:title>&e;</dc:title></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    attr_form = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF ' + rdf_ns + b">"
        b'<rdf:Description rdf:about="urn:a" '
        b'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        b'plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-ALLOWED" '
        b'dc:creator="Attr"/><rdf:Description rdf:about="urn:b"/></rdf:RDF></x:xmpmeta>'
    )
    return {
        "foreign.xmp": f.FOREIGN_XMP,
        "ours.xmp": ours,
        "merged.xmp": xmp.merge(f.FOREIGN_XMP, oracle.RIGHTS, 0, None),
        "utf16.xmp": f.FOREIGN_XMP.decode().encode("utf-16"),
        "utf16be_nobom.xmp": f.FOREIGN_XMP.decode().encode("utf-16-be"),
        "bare_rdf.xmp": b"<rdf:RDF " + rdf_ns + b'><rdf:Description rdf:about=""/></rdf:RDF>',
        "xapmeta.xmp": f.FOREIGN_XMP.replace(b"x:xmpmeta", b"x:xapmeta"),
        "attribute_form.xmp": attr_form,
        "nul_padded.xmp": ours + b"\x00" * 64,
        "billion_laughs.xmp": laughs,
        "external_entity.xmp": external,
        "extended_pointer.xmp": f.extended_xmp()[0],
    }


def html_seeds() -> dict[str, bytes]:
    seeds = {}
    for path in sorted((REPO / "examples" / "portfolio" / "public").rglob("*.html")):
        data = path.read_bytes()
        if len(data) <= 4096:
            seeds["example_" + "_".join(path.relative_to(REPO / "examples").parts)] = data
    seeds.update(
        {
            "minimal.html": (
                b"<!doctype html><html><head><title>t</title></head><body>x</body></html>"
            ),
            "no_head.html": b"<p>just a paragraph",
            "latin1.html": '<html><head><meta charset="iso-8859-1"><title>Été</title></head>'
            "<body>é</body></html>".encode("latin-1"),
            "utf16.html": "\ufeff<html><head><title>x</title></head><body>y</body></html>".encode(
                "utf-16-le"
            ),
            "xhtml.xhtml": b'<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org'
            b'/1999/xhtml"><head><title>t</title></head><body/></html>',
            "ours_reserved.html": b'<html><head>\n  <meta name="tdm-reservation" content="1">\n  '
            b'<meta name="tdm-policy" content="https://fuzz.example/tdm-policy.json">\n  '
            b'<meta name="robots" content="noindex, noai, noimageai">\n  <link rel="license" '
            b'type="application/rsl+xml" href="https://fuzz.example/license.xml">\n</head><body>'
            b'\n<a class="optout-site-reservation" href="https://fuzz.example/ai-reservation/">'
            b"AI reservation \xc3\xa9</a>\n</body></html>",
            "tricky_head.html": b"<HTML><HEAD data-x='y>z'><!-- <head> --><script>if(a<b)"
            b"{x='</head>'}</script><noscript><style>p{}</style></noscript><base href=/>"
            b"<META NAME=ROBOTS CONTENT=NOFOLLOW><meta name=tdm-reservation content=0>"
            b"<meta name=tdm-reservation content=1></HEAD><body>\x00</body></HTML>",
            "charset_http_equiv.html": b'<meta http-equiv="Content-Type" content="text/html; '
            b'charset=shift_jis"><title>\x82\xa0</title>',
            "unclosed.html": b'<html><head><meta name="x" content="unclosed',
        }
    )
    return seeds


SEEDS = {
    "jpeg": jpeg_seeds,
    "png": png_seeds,
    "webp": webp_seeds,
    "tiff": tiff_seeds,
    "gif": gif_seeds,
    "xmp": xmp_seeds,
    "html": html_seeds,
}


def main() -> None:
    Image.init()
    oracle.ensure_canary()
    total = 0
    for name, make in SEEDS.items():
        folder = CORPUS / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for file_name, data in make().items():
            (folder / file_name).write_bytes(data)
            total += len(data)
        print(f"{name:5} {len(list(folder.iterdir())):3} seeds")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
