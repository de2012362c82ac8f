"""DynamoDB offline: tables (:mod:`.resources`); moto runs them."""
