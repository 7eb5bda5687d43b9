"""Fuzzing for optout-site: the oracle (invariants) and coverage-guided harnesses.

See fuzz/README.md. The oracle is shared with tests/test_fuzz_props.py, so the normal
suite and the long fuzz runs check exactly the same properties.
"""
