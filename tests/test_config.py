"""Environment settings: defaults that synthesize, and an error naming every bad setting."""

from __future__ import annotations

import json

import pytest

from modules.config import ConfigError, load_environments, parse_environment


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
