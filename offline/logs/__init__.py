"""CloudWatch Logs offline: log groups, streams and log deliveries (:mod:`.resources`)."""
