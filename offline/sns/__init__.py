"""SNS offline: topics, policies and subscriptions (:mod:`.resources`); email subscriptions stay pending."""
