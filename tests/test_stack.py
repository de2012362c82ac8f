"""Project-wide checks over every synthesized stack: snapshots, no Lambda, wiring of every event,
dead-letter queues and retries, logging and tracing, valid ASL, and IAM that follows the ASL."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from modules.common import ASL_DIR, event_catalogue
from modules.routing import consumers_of, routes
from tests.events import ACCOUNT, matches, review_analysed, sample, sentiment_score
from tests.tf import decoded, ref, references, resources

ENVIRONMENT_STACKS = ("reviews-dev", "reviews-prod")


def analysed(sentiment: str, negative: float) -> dict[str, Any]:
    return review_analysed(sentiment, sentiment_score(negative=negative, neutral=1 - negative))


def matching_rules(stack: dict[str, Any], event: dict[str, Any]) -> set[str]:
    """The physical names of the rules whose synthesized pattern matches ``event``."""
    matched = set()
    for rule in resources(stack, "aws_cloudwatch_event_rule").values():
        # The audit rule scopes to the deploying account, unknown until apply: use the sample's.
        pattern = rule["event_pattern"].replace("${data.aws_caller_identity.account.account_id}", ACCOUNT)
        if matches(EventPattern.load(pattern), event):
            matched.add(rule["name"])
    return matched


# --- snapshots and invariants -------------------------------------------------------------------------


@pytest.mark.parametrize("stack", [*ENVIRONMENT_STACKS])
def test_every_stack_synthesizes_as_its_snapshot(synthesized, snapshot, stack):
    assert synthesized[stack] == snapshot


def test_nothing_anywhere_is_a_lambda_function(synthesized):
    for name, stack in synthesized.items():
        kinds = set(stack.get("resource", {})) | set(stack.get("data", {}))
        assert not [kind for kind in kinds if kind.startswith(("aws_lambda", "data.aws_lambda"))], name
        assert '"aws_lambda_' not in json.dumps(stack)


def test_every_rule_target_has_a_dead_letter_queue_and_a_retry_policy(dev):
    queues = resources(dev, "aws_sqs_queue")
    for name, target in resources(dev, "aws_cloudwatch_event_target").items():
        [(kind, queue, attribute)] = references(target["dead_letter_config"]["arn"])
        assert (kind, attribute) == ("aws_sqs_queue", "arn"), name
        assert queues[queue]["kms_master_key_id"], name
        assert target["retry_policy"]["maximum_retry_attempts"] > 0, name


def _receivers_by_queue(stack) -> dict[str, set[str]]:
    """The names of the roles whose own policies let them receive each queue's messages."""
    roles = resources(stack, "aws_iam_role")
    receivers: dict[str, set[str]] = {}
    for policy in resources(stack, "aws_iam_role_policy").values():
        [(_, role, _)] = references(policy["role"])
        for entry in decoded(policy, "policy")["Statement"]:
            actions = entry["Action"] if isinstance(entry["Action"], list) else [entry["Action"]]
            if entry["Effect"] == "Allow" and "sqs:ReceiveMessage" in actions:
                for resource in entry["Resource"] if isinstance(entry["Resource"], list) else [entry["Resource"]]:
                    for kind, queue, _ in references(resource):
                        if kind == "aws_sqs_queue":
                            receivers.setdefault(queue, set()).add(roles[role]["name"])
    return receivers


def test_every_queue_is_encrypted_and_only_the_operator_and_its_consuming_roles_may_receive_its_messages(dev):
    # Dead letters are whole events (reviewers' names and emails); so are failed-email events. Besides the operator,
    # exactly the stack's roles that consume a queue may receive from it, each named in its policy's Deny.
    [(operator, _)] = [(n, r) for n, r in resources(dev, "aws_iam_role").items() if r["name"].endswith("-operator")]
    policies = {
        references(p["queue_url"])[0][1]: decoded(p, "policy") for p in resources(dev, "aws_sqs_queue_policy").values()
    }
    receivers = _receivers_by_queue(dev)
    for name, queue in resources(dev, "aws_sqs_queue").items():
        assert queue["kms_master_key_id"], name
        [deny] = [s for s in policies[name]["Statement"] if s["Sid"] == "OnlyTheOperatorReceives"]
        assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "sqs:ReceiveMessage"), name
        allowed = deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
        allowed = allowed if isinstance(allowed, list) else [allowed]
        assert allowed[0] == ref("aws_iam_role", operator, "arn"), name
        roles = resources(dev, "aws_iam_role")
        named = {
            roles[references(arn)[0][1]]["name"]
            if references(arn) and arn.startswith("${")
            else arn.rsplit(":role/")[1]
            for arn in allowed[1:]
        }
        assert named == receivers.get(name, set()), name


def test_every_state_machine_logs_every_state_without_its_data_to_an_encrypted_group_and_traces(dev, dev_config):
    groups = resources(dev, "aws_cloudwatch_log_group")
    for name, machine in resources(dev, "aws_sfn_state_machine").items():
        logging = machine["logging_configuration"]
        # No execution data: no callback token, reviewer name or email in CloudWatch Logs.
        assert (logging["level"], logging["include_execution_data"]) == ("ALL", False), name
        [(_, group, _)] = references(logging["log_destination"])
        assert groups[group]["kms_key_id"] and groups[group]["retention_in_days"] == dev_config.log_retention_days, name
        assert machine["tracing_configuration"]["enabled"] is True, name


def test_every_asl_file_defines_exactly_one_state_machine(dev):
    comments = {json.loads(m["definition"])["Comment"] for m in resources(dev, "aws_sfn_state_machine").values()}
    files = {json.loads(path.read_text())["Comment"] for path in ASL_DIR.glob("*.asl.json")}
    assert comments == files
    assert len(resources(dev, "aws_sfn_state_machine")) == len(files)


def test_every_synthesized_definition_passes_statelint(dev, tmp_path):
    statelint = shutil.which("statelint") or str(Path(__file__).resolve().parent.parent / ".venv/bin/statelint")
    for name, machine in resources(dev, "aws_sfn_state_machine").items():
        path = tmp_path / f"{name}.json"
        path.write_text(machine["definition"])
        result = subprocess.run([statelint, str(path)], capture_output=True, text=True)
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"


def test_no_definition_uses_jsonata(dev):
    for machine in resources(dev, "aws_sfn_state_machine").values():
        assert "{%" not in machine["definition"]
        assert json.loads(machine["definition"]).get("QueryLanguage", "JSONPath") == "JSONPath"


# --- wiring: every event reaches exactly its consumers ------------------------------------------------


# Analysed reviews on both sides of the dev threshold (0.5), of every sentiment.
ANALYSED_SAMPLES = [
    ("POSITIVE", 0.01),
    ("NEUTRAL", 0.2),
    ("MIXED", 0.45),
    ("MIXED", 0.7),
    ("NEGATIVE", 0.49),
    ("NEGATIVE", 0.5),
    ("NEGATIVE", 0.99),
]
WIRING_CASES = [
    *(pytest.param(sample(e), id=e["detailType"]) for e in event_catalogue() if e["detailType"] != "ReviewAnalysed"),
    *(pytest.param(analysed(s, n), id=f"ReviewAnalysed-{s}-{n}") for s, n in ANALYSED_SAMPLES),
]


@pytest.mark.parametrize("event", WIRING_CASES)
def test_every_event_reaches_exactly_the_rules_its_catalogue_entry_names(dev, dev_config, event):
    threshold = dev_config.routing.negative_case_threshold
    expected = {
        f"{dev_config.prefix}-{service}-{rule}"
        for service, rule in consumers_of(
            event["detail-type"], event["detail"]["data"], negative_case_threshold=threshold
        )
    }
    assert matching_rules(dev, event) == expected


@pytest.mark.parametrize(("sentiment", "negative"), ANALYSED_SAMPLES)
def test_each_analysed_review_goes_to_exactly_one_of_thank_you_and_customer_service(dev, sentiment, negative):
    names = matching_rules(dev, analysed(sentiment, negative))
    services = {"reviews-dev-thankyou-on-review-analysed", "reviews-dev-customerservice-on-negative-review"}
    expected = "customerservice-on-negative-review" if sentiment == "NEGATIVE" and negative >= 0.5 else "thankyou"
    assert len(names & services) == 1
    assert expected in next(iter(names & services))


def test_every_rule_of_the_systems_bus_is_a_consumer_in_the_catalogue(dev, dev_config):
    catalogued = {f"{dev_config.prefix}-{route.service}-{route.rule}" for route in routes()}
    rules = resources(dev, "aws_cloudwatch_event_rule").values()
    assert {rule["name"] for rule in rules if rule["event_bus_name"] != "default"} == catalogued


def test_the_only_rule_off_the_systems_bus_takes_ses_failures_from_the_default_bus(dev, dev_config):
    # The catalogue describes the system's own bus; SES publishes its events to the account's default bus only.
    rules = resources(dev, "aws_cloudwatch_event_rule").values()
    assert [
        (rule["name"], json.loads(rule["event_pattern"])["source"])
        for rule in rules
        if rule["event_bus_name"] == "default"
    ] == [(f"{dev_config.prefix}-email-on-failure", ["aws.ses"])]


def test_every_workflow_publishes_as_the_service_its_physical_name_names(dev, dev_config):
    for machine in resources(dev, "aws_sfn_state_machine").values():
        service = machine["name"].removeprefix(f"{dev_config.prefix}-").split("-")[0]
        for state in json.loads(machine["definition"])["States"].values():
            for entry in (
                state.get("Parameters", {}).get("Entries", []) if "putEvents" in state.get("Resource", "") else []
            ):
                assert entry["Source"] == f"reviews.{service}", (machine["name"], entry["DetailType"])


def test_every_catalogued_event_comes_from_a_service_of_the_stack(dev, dev_config):
    services = {
        machine["name"].removeprefix(f"{dev_config.prefix}-").split("-")[0]
        for machine in resources(dev, "aws_sfn_state_machine").values()
    } | {"frontend"}
    assert {entry["source"].removeprefix("reviews.") for entry in event_catalogue()} <= services


# --- IAM follows the ASL ------------------------------------------------------------------------------

# Step Functions service names whose IAM prefix differs. https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
IAM_PREFIX = {"sesv2": "ses", "sfn": "states"}
# Callers of a table encrypted with a customer key also need the key, through DynamoDB.
DYNAMODB_KEY_ACTIONS = {"kms:Decrypt", "kms:GenerateDataKey"}
PLATFORM_SIDS = {"DeliverExecutionLogs", "SendTraces"}


# Senders to and readers of a queue encrypted with a customer key also need the key, through SQS.
SQS_KEY_ACTIONS = {"kms:Decrypt", "kms:GenerateDataKey"}


def states_of(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Every state of an ASL definition, those inside Map and Parallel states included."""
    found: list[dict[str, Any]] = []
    for state in definition["States"].values():
        found.append(state)
        for inner in (state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])):
            if inner is not None:
                found += states_of(inner)
    return found


def actions_of(definition: dict[str, Any]) -> set[str]:
    """The IAM actions the Task states of an ASL definition call, inside Map and Parallel states too."""
    actions: set[str] = set()
    for state in states_of(definition):
        if state["Type"] != "Task":
            continue
        match = re.fullmatch(
            r"arn:aws:states:::(?:aws-sdk:)?([a-z0-9]+):([A-Za-z]+)(?:\.waitForTaskToken|\.sync)?", state["Resource"]
        )
        assert match, state["Resource"]
        service, api = match.groups()
        actions.add(f"{IAM_PREFIX.get(service, service)}:{api[0].upper()}{api[1:]}")
        if service == "dynamodb":
            actions |= DYNAMODB_KEY_ACTIONS
        if service == "sqs":
            actions |= SQS_KEY_ACTIONS
    return actions


def test_each_workflow_role_allows_exactly_what_its_asl_calls(dev):
    roles = resources(dev, "aws_iam_role")
    policies = {
        references(p["role"])[0][1]: decoded(p, "policy") for p in resources(dev, "aws_iam_role_policy").values()
    }
    for name, machine in resources(dev, "aws_sfn_state_machine").items():
        [(_, role, _)] = references(machine["role_arn"])
        assert role in roles
        granted = {
            action
            for statement in policies[role]["Statement"]
            if statement["Sid"] not in PLATFORM_SIDS
            for action in statement["Action"]
        }
        assert granted == actions_of(json.loads(machine["definition"])), name


def test_only_apis_without_resource_scoping_are_granted_on_every_resource(dev):
    unscoped = {
        "comprehend:BatchDetectDominantLanguage",
        "comprehend:BatchDetectSentiment",
        "comprehend:DetectDominantLanguage",
        "comprehend:DetectSentiment",
        "translate:TranslateText",
    }
    for name, policy in resources(dev, "aws_iam_role_policy").items():
        for statement in decoded(policy, "policy")["Statement"]:
            if statement["Resource"] in ("*", ["*"]) and statement.get("Sid") not in PLATFORM_SIDS:
                assert set(statement["Action"]) <= unscoped, f"{name}: {statement['Sid']}"


def test_every_role_is_trusted_by_exactly_one_service_from_this_account(dev):
    for name, role in resources(dev, "aws_iam_role").items():
        [trust] = decoded(role, "assume_role_policy")["Statement"]
        if "Federated" in trust["Principal"]:
            continue  # GitHub OIDC roles live in the bootstrap stack
        if "AWS" in trust["Principal"]:
            # The one role for people, the operator's: this account's principals, and only with MFA.
            assert role["name"].endswith("-security-operator"), name
            account = "${data.aws_caller_identity.account.account_id}"
            assert trust["Principal"]["AWS"] == f"arn:${{data.aws_partition.partition.partition}}:iam::{account}:root"
            assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}, name
            continue
        assert isinstance(trust["Principal"]["Service"], str), name
        # Firehose documents sts:ExternalId as its account guard; every other service aws:SourceAccount.
        guard = "sts:ExternalId" if trust["Principal"]["Service"] == "firehose.amazonaws.com" else "aws:SourceAccount"
        assert trust["Condition"]["StringEquals"][guard] == "${data.aws_caller_identity.account.account_id}", name


# --- configuration errors -----------------------------------------------------------------------------


def run_main(tmp_path: Path, settings: Any) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "environments.json"
    config.write_text(json.dumps(settings))
    outdir = tmp_path / "out"
    root = Path(__file__).resolve().parent.parent
    env = {"REVIEWS_ENVIRONMENTS": str(config), "CDKTF_OUTDIR": str(outdir), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(root / ".venv/bin/python"), str(root / "main.py")], capture_output=True, text=True, env=env, cwd=root
    )


def test_an_invalid_setting_stops_synth_naming_it_and_writes_nothing(tmp_path):
    result = run_main(tmp_path, {"environments": {"dev": {"sender_email": "not-an-address"}}})
    assert result.returncode == 2
    assert "dev.sender_email" in result.stderr and "not-an-address" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_unknown_setting_stops_synth_naming_it(tmp_path):
    result = run_main(tmp_path, {"environments": {"prod": {"log_retention": 30}}})
    assert result.returncode == 2
    assert "prod.log_retention: unknown setting" in result.stderr


def test_an_invalid_delivery_setting_stops_synth_naming_it(tmp_path):
    result = run_main(tmp_path, {"environments": {"dev": {}}, "delivery": {"github_repository": "not a repo"}})
    assert result.returncode == 2
    assert "delivery.github_repository" in result.stderr
