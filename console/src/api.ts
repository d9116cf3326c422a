/**
 * The console's one way to the server: same-origin requests to `writ serve`'s routes, every one
 * with `Authorization: Bearer <token>` when a token was entered. The token lives in this tab's
 * sessionStorage only (gone when the tab closes; never in localStorage, a cookie or the URL).
 *
 * Failures are values: `{ok: false, status, code, message}` with the server's catalog code
 * (`W8001` no or bad token, `W8002` missing scope, …), or status 0 when the server could not be
 * reached. Nothing here throws.
 */

const TOKEN_KEY = "writ-console-token";

/** The server's root path: the console is served at `<root>console/` (so a proxy's sub-path works). */
export function serverRoot(): string {
  const p = location.pathname;
  const at = p.lastIndexOf("/console/");
  return at < 0 ? "/" : p.slice(0, at + 1);
}

/** A failed request. */
export interface ApiFailure {
  readonly ok: false;
  /** The HTTP status (0: no answer). */
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** A request's outcome. */
export type ApiResult<T> = { readonly ok: true; readonly value: T; readonly status: number } | ApiFailure;

/** The token entered in this tab, if any. */
export function token(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Keep a token for this tab (empty: forget it). */
export function setToken(value: string): void {
  try {
    if (value.trim() === "") sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, value.trim());
  } catch {
    // NOTE: storage refused (private mode): requests go without a token and the server says so.
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = token();
  return t === undefined ? extra : { ...extra, authorization: `Bearer ${t}` };
}

async function failure(res: Response): Promise<ApiFailure> {
  let code = `HTTP ${res.status}`;
  let message = res.statusText;
  try {
    const body = (await res.json()) as { code?: unknown; error?: unknown };
    if (typeof body.code === "string") code = body.code;
    if (typeof body.error === "string") message = body.error;
  } catch {
    // not JSON: keep the status line
  }
  return { ok: false, status: res.status, code, message };
}

async function request<T>(path: string, init: RequestInit, read: (res: Response) => Promise<T>, okStatuses: readonly number[] = []): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(`${serverRoot()}${path}`, { ...init, credentials: "omit", cache: "no-store" });
  } catch (e) {
    return { ok: false, status: 0, code: "unreachable", message: `the server did not answer: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!res.ok && !okStatuses.includes(res.status)) return failure(res);
  try {
    return { ok: true, value: await read(res), status: res.status };
  } catch (e) {
    return { ok: false, status: res.status, code: "unreadable", message: `the answer is not what was expected: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** GET a JSON route (a path relative to the server root, e.g. `v1/bundle`). `okStatuses`: other statuses whose body is read too (e.g. 503 of `/readyz`). */
export function getJson<T>(path: string, okStatuses: readonly number[] = []): Promise<ApiResult<T>> {
  return request(path, { headers: headers({ accept: "application/json" }) }, (r) => r.json() as Promise<T>, okStatuses);
}

/** GET a text route (e.g. `/metrics`). */
export function getText(path: string): Promise<ApiResult<string>> {
  return request(path, { headers: headers() }, (r) => r.text());
}

/** POST JSON to a route. */
export function postJson<T>(path: string, body: unknown): Promise<ApiResult<T>> {
  return request(path, { method: "POST", headers: headers({ "content-type": "application/json", accept: "application/json" }), body: JSON.stringify(body) }, (r) => r.json() as Promise<T>);
}

/** A query string of the defined, non-empty values. */
export function query(params: Readonly<Record<string, string | undefined>>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return s === "" ? "" : `?${s}`;
}
