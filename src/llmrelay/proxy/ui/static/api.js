// The admin API, called with the signed-in key. The key lives in sessionStorage only (gone when the
// tab closes), travels only in the Authorization header, and is never logged or put in a URL.
// Signed in by SSO instead, the calls carry the session's cookie (HttpOnly: this code never sees
// it) and the session's CSRF token, held in this module's memory only and sent in its header.

const STORAGE_NAME = "llmrelay.admin.key";
// the SSO session's CSRF token and the header it goes in (GET /sso/session says both); null: none
let csrf = null;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

export function signedIn() {
  return sessionStorage.getItem(STORAGE_NAME) !== null || csrf !== null;
}

export function rememberKey(key) {
  sessionStorage.setItem(STORAGE_NAME, key);
}

export function forgetKey() {
  sessionStorage.removeItem(STORAGE_NAME);
}

function queryUrl(path, query) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  return url;
}

async function call(method, path, query, body) {
  const key = sessionStorage.getItem(STORAGE_NAME);
  if (key !== null) return send(method, path, query, body, { authorization: `Bearer ${key}` }, "omit");
  if (csrf !== null) return send(method, path, query, body, { [csrf.header]: csrf.token }, "same-origin");
  throw new ApiError(401, "not signed in");
}

async function send(method, path, query, body, headers, credentials) {
  const init = { method, headers, cache: "no-store", credentials, referrerPolicy: "no-referrer" };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let reply;
  try {
    reply = await fetch(queryUrl(path, query), init);
  } catch (error) {
    throw new ApiError(0, `the gateway did not answer (${error.message})`);
  }
  const text = await reply.text();
  let data = null;
  if (text !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      if (reply.ok) throw new ApiError(reply.status, `${method} ${path}: the answer is not JSON`);
    }
  }
  if (!reply.ok) {
    // the gateway's errors have OpenAI's shape: {"error": {"message", "type", "code", "param"}}
    const message = data?.error?.message ?? `${method} ${path} answered HTTP ${reply.status}`;
    throw new ApiError(reply.status, message);
  }
  return data;
}

// Views call these with literal paths (tests check each against the gateway's route table).
export const api = {
  get: (path, query) => call("GET", path, query, undefined),
  post: (path, body) => call("POST", path, undefined, body ?? {}),
};

// SSO: GET /sso/session answers the signed-in user (and the session's CSRF token) when this browser
// has a session; 401 when it has none; 404 when the gateway has no SSO.
export async function loadSession() {
  try {
    const session = await send("GET", "/sso/session", undefined, undefined, {}, "same-origin");
    csrf = { token: session.csrf_token, header: session.csrf_header };
    return { sso: true, user: session };
  } catch (error) {
    csrf = null;
    if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
      return { sso: error.status === 401, user: null };
    }
    throw error;
  }
}

// where the browser goes to sign in with the identity provider
export const SSO_SIGN_IN = "/sso/key/generate";

// Signs out: ends the SSO session (the server clears its cookie) and forgets the key. The answer
// may name where to go next (PROXY_LOGOUT_URL).
export async function signOut() {
  let next = null;
  if (csrf !== null) {
    const answer = await call("POST", "/sso/logout", undefined, {});
    next = answer?.logout_url ?? null;
    csrf = null;
  }
  forgetKey();
  return next;
}

export function forgetSession() {
  csrf = null;
}
