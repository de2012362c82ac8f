"""modules/queued_workflow.py alone: a queue, its dead-letter queue and a pipe into an Express workflow, in a bare
stack, read back from that small stack's synthesized JSON; each input check has its own test."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import TerraformStack

from modules.checks import CheckError
from modules.common import ASL_DIR, load_json, placeholders
from modules.queued_workflow import QueuedWorkflow
from modules.workflow import Workflow
from tests.tf import bare_stack, decoded, only, ref, sample_platform, synth

PLATFORM = sample_platform()
ASL = "analyse-review"
SUBSTITUTIONS = {name: 1 for name in placeholders(load_json(ASL_DIR / f"{ASL}.asl.json"))}


@pytest.fixture
def stack() -> TerraformStack:
    return bare_stack()


def _workflow(stack: TerraformStack, kind: str = "EXPRESS") -> Workflow:
    return Workflow(
        stack,
        f"workflow-{kind.lower()}",
        platform=PLATFORM,
        service="analysis",
        purpose=ASL,
        asl=ASL,
        workflow_type=kind,  # type: ignore[arg-type]
        substitutions=SUBSTITUTIONS,
        statements=[],
    )


def _queued(stack: TerraformStack, **overrides: Any) -> QueuedWorkflow:
    settings: dict[str, Any] = {
        "platform": PLATFORM,
        "service": "analysis",
        "purpose": "reviews",
        "execution_timeout_seconds": 180,
        "batch_size": 25,
        "batching_window_seconds": 2,
        "max_receive_count": 5,
        **overrides,
    }
    settings.setdefault("workflow", _workflow(stack))
    return QueuedWorkflow(stack, "buffer", **settings)


def test_the_queue_redrives_to_its_own_dead_letter_queue_after_max_receive_count(stack):
    _queued(stack, max_receive_count=3)
    tf = synth(stack)
    _, queue = only(tf, "aws_sqs_queue", "buffer_queue")
    dlq, _ = only(tf, "aws_sqs_queue", "buffer_dlq")
    assert decoded(queue, "redrive_policy") == {
        "deadLetterTargetArn": ref("aws_sqs_queue", dlq, "arn"),
        "maxReceiveCount": 3,
    }


def test_the_visibility_timeout_outlasts_the_window_and_the_execution(stack):
    buffer = _queued(stack, batching_window_seconds=10, execution_timeout_seconds=100)
    assert buffer.visibility_timeout_seconds == 10 + 100 + 30
    _, queue = only(synth(stack), "aws_sqs_queue", "buffer_queue")
    assert queue["visibility_timeout_seconds"] == 140


def test_both_queues_are_encrypted_with_the_platform_key_and_kept_14_days(stack):
    _queued(stack)
    tf = synth(stack)
    for name in ("buffer_queue", "buffer_dlq"):
        _, queue = only(tf, "aws_sqs_queue", name)
        assert (queue["kms_master_key_id"], queue["message_retention_seconds"]) == (PLATFORM.key_arn, 14 * 24 * 3600)


def test_the_dead_letter_queue_refuses_requests_without_tls(stack):
    _queued(stack)
    _, policy = only(synth(stack), "aws_sqs_queue_policy", "buffer_dlq-policy")
    statements = decoded(policy, "policy")["Statement"]
    [deny] = [s for s in statements if s.get("Sid") != "OnlyTheOperatorReceives"]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    # What every delivery failed is the operator's alone to read.
    [receive] = [s for s in statements if s.get("Sid") == "OnlyTheOperatorReceives"]
    assert receive["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": PLATFORM.operator_role_arn}}


def test_the_pipe_reads_the_queue_in_batches_into_the_workflow_synchronously(stack):
    _queued(stack, batch_size=7, batching_window_seconds=0)
    tf = synth(stack)
    _, pipe = only(tf, "aws_pipes_pipe", "buffer_pipe")
    queue, _ = only(tf, "aws_sqs_queue", "buffer_queue")
    machine, _ = only(tf, "aws_sfn_state_machine", "workflow-express")
    assert (pipe["source"], pipe["target"]) == (
        ref("aws_sqs_queue", queue, "arn"),
        ref("aws_sfn_state_machine", machine, "arn"),
    )
    assert pipe["source_parameters"]["sqs_queue_parameters"] == {
        "batch_size": 7,
        "maximum_batching_window_in_seconds": 0,
    }
    assert pipe["target_parameters"]["step_function_state_machine_parameters"]["invocation_type"] == "REQUEST_RESPONSE"


def test_the_pipe_role_is_trusted_only_by_pipes_for_this_pipe(stack):
    _queued(stack)
    _, role = only(synth(stack), "aws_iam_role", "buffer_role")
    [trust] = decoded(role, "assume_role_policy")["Statement"]
    assert trust["Principal"] == {"Service": "pipes.amazonaws.com"}
    assert trust["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:pipes:eu-west-1:123456789012:pipe/reviews-test-analysis-reviews"
    }


def test_the_pipe_role_may_decrypt_only_through_sqs(stack):
    _queued(stack)
    _, policy = only(synth(stack), "aws_iam_role_policy", "buffer_policy")
    statements = {s["Sid"]: s for s in decoded(policy, "policy")["Statement"]}
    assert statements["DecryptTheQueue"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "sqs.eu-west-1.amazonaws.com"}
    }
    assert set(statements) == {"ReadTheQueue", "DecryptTheQueue", "StartTheWorkflow", "WritePipeLogs"}


def test_a_standard_workflow_is_refused_as_a_synchronous_target(stack):
    with pytest.raises(TypeError, match="EXPRESS"):
        _queued(stack, workflow=_workflow(stack, "STANDARD"))


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("batch_size", 0, "batch_size: 0 must be a whole number from 1 to 10000"),
        ("batching_window_seconds", 301, "batching_window_seconds: 301 must be a whole number from 0 to 300"),
        ("max_receive_count", 0, "max_receive_count: 0 must be a whole number from 1 to 1000"),
        ("execution_timeout_seconds", 301, "execution_timeout_seconds: 301 must be a whole number from 1 to 300"),
    ],
)
def test_each_argument_is_checked(stack, setting, value, message):
    with pytest.raises(CheckError, match=message):
        _queued(stack, **{setting: value})


def test_a_batch_over_ten_needs_a_batching_window(stack):
    with pytest.raises(ValueError, match="batch_size over 10 needs a batching_window_seconds of at least 1"):
        _queued(stack, batch_size=11, batching_window_seconds=0)
