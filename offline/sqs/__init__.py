"""SQS offline: queues and their policies (:mod:`.resources`); moto runs them."""
