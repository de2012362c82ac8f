"""The delivery bootstrap (reviews-state): its settings, the state bucket, and the GitHub OIDC roles.

Synthesized once per session with the rest of the app (the ``synthesized`` fixture); checkov runs over it
in tests/test_checkov.py like every other stack.
"""

from __future__ import annotations

from typing import Any

import pytest
from cdktf import App

from modules.config import ConfigError
from modules.delivery_settings import DeliveryConfig, parse_delivery
from modules.state_backend import GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, IDENTIFIED_SERVICES, StateBackendStack
from tests.tf import decoded, only, ref, references, resources

STACK = "reviews-state"
REPOSITORY = DeliveryConfig().github_repository


@pytest.fixture(scope="module")
def state(synthesized: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return synthesized[STACK]


def role(state: dict[str, Any], purpose: str) -> tuple[str, dict[str, Any]]:
    return only(state, "aws_iam_role", f"{purpose}-role")


def inline_statements(state: dict[str, Any], role_name: str) -> list[dict[str, Any]]:
    return [
        statement
        for body in resources(state, "aws_iam_role_policy").values()
        if body["role"] == ref("aws_iam_role", role_name, "id")
        for statement in decoded(body, "policy")["Statement"]
    ]


def actions_of(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else actions


def subjects(body: dict[str, Any]) -> list[str]:
    (trust,) = decoded(body, "assume_role_policy")["Statement"]
    return trust["Condition"]["StringEquals"][f"{GITHUB_OIDC_HOST}:sub"]


# Settings


def test_a_newcomer_needs_no_delivery_settings() -> None:
    assert parse_delivery({}, "environments.json") == DeliveryConfig()


def test_lists_of_settings_become_tuples_so_the_settings_stay_frozen() -> None:
    config = parse_delivery({"environments": ["dev", "staging", "prod"]}, "environments.json")
    assert config.environments == ("dev", "staging", "prod")
    hash(config)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("github_repository", "reviews", "must be 'owner/name'"),
        ("github_repository", "example org/reviews", "must be 'owner/name'"),
        ("github_repository", "-org/reviews", "must be 'owner/name'"),
        ("state_bucket", "Reviews_State", "must be an S3 bucket name"),
        ("state_bucket", "r" * 52, "at most 51 characters"),
        ("state_bucket", "reviews-dev-state", "must not start with 'reviews-dev-'"),
        ("region", "europe", "is not an AWS region name"),
        ("environments", [], "at least one environment"),
        ("environments", ["dev", "dev"], "names an environment twice"),
        ("environments", ["Dev"], "2-10 lowercase letters"),
        ("environments", ["delivery"], "not one of ['delivery', 'state']"),
        ("environments", "dev", "must be a list of strings"),
        ("deploy_regions", ["mars-north-1a"], "must list AWS region names"),
        ("deploy_regions", [], "must list AWS region names"),
        ("create_oidc_provider", "yes", "must be a bool"),
        ("noncurrent_version_days", 0, "from 1 to 3650"),
        ("noncurrent_version_days", "90", "must be a int"),
        ("access_log_days", 4000, "from 1 to 3650"),
    ],
)
def test_each_setting_is_validated_with_an_error_naming_it(setting: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=rf"^environments\.json: delivery\.{setting}: .*") as error:
        parse_delivery({setting: value}, "environments.json")
    assert message in str(error.value)


def test_an_unknown_setting_is_rejected_with_the_accepted_ones() -> None:
    with pytest.raises(ConfigError, match=r"delivery\.bucket: unknown setting; accepted settings: .*state_bucket"):
        parse_delivery({"bucket": "x"}, "environments.json")


def test_the_settings_must_be_an_object() -> None:
    with pytest.raises(ConfigError, match="settings must be an object"):
        parse_delivery(["dev"], "environments.json")  # type: ignore[arg-type]


def test_a_config_built_by_hand_is_checked_before_it_can_reach_the_stack() -> None:
    with pytest.raises(ConfigError, match=r"^delivery\.environments: 'delivery' must be 2-10 lowercase letters"):
        StateBackendStack(App(), STACK, config=DeliveryConfig(environments=("delivery",)))


def test_the_plan_role_trusts_pull_requests_and_main_and_the_apply_role_only_environments() -> None:
    config = parse_delivery({"github_repository": "acme/reviews", "environments": ["dev", "prod"]}, "x")
    assert config.plan_subjects() == ["repo:acme/reviews:pull_request", "repo:acme/reviews:ref:refs/heads/main"]
    assert config.apply_subjects() == ["repo:acme/reviews:environment:dev", "repo:acme/reviews:environment:prod"]


# The stack


def test_the_bootstrap_keeps_its_own_state_locally(state: dict[str, Any]) -> None:
    assert state["terraform"]["backend"] == {"local": {"path": f"terraform.{STACK}.tfstate"}}


def test_the_state_bucket_is_versioned_and_kms_encrypted_with_a_rotated_key(state: dict[str, Any]) -> None:
    bucket_name, bucket = only(state, "aws_s3_bucket", "state_bucket")
    key_name, key = only(state, "aws_kms_key", "state")
    assert bucket["bucket"] == DeliveryConfig().state_bucket
    assert key["enable_key_rotation"] is True
    _, versioning = only(state, "aws_s3_bucket_versioning", "state_bucket")
    assert versioning["bucket"] == ref("aws_s3_bucket", bucket_name, "id")
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    _, encryption = only(state, "aws_s3_bucket_server_side_encryption_configuration", "state_bucket")
    (rule,) = encryption["rule"]
    assert rule["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": ref("aws_kms_key", key_name, "arn"),
    }
    assert rule["bucket_key_enabled"] is True


def test_the_state_bucket_blocks_public_access_and_acls(state: dict[str, Any]) -> None:
    _, block = only(state, "aws_s3_bucket_public_access_block", "state_bucket")
    assert all(
        block[flag] is True
        for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    _, ownership = only(state, "aws_s3_bucket_ownership_controls", "state_bucket")
    assert ownership["rule"]["object_ownership"] == "BucketOwnerEnforced"


def test_the_state_bucket_denies_every_request_without_tls(state: dict[str, Any]) -> None:
    bucket_name, _ = only(state, "aws_s3_bucket", "state_bucket")
    _, policy = only(state, "aws_s3_bucket_policy", "state_bucket")
    (deny,) = [s for s in decoded(policy, "policy")["Statement"] if s["Effect"] == "Deny"]
    arn = ref("aws_s3_bucket", bucket_name, "arn")
    assert deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Resource"] == [arn, f"{arn}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_old_state_versions_expire_but_the_newest_are_kept(state: dict[str, Any]) -> None:
    _, lifecycle = only(state, "aws_s3_bucket_lifecycle_configuration", "state_bucket")
    (rule,) = lifecycle["rule"]
    assert rule["status"] == "Enabled"
    assert rule["noncurrent_version_expiration"] == [
        {"noncurrent_days": DeliveryConfig().noncurrent_version_days, "newer_noncurrent_versions": 10}
    ]
    assert rule["expiration"] == [{"expired_object_delete_marker": True}]
    assert "days" not in rule["expiration"][0]  # current state versions never expire


def test_terraform_refuses_to_destroy_the_state_bucket(state: dict[str, Any]) -> None:
    _, bucket = only(state, "aws_s3_bucket", "state_bucket")
    assert bucket["lifecycle"] == {"prevent_destroy": True}


def test_state_bucket_access_is_logged_to_a_bucket_only_s3_log_delivery_may_write(state: dict[str, Any]) -> None:
    bucket_name, _ = only(state, "aws_s3_bucket", "state_bucket")
    logs_name, _ = only(state, "aws_s3_bucket", "access-logs")
    _, logging = only(state, "aws_s3_bucket_logging", "state_logging")
    assert logging["bucket"] == ref("aws_s3_bucket", bucket_name, "id")
    assert logging["target_bucket"] == ref("aws_s3_bucket", logs_name, "id")
    _, policy = only(state, "aws_s3_bucket_policy", "access-logs")
    (allow,) = [s for s in decoded(policy, "policy")["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Condition"]["ArnLike"] == {"aws:SourceArn": ref("aws_s3_bucket", bucket_name, "arn")}


def test_the_github_oidc_provider_accepts_only_the_sts_audience(state: dict[str, Any]) -> None:
    _, provider = only(state, "aws_iam_openid_connect_provider", "github")
    assert provider["url"] == f"https://{GITHUB_OIDC_HOST}"
    assert provider["client_id_list"] == [GITHUB_OIDC_AUDIENCE]


@pytest.mark.parametrize("purpose", ["plan", "apply"])
def test_each_role_trusts_only_github_tokens_for_sts_with_exact_subjects(state: dict[str, Any], purpose: str) -> None:
    provider_name, _ = only(state, "aws_iam_openid_connect_provider", "github")
    _, body = role(state, purpose)
    (trust,) = decoded(body, "assume_role_policy")["Statement"]
    assert trust["Principal"] == {"Federated": ref("aws_iam_openid_connect_provider", provider_name, "arn")}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert set(trust["Condition"]) == {"StringEquals"}, "StringLike would let a wildcard widen the trust"
    assert trust["Condition"]["StringEquals"][f"{GITHUB_OIDC_HOST}:aud"] == GITHUB_OIDC_AUDIENCE
    assert not any("*" in subject for subject in subjects(body))


def test_the_plan_role_is_trusted_by_pull_requests_and_main_of_this_repository(state: dict[str, Any]) -> None:
    assert subjects(role(state, "plan")[1]) == [
        f"repo:{REPOSITORY}:pull_request",
        f"repo:{REPOSITORY}:ref:refs/heads/main",
    ]


def test_the_apply_role_is_trusted_only_by_jobs_in_a_protected_environment(state: dict[str, Any]) -> None:
    trusted = subjects(role(state, "apply")[1])
    assert trusted == [f"repo:{REPOSITORY}:environment:dev", f"repo:{REPOSITORY}:environment:prod"]
    assert not any(":ref:" in subject or ":pull_request" in subject for subject in trusted)


@pytest.mark.parametrize("purpose", ["plan", "apply"])
def test_each_role_reads_everything_for_refresh_through_the_aws_read_only_policy(
    state: dict[str, Any], purpose: str
) -> None:
    role_name, _ = role(state, purpose)
    attached = [
        body["policy_arn"]
        for body in resources(state, "aws_iam_role_policy_attachment").values()
        if body["role"] == ref("aws_iam_role", role_name, "name")
    ]
    assert attached == ["arn:${data.aws_partition.partition.partition}:iam::aws:policy/ReadOnlyAccess"]


def test_the_plan_role_writes_nothing_but_the_state_lock_file(state: dict[str, Any]) -> None:
    role_name, _ = role(state, "plan")
    bucket_name, _ = only(state, "aws_s3_bucket", "state_bucket")
    arn = ref("aws_s3_bucket", bucket_name, "arn")
    writes = {
        (action, resource)
        for statement in inline_statements(state, role_name)
        for action in actions_of(statement)
        for resource in statement["Resource"]
        if action.startswith("s3:") and action not in ("s3:GetObject", "s3:ListBucket")
    }
    assert writes == {("s3:PutObject", f"{arn}/*.tfstate.tflock"), ("s3:DeleteObject", f"{arn}/*.tfstate.tflock")}


def test_the_plan_role_uses_only_the_state_key(state: dict[str, Any]) -> None:
    role_name, _ = role(state, "plan")
    key_name, _ = only(state, "aws_kms_key", "state")
    kms = [s for s in inline_statements(state, role_name) if any(a.startswith("kms:") for a in actions_of(s))]
    assert [s["Resource"] for s in kms] == [[ref("aws_kms_key", key_name, "arn")]]
    assert "kms:Decrypt" in actions_of(kms[0]) and "kms:GenerateDataKey" in actions_of(kms[0])


def test_the_apply_role_writes_state_objects_and_lock_files_only(state: dict[str, Any]) -> None:
    role_name, _ = role(state, "apply")
    bucket_name, _ = only(state, "aws_s3_bucket", "state_bucket")
    arn = ref("aws_s3_bucket", bucket_name, "arn")
    on_state_bucket = [
        (statement["Sid"], resource)
        for statement in inline_statements(state, role_name)
        if statement["Effect"] == "Allow"
        for resource in statement["Resource"]
        if arn in resource
    ]
    assert sorted(on_state_bucket) == [
        ("HoldStateLock", f"{arn}/*.tfstate.tflock"),
        ("ListState", arn),
        ("ReadWriteState", f"{arn}/*.tfstate"),
    ]


def test_every_apply_write_is_scoped_to_the_environments_names_or_conditioned(state: dict[str, Any]) -> None:
    role_name, _ = role(state, "apply")
    named = ("reviews-dev-", "reviews-prod-", "reviews_dev_", "reviews_prod_")
    # Resources whose names the stacks do not choose: the Glue catalog, API Gateway's execution log group,
    # AWS managed WAF rule groups.
    fixed = (":catalog", ":log-group:API-Gateway-Execution-Logs_*", "/managedruleset/*")
    for statement in inline_statements(state, role_name):
        if statement["Effect"] != "Allow":
            continue
        for resource in statement["Resource"]:
            if resource == "*":
                # ARNs with generated ids (KMS keys, REST APIs, user pools, distributions) cannot be
                # matched by name: those statements are held to regions or to services.
                assert "Condition" in statement, statement["Sid"]
            else:
                assert (
                    any(name in resource for name in named)
                    or resource.endswith(fixed)
                    or references(resource)  # the state bucket and key
                ), f"{statement['Sid']}: {resource}"


# The AWS service (IAM action prefix) that creates each Terraform resource type of the environment stacks.
SERVICE_OF_TYPE = {
    "aws_api_gateway_": "apigateway",
    "aws_athena_": "athena",
    "aws_cloudfront_": "cloudfront",
    "aws_cloudwatch_event_": "events",
    "aws_cloudwatch_log_": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_cognito_": "cognito-idp",
    "aws_dynamodb_": "dynamodb",
    "aws_glue_": "glue",
    "aws_iam_": "iam",
    "aws_kinesis_firehose_": "firehose",
    "aws_kms_": "kms",
    "aws_pipes_": "pipes",
    "aws_s3_": "s3",
    "aws_scheduler_": "scheduler",
    "aws_schemas_": "schemas",
    "aws_ses_": "ses",
    "aws_sesv2_": "ses",
    "aws_sfn_": "states",
    "aws_sns_": "sns",
    "aws_sqs_": "sqs",
    "aws_wafv2_": "wafv2",
}


def test_the_apply_role_covers_every_service_the_environment_stacks_deploy(
    synthesized: dict[str, dict[str, Any]], state: dict[str, Any]
) -> None:
    role_name, _ = role(state, "apply")
    granted = {
        action.split(":")[0]
        for statement in inline_statements(state, role_name)
        if statement["Effect"] == "Allow"
        for action in actions_of(statement)
    }
    for stack in ("reviews-dev", "reviews-prod"):
        for kind in synthesized[stack]["resource"]:
            services = [service for prefix, service in SERVICE_OF_TYPE.items() if kind.startswith(prefix)]
            assert services, (
                f"{stack}: {kind} is new here: add it to SERVICE_OF_TYPE, and its service to the apply role"
            )
            assert services[0] in granted, (
                f"{stack}: {kind} needs {services[0]}:* in the apply role (modules/state_backend.py)"
            )


def test_cloudfront_is_deployed_only_through_its_global_endpoint(state: dict[str, Any]) -> None:
    role_name, _ = role(state, "apply")
    (edge,) = [s for s in inline_statements(state, role_name) if "cloudfront:*" in actions_of(s)]
    assert edge["Condition"] == {"StringEquals": {"aws:RequestedRegion": ["us-east-1"]}}


def test_the_apply_role_may_create_roles_only_for_the_environments_and_pass_them_only_to_their_services(
    state: dict[str, Any],
) -> None:
    role_name, _ = role(state, "apply")
    statements = {s["Sid"]: s for s in inline_statements(state, role_name) if s["Effect"] == "Allow"}
    iam = [s for s in statements.values() if any(a.startswith("iam:") for a in actions_of(s))]
    for statement in iam:
        assert all(":role/reviews-dev-*" in r or ":role/reviews-prod-*" in r for r in statement["Resource"])
    assert "iam:PassedToService" in statements["PassEnvironmentRolesToTheirServices"]["Condition"]["StringEquals"]
    attach = statements["AttachOnlyServiceRolePolicies"]["Condition"]["ArnLike"]["iam:PolicyARN"]
    assert attach.endswith(":iam::aws:policy/service-role/*")


def test_the_apply_role_uses_keys_for_data_only_through_the_deployed_services(state: dict[str, Any]) -> None:
    role_name, _ = role(state, "apply")
    data_actions = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"}
    for statement in inline_statements(state, role_name):
        if (
            statement["Effect"] == "Allow"
            and data_actions & set(actions_of(statement))
            and statement["Resource"] == ["*"]
        ):
            assert "kms:ViaService" in statement["Condition"]["StringEquals"], statement["Sid"]


def test_the_apply_role_can_never_change_the_delivery_roles_the_provider_the_bucket_or_the_key(
    state: dict[str, Any],
) -> None:
    role_name, _ = role(state, "apply")
    provider_name, _ = only(state, "aws_iam_openid_connect_provider", "github")
    bucket_name, _ = only(state, "aws_s3_bucket", "state_bucket")
    key_name, _ = only(state, "aws_kms_key", "state")
    denies = {s["Sid"]: s for s in inline_statements(state, role_name) if s["Effect"] == "Deny"}
    identities = denies["NeverChangeDeliveryIdentities"]
    assert identities["Action"] == "iam:*"
    assert ref("aws_iam_openid_connect_provider", provider_name, "arn") in identities["Resource"]
    assert any(r.endswith(":role/reviews-delivery-*") for r in identities["Resource"])
    bucket = denies["StateBucketHoldsStateOnly"]
    assert "s3:PutBucketPolicy" not in bucket["NotAction"] and "s3:DeleteBucket" not in bucket["NotAction"]
    assert ref("aws_s3_bucket", bucket_name, "arn") in bucket["Resource"]
    assert denies["StateKeyEncryptsStateOnly"]["Resource"] == ref("aws_kms_key", key_name, "arn")
    assert "kms:ScheduleKeyDeletion" not in denies["StateKeyEncryptsStateOnly"]["NotAction"]


def test_the_apply_role_works_only_in_the_deployment_regions(state: dict[str, Any]) -> None:
    role_name, _ = role(state, "apply")
    regional = [
        s
        for s in inline_statements(state, role_name)
        if any(a.split(":")[0] in IDENTIFIED_SERVICES for a in actions_of(s))
    ]
    assert regional
    for statement in regional:
        assert statement["Condition"]["StringEquals"]["aws:RequestedRegion"] == list(DeliveryConfig().deploy_regions)


def test_each_roles_inline_policies_fit_iams_aggregate_limit(state: dict[str, Any]) -> None:
    # IAM: at most 10,240 characters of inline policy per role, whitespace not counted.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
    for purpose in ("plan", "apply"):
        role_name, _ = role(state, purpose)
        policies = [
            body["policy"]
            for body in resources(state, "aws_iam_role_policy").values()
            if body["role"] == ref("aws_iam_role", role_name, "id")
        ]
        assert sum(len("".join(policy.split())) for policy in policies) < 10_240, purpose


def test_roles_sessions_last_at_most_an_hour(state: dict[str, Any]) -> None:
    for purpose in ("plan", "apply"):
        assert role(state, purpose)[1]["max_session_duration"] == 3600


def test_the_outputs_are_what_the_workflows_and_backends_are_configured_with(state: dict[str, Any]) -> None:
    assert set(state["output"]) == {
        "state_bucket",
        "state_region",
        "state_kms_key_arn",
        "plan_role_arn",
        "apply_role_arn",
    }


def test_the_synthesized_stack_matches_the_snapshot(state: dict[str, Any], snapshot: Any) -> None:
    assert state == snapshot
