// The admin API, the dashboard's only data source. With `admin.token` set every call carries
// `Authorization: Bearer <token>`; the token lives in this tab's sessionStorage (gone when
// the tab closes) and reaches it from the prompt or once from a `#token=…` fragment, which
// is never sent to the server and is removed from the address bar at once.

const TOKEN_KEY = "switchyard.adminToken";

/** The server asked for a token (401): none was given, or the one given was refused. */
export class Unauthorized extends Error {}

/** Any other failed call, with the API's own error message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function hasToken() {
  return sessionStorage.getItem(TOKEN_KEY) !== null;
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Takes a `#token=…` fragment into sessionStorage and out of the address bar and history. */
export function takeTokenFromFragment() {
  const match = /^#token=(.+)$/.exec(location.hash);
  if (!match) return;
  try {
    setToken(decodeURIComponent(match[1]));
  } catch {
    setToken(match[1]); // not percent-encoded after all
  }
  history.replaceState(null, "", `${location.pathname}${location.search}#/`);
}

/**
 * Calls the admin API and returns its JSON; throws Unauthorized on 401, ApiError otherwise.
 *
 * @example
 * const dead = await api("/api/tasks?status=dead");
 * await api(`/api/tasks/${id}/replay`, { method: "POST" });
 */
export async function api(path, { method = "GET" } = {}) {
  const headers = { accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { method, headers, cache: "no-store", credentials: "omit", redirect: "error" });
  if (response.status === 401) throw new Unauthorized("the admin API needs its token");
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = (await response.json()).error.message ?? message;
    } catch {
      // not the API's error shape: keep the status line
    }
    throw new ApiError(response.status, message);
  }
  return response.json();
}
