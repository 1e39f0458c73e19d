// Turns whatever went wrong (a GraphQL CombinedError, a REST error, a network failure) into what
// the server said about it (db/ERRORS.md): its five-letter code, its message (written to be shown
// as is), the input it is about (`field`, camelCase as the API names it) and a reference to act on
// (`ref`: the id of the customer who already has an email, the seconds to wait…). Forms put the
// message under `field` when they show that input, and at the top otherwise: the admin never
// guesses a field from a code or a message.
import { CombinedError } from "urql";

/** What the server said went wrong. */
export interface ServerError {
  /** CREDS, BADTZ, DUPEM…; null when the server could not be reached or gave no code. */
  code: string | null;
  /** Words for the person, shown as they are. */
  message: string;
  /** The input the error is about (`email`, `firstName`, `line1`…), or null for the whole form. */
  field: string | null;
  /** A reference to act on, or null. */
  ref: string | null;
}

/** An error answer from the REST auth routes: `{ error: { code, message, field?, ref? } }`. */
export class RestError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field: string | null = null,
    public ref: string | null = null,
  ) {
    super(message);
    this.name = "RestError";
  }
}

const OFFLINE = "We could not reach Backoffice. Check your connection and try again.";
const UNKNOWN = "Something went wrong on our side. Please try again.";

const text = (value: unknown): string | null => (typeof value === "string" && value ? value : null);

/** The RestError of an error answer with this status and body (anything: a proxy's page is not JSON). */
export function restErrorOf(status: number, payload: unknown): RestError {
  const error = (payload as { error?: Record<string, unknown> } | null)?.error;
  return new RestError(status, text(error?.code) ?? "INTER", text(error?.message) ?? UNKNOWN, text(error?.field), text(error?.ref));
}

/** Whether this is what serverError already made of a failure (passed on by a hook). */
function isServerError(error: unknown): error is ServerError {
  if (typeof error !== "object" || error === null || error instanceof Error) return false;
  const e = error as Record<string, unknown>;
  return typeof e.message === "string" && "code" in e && "field" in e && "ref" in e;
}

/** The code, message, field and reference of any failure (or of a ServerError, as it is). Never a raw dump. */
export function serverError(error: unknown): ServerError {
  if (isServerError(error)) return error;
  if (error instanceof RestError) {
    return { code: error.code, message: error.message || UNKNOWN, field: error.field, ref: error.ref };
  }
  if (error instanceof CombinedError) {
    // The coded error when there is one (the others are GraphQL's own complaints).
    const first = error.graphQLErrors.find((e) => text(e.extensions?.code)) ?? error.graphQLErrors[0];
    if (first) {
      const ext = first.extensions ?? {};
      return { code: text(ext.code), message: first.message || UNKNOWN, field: text(ext.field), ref: text(ext.ref) };
    }
    return { code: null, message: error.networkError ? OFFLINE : UNKNOWN, field: null, ref: null };
  }
  // fetch() rejects with a TypeError when offline.
  return { code: null, message: error instanceof TypeError ? OFFLINE : UNKNOWN, field: null, ref: null };
}

/** The server's code for this error (CREDS, BADTZ, DUPNM, ...), or null. */
export const errorCode = (error: unknown): string | null => serverError(error).code;

/** The message to show to the person. */
export const errorMessage = (error: unknown): string => serverError(error).message;
