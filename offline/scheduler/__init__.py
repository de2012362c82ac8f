"""EventBridge Scheduler offline: schedules are created in moto, which never fires them; :mod:`.firing` starts a
schedule's target when a test, the bench or ``python -m ops`` asks, as Scheduler would at its time."""
