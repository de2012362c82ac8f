"""WAFv2 offline: web ACLs, associations and logging (:mod:`.resources`), and the stage's web ACL deciding
requests in front of the API (:mod:`.acl`)."""
