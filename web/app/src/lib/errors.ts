// Turns whatever went wrong (a GraphQL CombinedError, a REST error, a network failure) into
// words a person can act on, plus the five-letter code the server gave (db/ERRORS.md).
import { CombinedError } from "urql";

/** An error answer from the REST auth routes: `{ error: { code, message } }`. */
export class RestError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
    this.name = "RestError";
  }
}

const OFFLINE = "We could not reach Backoffice. Check your connection and try again.";
const UNKNOWN = "Something went wrong on our side. Please try again.";

/** The server's code for this error (CREDS, BADTZ, DUPNM, ...), or null. */
export function errorCode(error: unknown): string | null {
  if (error instanceof RestError) return error.code;
  if (error instanceof CombinedError) {
    const code = error.graphQLErrors.find((e) => typeof e.extensions?.code === "string")?.extensions.code;
    return typeof code === "string" ? code : null;
  }
  return null;
}

/** The message to show to the person. Never a raw dump. */
export function errorMessage(error: unknown): string {
  if (error instanceof RestError) return error.message || UNKNOWN;
  if (error instanceof CombinedError) {
    const first = error.graphQLErrors[0];
    if (first?.message) return first.message;
    return error.networkError ? OFFLINE : UNKNOWN;
  }
  if (error instanceof TypeError) return OFFLINE; // fetch() rejects with a TypeError when offline
  return UNKNOWN;
}
