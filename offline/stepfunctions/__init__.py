"""Step Functions offline: state machines (:mod:`.resources`) run by moto's interpreter, with its gaps filled
(:mod:`.fixes`) and its executions inspected for quiescence (:mod:`.executions`)."""
