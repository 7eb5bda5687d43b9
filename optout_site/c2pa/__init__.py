"""Content Credentials: a signed C2PA manifest saying what the policy says, in every image.

An optional extra (``pip install "optout-site[c2pa]"``) built on ``c2pa-python``, the
C2PA project's own bindings: no JUMBF or COSE is written here. :mod:`.statement` turns a
decision into the training-and-data-mining assertions (pure, no ``c2pa`` import);
:mod:`.signing` signs a stamped image with them, the image as it was before our stamp
as the parent ingredient (so a camera's or Lightroom's manifest is kept, never replaced);
:mod:`.reading` reads a manifest back for ``check`` and for skipping current images;
:mod:`.certs` makes a test CA. Only :mod:`.signing` and :mod:`.reading` import
``c2pa``, and only when called. See docs/c2pa.md.
"""
