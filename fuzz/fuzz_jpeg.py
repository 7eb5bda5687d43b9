"""Coverage-guided fuzzing of the JPEG writer (APP1 XMP, legacy EXIF and IPTC-IIM, MPF checks).

Run: python fuzz/run.py --only jpeg   (or directly: python fuzz/fuzz_jpeg.py CORPUS_DIR ...)
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["optout_site"]):
    from fuzz import harness  # noqa: E402

if __name__ == "__main__":
    harness.main("jpeg")
