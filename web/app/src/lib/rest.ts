// POSTs JSON to a same-origin REST route (the auth routes) and throws a RestError for an
// error answer, so callers can show `errorMessage(e)` and branch on `errorCode(e)`.
import { RestError } from "./errors.ts";

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
  const error = (payload as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof error?.code === "string" ? error.code : "INTER";
  const message =
    typeof error?.message === "string" && error.message
      ? error.message
      : "Something went wrong on our side. Please try again.";
  throw new RestError(response.status, code, message);
}
