"""JPEG: XMP in an APP1 segment, placed as Adobe's toolkit does (images.md §2.1).

Only the marker segments before the first SOS are parsed; everything from SOS to the
end of the file (entropy-coded data, later scans, EOI, MPF/gain-map trailers) is copied
by the kernel, untouched. An existing standard XMP segment is replaced where it is;
otherwise the new one goes after the leading APP0/Exif-APP1 run. Extended XMP segments
are left as they are (their GUID covers only the extension, so editing the standard
packet keeps them valid); a merged packet too big for one segment is refused rather
than split, since our own properties never need Extended XMP.

Camera files are read as tolerantly as libjpeg reads them: stray bytes, ``FF00`` pairs and
fill bytes before a marker are skipped and kept in place; a block we do not own (Exif,
MPF) that no parser understands is copied byte for byte. The MP Index of an MPO / Ultra
HDR file is kept true (:mod:`mpf`); only when it cannot be read and our edit would move
the images it points to is the file refused.

Legacy mode also writes EXIF IFD0 Copyright/Artist (a new IFD0 appended inside the Exif
blob, see tiff.append_ifd) and IPTC-IIM 2:116/2:80 in the Photoshop APP13. When a legacy
field cannot be written safely the XMP is still written and ``note`` says why. Exif 2.3
defines Artist and Copyright as ASCII, so they get an ASCII spelling of the text
(:func:`exif.exif_ascii`) or, where there is none, are left out with a note: the XMP, which is
Unicode, carries the exact text. (IIM declares UTF-8 with 1:90, see :mod:`iim`.)
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from optout_site.errors import ImageError, TruncatedImage
from optout_site.images import exif, exifnames, iim, mpf
from optout_site.images.container import Piece, Source, coalesce
from optout_site.images.rights import ImageRights

NAME = "jpeg"
EXTENSIONS = (".jpg", ".jpeg", ".jpe", ".jfif")
XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
EXIF_SIG = b"Exif\x00"
MPF_SIG = b"MPF\x00"
MAX_SEGMENT = 0xFFFF - 2  # payload bytes after the length field
PADDING = 2048  # Adobe pads JPEG packets "up to 2KB" for in-place edits
MAX_PACKET = MAX_SEGMENT - len(XMP_SIG)  # 65504
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_TAIL_SCAN = 64 * 1024


def accept(head: bytes) -> bool:
    return head.startswith(b"\xff\xd8\xff")


@dataclass
class Segment:
    marker: int
    start: int  # first byte, including any 0xFF fill bytes before the marker
    body: int  # first payload byte (after the length field)
    end: int
    kind: str  # xmp | exif | ps | mpf | app0 | c2pa | other
    mark: int  # the 0xFF of the marker itself: bytes from start to here are stray, kept

    @property
    def own(self) -> int:
        """Bytes a replacement takes the place of (stray bytes before it stay)."""
        return self.end - self.mark


def segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


class Jpeg:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.note = ""
        self.segments: list[Segment] = []
        self._parse_header()
        self._check_eoi()
        self._read_mpf()
        self.c2pa = any(s.kind == "c2pa" for s in self.segments)
        xmp = [s for s in self.segments if s.kind == "xmp"]
        self.xmp = self._payload(xmp[0])[len(XMP_SIG) :] if xmp else None
        self.more_xmp = tuple(self._payload(s)[len(XMP_SIG) :] for s in xmp[1:])
        exif = next((s for s in self.segments if s.kind == "exif"), None)
        ps = b"".join(self._payload(s)[len(iim.PS_SIG) :] for s in self.segments if s.kind == "ps")
        self.authors = (
            exifnames.exif_authors(self._payload(exif)) if exif else ()
        ) + exifnames.irb_authors(ps)

    def _payload(self, seg: Segment) -> bytes:
        return self.source.read(seg.body, seg.end - seg.body, f"segment at byte offset {seg.start}")

    def _parse_header(self) -> None:
        read = self.source.read
        if read(0, 2, "SOI") != b"\xff\xd8":
            raise ImageError("missing SOI marker at byte offset 0")
        pos, seen_sof = 2, False
        while True:
            start = pos
            pos = self._next_marker(pos)
            mark = pos - 1
            marker = read(pos, 1, "marker")[0]
            pos += 1
            if marker == 0x01 or 0xD0 <= marker <= 0xD7:
                self.segments.append(Segment(marker, start, pos, pos, "other", mark))
                continue
            if marker in (0xD8, 0xD9):
                raise ImageError(
                    f"unexpected marker 0xFF{marker:02X} at byte offset {pos - 2} before any scan"
                )
            (length,) = struct.unpack(">H", read(pos, 2, "segment length"))
            if length < 2:
                raise ImageError(f"segment length {length} at byte offset {pos} is invalid")
            end = pos + length
            read(end - 1, 1, f"segment 0xFF{marker:02X} at byte offset {mark}")
            if marker == 0xDA:
                if not seen_sof:
                    raise ImageError(f"scan at byte offset {start} has no frame header (SOF)")
                self.sos = start
                return
            if marker in _SOF and not seen_sof:
                self.height, self.width = struct.unpack(">HH", read(pos + 3, 4, "frame size"))
                seen_sof = True
            kind = self._kind(marker, pos + 2, end)
            self.segments.append(Segment(marker, start, pos + 2, end, kind, mark))
            pos = end

    def _next_marker(self, pos: int) -> int:
        """The offset of the next marker code at or after ``pos``, skipping what libjpeg's
        ``next_marker`` skips: stray bytes, ``FF00`` pairs and ``FF`` fill bytes. What is
        skipped stays in the segment that follows (its ``start``), so it is copied as is."""
        while True:
            chunk = self.source.read(pos, min(4096, self.source.size - pos), "marker")
            if not chunk:
                raise TruncatedImage(f"no marker after byte offset {pos}")
            i = chunk.find(b"\xff")
            while 0 <= i < len(chunk) - 1:
                if chunk[i + 1] not in (0x00, 0xFF):
                    return pos + i + 1
                i = chunk.find(b"\xff", i + 1)
            if len(chunk) == 1:
                raise TruncatedImage(f"no marker after byte offset {pos}")
            pos += len(chunk) - 1

    def _kind(self, marker: int, body: int, end: int) -> str:
        sig = self.source.read(body, min(end - body, 64))
        if marker == 0xEB and sig.startswith(b"JP") and b"c2pa" in sig:  # JUMBF box
            return "c2pa"
        sig = sig[: len(XMP_SIG)]
        if marker == 0xE0:
            return "app0"
        if marker == 0xE1 and sig == XMP_SIG:
            return "xmp"
        if marker == 0xE1 and sig.startswith(EXIF_SIG):
            return "exif"
        if marker == 0xED and sig.startswith(iim.PS_SIG):
            return "ps"
        if marker == 0xE2 and sig.startswith(MPF_SIG):
            return "mpf"
        return "other"

    def _check_eoi(self) -> None:
        """A file cut anywhere after SOS has lost its EOI. Entropy-coded data can't hold
        FF D9 (0xFF is always stuffed), so finding one near the end proves completeness;
        the backward scan stops at the first hit, i.e. after any trailer."""
        size, fd = self.source.size, self.source.fd
        hi = size
        while hi > self.sos:
            lo = max(self.sos, hi - _TAIL_SCAN)
            if os.pread(fd, min(hi + 1, size) - lo, lo).rfind(b"\xff\xd9") >= 0:
                return
            hi = lo
        raise TruncatedImage(f"no EOI marker after the scan starting at byte offset {self.sos}")

    def _read_mpf(self) -> None:
        """MPO / Ultra HDR secondary images live after EOI; the MP Index says where, so a
        cut through them is detectable without reading them. An index we cannot read is
        kept byte for byte (readers cannot use it either) and only limits what we move."""
        self.mpf_at = next((i for i, s in enumerate(self.segments) if s.kind == "mpf"), None)
        self.mpf: mpf.Index | None = None
        self.mpf_unreadable = False
        if self.mpf_at is None:
            return
        seg = self.segments[self.mpf_at]
        try:
            self.mpf = mpf.parse(self._payload(seg)[len(MPF_SIG) :])
        except ImageError:
            self.mpf_unreadable = True
            return
        base = seg.body + len(MPF_SIG)  # MPF offsets count from this TIFF header
        for n, (size, offset) in enumerate(self.mpf.entries if self.mpf else ()):
            if offset and base + offset + size > self.source.size:
                raise TruncatedImage(
                    f"MPF image {n + 1} at byte offset {base + offset} runs "
                    "past the end of the file"
                )

    def _insert_at(self) -> int:
        at = 0
        for seg in self.segments:
            if seg.kind not in ("app0", "exif"):
                break
            at += 1
        return at

    def plan(self, packet: bytes, rights: ImageRights) -> list[Piece] | None:
        segs = self.segments
        replace: dict[int, bytes] = {}  # segment index -> new bytes (b"" drops it)
        inserts: dict[int, list[bytes]] = {}  # before segment index (len(segs) = before SOS)
        new_xmp = segment(0xE1, XMP_SIG + packet)
        xmp_at = [i for i, s in enumerate(segs) if s.kind == "xmp"]
        if xmp_at:
            if self._payload(segs[xmp_at[0]])[len(XMP_SIG) :] != packet:
                replace[xmp_at[0]] = new_xmp
            for i in xmp_at[1:]:
                replace[i] = b""  # readers disagree on which duplicate wins: keep one
            after_xmp = xmp_at[0] + 1
        else:
            inserts.setdefault(self._insert_at(), []).append(new_xmp)
            after_xmp = self._insert_at()
        if rights.legacy:
            self._legacy(rights, replace, inserts, after_xmp)
        if not replace and not inserts:
            return None
        self._fix_mpf(replace, inserts)
        pieces: list[Piece] = [(0, 2)]
        for i, seg in enumerate(segs):
            pieces.extend(inserts.get(i, []))
            if i in replace:
                pieces += [(seg.start, seg.mark - seg.start), replace[i]]
            else:
                pieces.append((seg.start, seg.end - seg.start))
        pieces.extend(inserts.get(len(segs), []))
        pieces.append((self.sos, self.source.size - self.sos))
        return coalesce(pieces)

    def _fix_mpf(self, replace: dict[int, bytes], inserts: dict[int, list[bytes]]) -> None:
        """Keep the MP Index true: the first image's size grows by what we add, and later
        images move by what we add after the MPF segment (their offsets count from it)."""
        at = self.mpf_at
        if at is None:
            return
        grown = moved = 0
        changes = [(i, sum(len(b) for b in bs)) for i, bs in inserts.items()]
        changes += [(i, len(new) - self.segments[i].own) for i, new in replace.items()]
        for i, size in changes:
            grown += size
            if i > at:  # inserted before, or replacing, a segment after the MPF one
                moved += size
        seg = self.segments[at]
        if self.mpf is None:
            if moved and self.mpf_unreadable:
                raise ImageError(
                    f"the MPF index at byte offset {seg.start} cannot be read, and writing "
                    "after it would move the images it points to; refused"
                )
            return
        blob = self._payload(seg)
        new_blob = MPF_SIG + mpf.patched(blob[len(MPF_SIG) :], self.mpf, grown, moved)
        if new_blob != blob:
            replace[at] = segment(seg.marker, new_blob)

    def _legacy(
        self,
        rights: ImageRights,
        replace: dict[int, bytes],
        inserts: dict[int, list[bytes]],
        after_xmp: int,
    ) -> None:
        notes = []
        exif_at = next((i for i, s in enumerate(self.segments) if s.kind == "exif"), None)
        fields = exif.legacy_fields(rights)
        try:
            if exif_at is None:
                body = exif.new_exif(fields, self.width, self.height)
                notes += [f.left_out for f in fields if f.data is None]
                if body is not None:
                    at = self._insert_at()
                    inserts.setdefault(at, []).insert(0, segment(0xE1, body))
            else:
                body, left_out = exif.update_exif(
                    self._payload(self.segments[exif_at]), fields, rights.overwrite
                )
                notes += left_out
                if body is not None:
                    if len(body) > MAX_SEGMENT:
                        raise iim.LegacySkip("EXIF not updated: Exif APP1 would exceed 64 KB")
                    replace[exif_at] = segment(0xE1, body)
        except iim.LegacySkip as exc:
            notes.append(str(exc))
        ps_at = [i for i, s in enumerate(self.segments) if s.kind == "ps"]
        try:
            old = b"".join(self._payload(self.segments[i])[len(iim.PS_SIG) :] for i in ps_at)
            irb = iim.update_irb(old, rights)
            if irb is not None:
                new = b"".join(
                    segment(0xED, iim.PS_SIG + irb[k : k + iim.MAX_IRB_CHUNK])
                    for k in range(0, len(irb), iim.MAX_IRB_CHUNK)
                )
                if ps_at:
                    replace[ps_at[0]] = new
                    replace.update({i: b"" for i in ps_at[1:]})
                else:
                    inserts.setdefault(after_xmp, []).append(new)
        except iim.LegacySkip as exc:
            notes.append(str(exc))
        self.note = "; ".join(notes)


def parse(source: Source) -> Jpeg:
    return Jpeg(source)
