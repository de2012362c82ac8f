"""WAFv2 offline: web ACLs, associations and logging (:mod:`.resources`), stored; no request is filtered."""
