"""What moto's Step Functions interpreter knows of its executions and its public API does not say: whether one
waits on a task token, and how to stop them all so that no thread outlives the cloud.

This reads moto 5.2.5's internals (``Execution.exec_status``, ``exec_worker``, the callback pool), which its type
stubs do not declare: the ``# type: ignore[attr-defined]`` below are for that.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from moto.stepfunctions.parser.models import stepfunctions_parser_backends

State = Literal["done", "waiting", "running"]


def running(execution: Any) -> bool:
    return execution.exec_status is not None and execution.exec_status.value == "RUNNING"


def state(account_id: str, region: str, arn: str) -> State:
    """ "done", "waiting" (on a task token, its task's call made) or "running"."""
    execution = stepfunctions_parser_backends[account_id][region].describe_execution(arn)
    status = execution.exec_status  # type: ignore[attr-defined]  # set by moto's parser Execution, not declared
    if not running(execution):
        return "done" if status is not None else "running"
    env = getattr(execution.exec_worker, "env", None)  # type: ignore[attr-defined]  # as exec_status
    # moto keeps every callback endpoint of an execution; one with no outcome and no error is a token waited on.
    pool = env.callback_pool_manager._pool if env is not None else {}
    pending = any(endpoint.get_outcome() is None and endpoint.consumer_error is None for endpoint in pool.values())
    if not pending:
        return "running"
    # The token exists before the task's call (PutEvents) is made; TaskSubmitted is recorded once it is made. The
    # history is a deep copy of every event so far: read only when a token is pending.
    history = execution.to_history_output()  # type: ignore[attr-defined]  # as exec_status
    return "waiting" if history["events"][-1]["type"] == "TaskSubmitted" else "running"


def wait(arn: str, timeout: float) -> bool:
    """Until the execution ``arn`` ends (True) or ``timeout`` seconds pass (False).

    It reads moto's execution object instead of calling DescribeExecution: a synchronous caller (API Gateway's
    StartSyncExecution, a pipe's REQUEST_RESPONSE target) polled that API every 20 ms, and with dozens of callers
    waiting, the polls took more of the process than the executions they waited for.
    """
    _, _, _, region, account_id, *_ = arn.split(":")
    execution = stepfunctions_parser_backends[account_id][region].describe_execution(arn)
    deadline = time.monotonic() + timeout
    # Set by offline.stepfunctions.fixes once moto has recorded all of the ending (status, then output or error).
    while not getattr(execution, "offline_ended", False):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def outcome(sfn: Any, arn: str, timeout: float) -> dict[str, Any]:
    """DescribeExecution's answer (through the boto3 client ``sfn``) once the execution ``arn`` has ended; past
    ``timeout`` seconds it is stopped (States.Timeout) and reported TIMED_OUT, as a synchronous caller reports it."""
    if wait(arn, timeout):
        return dict(sfn.describe_execution(executionArn=arn))
    sfn.stop_execution(executionArn=arn, error="States.Timeout")
    return {**sfn.describe_execution(executionArn=arn), "status": "TIMED_OUT"}


def every(account_id: str, region: str) -> list[str]:
    """The ARN of every execution of every state machine, oldest machine first."""
    backend = stepfunctions_parser_backends[account_id][region]
    return [execution.execution_arn for machine in backend.state_machines for execution in list(machine.executions)]


def stop_all(account_id: str, region: str) -> None:
    """Abort what still runs, waking executions that wait on a token: their threads outlive the block, and must not
    call AWS once moto is gone."""
    backend = stepfunctions_parser_backends[account_id][region]
    for machine in backend.state_machines:
        for execution in list(machine.executions):
            if not running(execution):
                continue
            backend.stop_execution(execution.execution_arn)
            env = getattr(execution.exec_worker, "env", None)  # type: ignore[attr-defined]  # as in state()
            for endpoint in env.callback_pool_manager._pool.values() if env is not None else ():
                endpoint.interrupt_all()
