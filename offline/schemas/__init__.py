"""EventBridge Schemas offline, which moto lacks: registries and schemas (:mod:`.resources`), and every event put on
a bus validated against them (:mod:`.validation`)."""
