"""Coverage-guided fuzzing of the PNG writer (iTXt XMP, chunk walk, CRCs).

Run: python fuzz/run.py --only png   (or directly: python fuzz/fuzz_png.py CORPUS_DIR ...)
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["optout_site"]):
    from fuzz import harness  # noqa: E402

if __name__ == "__main__":
    harness.main("png")
