"""KMS offline: keys and aliases (:mod:`.resources`); encryption with them is recorded, never enforced."""
