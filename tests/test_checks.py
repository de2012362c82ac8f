"""The named checks: each accepts what it documents, and refuses the rest with a message saying what is accepted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from modules import checks
from modules.checks import CheckError

ROOT = Path(__file__).resolve().parent.parent


def refused(check: Any, value: Any, **limits: Any) -> str:
    with pytest.raises(CheckError) as error:
        check(value, **limits)
    return str(error.value)


def test_a_check_error_is_a_value_error_so_constructs_raise_what_they_always_raised() -> None:
    assert issubclass(CheckError, ValueError)


def test_argument_names_the_construct_and_the_argument() -> None:
    assert checks.argument("EventRule dlq", "retry_attempts", checks.whole_number, 8, low=0, high=185) == 8
    with pytest.raises(CheckError) as error:
        checks.argument("EventRule dlq", "retry_attempts", checks.whole_number, 200, low=0, high=185)
    assert str(error.value) == "EventRule dlq: retry_attempts: 200 must be a whole number from 0 to 185"


def test_the_checks_load_without_cdktf() -> None:
    code = "import sys, modules.checks; assert not [m for m in sys.modules if m.startswith(('cdktf', 'jsii'))]"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@pytest.mark.parametrize("value", ["eu-west-1", "us-gov-west-1", "ap-southeast-2", "cn-north-1"])
def test_region_accepts_aws_region_names(value: str) -> None:
    assert checks.region(value) == value


@pytest.mark.parametrize("value", ["europe", "eu-west", "EU-WEST-1", "eu-west-1\n", 1])
def test_region_refuses_anything_else_with_an_example(value: Any) -> None:
    assert refused(checks.region, value) == f"{value!r} is not an AWS region name such as 'eu-west-1'"


def test_regions_become_a_tuple() -> None:
    assert checks.regions(["eu-west-1", "us-east-1"]) == ("eu-west-1", "us-east-1")


@pytest.mark.parametrize("value", [[], ["mars-1"], "eu-west-1"])
def test_regions_refuses_an_empty_list_a_bad_name_or_a_string(value: Any) -> None:
    assert "must list AWS region names such as 'eu-west-1'" in refused(checks.regions, value)


@pytest.mark.parametrize("value", ["team@example.com", "first.last+tag@mail.example.co.uk"])
def test_email_address_accepts_addresses(value: str) -> None:
    assert checks.email_address(value) == value


@pytest.mark.parametrize("value", ["ops@", "a@b", "team@example.com\nBcc: x@evil.test", "@example.com", None])
def test_email_address_refuses_anything_else_with_an_example(value: Any) -> None:
    assert refused(checks.email_address, value) == f"{value!r} is not an email address such as 'team@example.com'"


@pytest.mark.parametrize(
    "value",
    [
        "https://reviews.example.com",
        "https://reviews.example.com:8443",
        "https://a-b.example",
        "https://localhost",
        "http://localhost:8080",
        "http://127.0.0.1:65535",
    ],
)
def test_origin_accepts_https_hosts_and_local_http(value: str) -> None:
    assert checks.origin(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "https://-bad-.example",  # accepted by the old settings pattern, refused by the API construct
        "https://bad-.example",
        "https://example.-bad",
        "https://a..example",
        "https://.example",
        "https://example.",
        "https://Reviews.example.com",
        "https://reviews.example.com/",
        "https://reviews.example.com/path",
        "https://reviews.example.com:0",
        "https://reviews.example.com:65536",
        "https://*.example.com",
        "https://reviews.example.com'",
        "http://reviews.example.com",
        "http://localhost.example.com",
        "reviews.example.com",
        "https://" + "a" * 64 + ".example",
        "https://" + ".".join(["a" * 60] * 5),
        None,
    ],
)
def test_origin_refuses_anything_else_saying_what_an_origin_is(value: Any) -> None:
    message = refused(checks.origin, value)
    assert message.startswith(f"{value!r} must be one origin without path: https://host[:port]")
    assert "no label starting or ending with '-'" in message and "http://localhost[:port]" in message


def test_origin_with_wildcard_accepts_one_leading_star_label_only() -> None:
    assert checks.origin("https://*.execute-api.eu-west-1.amazonaws.com", wildcard=True)
    assert "(a leading *. allowed)" in refused(checks.origin, "https://a.*.example.com", wildcard=True)
    assert "(a leading *. allowed)" in refused(checks.origin, "https://*example.com", wildcard=True)


@pytest.mark.parametrize("value", ["state-bucket", "a.b.c", "abc", "a" * 63])
def test_bucket_name_accepts_s3_names(value: str) -> None:
    assert checks.bucket_name(value) == value


@pytest.mark.parametrize(
    "value", ["Bad_Bucket", "ab", "a" * 64, "-bucket", "bucket-", "a..b", "192.168.1.1", "xn--bucket", 3]
)
def test_bucket_name_refuses_anything_else_with_the_rules(value: Any) -> None:
    message = refused(checks.bucket_name, value)
    assert message.startswith(f"{value!r} must be an S3 bucket name of at most 63 characters: lowercase letters")


def test_bucket_name_takes_a_shorter_limit() -> None:
    assert "at most 51 characters" in refused(checks.bucket_name, "a" * 52, max_length=51)


def test_whole_number_accepts_ints_within_the_limits_both_included() -> None:
    assert checks.whole_number(0, low=0, high=185) == 0
    assert checks.whole_number(185, low=0, high=185) == 185


@pytest.mark.parametrize("value", [-1, 186, True, False, 1.0, "8", None])
def test_whole_number_refuses_bools_floats_strings_and_values_outside(value: Any) -> None:
    assert refused(checks.whole_number, value, low=0, high=185) == f"{value!r} must be a whole number from 0 to 185"


def test_number_in_is_open_below_and_closed_above_by_default() -> None:
    assert checks.number_in(1, low=0, high=1) == 1
    assert checks.number_in(0.01, low=0, high=1) == 0.01
    assert refused(checks.number_in, 0, low=0, high=1) == "0 must be a number in (0, 1]"


def test_number_in_takes_closed_and_open_ends() -> None:
    assert checks.number_in(0, low=0, high=1, low_open=False) == 0
    assert refused(checks.number_in, 1, low=0, high=1, high_open=True) == "1 must be a number in (0, 1)"


@pytest.mark.parametrize("value", [True, "0.5", None, 1.5])
def test_number_in_refuses_bools_strings_and_values_outside(value: Any) -> None:
    assert refused(checks.number_in, value, low=0, high=1) == f"{value!r} must be a number in (0, 1]"


def test_one_of_accepts_a_listed_value_and_names_them_all_otherwise() -> None:
    assert checks.one_of("EXPRESS", ("STANDARD", "EXPRESS")) == "EXPRESS"
    assert refused(checks.one_of, "express", values=("STANDARD", "EXPRESS")) == (
        "'express' must be one of ['STANDARD', 'EXPRESS']"
    )


def test_one_of_does_not_take_true_for_one() -> None:
    assert refused(checks.one_of, True, values=(0, 1)) == "True must be one of [0, 1]"


def test_boolean_accepts_only_true_and_false() -> None:
    assert checks.boolean(False) is False
    assert refused(checks.boolean, "yes") == "'yes' must be true or false"


def test_non_empty_name_refuses_blank_strings() -> None:
    assert checks.non_empty_name("reviews-dev-api") == "reviews-dev-api"
    assert refused(checks.non_empty_name, "  ") == "'  ' must be a non-empty name"


def test_log_retention_days_accepts_only_what_cloudwatch_logs_does() -> None:
    assert checks.log_retention_days(30) == 30
    message = refused(checks.log_retention_days, 31)
    assert message.startswith("31 is not one of the retention periods CloudWatch Logs accepts: [1, 3, 5,")
    assert refused(checks.log_retention_days, True).startswith("True is not one of")


def test_tag_accepts_aws_tags() -> None:
    assert checks.tag("cost-centre", "reviews / team:42") == ("cost-centre", "reviews / team:42")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("aws:owner", "x"),
        ("AWS:owner", "x"),
        ("", "x"),
        ("k" * 129, "x"),
        ("owner", "v" * 257),
        ("owner", 1),
        ("owner", "a;b"),
    ],
)
def test_tag_refuses_reserved_long_or_odd_keys_and_values(key: Any, value: Any) -> None:
    with pytest.raises(CheckError) as error:
        checks.tag(key, value)
    assert str(error.value).startswith(f"{key!r}: {value!r} is not a valid AWS tag (key 1-128 and value 0-256")
    assert "no 'aws:' prefix" in str(error.value)


def test_tags_are_an_object_of_tags_copied_into_a_dict() -> None:
    original = {"team": "reviews"}
    assert checks.tags(original) == original and checks.tags(original) is not original
    assert refused(checks.tags, ["team"]) == "['team'] must be an object of tag names to values"


def test_index_name_accepts_dynamodb_index_names() -> None:
    assert checks.index_name("open-cases") == "open-cases"
    assert refused(checks.index_name, "ab") == "'ab' must be a DynamoDB index name (3-255 of A-Z a-z 0-9 _ . -)"


def test_event_source_accepts_eventbridge_sources() -> None:
    assert checks.event_source("reviews.frontend") == "reviews.frontend"
    assert refused(checks.event_source, "reviews frontend") == (
        "'reviews frontend' is not an event source (1-256 letters, digits, '.', '_', '-')"
    )


def test_event_sources_are_a_non_empty_list_of_sources() -> None:
    assert checks.event_sources(["a.b", "c"]) == ("a.b", "c")
    assert refused(checks.event_sources, []) == "[] must be a non-empty list of event sources"
    assert refused(checks.event_sources, "a.b") == "'a.b' must be a non-empty list of event sources"
    assert "is not an event source" in refused(checks.event_sources, ["a b"])


def test_environment_name_is_short_lowercase_and_may_exclude_reserved_names() -> None:
    assert checks.environment_name("prod2") == "prod2"
    assert refused(checks.environment_name, "Prod") == (
        "'Prod' must be 2-10 lowercase letters or digits, starting with a letter"
    )
    assert refused(checks.environment_name, "state", reserved=("delivery", "state")) == (
        "'state' must be 2-10 lowercase letters or digits, starting with a letter, and not one of ['delivery', 'state']"
    )


@pytest.mark.parametrize("value", ["reviews", "-org/reviews", "example org/reviews", "a/"])
def test_github_repository_is_owner_slash_name(value: str) -> None:
    assert checks.github_repository("example-org/reviews.web") == "example-org/reviews.web"
    assert refused(checks.github_repository, value) == f"{value!r} must be 'owner/name' as GitHub spells it"


@pytest.mark.parametrize("value", ["a.json", "/reviews-dev/terraform.tfstate", ".tfstate", None])
def test_state_key_is_a_relative_key_ending_in_tfstate(value: Any) -> None:
    assert checks.state_key("reviews-dev/terraform.tfstate") == "reviews-dev/terraform.tfstate"
    assert refused(checks.state_key, value) == f"{value!r} must be a relative object key ending in .tfstate"
