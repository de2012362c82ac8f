"""Firehose offline: delivery streams (:mod:`.resources`) and what moto does not do with their records:
processing, dynamic partitioning, error output, compression (:mod:`.delivery`)."""
