"""Athena offline: workgroups (:mod:`.resources`). moto's Athena returns no rows; query the S3 objects directly."""
