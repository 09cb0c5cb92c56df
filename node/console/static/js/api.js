// The node's JSON API as the console calls it: same origin, the session's bearer token, and every
// refusal turned into an ApiError carrying the node's {"code", "message"} so a page can show it as a
// message. The token lives in this tab's sessionStorage only (closing the tab forgets it).

const TOKEN_KEY = "baochain.console.session";
export const SESSION_ENDED = "baochain:session-ended";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
}

async function answer(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (response.status === 401 && token()) {
    // The session ended (expired, signed out elsewhere, or its user disabled): the shell shows the login.
    forget();
    window.dispatchEvent(new CustomEvent(SESSION_ENDED));
  }
  if (!response.ok) {
    const code = body && body.code ? body.code : `http-${response.status}`;
    const message = body && body.message ? body.message : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, code, message);
  }
  return body;
}

function headers(extra) {
  const h = { Accept: "application/json", ...extra };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

export async function get(path, params) {
  const query = params ? "?" + new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined)) : "";
  return answer(await fetch(`/api/v1${path}${query}`, { headers: headers() }));
}

// A text answer (the explain document is HTML); refusals are still JSON.
export async function getText(path, params) {
  const query = params ? "?" + new URLSearchParams(params) : "";
  const response = await fetch(`/api/v1${path}${query}`, { headers: headers({ Accept: "text/html, application/json" }) });
  if (!response.ok) return answer(response);
  return response.text();
}

export async function post(path, body) {
  return answer(await fetch(`/api/v1${path}`, {
    method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body ?? {}),
  }));
}

// Log in as an application user; the token is kept for this tab.
export async function login(name, password) {
  const opened = await answer(await fetch("/api/v1/sessions", {
    method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ name, password }),
  }));
  sessionStorage.setItem(TOKEN_KEY, opened.token);
  return opened;
}

// Use a pasted session token (a certificate's session, opened with the CLI): kept only if the node knows it.
export async function adopt(pasted) {
  sessionStorage.setItem(TOKEN_KEY, pasted.trim());
  try {
    return await whoami();
  } catch (error) {
    forget();
    throw error;
  }
}

// Who the session is: {name, org, kind, expires_at, roles?}; null without a session.
export async function whoami() {
  if (!token()) return null;
  return get("/sessions");
}

export async function logout() {
  try {
    await fetch("/api/v1/sessions", { method: "DELETE", headers: headers() });
  } finally {
    forget();
  }
}

// The events stream: EventSource cannot send a header, so the token rides in the query (this route only).
export function events(channel, params) {
  const query = new URLSearchParams({ ...params, session: token() ?? "" });
  return new EventSource(`/api/v1/channels/${encodeURIComponent(channel)}/events?${query}`);
}

export const enc = encodeURIComponent;
