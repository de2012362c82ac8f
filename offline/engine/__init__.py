"""The emulator's engine, service-agnostic: the Terraform reader (:mod:`offline.engine.terraform`), the handler
registry every service package fills (:mod:`offline.engine.registry`), the helpers the handlers share
(:mod:`offline.engine.aws`), the provider's data sources (:mod:`offline.engine.data_sources`) and the facade that
brings a stack up, in dependency order, and waits for it to settle (:mod:`offline.engine.cloud`)."""
