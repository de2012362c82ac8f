"""EventBridge Pipes offline: pipes as resources in moto, which stores them (:mod:`.resources`), and the polling of
their SQS sources into their Step Functions targets, which moto does not run (:mod:`.delivery`)."""
