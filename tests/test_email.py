"""modules/email.py alone: the Email construct in a bare stack and the send statement it hands to workflows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cdktf import TerraformStack

from modules.common import EMAIL_DIR, load_json
from modules.config import EmailSettings
from modules.email import FAILURE_DETAIL_TYPES, FAILURES_RETENTION_SECONDS, Email, email_templates
from modules.rule import DefaultEventBus
from tests.tf import bare_stack, decoded, only, ref, resolved, resources, sample_platform, synth

PLATFORM = sample_platform()
SENDER = "reviews@example.com"


@pytest.fixture
def stack() -> TerraformStack:
    return bare_stack()


def _email(stack: TerraformStack, **overrides: Any) -> Email:
    return Email(stack, "email", **{"platform": PLATFORM, "settings": EmailSettings(sender_email=SENDER), **overrides})


def _arn(stack: TerraformStack, kind: str, construct: Any) -> str:
    return ref(kind, stack.get_logical_id(construct), "arn")


def test_email_templates_are_every_file_of_contracts_email_by_stem() -> None:
    templates = email_templates()
    assert sorted(templates) == sorted(path.stem for path in EMAIL_DIR.glob("*.json"))
    assert templates["thank-you"] == load_json(EMAIL_DIR / "thank-you.json")


def test_the_configuration_set_requires_tls_and_suppresses_bounces_and_complaints(stack: TerraformStack) -> None:
    _email(stack)
    _, configuration_set = only(synth(stack), "aws_sesv2_configuration_set", "configuration-set")
    assert configuration_set == {
        "configuration_set_name": "reviews-test-email-messages",
        "delivery_options": {"tls_policy": "REQUIRE"},
        "reputation_options": {"reputation_metrics_enabled": True},
        "sending_options": {"sending_enabled": True},
        "suppression_options": {"suppressed_reasons": ["BOUNCE", "COMPLAINT"]},
    }


def test_the_sender_identity_is_created_by_default_on_the_configuration_set(stack: TerraformStack) -> None:
    made = _email(stack)
    _, identity = only(synth(stack), "aws_sesv2_email_identity", "sender")
    assert identity == {
        "email_identity": SENDER,
        "configuration_set_name": ref(
            "aws_sesv2_configuration_set", stack.get_logical_id(made.configuration_set), "configuration_set_name"
        ),
    }


def test_every_template_file_becomes_one_ses_template_named_after_its_stem(stack: TerraformStack) -> None:
    made = _email(stack)
    templates = email_templates()
    synthesized = resources(synth(stack), "aws_ses_template")
    assert sorted(body["name"] for body in synthesized.values()) == sorted(f"reviews-test-email-{s}" for s in templates)
    for stem, template in templates.items():
        body = synthesized[stack.get_logical_id(made.templates[stem])]
        assert body == {
            "name": f"reviews-test-email-{stem}",
            "subject": template["subject"],
            "html": template["html"],
            "text": template["text"],
        }
        assert made.template_names[stem] == body["name"]


def test_the_send_statement_names_the_identity_the_configuration_set_and_exactly_the_given_templates(
    stack: TerraformStack,
) -> None:
    made = _email(stack)
    assert made.identity is not None
    assert resolved(stack, made.send_statement(["case-opened", "thank-you"])) == {
        "Sid": "SendTemplatedEmail",
        "Effect": "Allow",
        "Action": ["ses:SendEmail"],
        "Resource": [
            _arn(stack, "aws_sesv2_email_identity", made.identity),
            _arn(stack, "aws_sesv2_configuration_set", made.configuration_set),
            _arn(stack, "aws_ses_template", made.templates["case-opened"]),
            _arn(stack, "aws_ses_template", made.templates["thank-you"]),
        ],
        "Condition": {"StringEquals": {"ses:FromAddress": SENDER}},
    }


def test_an_unmanaged_sender_identity_is_not_created(stack: TerraformStack) -> None:
    made = _email(stack, settings=EmailSettings(sender_email=SENDER, manage_sender_identity=False))
    assert made.identity is None
    assert resources(synth(stack), "aws_sesv2_email_identity") == {}


def test_the_send_statement_spells_out_the_arn_of_an_unmanaged_sender_identity(stack: TerraformStack) -> None:
    made = _email(stack, settings=EmailSettings(sender_email=SENDER, manage_sender_identity=False))
    identity, *_ = resolved(stack, made.send_statement(["thank-you"]))["Resource"]
    assert identity == f"arn:aws:ses:eu-west-1:{PLATFORM.account_id}:identity/{SENDER}"


# ------------------------------------------------------------------------ emails SES accepted and did not send


def test_the_configuration_set_publishes_rendering_failures_bounces_complaints_and_rejects_to_the_default_bus(
    stack: TerraformStack,
) -> None:
    made = _email(stack)
    _, destination = only(synth(stack), "aws_sesv2_configuration_set_event_destination", "failure-destination")
    assert destination == {
        "configuration_set_name": ref(
            "aws_sesv2_configuration_set", stack.get_logical_id(made.configuration_set), "configuration_set_name"
        ),
        "event_destination_name": "undelivered-to-eventbridge",
        "event_destination": {
            "enabled": True,
            "matching_event_types": ["RENDERING_FAILURE", "BOUNCE", "COMPLAINT", "REJECT"],
            "event_bridge_destination": {
                "event_bus_arn": f"arn:aws:events:eu-west-1:{PLATFORM.account_id}:event-bus/default"
            },
        },
    }


def test_the_failure_event_types_are_the_ses_names_with_their_default_bus_detail_types() -> None:
    assert FAILURE_DETAIL_TYPES == {
        "RENDERING_FAILURE": "Email Rendering Failed",
        "BOUNCE": "Email Bounced",
        "COMPLAINT": "Email Complaint Received",
        "REJECT": "Email Rejected",
    }


def test_a_rule_on_the_default_bus_matches_this_configuration_sets_failures_alone(stack: TerraformStack) -> None:
    made = _email(stack)
    assert made.failures_rule.bus == DefaultEventBus.of(PLATFORM)
    _, rule = only(synth(stack), "aws_cloudwatch_event_rule", "on-failure")
    assert (rule["name"], rule["event_bus_name"]) == ("reviews-test-email-on-failure", "default")
    assert decoded(rule, "event_pattern") == {
        "source": ["aws.ses"],
        "detail-type": ["Email Rendering Failed", "Email Bounced", "Email Complaint Received", "Email Rejected"],
        "detail": {
            "mail": {
                "tags": {
                    "ses:configuration-set": [
                        ref(
                            "aws_sesv2_configuration_set",
                            stack.get_logical_id(made.configuration_set),
                            "configuration_set_name",
                        )
                    ]
                }
            }
        },
    }


def test_the_failures_go_to_an_encrypted_queue_kept_fourteen_days(stack: TerraformStack) -> None:
    made = _email(stack)
    synthesized = synth(stack)
    _, queue = only(synthesized, "aws_sqs_queue", "email_failures")
    assert queue == {
        "name": "reviews-test-email-failures",
        "kms_master_key_id": PLATFORM.key_arn,
        "message_retention_seconds": FAILURES_RETENTION_SECONDS,
    }
    assert FAILURES_RETENTION_SECONDS == 14 * 24 * 3600
    _, target = only(synthesized, "aws_cloudwatch_event_target", "on-failure")
    assert target["arn"] == ref("aws_sqs_queue", stack.get_logical_id(made.failures), "arn")
    assert made.failures_rule.target_policy is not None


def test_every_match_of_the_failures_rule_raises_an_alarm_that_points_at_the_queue(stack: TerraformStack) -> None:
    made = _email(stack)
    assert made.failures_rule.match_alarm is not None
    assert "reviews-test-email-failures" in made.failures_rule.match_alarm


# ------------------------------------------------------------------------------------------ input validation


def test_a_send_statement_for_an_unknown_template_stem_is_rejected_with_the_known_stems(stack: TerraformStack) -> None:
    made = _email(stack)
    known = sorted(email_templates())
    with pytest.raises(ValueError, match=re.escape(f"unknown templates ['no-such']; known: {known}")):
        made.send_statement(["thank-you", "no-such"])
