"""CloudWatch offline: metric alarms (:mod:`.resources`), stored and never evaluated."""
