"""EventBridge offline: buses, archives, rules and targets (:mod:`.resources`), and delivery to the Step Functions
and Firehose targets moto cannot reach, with retries and dead-letter queues (:mod:`.delivery`), and archive replay of a time window (:mod:`.replay`)."""
