"""Environment settings: defaults that synthesize, and an error naming every bad setting."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from modules.config import (
    SETTINGS,
    AuditSettings,
    ConfigError,
    CustomerServiceSettings,
    EmailSettings,
    EnvironmentConfig,
    EventBusSettings,
    FrontendSettings,
    OperationsSettings,
    RoutingSettings,
    StateBackend,
    ThankYouSettings,
    load_environments,
    parse_environment,
)


def test_without_a_settings_file_dev_and_prod_synthesize_with_defaults(tmp_path):
    environments = load_environments(tmp_path / "missing.json")
    assert [e.stack_name for e in environments] == ["reviews-dev", "reviews-prod"]


def test_the_committed_settings_file_is_valid():
    from main import CONFIG_FILE

    assert load_environments(CONFIG_FILE)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("region", "europe", "dev.region: 'europe' is not an AWS region"),
        ("sender_email", "a@b", "dev.sender_email"),
        ("support_email", "support@example.com\nBcc: x@evil.test", "dev.support_email"),
        ("allowed_origin", "https://shop.example.com/path", "dev.allowed_origin"),
        ("allowed_origin", "http://shop.example.com", "dev.allowed_origin"),
        ("negative_case_threshold", 0, "dev.negative_case_threshold"),
        ("negative_case_threshold", 1.5, "dev.negative_case_threshold"),
        ("case_timeout_seconds", 10, "dev.case_timeout_seconds"),
        ("case_timeout_seconds", 400 * 86400, "dev.case_timeout_seconds"),
        ("case_timeout_seconds", "3600", "dev.case_timeout_seconds: '3600' must be a int"),
        ("log_retention_days", 31, "dev.log_retention_days: 31 is not one of"),
        ("archive_retention_days", 0, "dev.archive_retention_days"),
        ("audit_expire_after_days", 60, "dev.audit_expire_after_days"),
        ("api_burst_limit", 10, "dev.api_burst_limit: must be at least api_rate_limit"),
        ("tags", {"aws:owner": "x"}, "dev.tags"),
        ("state_backend", {"bucket": "b"}, "dev.state_backend: must be an object with exactly"),
        ("state_backend", {"bucket": "Bad_Bucket", "key": "a.tfstate", "region": "eu-west-1"}, "state_backend.bucket"),
        ("state_backend", {"bucket": "state-bucket", "key": "a.json", "region": "eu-west-1"}, "state_backend.key"),
        ("colour", "blue", "dev.colour: unknown setting"),
    ],
)
def test_a_bad_setting_is_refused_with_its_name(setting, value, message):
    with pytest.raises(ConfigError) as error:
        parse_environment("dev", {setting: value})
    assert message in str(error.value)


def test_a_valid_s3_backend_is_accepted():
    config = parse_environment(
        "dev", {"state_backend": {"bucket": "state-bucket", "key": "dev.tfstate", "region": "eu-west-1"}}
    )
    assert config.state_backend is not None and config.state_backend.key == "dev.tfstate"


def test_a_settings_file_that_is_not_json_names_the_file(tmp_path):
    path = tmp_path / "environments.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=r"environments\.json: not valid JSON"):
        load_environments(path)


def test_a_settings_file_without_environments_is_refused(tmp_path):
    path = tmp_path / "environments.json"
    path.write_text(json.dumps({"dev": {}}))
    with pytest.raises(ConfigError, match='"environments" and, optionally, "delivery"'):
        load_environments(path)


# --- one test per setting: a bad value names the setting and what is accepted -----------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("region", "eu-west", "'eu-west' is not an AWS region name such as 'eu-west-1'"),
        ("log_retention_days", 31, "31 is not one of the retention periods CloudWatch Logs accepts: [1, 3,"),
        ("tags", {"team": 1}, "'team': 1 is not a valid AWS tag (key 1-128 and value 0-256"),
        ("tags", ["team"], "['team'] must be an object of tag names to values"),
        ("state_backend", "bucket", "must be an object with exactly ['bucket', 'key', 'region']"),
        ("sender_email", "ops@", "'ops@' is not an email address such as 'team@example.com'"),
        ("support_email", 7, "7 must be a str"),
        ("escalation_email", "escalations", "'escalations' is not an email address such as 'team@example.com'"),
        ("case_timeout_seconds", 59, "59 must be a whole number from 60 to 31536000"),
        ("case_timeout_seconds", True, "True must be a int"),
        ("alarm_email", "alarms@example", "'alarms@example' is not an email address such as 'team@example.com'"),
        ("allowed_origin", "https://-bad-.example", "'https://-bad-.example' must be one origin without path"),
        ("allowed_origin", 8080, "8080 must be a str"),
        ("api_rate_limit", 0, "0 must be a whole number from 1 to 10000"),
        ("api_burst_limit", 5001, "5001 must be a whole number from 1 to 5000"),
        ("negative_case_threshold", "0.5", "'0.5' must be a number in (0, 1]"),
        ("negative_case_threshold", True, "True must be a number in (0, 1]"),
        ("archive_retention_days", 3651, "3651 must be a whole number from 1 to 3650"),
        ("idempotency_ttl_hours", 0, "0 must be a whole number from 1 to 8760"),
        ("audit_archive_after_days", 29, "29 must be a whole number from 30 to 3650"),
        ("audit_expire_after_days", 36501, "36501 must be a whole number from 1 to 36500"),
        ("analysis_batch_size", 0, "0 must be a whole number from 1 to 7"),
        ("analysis_batch_size", 8, "8 must be a whole number from 1 to 7"),
        ("analysis_batch_size", "7", "'7' must be a int"),
        ("analysis_batching_window_seconds", 301, "301 must be a whole number from 0 to 300"),
        ("analysis_batching_window_seconds", -1, "-1 must be a whole number from 0 to 300"),
        ("analysis_rate_limit", 0, "0 must be a whole number from 1 to 1000"),
        ("analysis_rate_limit", 2.5, "2.5 must be a int"),
        ("analysis_max_receive_count", 1001, "1001 must be a whole number from 1 to 1000"),
    ],
)
def test_each_setting_says_what_it_accepts(setting, value, message):
    with pytest.raises(ConfigError) as error:
        parse_environment("prod", {setting: value})
    assert str(error.value).startswith(f"environments.json: prod.{setting}: {message}")


def test_the_issue_8_example_is_refused_in_todays_shape():
    with pytest.raises(ConfigError) as error:
        parse_environment("prod", {"sender_email": "ops@"})
    assert (
        str(error.value)
        == "environments.json: prod.sender_email: 'ops@' is not an email address such as 'team@example.com'"
    )


def test_a_state_backend_setting_is_named_by_its_path():
    backend = {"bucket": "state-bucket", "key": "dev.tfstate", "region": "mars"}
    with pytest.raises(ConfigError, match=r"^environments\.json: dev\.state_backend\.region: 'mars' is not an AWS"):
        parse_environment("dev", {"state_backend": backend})


def test_the_burst_limit_may_not_be_below_the_rate_limit():
    with pytest.raises(ConfigError) as error:
        parse_environment("dev", {"api_rate_limit": 200, "api_burst_limit": 150})
    assert str(error.value) == "environments.json: dev.api_burst_limit: must be at least api_rate_limit (200), got 150"


def test_audit_objects_must_expire_after_they_are_archived():
    with pytest.raises(ConfigError) as error:
        parse_environment("dev", {"audit_archive_after_days": 90, "audit_expire_after_days": 90})
    assert "dev.audit_expire_after_days: must be greater than audit_archive_after_days (90), got 90" in str(error.value)


def test_an_environment_name_is_checked_like_a_setting():
    with pytest.raises(ConfigError, match=r"^environments\.json: Prod\.name: 'Prod' must be 2-10 lowercase letters"):
        parse_environment("Prod", {})


def test_environment_settings_must_be_an_object():
    with pytest.raises(ConfigError, match=r"^environments\.json: dev: settings must be an object$"):
        parse_environment("dev", ["region"])


def test_an_unknown_setting_lists_every_accepted_one():
    with pytest.raises(ConfigError) as error:
        parse_environment("dev", {"colour": "blue"})
    assert str(error.value) == f"environments.json: dev.colour: unknown setting; accepted settings: {sorted(SETTINGS)}"


# --- the shape: settings declared once, per service ---------------------------------------------------------


def test_each_setting_of_the_file_belongs_to_exactly_one_service_or_the_platform():
    assert dict(SETTINGS) == {
        "region": None,
        "account_id": None,
        "log_retention_days": None,
        "tags": None,
        "state_backend": None,
        "sender_email": "email",
        "manage_sender_identity": "email",
        "support_email": "customer_service",
        "escalation_email": "customer_service",
        "case_timeout_seconds": "customer_service",
        "alarm_email": "operations",
        "allowed_origin": "frontend",
        "api_rate_limit": "frontend",
        "api_burst_limit": "frontend",
        "api_gateway_account_owner": "frontend",
        "idempotency_window_seconds": "frontend",
        "negative_case_threshold": "routing",
        "analysis_batch_size": "analysis",
        "analysis_batching_window_seconds": "analysis",
        "analysis_rate_limit": "analysis",
        "analysis_max_receive_count": "analysis",
        "archive_retention_days": "events",
        "idempotency_ttl_hours": "thank_you",
        "audit_archive_after_days": "audit",
        "audit_expire_after_days": "audit",
    }


def test_every_setting_is_in_the_readmes_configuration_table():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert [key for key in SETTINGS if f"`{key}`" not in readme] == []


def test_a_flat_setting_lands_in_its_services_settings():
    config = parse_environment(
        "dev",
        {
            "sender_email": "from@example.com",
            "case_timeout_seconds": 3600,
            "allowed_origin": "http://localhost:8080",
            "negative_case_threshold": 0.7,
            "archive_retention_days": 7,
            "idempotency_ttl_hours": 24,
            "audit_archive_after_days": 30,
            "alarm_email": "pager@example.com",
            "log_retention_days": 30,
        },
    )
    assert config.email == EmailSettings(sender_email="from@example.com")
    assert config.customer_service == CustomerServiceSettings(case_timeout_seconds=3600)
    assert config.frontend == FrontendSettings(allowed_origin="http://localhost:8080")
    assert config.routing == RoutingSettings(negative_case_threshold=0.7)
    assert config.events == EventBusSettings(archive_retention_days=7)
    assert config.thank_you == ThankYouSettings(idempotency_ttl_hours=24)
    assert config.audit == AuditSettings(audit_archive_after_days=30)
    assert config.operations == OperationsSettings(alarm_email="pager@example.com")
    assert (config.region, config.log_retention_days, config.tags, config.state_backend) == ("eu-west-1", 30, {}, None)


def test_a_flat_setting_of_the_file_is_read_from_the_service_that_owns_it():
    config = parse_environment("dev", {"sender_email": "from@example.com"})
    assert config.email.sender_email == "from@example.com"
    assert SETTINGS["sender_email"] == "email"
    with pytest.raises(AttributeError, match="no attribute 'sender_email'"):
        _ = config.sender_email


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: EmailSettings(sender_email="ops@"), "sender_email: 'ops@' is not an email address"),
        (lambda: CustomerServiceSettings(case_timeout_seconds=10), "case_timeout_seconds: 10 must be a whole number"),
        (lambda: OperationsSettings(alarm_email=""), "alarm_email: '' is not an email address"),
        (lambda: FrontendSettings(allowed_origin="http://shop.example"), "allowed_origin: 'http://shop.example' must"),
        (lambda: FrontendSettings(api_rate_limit=10, api_burst_limit=5), "api_burst_limit: must be at least"),
        (lambda: RoutingSettings(negative_case_threshold=0), "negative_case_threshold: 0 must be a number in (0, 1]"),
        (lambda: EventBusSettings(archive_retention_days=0), "archive_retention_days: 0 must be a whole number"),
        (lambda: ThankYouSettings(idempotency_ttl_hours=0), "idempotency_ttl_hours: 0 must be a whole number"),
        (lambda: AuditSettings(audit_expire_after_days=10), "audit_expire_after_days: must be greater than"),
        (lambda: StateBackend(bucket="b", key="k.tfstate", region="eu-west-1"), "bucket: 'b' must be an S3 bucket"),
        (lambda: EnvironmentConfig(name="dev", region="x"), "dev.region: 'x' is not an AWS region name"),
        (
            lambda: EnvironmentConfig(name="dev", email="a@example.com"),  # type: ignore[arg-type]
            "dev.email: 'a@example.com' must be an instance of EmailSettings",
        ),
    ],
)
def test_settings_built_by_hand_check_themselves(build, message):
    with pytest.raises(ConfigError) as error:
        build()
    assert str(error.value).startswith(message)


def test_replacing_a_setting_checks_it_again():
    with pytest.raises(ConfigError, match=r"^api_rate_limit: 0 must be a whole number"):
        dataclasses.replace(FrontendSettings(), api_rate_limit=0)


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        EmailSettings().sender_email = "x@example.com"


def test_a_state_backend_may_be_given_as_an_object_or_as_settings():
    backend = StateBackend(bucket="state-bucket", key="dev.tfstate", region="eu-west-1")
    as_object = EnvironmentConfig(
        name="dev", state_backend={"bucket": "state-bucket", "key": "dev.tfstate", "region": "eu-west-1"}
    )
    assert as_object.state_backend == backend == EnvironmentConfig(name="dev", state_backend=backend).state_backend


def test_loading_the_settings_does_not_load_the_provider_bindings(tmp_path):
    # The settings layer must report a typo in well under a second: without importing cdktf or its bindings.
    settings = tmp_path / "environments.json"
    settings.write_text(json.dumps({"environments": {"dev": {}}, "delivery": {"github_repository": "a/b"}}))
    code = (
        "import sys, main\n"
        f"environments, delivery = main.load_settings(__import__('pathlib').Path({str(settings)!r}))\n"
        "assert [e.name for e in environments] == ['dev'] and delivery.github_repository == 'a/b'\n"
        "loaded = [m for m in sys.modules if m.startswith(('cdktf', 'jsii', 'constructs'))]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, check=True)


# --- environments sharing an account ------------------------------------------------------------------------


def environments_file(tmp_path: Path, environments: dict[str, dict[str, object]]) -> Path:
    path = tmp_path / "environments.json"
    path.write_text(json.dumps({"environments": environments}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("12345678901", "must be an AWS account id"),
        ("1234567890123", "must be an AWS account id"),
        ("12345678901a", "must be an AWS account id"),
        (123456789012, "must be a str"),
    ],
)
def test_an_account_id_is_twelve_digits_as_a_string(value, problem):
    with pytest.raises(ConfigError, match=rf"dev\.account_id: .* {problem}"):
        parse_environment("dev", {"account_id": value})


def test_two_environments_in_one_account_and_region_must_agree_who_owns_api_gateways_role(tmp_path):
    same = {"account_id": "111122223333", "region": "eu-west-1"}
    path = environments_file(tmp_path, {"dev": {**same, "sender_email": "dev@example.com"}, "prod": same})
    with pytest.raises(ConfigError, match=r"environments\.json: api_gateway_account_owner: dev, prod share account"):
        load_environments(path)


def test_two_environments_in_one_account_may_not_create_the_same_ses_identity(tmp_path):
    same = {"account_id": "111122223333", "region": "eu-west-1"}
    path = environments_file(tmp_path, {"dev": {**same, "api_gateway_account_owner": False}, "prod": same})
    with pytest.raises(ConfigError, match=r"prod\.manage_sender_identity: dev and prod both create the SES identity"):
        load_environments(path)


def test_two_environments_in_one_account_deploy_with_one_owner_and_distinct_identities(tmp_path):
    same = {"account_id": "111122223333", "region": "eu-west-1"}
    dev = {**same, "api_gateway_account_owner": False, "sender_email": "reviews-dev@example.com"}
    assert [e.name for e in load_environments(environments_file(tmp_path, {"dev": dev, "prod": same}))] == [
        "dev",
        "prod",
    ]
    shared_identity = {**same, "api_gateway_account_owner": False, "manage_sender_identity": False}
    assert len(load_environments(environments_file(tmp_path, {"dev": shared_identity, "prod": same}))) == 2


def test_environments_in_other_accounts_or_regions_are_independent(tmp_path):
    path = environments_file(
        tmp_path,
        {
            "dev": {"account_id": "111122223333"},
            "prod": {"account_id": "444455556666"},
            "eu": {"account_id": "111122223333", "region": "eu-central-1"},
        },
    )
    assert len(load_environments(path)) == 3


def test_the_analysis_defaults_fill_a_batch_call_at_comprehends_default_quota():
    analysis = parse_environment("dev", {}).analysis
    assert (analysis.analysis_batch_size, analysis.analysis_rate_limit) == (7, 10)
    assert (analysis.analysis_batching_window_seconds, analysis.analysis_max_receive_count) == (2, 5)


def test_analysis_settings_land_in_the_analysis_service():
    config = parse_environment("dev", {"analysis_rate_limit": 3, "analysis_batch_size": 5})
    assert (config.analysis.analysis_rate_limit, config.analysis.analysis_batch_size) == (3, 5)
