"""CloudFront offline: the distribution's identity and its configuration-only companions (:mod:`.resources`),
and the site it serves, read from the synthesized stack (:mod:`.site`)."""
