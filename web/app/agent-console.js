// The agent console: sign in with the user pool (USER_PASSWORD_AUTH, straight to Cognito's JSON API), list the open
// cases a page at a time (GET /cases, then ?next= while the answer has a nextToken), resolve one with a note (POST
// /cases/{caseId}/resolution) and say whether the customer was emailed; a resolved case whose follow-up email failed
// stays listed with the failure and is sent again the same way. The ID token lives in sessionStorage until it
// expires; an expired or missing session, or any 401, brings the sign-in back.

import {
  ApiError,
  NetworkError,
  clearStatus,
  describeFailure,
  element,
  loadConfig,
  requestJson,
  showStatus,
} from "./api.js";

const SESSION_KEY = "reviews.agent.session";
// Sign out this long before the token's expiry, so that no request leaves with a token about to expire.
const EXPIRY_MARGIN_MS = 30_000;
const NOTE_LIMIT = 2000;
const SCORES = ["negative", "positive", "neutral", "mixed"];
const percent = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 0 });
const dates = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

const status = document.getElementById("status");
const views = {
  signIn: document.getElementById("sign-in-view"),
  newPassword: document.getElementById("new-password-view"),
  mfa: document.getElementById("mfa-view"),
  cases: document.getElementById("cases-view"),
};
const account = document.getElementById("account");
const signedInAs = document.getElementById("signed-in-as");
const caseList = document.getElementById("cases");
const caseCount = document.getElementById("case-count");
const moreCases = document.getElementById("more-cases");
// The API's reasons for a 409 after which the case can no longer be acted on: it leaves the list.
const FINAL_CONFLICTS = new Set(["CaseAlreadyResolved", "CaseExpired", "CaseClosed"]);

let config = null;
// A challenge in progress: Cognito's session string and the user it is for. Memory only, never stored.
let challenge = null;
let expiryTimer = null;
let caseSerial = 0;
// The next page's token while the API has more cases; "" once every page is shown.
let nextToken = "";

class SessionEnded extends Error {}

// ------------------------------------------------------------------------------------------------ the session

function readSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    if (session && typeof session.idToken === "string" && Number.isFinite(session.expiresAt)) {
      return session;
    }
  } catch {
    // A damaged entry is no session.
  }
  return null;
}

function currentSession() {
  const session = readSession();
  if (!session || Date.now() >= session.expiresAt - EXPIRY_MARGIN_MS) {
    return null;
  }
  return session;
}

function saveSession(result, username) {
  const session = {
    idToken: result.IdToken,
    expiresAt: Date.now() + Number(result.ExpiresIn || 0) * 1000,
    username,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

function endSession(kind, message) {
  sessionStorage.removeItem(SESSION_KEY);
  clearTimeout(expiryTimer);
  challenge = null;
  caseList.replaceChildren();
  caseCount.textContent = "";
  nextToken = "";
  moreCases.hidden = true;
  showView("signIn");
  if (message) {
    showStatus(status, kind, message);
  }
}

function watchExpiry(session) {
  clearTimeout(expiryTimer);
  const remaining = session.expiresAt - EXPIRY_MARGIN_MS - Date.now();
  expiryTimer = setTimeout(() => endSession("info", "Your session has expired. Please sign in again."), Math.max(0, remaining));
}

// ---------------------------------------------------------------------------------------------------- views

/** Show one view; moving the focus to its heading tells keyboard and screen reader users that the page changed. */
function showView(name, { focus = true } = {}) {
  for (const [key, view] of Object.entries(views)) {
    view.hidden = key !== name;
  }
  account.hidden = name !== "cases";
  if (focus) {
    views[name].querySelector("h1")?.focus();
  }
}

function busy(button, value, label) {
  button.disabled = value;
  if (label) {
    button.textContent = label;
  }
}

// -------------------------------------------------------------------------------------------------- Cognito

async function cognito(action, body) {
  // The Cognito Identity Provider JSON API, as the AWS SDKs call it; public clients need no signature.
  // https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_InitiateAuth.html
  let response;
  try {
    response = await fetch(config.cognitoEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch (error) {
    throw new NetworkError(error);
  }
  let payload = {};
  try {
    payload = (await response.json()) ?? {};
  } catch {
    // A body that is not JSON: the status speaks for itself.
  }
  if (!response.ok) {
    throw new ApiError(response.status, payload, `Sign-in failed (${response.status}).`);
  }
  return payload;
}

function signInFailure(error) {
  if (error instanceof ApiError) {
    const messages = {
      NotAuthorizedException: "Incorrect email address or password.",
      UserNotFoundException: "Incorrect email address or password.",
      PasswordResetRequiredException: "Your password has to be reset. Ask an administrator for a new temporary password.",
      UserNotConfirmedException: "Your account is not confirmed yet. Ask an administrator.",
      InvalidPasswordException: error.message,
      CodeMismatchException: "That code is not right. Try the current code.",
      ExpiredCodeException: "That code has expired. Try the current code.",
      TooManyRequestsException: "Too many attempts. Wait a minute, then try again.",
      LimitExceededException: "Too many attempts. Wait a minute, then try again.",
    };
    if (error.type === "NotAuthorizedException" && /session/i.test(error.message)) {
      return "The sign-in took too long. Please sign in again.";
    }
    return messages[error.type] ?? error.message;
  }
  return describeFailure(error).message;
}

/** Continue with what Cognito answered: tokens (signed in) or a challenge to answer. */
function proceed(answer, username) {
  if (answer.AuthenticationResult?.IdToken) {
    challenge = null;
    const session = saveSession(answer.AuthenticationResult, username);
    startConsole(session);
    return;
  }
  const parameters = answer.ChallengeParameters ?? {};
  challenge = {
    name: answer.ChallengeName,
    session: answer.Session,
    // With email as the username, Cognito names the user by its own id in challenges.
    username: parameters.USER_ID_FOR_SRP || parameters.USERNAME || username,
    displayName: username,
  };
  if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED") {
    let required = [];
    try {
      required = JSON.parse(parameters.requiredAttributes || "[]");
    } catch {
      required = [];
    }
    if (required.length) {
      endSession("error", "Your account needs details this console cannot collect. Ask an administrator to complete it.");
      return;
    }
    clearStatus(status);
    showView("newPassword");
  } else if (answer.ChallengeName === "SOFTWARE_TOKEN_MFA") {
    clearStatus(status);
    showView("mfa");
  } else {
    endSession("error", `This console cannot complete the sign-in step “${answer.ChallengeName}”. Ask an administrator.`);
  }
}

async function signIn(event) {
  event.preventDefault();
  const button = document.getElementById("sign-in");
  if (button.disabled) {
    return;
  }
  const username = document.getElementById("username").value.trim();
  const password = document.getElementById("password").value;
  if (!username || !password) {
    showStatus(status, "error", "Enter your email address and your password.");
    (username ? document.getElementById("password") : document.getElementById("username")).focus();
    return;
  }
  busy(button, true, "Signing in…");
  showStatus(status, "info", "Signing in…");
  try {
    const answer = await cognito("InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: config.userPoolClientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    document.getElementById("password").value = "";
    proceed(answer, username);
  } catch (error) {
    showStatus(status, "error", signInFailure(error));
    document.getElementById("password").focus();
  } finally {
    busy(button, false, "Sign in");
  }
}

async function respond(button, label, responses) {
  if (!challenge) {
    endSession("error", "The sign-in took too long. Please sign in again.");
    return;
  }
  busy(button, true, "Please wait…");
  try {
    const answer = await cognito("RespondToAuthChallenge", {
      ChallengeName: challenge.name,
      ClientId: config.userPoolClientId,
      Session: challenge.session,
      ChallengeResponses: { USERNAME: challenge.username, ...responses },
    });
    proceed(answer, challenge.displayName);
  } catch (error) {
    showStatus(status, "error", signInFailure(error));
  } finally {
    busy(button, false, label);
  }
}

async function setNewPassword(event) {
  event.preventDefault();
  const button = document.getElementById("set-password");
  if (button.disabled) {
    return;
  }
  const password = document.getElementById("new-password");
  const again = document.getElementById("confirm-password");
  if (password.value.length < 12) {
    showStatus(status, "error", "The new password needs at least 12 characters.");
    password.focus();
    return;
  }
  if (password.value !== again.value) {
    showStatus(status, "error", "The two passwords differ. Type the same password twice.");
    again.focus();
    return;
  }
  await respond(button, "Set password and sign in", { NEW_PASSWORD: password.value });
  password.value = "";
  again.value = "";
}

async function verifyCode(event) {
  event.preventDefault();
  const button = document.getElementById("verify-code");
  if (button.disabled) {
    return;
  }
  const code = document.getElementById("mfa-code");
  if (!/^\d{6}$/.test(code.value.trim())) {
    showStatus(status, "error", "Enter the six digits your authenticator app shows.");
    code.focus();
    return;
  }
  await respond(button, "Verify and sign in", { SOFTWARE_TOKEN_MFA_CODE: code.value.trim() });
  code.value = "";
}

function signOut() {
  endSession("info", "You have signed out.");
}

// ---------------------------------------------------------------------------------------------------- cases

/** A call of the agents' API with the session's token; a missing, expired or refused token ends the session. */
async function callApi(path, options = {}) {
  const session = currentSession();
  if (!session) {
    throw new SessionEnded();
  }
  try {
    return await requestJson(`${config.apiUrl}${path}`, {
      ...options,
      headers: { ...(options.headers ?? {}), Authorization: session.idToken },
    });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      throw new SessionEnded();
    }
    throw error;
  }
}

function sessionEnded() {
  endSession("info", "Your session has ended. Please sign in again.");
}

function formatDate(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value ?? "") : dates.format(date);
}

function scoreList(scores) {
  const list = element("dl", { className: "scores" });
  for (const name of SCORES) {
    const value = Number(scores?.[name]);
    list.append(
      element("div", { className: `score score-${name}` }, [
        element("dt", { text: name[0].toUpperCase() + name.slice(1) }),
        element("dd", { text: Number.isFinite(value) ? percent.format(value) : "–" }),
      ]),
    );
  }
  return list;
}

/** What the agent must know of a resolved case's follow-up email, or nothing for a case still open. */
function followUpNotice(item, id) {
  if (item.status !== "RESOLVED") {
    return [];
  }
  if (item.followUp === "FAILED") {
    const reason = item.followUpError ? ` (${item.followUpError})` : "";
    return [
      element("p", {
        className: "follow-up follow-up-failed",
        text: `Resolved, but the follow-up email to the customer could not be sent${reason}. Check the note and send it again.`,
        attributes: { id: `${id}-follow-up` },
      }),
    ];
  }
  return [
    element("p", {
      className: "follow-up",
      text: "Resolved. The follow-up email to the customer is being sent: refresh in a moment.",
      attributes: { id: `${id}-follow-up` },
    }),
  ];
}

function caseMeta(item) {
  const parts = [
    "Opened ",
    element("time", { text: formatDate(item.openedAt), attributes: { datetime: String(item.openedAt ?? "") } }),
  ];
  if (item.escalatedAt) {
    parts.push(" · escalated ", element("time", { text: formatDate(item.escalatedAt), attributes: { datetime: String(item.escalatedAt) } }));
  }
  parts.push(` · ${item.status ?? "OPEN"} · ${item.sentiment ?? ""}`);
  return parts;
}

function caseItem(item) {
  caseSerial += 1;
  const id = `case-${caseSerial}`;
  const resend = item.status === "RESOLVED" && item.followUp === "FAILED";
  const waitingForEmail = item.status === "RESOLVED" && !resend;
  const note = element("textarea", {
    attributes: {
      id: `${id}-note`,
      name: "note",
      rows: "3",
      maxlength: String(NOTE_LIMIT),
      required: "",
      "aria-describedby": `${id}-note-hint`,
    },
  });
  if (resend && item.resolutionNote) {
    note.value = String(item.resolutionNote);
  }
  const label = resend ? "Send follow-up again" : "Resolve case";
  const button = element("button", { text: label, attributes: { type: "submit" } });
  const form = element("form", { className: "resolve", attributes: { novalidate: "" } }, [
    element("div", { className: "field" }, [
      element("label", { text: "Resolution note", attributes: { for: `${id}-note` } }),
      note,
      element("p", { className: "hint", text: "Emailed to the customer.", attributes: { id: `${id}-note-hint` } }),
    ]),
    button,
  ]);
  const listItem = element("li", { className: "case" }, [
    element("article", { attributes: { "aria-labelledby": `${id}-title` } }, [
      element("h2", { text: `${item.productId ?? "Unknown product"} — ${item.reviewerName ?? "Anonymous"}`, attributes: { id: `${id}-title` } }),
      element("p", { className: "case-meta" }, caseMeta(item)),
      ...followUpNotice(item, id),
      scoreList(item.sentimentScore),
      element("p", { className: "review-text", text: String(item.text ?? "") }),
      element("p", { className: "case-id" }, ["Case ", element("code", { text: String(item.caseId ?? "") })]),
      // A resolved case whose email is being sent has nothing to do yet.
      ...(waitingForEmail ? [] : [form]),
    ]),
  ]);
  listItem.dataset.caseId = String(item.caseId ?? "");
  form.addEventListener("submit", (event) => resolveCase(event, item, listItem, note, button, label));
  return listItem;
}

function countCases() {
  const count = caseList.children.length;
  const shown = count === 0 ? "No open cases." : count === 1 ? "1 open case." : `${count} open cases.`;
  caseCount.textContent = nextToken ? `${shown.replace(/\.$/, "")} shown; there are more.` : shown;
  moreCases.hidden = !nextToken;
}

function byNewest(a, b) {
  return String(b.openedAt ?? "").localeCompare(String(a.openedAt ?? ""));
}

/** The first page again (Refresh), or the page after the last one shown (Show more). */
async function loadCases({ more = false } = {}) {
  const button = more ? moreCases : document.getElementById("refresh");
  const label = button.textContent;
  busy(button, true, more ? "Loading…" : "Refreshing…");
  try {
    const path = more && nextToken ? `/cases?next=${encodeURIComponent(nextToken)}` : "/cases";
    const answer = await callApi(path);
    const cases = Array.isArray(answer.cases) ? answer.cases : [];
    // Newest first, whatever order the answer came in.
    cases.sort(byNewest);
    nextToken = typeof answer.nextToken === "string" ? answer.nextToken : "";
    if (more) {
      const shown = new Set(Array.from(caseList.children, (child) => child.dataset.caseId));
      caseList.append(...cases.filter((item) => !shown.has(String(item.caseId ?? ""))).map(caseItem));
    } else {
      caseList.replaceChildren(...cases.map(caseItem));
    }
    countCases();
    clearStatus(status);
  } catch (error) {
    if (error instanceof SessionEnded) {
      sessionEnded();
      return;
    }
    const { message, details } = describeFailure(error);
    showStatus(status, "error", `The open cases could not be loaded: ${message}`, details);
  } finally {
    busy(button, false, label);
  }
}

async function resolveCase(event, item, listItem, note, button, label) {
  event.preventDefault();
  if (button.disabled) {
    return;
  }
  const text = note.value.trim();
  if (!text || text.length > NOTE_LIMIT) {
    note.setAttribute("aria-invalid", "true");
    showStatus(status, "error", `Write a resolution note (1 to ${NOTE_LIMIT} characters) before resolving.`);
    note.focus();
    return;
  }
  note.removeAttribute("aria-invalid");
  busy(button, true, label === "Resolve case" ? "Resolving…" : "Sending…");
  const who = `${item.reviewerName ?? "the customer"} (${item.productId ?? ""})`;
  try {
    const answer = await callApi(`/cases/${encodeURIComponent(item.caseId)}/resolution`, { method: "POST", body: { note: text } });
    if (answer.followUp === "FAILED") {
      // Resolved, and the customer does not know yet: the case stays, ready to send again.
      const failed = caseItem({ ...item, status: "RESOLVED", followUp: "FAILED", followUpError: answer.followUpError, resolutionNote: text });
      listItem.replaceWith(failed);
      const reason = answer.followUpError ? ` (${answer.followUpError})` : "";
      showStatus(status, "error", `Case of ${who} resolved, but the follow-up email could not be sent${reason}. Check the note and send it again.`);
      failed.querySelector("textarea")?.focus();
      return;
    }
    removeCase(listItem);
    showStatus(status, "success", `Case of ${who} resolved. The customer was emailed your note.`);
  } catch (error) {
    if (error instanceof SessionEnded) {
      sessionEnded();
      return;
    }
    const { message, details } = describeFailure(error);
    if (error instanceof ApiError && (error.status === 404 || (error.status === 409 && FINAL_CONFLICTS.has(error.reason)))) {
      removeCase(listItem);
    }
    showStatus(status, "error", message, details);
    busy(button, false, label);
  }
}

function removeCase(listItem) {
  const next = listItem.nextElementSibling ?? listItem.previousElementSibling;
  listItem.remove();
  countCases();
  // Keep the keyboard where the agent works: the next case's note, or the list's heading.
  (next?.querySelector("textarea") ?? document.getElementById("cases-heading")).focus();
}

function startConsole(session) {
  signedInAs.textContent = `Signed in as ${session.username ?? "agent"}`;
  watchExpiry(session);
  showView("cases");
  loadCases();
}

// ------------------------------------------------------------------------------------------------------ start

async function start() {
  document.getElementById("sign-in-form").addEventListener("submit", signIn);
  document.getElementById("new-password-form").addEventListener("submit", setNewPassword);
  document.getElementById("mfa-form").addEventListener("submit", verifyCode);
  document.getElementById("sign-out").addEventListener("click", signOut);
  document.getElementById("refresh").addEventListener("click", () => loadCases());
  moreCases.addEventListener("click", () => loadCases({ more: true }));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !views.cases.hidden && !currentSession()) {
      sessionEnded();
    }
  });
  try {
    config = await loadConfig(["apiUrl", "userPoolClientId", "cognitoEndpoint"]);
  } catch (error) {
    // Without config.json there is no Cognito to sign in with: the form is shown, to say what the page is, but
    // cannot be sent.
    busy(document.getElementById("sign-in"), true);
    showView("signIn", { focus: false });
    showStatus(status, "error", "The console could not load its settings, so nobody can sign in. Reload the page to try again.", [String(error.message)]);
    return;
  }
  const session = currentSession();
  if (session) {
    startConsole(session);
  } else {
    if (readSession()) {
      endSession("info", "Your session has expired. Please sign in again.");
    } else {
      showView("signIn", { focus: false });
    }
  }
  // Every view stays hidden until here; <body data-ready="true"> tells scripts (and the browser tests) that the
  // console has its settings and shows the view it starts with.
  document.body.dataset.ready = "true";
}

start();
