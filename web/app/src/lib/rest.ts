// POSTs JSON to a same-origin REST route (the auth routes) and throws a RestError for an
// error answer, so callers can read it with `serverError(e)` (code, message, field, ref).
import { restErrorOf } from "./errors.ts";

export async function postJson<T = unknown>(path: string, body: unknown = {}): Promise<T> {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  let payload: unknown = null;
  try {
    payload = await response.json();
  } catch {
    // Not JSON (a proxy error page, say): handled below by the status alone.
  }
  if (response.ok) return payload as T;
  throw restErrorOf(response.status, payload);
}

/** POSTs a file as the request body to a same-origin route and returns its JSON answer; throws a RestError like postJson. */
export async function postFile<T = unknown>(path: string, file: Blob): Promise<T> {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": file.type || "text/csv", accept: "application/json" },
    body: file,
  });
  let payload: unknown = null;
  try {
    payload = await response.json();
  } catch {
    // Not JSON: handled below by the status alone.
  }
  if (response.ok) return payload as T;
  throw restErrorOf(response.status, payload);
}
