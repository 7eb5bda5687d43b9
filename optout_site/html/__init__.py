"""Byte-exact page editing: our tags spliced into a page, every other byte kept.

``encoding`` finds a page's character encoding the way a browser's prescan does;
``tokens`` is a small tokenizer that knows where markup can and cannot start; ``splice``
finds the head and the end of the body and rewrites only our own tags there.
"""
