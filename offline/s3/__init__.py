"""S3 offline: buckets, their settings and objects (:mod:`.resources`), and bucket policy conditions evaluated as
IAM does (:mod:`.fixes`)."""
