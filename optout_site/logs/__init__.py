"""``optout-site logs``: which crawlers came, whether they were who they said, whether they
read robots.txt, and what they fetched that the policy disallowed — from access logs.

:mod:`formats` parses lines, :mod:`source` reads (compressed) files in bounded pieces,
:mod:`ranges` verifies addresses against operators' published ranges, :mod:`audit`
judges each request and runs the pieces in parallel, :mod:`tally` holds the bounded
counts, :mod:`report` renders JSON/CSV/text and :mod:`charts` the HTML report.
"""
