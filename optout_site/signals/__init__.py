"""Stage 2: each module renders one dialect from the resolved policy, and nothing else.

Site-level files (``tdmrep``, ``aitxt``, ``robots``, ``rsl``, ``reservation``) take a
:class:`~optout_site.config.Site`; per-file signals (``page_tags`` for HTML,
``image_rights`` for images, ``headers`` for servers) take a site and one
:class:`~optout_site.policy.Decision`. No signal reads sites.yaml or another signal's
output; that is what keeps them agreeing. Which files a build publishes is decided in
:mod:`optout_site.build.sitefiles`.
"""
