"""Byte-exact page editing: our tags spliced into a page, every other byte kept.

``encoding`` finds a page's character encoding the way a browser's prescan does;
``tokens`` is a small tokenizer that knows where markup can and cannot start; ``splice``
finds the head and the end of the body and rewrites only our own tags there.
"""

# The pages the build splices, by file name suffix (lower case); `check` and the log
# audit count a URL path as a page by the same set.
SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
