"""The review form and the agent console in a real browser: Debian's Chromium driven by Playwright.

Two kinds of tests:

- against the system running offline (the ``live`` fixture of conftest.py: the pages, config.json pointing at the
  local API and the local Cognito, the emails sent, a demo agent, ``drain()``): a review end to end, from the form to
  the thank-you or the follow-up email through the agent console;
- against the pages alone, served here with the production security headers (so a page that breaks the strict
  Content-Security-Policy fails), with the API and Cognito answered by the test (``page.route``): every message,
  retry, challenge and session rule the pages promise, including answers a healthy back end never gives.

Each page sets ``<body data-ready="true">`` once its config.json has loaded (until then the form's button is disabled
and the console shows no view); tests wait for that (``open_page``), never for the network to fall quiet.

Every test fails if the page logs a CSP violation or throws. Screenshots go to ``test-results/web/``. axe-core
(``npm ci``) checks accessibility: no serious or critical violation.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect, sync_playwright

from modules.web import CONFIG_KEY, content_type, security_headers, site_config, site_files

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RESULTS = ROOT / "test-results" / "web"
SERIOUS = ("serious", "critical")
TIMEOUT_MS = 15_000

pytestmark = pytest.mark.slow


# ------------------------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium); CI installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Tab:
    """One page in a fresh context, and what it did: requests, dialogs, and problems (CSP violations, errors)."""

    page: Page
    requests: list[Request] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def posts_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == "POST" and r.url.split("?")[0].endswith(path)]

    def screenshot(self, name: str) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe_violations(self) -> list[str]:
        """axe-core's serious and critical violations on the page as it is now."""
        assert AXE.exists(), "axe-core is not installed: run npm ci (package.json pins it)"
        self.page.add_script_tag(path=str(AXE))
        results = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            f"{v['impact']}: {v['id']} ({v['help']}) at {[node['target'] for node in v['nodes']]}"
            for v in results["violations"]
            if v["impact"] in SERIOUS
        ]


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    """``open_tab(locale="en-GB", bypass_csp=False)``: a new page. Only axe-core's injection bypasses the CSP."""
    contexts = []
    tabs: list[Tab] = []

    def open_tab(*, locale: str = "en-GB", bypass_csp: bool = False) -> Tab:
        context = browser.new_context(locale=locale, bypass_csp=bypass_csp, viewport={"width": 1024, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        tab = Tab(context.new_page())
        tab.page.on("request", lambda request: tab.requests.append(request))
        tab.page.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
        tab.page.on(
            "console",
            lambda message: (
                tab.problems.append(f"console: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )

        def dialog(dialog: Any) -> None:
            tab.dialogs.append(dialog.message)
            dialog.dismiss()

        tab.page.on("dialog", dialog)
        tabs.append(tab)
        return tab

    yield open_tab
    problems = [problem for tab in tabs for problem in tab.problems]
    for context in contexts:
        context.close()
    assert problems == []


# ------------------------------------------------------------------------------------ the pages, as a user


def fill_review(page: Page, *, name: str, email: str, product: str, text: str) -> None:
    page.get_by_label("Your name", exact=True).fill(name)
    page.get_by_label("Your email address", exact=True).fill(email)
    page.get_by_label("Product", exact=True).fill(product)
    page.get_by_label("Your review", exact=True).fill(text)


def open_page(page: Page, url: str) -> Page:
    """Opens a page and waits until it says it is usable: each page sets <body data-ready="true"> once its
    config.json has loaded (before, the form's button is disabled and the console shows no view)."""
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return page


def open_form(tab: Tab, base: str, path: str = "index.html") -> Page:
    open_page(tab.page, f"{base}/{path}")
    expect(tab.page.locator("#review-text-counter")).to_have_text("0 of 5,000 bytes used")
    return tab.page


def send_review(tab: Tab, base: str, *, name: str, email: str, product: str, text: str) -> str:
    """Fills the form, sends it and returns the review id of the confirmation."""
    page = open_form(tab, base)
    fill_review(page, name=name, email=email, product=product, text=text)
    page.get_by_role("button", name="Send review").click()
    return confirmation(page)


def confirmation(page: Page) -> str:
    """Waits for the confirmation and returns the review id it shows."""
    expect(page.locator("#status")).to_contain_text("Your review was received")
    return page.locator("#status .review-id").inner_text()


def sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Email address", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def case_card(page: Page, marker: str):
    return page.locator("#cases > li").filter(has=page.locator(".review-text", has_text=marker))


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}"


# ======================================================================== end to end, on the offline system


def emails_to(live: Any, address: str) -> list[Any]:
    return [email for email in live.emails() if address in email.destinations.get("ToAddresses", [])]


def test_a_positive_review_is_confirmed_and_thanked_by_email(live, open_tab):
    tab = open_tab()
    email = f"{unique('happy')}@example.com"
    text = "Lovely crust, wonderful sauce, delicious. Will order again!"
    review_id = send_review(tab, live.site_url, name="Ada Lovelace", email=email, product="pizza-margherita", text=text)
    tab.screenshot("review-form-confirmed")
    assert review_id

    live.drain()
    [thanks] = emails_to(live, email)
    assert thanks.destinations["ToAddresses"] == [email]
    assert "pizza-margherita" in thanks.subject + thanks.text


def test_a_negative_review_becomes_a_case_the_agent_resolves(live, open_tab):
    marker = unique("cold-pizza")
    email = f"{marker}@example.com"
    text = f"Terrible. Cold, soggy and late. Awful service, never again. ({marker})"
    send_review(open_tab(), live.site_url, name="Grace Hopper", email=email, product="pizza-diavola", text=text)
    live.drain()

    agent = open_tab()
    open_page(agent.page, f"{live.site_url}/agent.html")
    agent.screenshot("agent-console-sign-in")
    sign_in(agent.page, *live.agent)
    card = case_card(agent.page, marker)
    expect(card).to_have_count(1)
    expect(card.locator(".scores")).to_contain_text("Negative")
    agent.screenshot("agent-console-cases")
    note = f"We are sorry: a voucher is on its way ({marker})."
    card.get_by_label("Resolution note", exact=True).fill(note)
    card.get_by_role("button", name="Resolve case").click()
    expect(agent.page.locator("#status")).to_contain_text("resolved")
    expect(card).to_have_count(0)

    live.drain()
    follow_ups = [e for e in emails_to(live, email) if note in e.text]
    assert len(follow_ups) == 1
    agent.page.get_by_role("button", name="Refresh").click()
    expect(agent.page.locator("#case-count")).not_to_have_text("")
    expect(case_card(agent.page, marker)).to_have_count(0)


def test_a_double_click_sends_one_review(live, open_tab):
    tab = open_tab()
    email = f"{unique('double')}@example.com"
    page = open_form(tab, live.site_url)
    fill_review(page, name="Alan Turing", email=email, product="pizza-margherita", text="Great pizza, really tasty.")
    page.get_by_role("button", name="Send review").dblclick()
    confirmation(page)
    page.wait_for_timeout(500)
    assert len(tab.posts_to("/reviews")) == 1
    live.drain()
    assert len(emails_to(live, email)) == 1


def test_an_oversize_review_is_refused_by_the_page_and_by_the_api(live, open_tab):
    tab = open_tab()
    page = open_form(tab, live.site_url)
    # 2,501 characters, 5,002 bytes: within the API's character limit, over Comprehend's byte limit.
    fill_review(page, name="Ada Lovelace", email="ada@example.com", product="tea-42", text="é" * 2501)
    expect(page.locator("#review-text-counter")).to_have_text("5,002 of 5,000 bytes used: 2 too many")
    page.get_by_role("button", name="Send review").click()
    expect(page.locator("#status")).to_contain_text("the limit is 5,000 bytes")
    page.wait_for_timeout(300)
    assert tab.posts_to("/reviews") == []

    body = {"reviewerName": "Ada", "reviewerEmail": "ada@example.com", "productId": "tea-42", "text": "a" * 5001}
    request = urllib.request.Request(
        f"{live.api_url.rstrip('/')}/reviews",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 400
    refusal = json.loads(refused.value.read())
    assert set(refusal) == {"message", "field", "reason", "requestId"}
    assert (refusal["field"], refusal["reason"]) == ("text", "must be at most 5000 characters")


def test_a_review_with_a_script_is_shown_as_text_in_the_console(live, open_tab):
    marker = unique("xss")
    text = f'Awful, terrible, disgusting. <script>alert("{marker}")</script><img src=x onerror="alert(1)"> {marker}'
    customer = open_tab()
    send_review(
        customer,
        live.site_url,
        name="<b>Mallory</b>",
        email=f"{marker}@example.com",
        product="pizza-diavola",
        text=text,
    )
    live.drain()

    agent = open_tab()
    open_page(agent.page, f"{live.site_url}/agent.html")
    sign_in(agent.page, *live.agent)
    card = case_card(agent.page, marker)
    expect(card).to_have_count(1)
    assert card.locator(".review-text").text_content() == text
    expect(card.locator("h2")).to_contain_text("<b>Mallory</b>")
    assert agent.page.locator("#cases script, #cases img, #cases b").count() == 0
    agent.page.wait_for_timeout(300)
    assert customer.dialogs == agent.dialogs == []
    card.get_by_label("Resolution note", exact=True).fill("Handled.")
    card.get_by_role("button", name="Resolve case").click()
    expect(card).to_have_count(0)


@pytest.mark.parametrize("page_name", ["index.html", "agent.html"])
def test_axe_finds_no_serious_or_critical_violation(live, open_tab, page_name):
    tab = open_tab(bypass_csp=True)
    open_page(tab.page, f"{live.site_url}/{page_name}")
    tab.screenshot(f"axe-{page_name.removesuffix('.html')}")
    assert tab.axe_violations() == []
    if page_name == "agent.html":
        sign_in(tab.page, *live.agent)
        expect(tab.page.locator("#cases-view")).to_be_visible()
        expect(tab.page.locator("#case-count")).not_to_have_text("")
        tab.screenshot("axe-agent-cases")
        assert tab.axe_violations() == []


# ============================================================== the pages alone, the back end answered here

CLIENT_ID = "console-client"
AGENT = ("agent@example.com", "Correct-Horse-9!")
CASES = [
    {
        "caseId": "case-older",
        "reviewId": "r1",
        "reviewerName": "Older Case",
        "productId": "tea-42",
        "text": "Cold tea.",
        "sentiment": "NEGATIVE",
        "sentimentScore": {"positive": 0.01, "negative": 0.9, "neutral": 0.08, "mixed": 0.01},
        "status": "OPEN",
        "openedAt": "2026-03-01T10:00:00Z",
    },
    {
        "caseId": "case/with space#1",
        "reviewId": "r2",
        "reviewerName": "<img src=x onerror=alert(1)>",
        "productId": "pizza-diavola",
        "text": 'Burnt.\n<script>alert("x")</script>',
        "sentiment": "NEGATIVE",
        "sentimentScore": {"positive": 0.02, "negative": 0.95, "neutral": 0.02, "mixed": 0.01},
        "status": "ESCALATED",
        "openedAt": "2026-03-02T09:30:00Z",
    },
]


class _Site(ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """web/ served on 127.0.0.1 as CloudFront serves it (types, security headers, / -> index.html), with a
    config.json naming same-origin endpoints ``/api`` and ``/cognito/`` that the tests answer."""
    files = site_files()
    server = _Site(("127.0.0.1", 0), BaseHTTPRequestHandler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    config = json.dumps(
        site_config(
            api_url=f"{base}/api",
            region="eu-west-1",
            user_pool_id="eu-west-1_Local",
            user_pool_client_id=CLIENT_ID,
            cognito_endpoint=f"{base}/cognito/",
        )
    ).encode()
    headers = security_headers(base, base)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            key = self.path.split("?")[0].lstrip("/") or "index.html"
            if key == CONFIG_KEY:
                self._answer(200, content_type(key), config)
            elif key in files:
                self._answer(200, content_type(key), files[key].read_bytes())
            else:
                self._answer(404, "text/plain; charset=utf-8", b"not found")

        def _answer(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def answer(route: Route, status: int, body: dict[str, Any]) -> None:
    route.fulfill(status=status, content_type="application/json", body=json.dumps(body))


def reviews_api(tab: Tab, answers: list[Callable[[Route], None]]) -> list[dict[str, Any]]:
    """Answers POST /api/reviews with ``answers`` in turn (the last one repeats); returns what each request sent."""
    sent: list[dict[str, Any]] = []

    def handle(route: Route) -> None:
        request = route.request
        sent.append({"key": request.headers.get("idempotency-key"), "body": request.post_data_json})
        answers[min(len(sent), len(answers)) - 1](route)

    tab.page.route("**/api/reviews", handle)
    return sent


def accepted(route: Route) -> None:
    key = route.request.headers.get("idempotency-key", "")
    answer(route, 202, {"reviewId": key, "idempotencyKey": key})


def test_the_counter_counts_utf8_bytes_not_characters(site, open_tab):
    # "/" is the form, as CloudFront's default root object makes it.
    page = open_form(open_tab(), site, "")
    page.get_by_label("Your review", exact=True).fill("Très bon 😀")
    expect(page.locator("#review-text-counter")).to_have_text("14 of 5,000 bytes used")
    page.get_by_label("Your review", exact=True).fill("a" * 5000)
    expect(page.locator("#review-text-counter")).to_have_text("5,000 of 5,000 bytes used")
    page.get_by_label("Your review", exact=True).fill("a" * 4999 + "é")
    expect(page.locator("#review-text-counter")).to_have_text("5,001 of 5,000 bytes used: 1 too many")
    expect(page.get_by_label("Your review", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#status")).to_contain_text("over the 5,000-byte limit")


def test_an_oversize_review_never_leaves_the_page(site, open_tab):
    tab = open_tab()
    sent = reviews_api(tab, [accepted])
    page = open_form(tab, site)
    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="😀" * 1251)
    page.get_by_role("button", name="Send review").click()
    expect(page.locator("#status")).to_contain_text("Your review is 5,004 bytes long; the limit is 5,000 bytes")
    expect(page.get_by_label("Your review", exact=True)).to_be_focused()
    page.wait_for_timeout(200)
    assert sent == []


def test_a_review_is_sent_as_the_api_expects_with_a_fresh_key(site, open_tab):
    tab = open_tab()
    sent = reviews_api(tab, [accepted])
    page = open_form(tab, site)
    fill_review(page, name=" Ada Lovelace ", email="ada@example.com", product="tea-42", text="Lovely tea.\nReally.")
    page.get_by_role("button", name="Send review").click()
    review_id = confirmation(page)
    [request] = sent
    assert request["body"] == {
        "reviewerName": "Ada Lovelace",
        "reviewerEmail": "ada@example.com",
        "productId": "tea-42",
        "text": "Lovely tea.\nReally.",
        "languageCode": "en",
    }
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", request["key"])
    assert review_id == request["key"]
    expect(page.get_by_label("Your review", exact=True)).to_have_value("")
    tab.screenshot("review-form-mocked-confirmed")

    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="Second review.")
    page.get_by_role("button", name="Send review").click()
    confirmation(page)
    assert len(sent) == 2 and sent[1]["key"] != sent[0]["key"]


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(lambda route: route.abort("internetdisconnected"), id="network-failure"),
        pytest.param(
            lambda route: answer(
                route,
                502,
                {
                    "message": "The review was not accepted; retry with the same Idempotency-Key.",
                    "requestId": "req-502",
                },
            ),
            id="bad-gateway",
        ),
    ],
)
def test_a_retry_after_a_failure_keeps_the_idempotency_key(site, open_tab, failure, request):
    tab = open_tab()
    sent = reviews_api(tab, [failure, accepted])
    page = open_form(tab, site)
    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="Good.")
    page.get_by_role("button", name="Send review").click()
    expect(page.locator("#status")).to_contain_text("your review will not be sent twice")
    expect(page.get_by_role("button", name="Send review")).to_be_enabled()
    tab.screenshot(f"review-form-retry-after-{request.node.callspec.id}")
    page.get_by_role("button", name="Send review").click()
    confirmation(page)
    assert len(sent) == 2 and sent[0]["key"] == sent[1]["key"]


def test_a_bad_request_shows_the_apis_message_and_errors(site, open_tab):
    tab = open_tab()
    reviews_api(
        tab,
        [
            lambda route: answer(
                route,
                400,
                {
                    "message": "The request body is not valid.",
                    "errors": '[ECMA 262 regex "^[A-Za-z0-9._-]{1,64}$" does not match input string "x y"]',
                    "requestId": "req-400",
                },
            )
        ],
    )
    page = open_form(tab, site)
    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="Good.")
    page.get_by_role("button", name="Send review").click()
    status = page.locator("#status")
    expect(status).to_contain_text("The request body is not valid.")
    expect(status).to_contain_text('does not match input string "x y"')
    expect(status).to_contain_text("Request id: req-400")
    tab.screenshot("review-form-bad-request")


def test_a_review_changed_after_a_failed_send_goes_with_a_new_key(site, open_tab):
    tab = open_tab()
    failed = {"message": "The review was not accepted; retry with the same Idempotency-Key.", "requestId": "r"}
    sent = reviews_api(tab, [lambda route: answer(route, 502, failed), accepted])
    page = open_form(tab, site)
    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="Good.")
    page.get_by_role("button", name="Send review").click()
    expect(page.locator("#status")).to_contain_text("your review will not be sent twice")
    page.get_by_label("Your review", exact=True).fill("Good, on second thought very good.")
    page.get_by_role("button", name="Send review").click()
    confirmation(page)
    assert len(sent) == 2 and sent[0]["key"] != sent[1]["key"]
    assert sent[1]["body"]["text"] == "Good, on second thought very good."


def test_a_field_the_api_refuses_is_named_marked_and_focused(site, open_tab):
    tab = open_tab()
    refusal = {
        "message": "The review breaks a rule of the API: see field and reason.",
        "field": "productId",
        "reason": "must match the pattern ^[A-Za-z0-9._-]{1,64}(?![\\s\\S])",
        "requestId": "req-400",
    }
    reviews_api(tab, [lambda route: answer(route, 400, refusal)])
    page = open_form(tab, site)
    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="Good.")
    page.get_by_role("button", name="Send review").click()
    status = page.locator("#status")
    expect(status).to_contain_text("The review breaks a rule of the API")
    expect(status).to_contain_text("Product: must match the pattern")
    expect(page.get_by_label("Product", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Product", exact=True)).to_be_focused()
    tab.screenshot("review-form-field-refused")


def test_a_key_already_used_for_another_review_is_explained_and_the_next_send_has_a_new_key(site, open_tab):
    tab = open_tab()
    conflict = {
        "message": "This Idempotency-Key was already used for a different review; send a changed review with a new key.",
        "requestId": "req-409",
    }
    sent = reviews_api(tab, [lambda route: answer(route, 409, conflict), accepted])
    page = open_form(tab, site)
    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="Good.")
    page.get_by_role("button", name="Send review").click()
    expect(page.locator("#status")).to_contain_text("already used for a different review")
    expect(page.locator("#status")).to_contain_text("send this review as a new one")
    page.get_by_role("button", name="Send review").click()
    confirmation(page)
    assert len(sent) == 2 and sent[0]["key"] != sent[1]["key"]


@pytest.mark.parametrize("code", [403, 413, 415, 429])
def test_every_refusal_shows_the_apis_message(site, open_tab, code):
    tab = open_tab()
    reviews_api(tab, [lambda route: answer(route, code, {"message": f"Refused with {code}", "requestId": "r"})])
    page = open_form(tab, site)
    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="Good.")
    page.get_by_role("button", name="Send review").click()
    expect(page.locator("#status")).to_contain_text(f"Refused with {code}")
    expect(page.locator("#status")).to_have_attribute("data-kind", "error")


def test_invalid_fields_are_named_and_nothing_is_sent(site, open_tab):
    tab = open_tab()
    sent = reviews_api(tab, [accepted])
    page = open_form(tab, site)
    fill_review(page, name="", email="not-an-address", product="tea 42", text="Fine.")
    page.get_by_role("button", name="Send review").click()
    status = page.locator("#status")
    expect(status).to_contain_text("Enter your name")
    expect(status).to_contain_text("Enter an email address")
    expect(status).to_contain_text("Enter the product code")
    expect(page.get_by_label("Your name", exact=True)).to_be_focused()
    expect(page.get_by_label("Your email address", exact=True)).to_have_attribute("aria-invalid", "true")
    assert sent == []


def test_the_button_is_disabled_while_the_review_is_sent(site, open_tab):
    tab = open_tab()
    held: list[Route] = []
    sent = reviews_api(tab, [held.append])
    page = open_form(tab, site)
    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="Good.")
    button = page.get_by_role("button", name="Send review")
    button.click()
    expect(page.get_by_role("button", name="Sending…")).to_be_disabled()
    page.keyboard.press("Enter")
    page.wait_for_timeout(200)
    assert len(sent) == 1
    accepted(held[0])
    confirmation(page)


@pytest.mark.parametrize(("locale", "language"), [("fr-FR", "fr"), ("en-US", "en"), ("nl-NL", "nl")])
def test_the_language_is_the_browsers_primary_subtag(site, open_tab, locale, language):
    tab = open_tab(locale=locale)
    sent = reviews_api(tab, [accepted])
    page = open_form(tab, site)
    expect(page.get_by_label("Language of your review", exact=True)).to_have_value(language)
    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="Bon.")
    page.get_by_role("button", name="Send review").click()
    confirmation(page)
    assert sent[0]["body"]["languageCode"] == language


def test_the_language_can_be_left_to_detection(site, open_tab):
    tab = open_tab()
    sent = reviews_api(tab, [accepted])
    page = open_form(tab, site)
    page.get_by_label("Language of your review", exact=True).select_option("")
    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="Bon.")
    page.get_by_role("button", name="Send review").click()
    confirmation(page)
    assert "languageCode" not in sent[0]["body"]


def test_the_form_works_with_the_keyboard_alone_with_visible_focus(site, open_tab):
    tab = open_tab()
    sent = reviews_api(tab, [accepted])
    page = open_form(tab, site)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the review form")).to_be_focused()
    for value in ("Ada", "ada@example.com", "tea-42", "Lovely."):
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none"), page.evaluate("document.activeElement.id")
        page.keyboard.type(value)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Language of your review", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send review")).to_be_focused()
    page.keyboard.press("Enter")
    confirmation(page)
    assert sent[0]["body"]["text"] == "Lovely."


def test_the_review_form_has_no_serious_accessibility_violation_in_any_state(site, open_tab):
    tab = open_tab(bypass_csp=True)
    reviews_api(tab, [lambda route: answer(route, 400, {"message": "Not valid.", "errors": "[x]", "requestId": "r"})])
    page = open_form(tab, site)
    assert tab.axe_violations() == []
    page.get_by_role("button", name="Send review").click()
    expect(page.locator("#status")).to_contain_text("Please correct")
    assert tab.axe_violations() == []
    tab.screenshot("review-form-invalid")


def only_held(page: Page, held: list[Route]) -> Route:
    """The one request a route handler put in ``held``. Handlers run only while Playwright is being called, so this
    waits in short steps rather than reading the list once."""
    waited = 0
    while not held and waited < TIMEOUT_MS:
        page.wait_for_timeout(20)
        waited += 20
    [route] = held
    return route


def refuse_settings(route: Route) -> None:
    route.fulfill(status=503, content_type="text/plain", body="unavailable")


def test_the_form_cannot_be_sent_until_its_settings_have_loaded(site: str, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab()
    sent = reviews_api(tab, [accepted])
    held: list[Route] = []
    tab.page.route(f"**/{CONFIG_KEY}", lambda route: held.append(route))
    page = tab.page
    page.goto(f"{site}/index.html")
    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="Good.")
    button = page.get_by_role("button", name="Send review")
    expect(button).to_be_disabled()
    # Enter in a field is the implicit submission a disabled default button refuses.
    page.get_by_label("Your name", exact=True).press("Enter")
    expect(page.locator("body")).not_to_have_attribute("data-ready", "true")
    request = only_held(page, held)
    assert sent == []
    request.continue_()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(button).to_be_enabled()
    button.click()
    confirmation(page)
    assert len(sent) == 1


def test_without_its_settings_the_form_says_so_and_sends_nothing(site: str, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab()
    sent = reviews_api(tab, [accepted])
    tab.page.route(f"**/{CONFIG_KEY}", refuse_settings)
    page = tab.page
    page.goto(f"{site}/index.html")
    status = page.locator("#status")
    expect(status).to_contain_text("Reviews cannot be sent from this page right now")
    expect(status).to_contain_text(f"{CONFIG_KEY} answered 503")
    expect(status).to_have_attribute("data-kind", "error")
    fill_review(page, name="Ada", email="ada@example.com", product="tea-42", text="Good.")
    expect(page.get_by_role("button", name="Send review")).to_be_disabled()
    page.get_by_label("Your name", exact=True).press("Enter")
    page.wait_for_timeout(200)
    expect(page.locator("body")).not_to_have_attribute("data-ready", "true")
    assert sent == []


# ---------------------------------------------------------------------------------------- the agent console


@dataclass
class Backend:
    """The answers of Cognito and the agents' API for one test, and what the page sent them."""

    cognito_calls: list[dict[str, Any]] = field(default_factory=list)
    api_calls: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=lambda: [dict(c) for c in CASES])
    challenge: str | None = None
    expires_in: int = 3600
    list_status: int = 200
    resolve_status: int = 200
    # The pages of GET /cases by the next token asked for ("" for the first); empty: one page of ``cases``.
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The answers to POST .../resolution in turn (the last repeats), as (status, body); empty: the defaults below.
    resolutions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def token_for(backend: Backend) -> str:
    return f"id-token-{len(backend.cognito_calls)}"


RESOLVED = {"caseId": "c", "status": "RESOLVED", "resolvedAt": "2026-03-03T10:00:00Z"}


def install(tab: Tab, backend: Backend) -> Backend:
    def cognito(route: Route) -> None:
        request = route.request
        call = {
            "target": request.headers.get("x-amz-target"),
            "type": request.headers.get("content-type"),
            "body": json.loads(request.post_data or "{}"),
        }
        backend.cognito_calls.append(call)
        if call["target"].endswith(".InitiateAuth"):
            if call["body"]["AuthParameters"] != {"USERNAME": AGENT[0], "PASSWORD": AGENT[1]}:
                answer(route, 400, {"__type": "NotAuthorizedException", "message": "Incorrect username or password."})
                return
            if backend.challenge:
                answer(
                    route,
                    200,
                    {
                        "ChallengeName": backend.challenge,
                        "Session": "challenge-session",
                        "ChallengeParameters": {
                            "USER_ID_FOR_SRP": "agent-sub-1234",
                            "requiredAttributes": "[]",
                            "userAttributes": "{}",
                        },
                    },
                )
                return
        authentication = {
            "IdToken": token_for(backend),
            "AccessToken": "a",
            "RefreshToken": "r",
            "ExpiresIn": backend.expires_in,
            "TokenType": "Bearer",
        }
        answer(route, 200, {"AuthenticationResult": authentication, "ChallengeParameters": {}})

    def api(route: Route) -> None:
        request = route.request
        path = request.url.split("/api", 1)[1]
        resolutions = len([c for c in backend.api_calls if c["path"].endswith("/resolution")])
        backend.api_calls.append(
            {
                "method": request.method,
                "path": path,
                "authorization": request.headers.get("authorization"),
                "body": request.post_data_json if request.method == "POST" else None,
            }
        )
        if not (request.headers.get("authorization") or "").startswith("id-token-"):
            answer(route, 401, {"message": "Unauthorized", "requestId": "r401"})
        elif request.method == "GET" and backend.pages and path.split("?")[0] == "/cases":
            query = parse_qs(path.partition("?")[2])
            answer(route, 200, backend.pages[query.get("next", [""])[0]])
        elif request.method == "POST" and path.endswith("/resolution") and backend.resolutions:
            status, body = backend.resolutions[min(resolutions, len(backend.resolutions) - 1)]
            answer(route, status, body)
        elif request.method == "GET" and path == "/cases":
            answer(
                route,
                backend.list_status,
                {"cases": backend.cases}
                if backend.list_status == 200
                else {"message": "Unauthorized", "requestId": "r"},
            )
        elif request.method == "POST" and path.endswith("/resolution"):
            if backend.resolve_status == 200:
                answer(route, 200, {**RESOLVED, "followUp": "SENT"})
            else:
                answer(
                    route, backend.resolve_status, {"message": "The case was already resolved.", "requestId": "r409"}
                )
        else:
            answer(route, 403, {"message": "Missing Authentication Token"})

    tab.page.route("**/cognito/", cognito)
    tab.page.route("**/api/**", api)
    return backend


def open_console(tab: Tab, site: str, backend: Backend | None = None) -> Backend:
    backend = install(tab, backend or Backend())
    open_page(tab.page, f"{site}/agent.html")
    return backend


def signed_in(tab: Tab, site: str, backend: Backend | None = None) -> Backend:
    backend = open_console(tab, site, backend)
    sign_in(tab.page, *AGENT)
    expect(tab.page.locator("#cases > li")).to_have_count(len(backend.cases))
    return backend


def test_signing_in_calls_cognito_initiate_auth_with_the_password_flow(site, open_tab):
    tab = open_tab()
    backend = signed_in(tab, site)
    [call] = backend.cognito_calls
    assert call == {
        "target": "AWSCognitoIdentityProviderService.InitiateAuth",
        "type": "application/x-amz-json-1.1",
        "body": {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": CLIENT_ID,
            "AuthParameters": {"USERNAME": AGENT[0], "PASSWORD": AGENT[1]},
        },
    }
    session = json.loads(tab.page.evaluate("sessionStorage.getItem('reviews.agent.session')"))
    assert session["idToken"] == "id-token-1" and session["expiresAt"] > 0
    assert backend.api_calls[0] == {"method": "GET", "path": "/cases", "authorization": "id-token-1", "body": None}
    expect(tab.page.locator("#signed-in-as")).to_have_text(f"Signed in as {AGENT[0]}")


def test_a_wrong_password_is_refused_with_a_message(site, open_tab):
    tab = open_tab()
    open_console(tab, site)
    sign_in(tab.page, AGENT[0], "wrong-password")
    expect(tab.page.locator("#status")).to_contain_text("Incorrect email address or password.")
    expect(tab.page.locator("#sign-in-view")).to_be_visible()
    expect(tab.page.get_by_label("Password", exact=True)).to_be_focused()


def test_a_new_password_challenge_is_answered_with_respond_to_auth_challenge(site, open_tab):
    tab = open_tab()
    backend = open_console(tab, site, Backend(challenge="NEW_PASSWORD_REQUIRED"))
    sign_in(tab.page, *AGENT)
    expect(tab.page.get_by_role("heading", name="Choose a new password")).to_be_focused()
    tab.screenshot("agent-console-new-password")
    tab.page.get_by_label("New password", exact=True).fill("Another-Password-1!")
    tab.page.get_by_label("New password, again", exact=True).fill("Another-Password-2!")
    tab.page.get_by_role("button", name="Set password and sign in").click()
    expect(tab.page.locator("#status")).to_contain_text("The two passwords differ")
    tab.page.get_by_label("New password, again", exact=True).fill("Another-Password-1!")
    tab.page.get_by_role("button", name="Set password and sign in").click()
    expect(tab.page.locator("#cases > li")).to_have_count(len(CASES))
    respond = backend.cognito_calls[-1]
    assert respond["target"] == "AWSCognitoIdentityProviderService.RespondToAuthChallenge"
    assert respond["body"] == {
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "ClientId": CLIENT_ID,
        "Session": "challenge-session",
        "ChallengeResponses": {"USERNAME": "agent-sub-1234", "NEW_PASSWORD": "Another-Password-1!"},
    }


def test_cases_are_listed_newest_first_with_scores_and_text_as_text(site, open_tab):
    tab = open_tab()
    signed_in(tab, site)
    cards = tab.page.locator("#cases > li")
    expect(cards.nth(0).locator("h2")).to_have_text("pizza-diavola — <img src=x onerror=alert(1)>")
    expect(cards.nth(1).locator("h2")).to_have_text("tea-42 — Older Case")
    assert cards.nth(0).locator(".review-text").text_content() == 'Burnt.\n<script>alert("x")</script>'
    expect(cards.nth(0).locator(".scores")).to_have_text(
        re.compile(r"Negative\s*95%.*Positive\s*2%.*Neutral\s*2%.*Mixed\s*1%")
    )
    assert tab.page.locator("#cases script, #cases img").count() == 0
    expect(tab.page.locator("#case-count")).to_have_text("2 open cases.")
    tab.page.wait_for_timeout(200)
    assert tab.dialogs == []
    tab.screenshot("agent-console-mocked-cases")


def test_resolving_posts_the_note_to_the_url_encoded_case_and_removes_it(site, open_tab):
    tab = open_tab()
    backend = signed_in(tab, site)
    card = case_card(tab.page, "Burnt.")
    card.get_by_role("button", name="Resolve case").click()
    expect(tab.page.locator("#status")).to_contain_text("Write a resolution note")
    card.get_by_label("Resolution note", exact=True).fill("Refunded in full.")
    card.get_by_role("button", name="Resolve case").click()
    expect(card).to_have_count(0)
    expect(tab.page.locator("#case-count")).to_have_text("1 open case.")
    resolve = backend.api_calls[-1]
    assert resolve == {
        "method": "POST",
        "path": "/cases/case%2Fwith%20space%231/resolution",
        "authorization": "id-token-1",
        "body": {"note": "Refunded in full."},
    }
    expect(case_card(tab.page, "Cold tea.").get_by_label("Resolution note", exact=True)).to_be_focused()


def test_a_conflict_keeps_the_case_and_shows_the_apis_message(site, open_tab):
    tab = open_tab()
    signed_in(tab, site, Backend(resolve_status=409))
    card = case_card(tab.page, "Cold tea.")
    card.get_by_label("Resolution note", exact=True).fill("Done.")
    card.get_by_role("button", name="Resolve case").click()
    expect(tab.page.locator("#status")).to_contain_text("The case was already resolved.")
    expect(card).to_have_count(1)
    expect(card.get_by_role("button", name="Resolve case")).to_be_enabled()


def test_more_cases_are_loaded_a_page_at_a_time_with_the_apis_token(site, open_tab):
    tab = open_tab()
    token = "MjAyNi0wMy0wMVQxMDowMDowMFp+Y2FzZS1vbGRlcg=="
    pages = {"": {"cases": [CASES[1]], "nextToken": token}, token: {"cases": [CASES[0]]}}
    backend = open_console(tab, site, Backend(pages=pages))
    sign_in(tab.page, *AGENT)
    expect(tab.page.locator("#cases > li")).to_have_count(1)
    expect(tab.page.locator("#case-count")).to_have_text("1 open case shown; there are more.")
    more = tab.page.get_by_role("button", name="Show more cases")
    more.click()
    expect(tab.page.locator("#cases > li")).to_have_count(2)
    expect(tab.page.locator("#case-count")).to_have_text("2 open cases.")
    expect(more).to_be_hidden()
    assert [c["path"] for c in backend.api_calls] == ["/cases", "/cases?next=" + quote(token, safe="")]
    expect(tab.page.locator("#cases > li").nth(1).locator("h2")).to_have_text("tea-42 — Older Case")


def test_a_resolution_whose_email_failed_keeps_the_case_to_send_again(site, open_tab):
    tab = open_tab()
    failed = {**RESOLVED, "followUp": "FAILED", "followUpError": "SesV2.MessageRejectedException"}
    backend = signed_in(tab, site, Backend(resolutions=[(200, failed), (200, {**RESOLVED, "followUp": "SENT"})]))
    card = case_card(tab.page, "Cold tea.")
    card.get_by_label("Resolution note", exact=True).fill("Refunded.")
    card.get_by_role("button", name="Resolve case").click()
    expect(tab.page.locator("#status")).to_contain_text("could not be sent (SesV2.MessageRejectedException)")
    card = case_card(tab.page, "Cold tea.")
    expect(card.locator(".follow-up-failed")).to_contain_text("could not be sent")
    expect(card.get_by_label("Resolution note", exact=True)).to_have_value("Refunded.")
    tab.screenshot("agent-console-follow-up-failed")
    card.get_by_role("button", name="Send follow-up again").click()
    expect(card).to_have_count(0)
    expect(tab.page.locator("#status")).to_contain_text("The customer was emailed your note.")
    assert [c["body"] for c in backend.api_calls if c["method"] == "POST"] == [{"note": "Refunded."}] * 2


def test_a_listed_case_whose_follow_up_failed_offers_to_send_it_again_with_its_note(site, open_tab):
    tab = open_tab()
    item = {
        **CASES[0],
        "status": "RESOLVED",
        "followUp": "FAILED",
        "followUpError": "SesV2.TooManyRequestsException",
        "resolutionNote": "A voucher is on its way.",
    }
    signed_in(tab, site, Backend(cases=[item]))
    card = case_card(tab.page, "Cold tea.")
    expect(card.locator(".follow-up-failed")).to_contain_text("SesV2.TooManyRequestsException")
    expect(card.get_by_label("Resolution note", exact=True)).to_have_value("A voucher is on its way.")
    expect(card.get_by_role("button", name="Send follow-up again")).to_be_enabled()


def test_a_resolved_case_whose_email_is_being_sent_is_shown_without_a_form(site, open_tab):
    tab = open_tab()
    signed_in(tab, site, Backend(cases=[{**CASES[0], "status": "RESOLVED", "followUp": "PENDING"}]))
    card = case_card(tab.page, "Cold tea.")
    expect(card.locator(".follow-up")).to_contain_text("being sent")
    expect(card.locator("form")).to_have_count(0)


@pytest.mark.parametrize("reason", ["CaseExpired", "CaseClosed", "CaseAlreadyResolved"])
def test_a_case_that_can_no_longer_be_resolved_leaves_the_list_with_the_apis_reason(site, open_tab, reason):
    tab = open_tab()
    message = f"Refused: {reason}."
    signed_in(tab, site, Backend(resolutions=[(409, {"message": message, "reason": reason, "requestId": "r"})]))
    card = case_card(tab.page, "Cold tea.")
    card.get_by_label("Resolution note", exact=True).fill("Done.")
    card.get_by_role("button", name="Resolve case").click()
    expect(tab.page.locator("#status")).to_contain_text(message)
    expect(card).to_have_count(0)
    expect(tab.page.locator("#case-count")).to_have_text("1 open case.")


def test_a_401_sends_the_agent_back_to_sign_in(site, open_tab):
    tab = open_tab()
    backend = signed_in(tab, site)
    backend.list_status = 401
    tab.page.get_by_role("button", name="Refresh").click()
    expect(tab.page.locator("#sign-in-view")).to_be_visible()
    expect(tab.page.locator("#status")).to_contain_text("Please sign in again")
    assert tab.page.evaluate("sessionStorage.getItem('reviews.agent.session')") is None
    expect(tab.page.locator("#cases > li")).to_have_count(0)


def test_a_session_that_expires_sends_the_agent_back_to_sign_in(site, open_tab):
    tab = open_tab()
    # The console leaves 30 seconds of margin: a token valid for 31 seconds ends after one.
    signed_in(tab, site, Backend(expires_in=31))
    expect(tab.page.locator("#sign-in-view")).to_be_visible(timeout=5000)
    expect(tab.page.locator("#status")).to_contain_text("Your session has expired")


def test_a_stored_session_is_kept_until_it_expires(site, open_tab):
    tab = open_tab()
    backend = signed_in(tab, site)
    tab.page.reload()
    expect(tab.page.locator("#cases > li")).to_have_count(len(CASES))
    assert len(backend.cognito_calls) == 1
    tab.page.evaluate(
        "const s = JSON.parse(sessionStorage.getItem('reviews.agent.session'));"
        "s.expiresAt = Date.now() - 1000; sessionStorage.setItem('reviews.agent.session', JSON.stringify(s));"
    )
    tab.page.reload()
    expect(tab.page.locator("#sign-in-view")).to_be_visible()
    expect(tab.page.locator("#status")).to_contain_text("Your session has expired")


def test_without_a_session_the_console_asks_to_sign_in_and_calls_nothing(site, open_tab):
    tab = open_tab()
    backend = open_console(tab, site)
    expect(tab.page.get_by_role("heading", name="Sign in")).to_be_visible()
    tab.screenshot("agent-console-signed-out")
    expect(tab.page.locator("#cases-view")).to_be_hidden()
    assert backend.api_calls == [] and backend.cognito_calls == []


def test_without_its_settings_the_console_says_so_and_cannot_sign_in(site: str, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab()
    backend = install(tab, Backend())
    tab.page.route(f"**/{CONFIG_KEY}", refuse_settings)
    tab.page.goto(f"{site}/agent.html")
    expect(tab.page.locator("#status")).to_contain_text("The console could not load its settings")
    expect(tab.page.locator("#status")).to_contain_text(f"{CONFIG_KEY} answered 503")
    expect(tab.page.get_by_role("button", name="Sign in")).to_be_disabled()
    tab.page.get_by_label("Email address", exact=True).fill(AGENT[0])
    tab.page.get_by_label("Password", exact=True).fill(AGENT[1])
    tab.page.get_by_label("Password", exact=True).press("Enter")
    tab.page.wait_for_timeout(200)
    expect(tab.page.locator("body")).not_to_have_attribute("data-ready", "true")
    assert backend.cognito_calls == [] and backend.api_calls == []


def test_signing_out_forgets_the_token(site, open_tab):
    tab = open_tab()
    signed_in(tab, site)
    tab.page.get_by_role("button", name="Sign out").click()
    expect(tab.page.locator("#sign-in-view")).to_be_visible()
    expect(tab.page.locator("#status")).to_contain_text("You have signed out.")
    assert tab.page.evaluate("sessionStorage.length") == 0
    expect(tab.page.locator("#account")).to_be_hidden()


def test_the_agent_console_has_no_serious_accessibility_violation(site, open_tab):
    tab = open_tab(bypass_csp=True)
    open_console(tab, site)
    expect(tab.page.locator("#sign-in-view")).to_be_visible()
    assert tab.axe_violations() == []
    sign_in(tab.page, *AGENT)
    expect(tab.page.locator("#cases > li")).to_have_count(len(CASES))
    assert tab.axe_violations() == []
