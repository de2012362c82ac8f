// The review form: POST /reviews with an Idempotency-Key made once per review, so that a double click, a retry
// after a network failure or a retry after a 5xx is one review downstream. The API refuses a key reused for a
// different review (409), so a review changed after a failed send gets a new key.

import {
  ApiError,
  NetworkError,
  TEXT_LIMIT_BYTES,
  clearStatus,
  describeFailure,
  element,
  loadConfig,
  newUuid,
  requestJson,
  showStatus,
  utf8Length,
} from "./api.js";

// The API's model (contracts/events/definitions.json), checked here first so the customer hears it at once.
// JavaScript's $ is the end of the text, so these need not end as the contract's patterns do.
const CHECKS = [
  {
    id: "reviewer-name",
    valid: (value) =>
      [...value].length >= 1 && [...value].length <= 200 && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value),
    message: "Enter your name (up to 200 characters).",
  },
  {
    id: "reviewer-email",
    valid: (value) =>
      value.length <= 254 &&
      /^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]$/.test(value),
    message: "Enter an email address such as name@example.com.",
  },
  {
    id: "product-id",
    valid: (value) => /^[A-Za-z0-9._-]{1,64}$/.test(value),
    message: "Enter the product code: 1 to 64 letters, digits, dots, dashes or underscores.",
  },
  {
    id: "review-text",
    valid: (value) => value.trim().length >= 1 && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(value),
    message: "Write your review (tabs and line breaks are fine; other control characters are not).",
  },
];
// The API's field names (a 400 names one) and the inputs that hold them.
const INPUTS = {
  reviewerName: "reviewer-name",
  reviewerEmail: "reviewer-email",
  productId: "product-id",
  text: "review-text",
  languageCode: "language",
};
const numbers = new Intl.NumberFormat("en");

const form = document.getElementById("review-form");
const submitButton = document.getElementById("submit-review");
const textArea = document.getElementById("review-text");
const counter = document.getElementById("review-text-counter");
const languageSelect = document.getElementById("language");
const status = document.getElementById("status");

let config = null;
// One key per review: made at the first attempt, kept by every retry of the same review, replaced when the review
// changes after a failed send and once a review is accepted. keyedBody is the review the key was sent with.
let idempotencyKey = null;
let keyedBody = null;
let sending = false;
let wasOverLimit = false;

function field(id) {
  return document.getElementById(id);
}

function updateCounter() {
  const used = utf8Length(textArea.value);
  const over = used > TEXT_LIMIT_BYTES;
  counter.textContent = over
    ? `${numbers.format(used)} of ${numbers.format(TEXT_LIMIT_BYTES)} bytes used: ${numbers.format(used - TEXT_LIMIT_BYTES)} too many`
    : `${numbers.format(used)} of ${numbers.format(TEXT_LIMIT_BYTES)} bytes used`;
  counter.classList.toggle("over", over);
  if (over) {
    textArea.setAttribute("aria-invalid", "true");
  } else if (textArea.getAttribute("aria-invalid") === "true" && textArea.value.trim()) {
    textArea.removeAttribute("aria-invalid");
  }
  if (over !== wasOverLimit) {
    wasOverLimit = over;
    if (over) {
      showStatus(status, "error", "Your review is over the 5,000-byte limit. Please shorten it.");
    } else {
      clearStatus(status);
    }
  }
  return used;
}

/** Preselect the language of the browser (its primary subtag), adding it when it is not in the list. */
function preselectLanguage() {
  const primary = (navigator.language || "").split("-")[0].toLowerCase();
  if (!/^[a-z]{2,3}$/.test(primary)) {
    return;
  }
  const known = Array.from(languageSelect.options).some((option) => option.value === primary);
  if (!known) {
    let label = primary;
    try {
      label = new Intl.DisplayNames([navigator.language], { type: "language" }).of(primary) || primary;
    } catch {
      // An engine without Intl.DisplayNames shows the code itself.
    }
    languageSelect.append(element("option", { text: label, attributes: { value: primary } }));
  }
  languageSelect.value = primary;
}

function prefillProduct() {
  const product = new URLSearchParams(window.location.search).get("product");
  if (product && /^[A-Za-z0-9._-]{1,64}$/.test(product)) {
    field("product-id").value = product;
  }
}

/** The messages of every field that the API would refuse; marks those fields invalid. */
function problems() {
  const found = [];
  for (const check of CHECKS) {
    const input = field(check.id);
    if (check.valid(input.value.trim())) {
      input.removeAttribute("aria-invalid");
    } else {
      input.setAttribute("aria-invalid", "true");
      found.push({ input, message: check.message });
    }
  }
  return found;
}

function setSending(value) {
  sending = value;
  submitButton.disabled = value;
  submitButton.textContent = value ? "Sending…" : "Send review";
  form.setAttribute("aria-busy", String(value));
}

function reviewBody() {
  const body = {
    reviewerName: field("reviewer-name").value.trim(),
    reviewerEmail: field("reviewer-email").value.trim(),
    productId: field("product-id").value.trim(),
    text: textArea.value,
  };
  if (languageSelect.value) {
    body.languageCode = languageSelect.value;
  }
  return body;
}

function showConfirmation(answer) {
  const reviewId = typeof answer.reviewId === "string" ? answer.reviewId : idempotencyKey;
  idempotencyKey = null;
  keyedBody = null;
  form.reset();
  preselectLanguage();
  prefillProduct();
  updateCounter();
  showStatus(status, "success", "Thank you! Your review was received.", [
    element("span", {}, ["Review id: ", element("code", { className: "review-id", text: reviewId })]),
  ]);
}

function explain(error) {
  const { message, details } = describeFailure(error);
  if (error instanceof ApiError && error.status === 400 && error.field) {
    const input = INPUTS[error.field] ? field(INPUTS[error.field]) : null;
    const label = input ? document.querySelector(`label[for="${input.id}"]`)?.textContent.trim() || error.field : error.field;
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
    showStatus(status, "error", message, [`${label}: ${error.reason}`, ...details]);
  } else if (error instanceof ApiError && error.status === 409) {
    // The key was used for another review: this one can only go with a new key, which the next send makes.
    idempotencyKey = null;
    keyedBody = null;
    showStatus(status, "error", message, [...details, "Press “Send review” to send this review as a new one."]);
  } else if (error instanceof NetworkError || (error instanceof ApiError && (error.status >= 500 || error.status === 429))) {
    // The review may have arrived: the retry carries the same key, so it cannot become a second review.
    showStatus(status, "error", message, [
      ...details,
      "Press “Send review” again: your review will not be sent twice.",
    ]);
  } else {
    showStatus(status, "error", message, details);
  }
}

async function submit(event) {
  event.preventDefault();
  if (sending) {
    return;
  }
  const used = updateCounter();
  if (used > TEXT_LIMIT_BYTES) {
    showStatus(status, "error", `Your review is ${numbers.format(used)} bytes long; the limit is ${numbers.format(TEXT_LIMIT_BYTES)} bytes. Please shorten it by ${numbers.format(used - TEXT_LIMIT_BYTES)} bytes.`);
    textArea.focus();
    return;
  }
  const invalid = problems();
  if (invalid.length) {
    showStatus(status, "error", "Please correct the following:", invalid.map((problem) => problem.message));
    invalid[0].input.focus();
    return;
  }
  if (!config) {
    showStatus(status, "error", "The page is not ready yet: its settings could not be loaded. Reload the page.");
    return;
  }
  const body = reviewBody();
  const sameReview = keyedBody !== null && JSON.stringify(body) === keyedBody;
  if (!sameReview) {
    // A changed review is another review: the key of the failed send would be refused with 409.
    idempotencyKey = newUuid();
    keyedBody = JSON.stringify(body);
  }
  setSending(true);
  showStatus(status, "info", "Sending your review…");
  try {
    const answer = await requestJson(`${config.apiUrl}/reviews`, {
      method: "POST",
      headers: { "Idempotency-Key": idempotencyKey },
      body,
    });
    showConfirmation(answer);
  } catch (error) {
    explain(error);
  } finally {
    setSending(false);
  }
}

// The button stays disabled until config.json has loaded: a review sent before would have nowhere to go. Then
// <body data-ready="true"> tells scripts (and the browser tests) that the form can be used.
async function start() {
  preselectLanguage();
  prefillProduct();
  updateCounter();
  textArea.addEventListener("input", updateCounter);
  form.addEventListener("submit", submit);
  try {
    config = await loadConfig(["apiUrl"]);
  } catch (error) {
    showStatus(status, "error", "Reviews cannot be sent from this page right now: it could not load its settings. Reload the page to try again.", [String(error.message)]);
    return;
  }
  submitButton.disabled = false;
  document.body.dataset.ready = "true";
}

start();
