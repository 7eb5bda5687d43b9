"""What a stamped image says: a site and one decision → the rights written into its XMP.

The page counterpart is :mod:`optout_site.signals.page_tags`. Both take the decision
``Policy.resolve`` gives for the file's URL path, so an image and the page that shows it
carry the same reservation.
"""

from __future__ import annotations

import functools

from optout_site import dialects
from optout_site.config import Site
from optout_site.images import Contact, ImageRights
from optout_site.policy import Decision


# A site has a handful of decisions and thousands of images: each is worked out once
# (Site and Decision are frozen, hence hashable).
@functools.lru_cache(maxsize=256)
def for_decision(site: Site, decision: Decision) -> ImageRights:
    holder = site.rightsholder
    address = holder.address
    contact = Contact(
        name=holder.name,
        email=holder.email,
        url=holder.url or site.url + "/",
        address=address.street if address else None,
        city=address.locality if address else None,
        postal_code=address.postal_code if address else None,
        country=address.country if address else None,
        phone=holder.phone,
    )
    described = dialects.describe(decision)
    return ImageRights(
        data_mining=dialects.iptc_data_mining(decision),
        other_constraints=described if dialects.needs_constraint_text(decision) else None,
        web_statement=site.reservation_page_url or site.tdm_policy_url,
        usage_terms=site.images.usage_terms or described,
        copyright=site.images.copyright or f"© {holder.name}. All rights reserved.",
        creator=holder.name,
        contact=contact,
        overwrite=site.images.overwrite,
        legacy=site.images.legacy,
        padding=site.images.padding,
    )
