"""API Gateway offline: the REST API's resources (:mod:`.resources`), the API served over HTTP as API Gateway
runs a request (:mod:`.server`), its VTL mapping templates (:mod:`.vtl`) and moto's import fix (:mod:`.fixes`)."""
