"""IAM offline: roles and their policies (:mod:`.resources`), stored and never enforced."""
