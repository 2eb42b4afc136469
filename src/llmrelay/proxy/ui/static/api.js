// The admin API, called with the signed-in key. The key lives in sessionStorage only (gone when the
// tab closes), travels only in the Authorization header, and is never logged or put in a URL.

const STORAGE_NAME = "llmrelay.admin.key";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

export function signedIn() {
  return sessionStorage.getItem(STORAGE_NAME) !== null;
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
  if (key === null) throw new ApiError(401, "not signed in");
  const headers = { authorization: `Bearer ${key}` };
  const init = { method, headers, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" };
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
