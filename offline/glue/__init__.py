"""Glue offline: Data Catalog databases and tables (:mod:`.resources`), stored only."""
