// What the review form and the agent console share: their configuration, JSON requests to the API, and building
// the page from data. Data only ever reaches the page as text (textContent, text nodes, attribute values), never
// as markup.

/** Comprehend reads at most 5,000 bytes of UTF-8 text per review. */
export const TEXT_LIMIT_BYTES = 5000;

const encoder = new TextEncoder();

/** The number of bytes `text` takes in UTF-8: what the 5,000-byte limit counts. */
export function utf8Length(text) {
  return encoder.encode(text).length;
}

/** A failure the API (or Cognito) answered, with its status and message. */
export class ApiError extends Error {
  constructor(status, payload, fallback) {
    super(typeof payload.message === "string" && payload.message ? payload.message : fallback);
    this.name = "ApiError";
    this.status = status;
    this.errors = typeof payload.errors === "string" ? payload.errors : "";
    this.requestId = typeof payload.requestId === "string" ? payload.requestId : "";
    // POST /reviews names the field a 400 refused and the rule it broke (never the value).
    this.field = typeof payload.field === "string" ? payload.field : "";
    this.reason = typeof payload.reason === "string" ? payload.reason : "";
    this.type = typeof payload.__type === "string" ? payload.__type.split("#").pop() : "";
    // Why a request conflicts (409), when the API says: CaseAlreadyResolved, CaseExpired, ...
    this.reason = typeof payload.reason === "string" ? payload.reason : "";
  }
}

/** No answer at all: offline, DNS, CORS refused or connection reset. The request may or may not have arrived. */
export class NetworkError extends Error {
  constructor(cause) {
    super("The service could not be reached.");
    this.name = "NetworkError";
    this.cause = cause;
  }
}

/**
 * The settings the deployment writes beside the pages: {apiUrl, region, userPoolId, userPoolClientId,
 * cognitoEndpoint}. Never cached: it changes whenever the API or the user pool is replaced.
 */
export async function loadConfig(required) {
  const response = await fetch("config.json", { cache: "no-store", credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`config.json answered ${response.status}`);
  }
  const config = await response.json();
  for (const key of required) {
    if (typeof config[key] !== "string" || config[key] === "") {
      throw new Error(`config.json has no ${key}`);
    }
  }
  return Object.freeze({ ...config, apiUrl: String(config.apiUrl ?? "").replace(/\/+$/, "") });
}

async function readJson(response) {
  const text = await response.text();
  if (!text) {
    return {};
  }
  try {
    const parsed = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

/**
 * POST or GET JSON; resolves with the parsed answer of a 2xx, rejects with ApiError (any other status) or
 * NetworkError (no answer).
 */
export async function requestJson(url, { method = "GET", headers = {}, body } = {}) {
  const init = { method, headers: { ...headers }, cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    init.headers["Content-Type"] ??= "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new NetworkError(error);
  }
  const payload = await readJson(response);
  if (!response.ok) {
    throw new ApiError(response.status, payload, `The service answered ${response.status}.`);
  }
  return payload;
}

/** A random UUID; crypto.randomUUID where the page is a secure context, else the same from getRandomValues. */
export function newUuid() {
  if (typeof crypto.randomUUID === "function") {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A new element. `text` becomes its textContent; `attributes` are set as attribute values; `children` are
 * elements or strings (strings become text nodes).
 */
export function element(tag, { className, text, attributes = {} } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/**
 * Replace what the live region `region` says. `kind` is "info", "success" or "error"; `details` are further
 * lines (an API's validation errors, say), each a string or an element.
 */
export function showStatus(region, kind, message, details = []) {
  region.dataset.kind = kind;
  const lines = details.filter((detail) => detail !== "" && detail !== undefined && detail !== null);
  region.replaceChildren(
    element("p", { className: "status-message", text: message }),
    ...(lines.length ? [element("ul", { className: "status-details" }, lines.map((line) => element("li", {}, [line])))] : []),
  );
}

export function clearStatus(region) {
  delete region.dataset.kind;
  region.replaceChildren();
}

/** The sentence to show for an API failure: its message, its errors for a 400, and its request id. */
export function describeFailure(error) {
  if (error instanceof NetworkError) {
    return { message: "The service could not be reached. Check your connection, then try again.", details: [] };
  }
  if (error instanceof ApiError) {
    const details = [];
    if (error.status === 400 && error.errors) {
      details.push(error.errors);
    }
    if (error.requestId) {
      details.push(`Request id: ${error.requestId}`);
    }
    return { message: error.message, details };
  }
  return { message: `Something went wrong: ${error?.message ?? error}`, details: [] };
}
