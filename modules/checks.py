"""Named checks of the values the system accepts: one rule per kind of value, used by the settings
(:mod:`modules.config`, :mod:`modules.delivery_settings`) and by the constructs for their own arguments.

Each check takes the value first (limits as keywords), returns it (normalised where said, e.g. a list of
regions becomes a tuple) or raises :class:`CheckError`, whose message shows the value and says what is accepted:
``'ops@' is not an email address such as 'team@example.com'``. The caller adds which setting or argument it was.

Pure Python on purpose: no cdktf import, so the settings are checked in well under a second, before the
provider bindings load. A construct holding a Terraform token (a reference resolved at apply time) checks
only literal values: ``if not Token.is_unresolved(value): checks.origin(value)``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
EMAIL_PATTERN = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
# A DNS label: 1-63 of a-z 0-9 and '-', never starting or ending with '-' (RFC 1123). Origins are lowercase as
# browsers send them in the Origin header, which is what CORS and CSP compare against.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PORT = r"(?::(?P<port>[0-9]{1,5}))?"
ORIGIN_PATTERN = re.compile(
    rf"^(?:https://(?P<host>{_LABEL}(?:\.{_LABEL})*)|http://(?:localhost|127\.0\.0\.1)){_PORT}$"
)
WILDCARD_ORIGIN_PATTERN = re.compile(
    rf"^(?:https://(?P<host>(?:\*\.)?{_LABEL}(?:\.{_LABEL})*)|http://(?:localhost|127\.0\.0\.1)){_PORT}$"
)
# S3 general purpose buckets: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
ENVIRONMENT_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,9}$")
# GitHub: owner 1-39 letters, digits or single hyphens; repository 1-100 letters, digits, ".", "_", "-".
REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}$")
# https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html (\w covers Unicode letters and digits).
TAG_KEY_PATTERN = re.compile(r"^[\w .:/=+\-@]{1,128}$")
TAG_VALUE_PATTERN = re.compile(r"^[\w .:/=+\-@]{0,256}$")
INDEX_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
EVENT_SOURCE_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,256}$")
ACCOUNT_ID_PATTERN = re.compile(r"^[0-9]{12}$")


class CheckError(ValueError):
    """A value is not accepted; the message shows it and says what is."""


def _is_whole(value: Any) -> bool:
    # bool is an int in Python; True is never meant as 1 in a setting.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _matches(value: Any, pattern: re.Pattern[str]) -> bool:
    # fullmatch: "$" alone would accept a trailing newline, the start of an injected email header.
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def argument(where: str, name: str, check: Callable[..., T], value: Any, **limits: Any) -> T:
    """``check(value, **limits)`` for a construct's argument, the error naming the construct and the argument:
    ``argument(f"EventRule {id}", "retry_attempts", whole_number, 200, low=0, high=185)`` raises
    ``EventRule dlq: retry_attempts: 200 must be a whole number from 0 to 185``."""
    try:
        return check(value, **limits)
    except CheckError as error:
        raise CheckError(f"{where}: {name}: {error}") from None


def whole_number(value: Any, *, low: int, high: int) -> int:
    """An int (never a bool) from ``low`` to ``high``, both included."""
    if not _is_whole(value) or not low <= value <= high:
        raise CheckError(f"{value!r} must be a whole number from {low} to {high}")
    return int(value)


def number_in(value: Any, *, low: float, high: float, low_open: bool = True, high_open: bool = False) -> float:
    """An int or float (never a bool) in the interval from ``low`` to ``high``; by default ``(low, high]``."""
    interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if not _is_number(value):
        raise CheckError(f"{value!r} must be a number in {interval}")
    above = low < value if low_open else low <= value
    below = value < high if high_open else value <= high
    if not (above and below):
        raise CheckError(f"{value!r} must be a number in {interval}")
    return value


def one_of(value: T, values: Collection[T]) -> T:
    """Exactly one of ``values`` (compared with ==, so True is not 1 only when ``values`` holds no 1)."""
    if isinstance(value, bool) and not any(isinstance(accepted, bool) for accepted in values):
        raise CheckError(f"{value!r} must be one of {list(values)}")
    if value not in values:
        raise CheckError(f"{value!r} must be one of {list(values)}")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise CheckError(f"{value!r} must be true or false")
    return value


def non_empty_name(value: Any) -> str:
    """A string with something in it besides spaces."""
    if not isinstance(value, str) or not value.strip():
        raise CheckError(f"{value!r} must be a non-empty name")
    return value


def region(value: Any) -> str:
    if not _matches(value, REGION_PATTERN):
        raise CheckError(f"{value!r} is not an AWS region name such as 'eu-west-1'")
    return str(value)


def regions(value: Any) -> tuple[str, ...]:
    """A non-empty list of AWS region names, as a tuple."""
    if (
        isinstance(value, str)
        or not isinstance(value, list | tuple)
        or not value
        or not all(_matches(item, REGION_PATTERN) for item in value)
    ):
        shown = list(value) if isinstance(value, list | tuple) else value
        raise CheckError(f"{shown!r} must list AWS region names such as 'eu-west-1'")
    return tuple(value)


def email_address(value: Any) -> str:
    if not _matches(value, EMAIL_PATTERN):
        raise CheckError(f"{value!r} is not an email address such as 'team@example.com'")
    return str(value)


def origin(value: Any, *, wildcard: bool = False) -> str:
    """One web origin, without path, quote or trailing slash: ``https://host[:port]``, the host made of DNS labels
    (a-z, 0-9, '-' inside a label only), or ``http://localhost[:port]`` / ``http://127.0.0.1[:port]`` for
    development; a port is 1-65535. ``wildcard=True`` also accepts one leading ``*.`` label, as a
    Content-Security-Policy source does (``https://*.execute-api.eu-west-1.amazonaws.com``)."""
    pattern = WILDCARD_ORIGIN_PATTERN if wildcard else ORIGIN_PATTERN
    found = pattern.fullmatch(value) if isinstance(value, str) else None
    host = found and found.group("host")
    port = found and found.group("port")
    if found is None or (host and len(host) > 253) or (port and not 1 <= int(port) <= 65535):
        leading = " (a leading *. allowed)" if wildcard else ""
        raise CheckError(
            f"{value!r} must be one origin without path: https://host[:port]{leading}, its host made of "
            "DNS labels (a-z, 0-9 and '-', no label starting or ending with '-'), port 1-65535, "
            "or http://localhost[:port] or http://127.0.0.1[:port] for development"
        )
    return str(value)


def bucket_name(value: Any, *, max_length: int = 63) -> str:
    """An S3 general purpose bucket name of 3 to ``max_length`` characters."""
    if (
        not _matches(value, BUCKET_PATTERN)
        or len(value) > max_length
        or ".." in value
        or _is_ip_address(value)
        or value.startswith("xn--")
    ):
        raise CheckError(
            f"{value!r} must be an S3 bucket name of at most {max_length} characters: lowercase letters, digits, "
            "'.' and '-', starting and ending with a letter or digit, no '..', not an IP address"
        )
    return str(value)


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def log_retention_days(value: Any) -> int:
    if not _is_whole(value) or value not in LOG_RETENTION_DAYS:
        raise CheckError(
            f"{value!r} is not one of the retention periods CloudWatch Logs accepts: {list(LOG_RETENTION_DAYS)}"
        )
    return int(value)


def tag(key: Any, value: Any) -> tuple[str, str]:
    """One AWS tag: a key of 1-128 characters not starting with 'aws:', a value of at most 256."""
    if not _matches(key, TAG_KEY_PATTERN) or key.lower().startswith("aws:") or not _matches(value, TAG_VALUE_PATTERN):
        raise CheckError(
            f"{key!r}: {value!r} is not a valid AWS tag (key 1-128 and value 0-256 letters, digits, spaces "
            "or _ . : / = + - @; no 'aws:' prefix)"
        )
    return key, value


def tags(value: Any) -> dict[str, str]:
    """An object of tag names to values, as a new dict."""
    if not isinstance(value, Mapping):
        raise CheckError(f"{value!r} must be an object of tag names to values")
    return dict(tag(key, item) for key, item in value.items())


def index_name(value: Any) -> str:
    if not _matches(value, INDEX_NAME_PATTERN):
        raise CheckError(f"{value!r} must be a DynamoDB index name (3-255 of A-Z a-z 0-9 _ . -)")
    return str(value)


def event_source(value: Any) -> str:
    if not _matches(value, EVENT_SOURCE_PATTERN):
        raise CheckError(f"{value!r} is not an event source (1-256 letters, digits, '.', '_', '-')")
    return str(value)


def event_sources(value: Any) -> tuple[str, ...]:
    """A non-empty list of event sources, as a tuple."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise CheckError(f"{value!r} must be a non-empty list of event sources")
    sources = tuple(value)
    if not sources:
        raise CheckError("[] must be a non-empty list of event sources")
    return tuple(event_source(source) for source in sources)


def account_id(value: Any) -> str:
    """An AWS account id: twelve digits."""
    if not _matches(value, ACCOUNT_ID_PATTERN):
        raise CheckError(f"{value!r} must be an AWS account id: 12 digits, as a string")
    return value


def environment_name(value: Any, *, reserved: Collection[str] = ()) -> str:
    """An environment name: it becomes part of every physical name (``reviews-<name>-...``)."""
    if not _matches(value, ENVIRONMENT_PATTERN) or value in reserved:
        not_reserved = f", and not one of {list(reserved)}" if reserved else ""
        raise CheckError(f"{value!r} must be 2-10 lowercase letters or digits, starting with a letter{not_reserved}")
    return str(value)


def github_repository(value: Any) -> str:
    if not _matches(value, REPOSITORY_PATTERN):
        raise CheckError(f"{value!r} must be 'owner/name' as GitHub spells it")
    return str(value)


def state_key(value: Any) -> str:
    """An S3 object key for Terraform state: relative, ending in ``.tfstate`` (what the delivery roles may use)."""
    if not isinstance(value, str) or not value.endswith(".tfstate") or value.startswith("/") or value == ".tfstate":
        raise CheckError(f"{value!r} must be a relative object key ending in .tfstate")
    return value
