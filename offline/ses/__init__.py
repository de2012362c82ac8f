"""SES offline: templates, configuration sets and identities (:mod:`.resources`), and SESv2 templated email rendered
and recorded (:mod:`.templates`)."""
