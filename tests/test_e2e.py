"""End to end, offline: the synthesized dev stack running on moto, driven only through its HTTP API,
asserting on outcomes (emails, events, cases, audit records)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import jsonschema
import pytest

from modules.common import event_catalogue, event_schema
from tests.e2e import review, system_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def system(dev_stack_path):
    with system_for(dev_stack_path) as running:
        yield running


@pytest.fixture(scope="module")
def agent_token(system):
    return system.sign_in(*system.create_agent("agent@example.com"))


def submitted(system, body: dict[str, Any]) -> str:
    key = str(uuid.uuid4())
    answer = system.submit_review(body, idempotency_key=key)
    assert answer.status == 202, answer.body
    assert answer.body == {"reviewId": key, "idempotencyKey": key}
    return key


def events_of(system, key: str) -> list[dict[str, Any]]:
    return [e for e in system.cloud.eventbridge.events if e["detail"]["metadata"].get("idempotency-key") == key]


def emails_to(system, address: str) -> list[Any]:
    return [m for m in system.cloud.emails() if address in m.destinations.get("ToAddresses", [])]


def audit_of(system, key: str) -> list[dict[str, Any]]:
    bucket = system.cloud.resource("aws_s3_bucket", "audit/bucket")["bucket"]
    records = system.cloud.json_lines(bucket, "events/")
    return [r for r in records if r["detail"]["metadata"].get("idempotency-key") == key]


def case_item(system, key: str) -> dict[str, Any] | None:
    table = system.cloud.resource("aws_dynamodb_table", "cases")["name"]
    return system.cloud.client("dynamodb").get_item(TableName=table, Key={"caseId": {"S": key}}).get("Item")


# --- the happy paths ----------------------------------------------------------------------------------


def test_a_positive_review_gets_one_thank_you_email_and_three_audit_records(system):
    key = submitted(system, review("positive", email="pos@example.com"))
    system.cloud.drain(60)
    [email] = emails_to(system, "pos@example.com")
    assert email.template.endswith("thank-you")
    assert sorted(r["detail-type"] for r in audit_of(system, key)) == [
        "ReviewAnalysed",
        "ReviewSubmitted",
        "ThankYouSent",
    ]


def test_every_event_published_validates_against_its_registered_schema(system):
    submitted(system, review("positive"))
    submitted(system, review("negative"))
    system.cloud.drain(60)
    assert system.cloud.schema_violations == []
    schemas = {f"{e['source']}@{e['detailType']}": e["schema"] for e in event_catalogue()}
    for event in system.cloud.eventbridge.events:
        jsonschema.Draft4Validator(event_schema(schemas[f"{event['source']}@{event['detail-type']}"])).validate(event)


def test_a_negative_review_opens_a_waiting_case_with_its_token_and_emails_support(system):
    key = submitted(system, review("negative", email="neg-open@example.com"))
    quiet = system.cloud.drain(60)
    item = case_item(system, key)
    [opened] = [e for e in events_of(system, key) if e["detail-type"] == "CaseOpened"]
    assert item["status"]["S"] == "OPEN"
    assert item["callbackToken"]["S"] == opened["detail"]["metadata"]["callbackToken"]
    sfn = system.cloud.client("stepfunctions")
    assert [arn for arn in quiet.waiting if key in sfn.describe_execution(executionArn=arn)["input"]]
    support = [m for m in emails_to(system, "support@example.com") if key in m.subject]
    assert len(support) == 1 and item["callbackToken"]["S"] not in support[0].text + support[0].html
    assert emails_to(system, "neg-open@example.com") == []


def test_the_audit_trail_records_a_case_without_its_callback_token(system):
    key = submitted(system, review("negative", email="neg-audit@example.com"))
    system.cloud.drain(60)
    [opened] = [e for e in events_of(system, key) if e["detail-type"] == "CaseOpened"]
    token = opened["detail"]["metadata"]["callbackToken"]
    system.cloud.flush_firehose()
    records = audit_of(system, key)
    [audited] = [r for r in records if r["detail-type"] == "CaseOpened"]
    assert audited["detail"] == {"metadata": {"idempotency-key": key}, "data": opened["detail"]["data"]}
    assert {r["detail-type"] for r in records} >= {"ReviewSubmitted", "ReviewAnalysed", "CaseOpened"}
    assert all(token not in json.dumps(r) for r in records)


def test_agents_see_open_cases_newest_first_without_tokens(system, agent_token):
    first = submitted(system, review("negative"))
    second = submitted(system, review("negative"))
    system.cloud.drain(60)
    answer = system.request("GET", "/cases", headers={"Authorization": agent_token})
    assert answer.status == 200
    cases = answer.body["cases"]
    assert {first, second} <= {case["caseId"] for case in cases}
    opened = [case["openedAt"] for case in cases]
    assert opened == sorted(opened, reverse=True)
    assert "callbackToken" not in json.dumps(answer.body) and "AAAA" not in json.dumps(answer.body)


def test_an_agent_resolving_a_case_sends_the_follow_up_and_publishes_case_resolved(system, agent_token):
    key = submitted(system, review("negative", email="neg-resolve@example.com"))
    system.cloud.drain(60)
    answer = system.request(
        "POST", f"/cases/{key}/resolution", {"note": "Refunded <b>in full</b>."}, {"Authorization": agent_token}
    )
    assert answer.status == 200 and answer.body["status"] == "RESOLVED"
    system.cloud.drain(60)
    [follow_up] = emails_to(system, "neg-resolve@example.com")
    assert "Refunded <b>in full</b>." in follow_up.text and "&lt;b&gt;" in follow_up.html
    [resolved] = [e for e in events_of(system, key) if e["detail-type"] == "CaseResolved"]
    # The agent by the username Cognito gave them (an id they cannot change), and their verified email.
    pool_id, _ = system.user_pool()
    username = system.cloud.client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username="agent@example.com")
    resolution = resolved["detail"]["data"]["resolution"]
    assert (resolution["agent"], resolution["agentEmail"]) == (username["Username"], "agent@example.com")
    assert case_item(system, key)["status"]["S"] == "RESOLVED"
    assert [
        c
        for c in system.request("GET", "/cases", headers={"Authorization": agent_token}).body["cases"]
        if c["caseId"] == key
    ] == []


@pytest.mark.parametrize(
    "authorization",
    [None, "", "not-a-token", "Bearer eyJhbGciOiJub25lIn0.eyJ0b2tlbl91c2UiOiJpZCJ9."],
    ids=["missing", "empty", "garbage", "unsigned"],
)
def test_an_unauthenticated_resolution_is_refused_and_the_case_still_waits(system, authorization):
    key = submitted(system, review("negative"))
    system.cloud.drain(60)
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = system.request("POST", f"/cases/{key}/resolution", {"note": "Closing."}, headers)
    assert answer.status == 401
    assert case_item(system, key)["status"]["S"] == "OPEN"


def test_a_token_from_another_pool_is_refused(system):
    from joserfc import jwk, jwt
    from moto.utilities.utils import load_resource

    key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    forged = jwt.encode(
        {"alg": "RS256", "kid": "dummy"},
        {
            "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_someoneelse",
            "token_use": "id",
            "exp": 4102444800,
            "email": "mallory@example.com",
        },
        key,
    )
    assert system.request("GET", "/cases", headers={"Authorization": forged}).status == 401


def test_answers_with_reviewers_data_are_not_cached_nor_sniffed(system, agent_token):
    for answer in (
        system.request("GET", "/cases", headers={"Authorization": agent_token}),
        system.request("POST", "/cases/no-such-case/resolution", {"note": "x"}, headers={"Authorization": agent_token}),
        system.request("POST", "/reviews", raw=b"not json"),
    ):
        assert (answer.headers["Cache-Control"], answer.headers["X-Content-Type-Options"]) == ("no-store", "nosniff")


def test_resolving_an_unknown_case_answers_404(system, agent_token):
    answer = system.request("POST", "/cases/no-such-case/resolution", {"note": "x"}, {"Authorization": agent_token})
    assert answer.status == 404


def test_resolving_a_case_twice_answers_409(system, agent_token):
    key = submitted(system, review("negative"))
    system.cloud.drain(60)
    headers = {"Authorization": agent_token}
    assert system.request("POST", f"/cases/{key}/resolution", {"note": "Done."}, headers).status == 200
    assert system.request("POST", f"/cases/{key}/resolution", {"note": "Again."}, headers).status == 409


# --- duplicates ---------------------------------------------------------------------------------------


def test_a_replayed_request_with_the_same_idempotency_key_sends_one_email(system):
    key = str(uuid.uuid4())
    body = review("positive", email="replay@example.com")
    assert [system.submit_review(body, idempotency_key=key).status for _ in range(3)] == [202, 202, 202]
    system.cloud.drain(60)
    assert len(emails_to(system, "replay@example.com")) == 1
    assert len([e for e in events_of(system, key) if e["detail-type"] == "ThankYouSent"]) == 1


def test_a_duplicate_delivery_of_the_same_event_sends_one_email(system):
    key = submitted(system, review("positive", email="twice@example.com"))
    system.cloud.drain(60)
    [analysed] = [e for e in events_of(system, key) if e["detail-type"] == "ReviewAnalysed"]
    system.cloud.put_event(analysed["source"], analysed["detail-type"], analysed["detail"])
    system.cloud.drain(60)
    assert len(emails_to(system, "twice@example.com")) == 1


def test_a_duplicate_negative_event_opens_one_case(system):
    key = submitted(system, review("negative"))
    system.cloud.drain(60)
    [analysed] = [e for e in events_of(system, key) if e["detail-type"] == "ReviewAnalysed"]
    system.cloud.put_event(analysed["source"], analysed["detail-type"], analysed["detail"])
    system.cloud.drain(60)
    assert len([e for e in events_of(system, key) if e["detail-type"] == "CaseOpened"]) == 1


# --- bad input ----------------------------------------------------------------------------------------

BAD_BODIES = {
    "malformed JSON": b'{"reviewerName": "Ada", ',
    "not an object": b'["a review"]',
    "empty body": b"",
    "missing text": json.dumps({k: v for k, v in review("positive").items() if k != "text"}).encode(),
    "missing email": json.dumps({k: v for k, v in review("positive").items() if k != "reviewerEmail"}).encode(),
    "text not a string": json.dumps({**review("positive"), "text": 42}).encode(),
    "name not a string": json.dumps({**review("positive"), "reviewerName": ["Ada"]}).encode(),
    "empty text": json.dumps({**review("positive"), "text": ""}).encode(),
    "text over 5000 characters": json.dumps({**review("positive"), "text": "a" * 5001}).encode(),
    "unknown field": json.dumps({**review("positive"), "rating": 5}).encode(),
    "bad email": json.dumps({**review("positive"), "reviewerEmail": "ada at example"}).encode(),
    "email header injection": json.dumps(
        {**review("positive"), "reviewerEmail": "a@example.com\r\nBcc: x@evil.test"}
    ).encode(),
    "name header injection": json.dumps({**review("positive"), "reviewerName": "Ada\r\nBcc: x@evil.test"}).encode(),
    "bad product id": json.dumps({**review("positive"), "productId": "../../etc/passwd"}).encode(),
    "bad language code": json.dumps({**review("positive"), "languageCode": "english please"}).encode(),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_bad_input_gets_a_clear_400_and_publishes_nothing(system, name):
    before = len(system.cloud.eventbridge.events)
    answer = system.request("POST", "/reviews", raw=BAD_BODIES[name])
    assert answer.status == 400, answer.body
    assert answer.body["message"] and answer.body["requestId"]
    assert len(system.cloud.eventbridge.events) == before


def test_a_validation_error_is_valid_json_naming_the_model_as_api_gateway_can(system):
    # Gateway responses cannot escape AWS's validation string (it holds quotes), so it stays out of the body.
    answer = system.request("POST", "/reviews", {k: v for k, v in review("positive").items() if k != "text"})
    assert answer.status == 400
    assert set(answer.body) == {"message", "requestId"} and "model" in answer.body["message"]


def test_a_non_json_content_type_is_refused_with_415(system):
    answer = system.request("POST", "/reviews", raw=b"text=hello", headers={"Content-Type": "text/plain"})
    assert answer.status == 415


def test_an_unknown_route_answers_403_as_api_gateway_does(system):
    assert system.request("GET", "/nowhere").status == 403


NASTY_TEXTS = {
    "quotes": "She said \"best pizza\" and 'meant it'",
    "backslashes": "C:\\pizza\\best \\n is not a newline",
    "newlines and tabs": "Line one\nLine two\r\n\tindented",
    "emoji": "Great pizza 🍕🔥 would order again 👍",
    "non-Latin scripts": "とても美味しいピザでした。Очень вкусно! رائع جدا",
    "html and script": "<script>alert('x')</script><img src=x onerror=alert(1)> & more",
    "json lookalike": '{"sentiment": "NEGATIVE"}, "injected": true',
    "vtl lookalike": "$context.requestId #set($x = 1) ${x}",
}


@pytest.mark.parametrize("name", list(NASTY_TEXTS))
def test_awkward_text_is_processed_intact_end_to_end(system, name):
    text = NASTY_TEXTS[name]
    email = f"nasty-{abs(hash(name))}@example.com"
    key = submitted(
        system, {**review("positive", email=email), "text": text, "reviewerName": f'Zoë "Z" O\'Neil {name}'}
    )
    system.cloud.drain(60)
    [event] = [e for e in events_of(system, key) if e["detail-type"] == "ReviewSubmitted"]
    assert event["detail"]["data"]["text"] == text
    assert event["detail"]["data"]["reviewerName"] == f'Zoë "Z" O\'Neil {name}'
    assert [e["detail-type"] for e in events_of(system, key)][-1] in ("ThankYouSent", "CaseOpened")
    records = audit_of(system, key)
    assert all(r["detail"]["data"].get("text", text) == text for r in records)


def test_html_in_a_review_is_escaped_in_the_email(system):
    key = submitted(system, {**review("positive", email="html@example.com"), "text": NASTY_TEXTS["html and script"]})
    system.cloud.drain(60)
    [email] = emails_to(system, "html@example.com")
    assert key and "<script>" not in email.html and "&lt;script&gt;" in email.html


def test_text_within_5000_characters_but_over_5000_bytes_is_kept_as_analysis_failed(system):
    # JSON Schema counts characters, Comprehend counts UTF-8 bytes: the review is accepted, BatchDetectSentiment
    # refuses that one document (an ErrorList entry), and ReviewAnalysisFailed carries the whole review (nothing is
    # lost; the web page refuses it earlier).
    text = "ピザ" * 2000
    key = submitted(system, {**review("positive", email="long@example.com"), "text": text})
    system.cloud.drain(60)
    [failed] = [e for e in events_of(system, key) if e["detail-type"] == "ReviewAnalysisFailed"]
    assert failed["detail"]["data"]["text"] == text
    assert failed["detail"]["data"]["error"] == "Analysis.BatchItemError"
    assert failed["detail"]["data"]["cause"].startswith("TEXT_SIZE_LIMIT_EXCEEDED: ")


def test_the_web_acl_blocks_html_outside_reviews_with_api_gateways_waf_filtered_answer(system, agent_token):
    answer = system.request(
        "POST",
        "/cases/any-case/resolution",
        {"note": "<script>alert(1)</script>"},
        headers={"Authorization": agent_token},
    )
    assert answer.status == 403
    assert answer.body["message"] == "Forbidden" and answer.body["requestId"]


def test_cors_answers_only_the_configured_origin(system, dev_config):
    answer = system.request("OPTIONS", "/reviews", headers={"Origin": "https://evil.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == dev_config.frontend.allowed_origin
