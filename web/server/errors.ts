// What a caller may learn from a failure. Our own SQLSTATE codes (five capital letters, listed
// in web/server/error-codes.ts) pass through with their message, the field they are about and
// their reference (app_hidden.raise_error's column and detail); a few PostgreSQL errors a user
// can cause become coded messages; everything else is logged and replaced by a reference, so no
// SQL, stack trace or other tenant's data leaves the server.
import { isSafeError } from "postgraphile/grafast";
import { GraphQLError } from "postgraphile/graphql";
import { randomUUID } from "node:crypto";
import { logger } from "./logger.ts";

export interface PublicError {
  code: string;
  message: string;
  /** The input the error is about, as the API names it (camelCase). */
  field?: string;
  /** A reference to act on (such as the id of the customer who already has an email). */
  ref?: string;
}

const OUR_CODE = /^[A-Z]{5}$/;

const FROM_POSTGRES: Record<string, PublicError> = {
  "42501": { code: "DNIED", message: "You are not allowed to do that." },
  "23505": { code: "DUPLI", message: "That already exists." },
  "23503": { code: "NOTFD", message: "That refers to something that does not exist." },
  "23514": { code: "BADIN", message: "Some of the input is not valid." },
  "23502": { code: "BADIN", message: "A required value is missing." },
  "22001": { code: "BADIN", message: "A value is too long." },
  "22P02": { code: "BADIN", message: "A value has the wrong format." },
  "22007": { code: "BADIN", message: "A date or time has the wrong format." },
  "22008": { code: "BADIN", message: "A date or time is out of range." },
  "22003": { code: "BADIN", message: "A number is out of range." },
  "22021": { code: "BADIN", message: "Text contains bytes that are not valid characters." },
  "22P05": { code: "BADIN", message: "Text contains a character that is not allowed." },
  "54000": { code: "BADIN", message: "A value is too large." },
  "54001": { code: "BADIN", message: "A value is nested too deeply." },
  "2201W": { code: "BADIN", message: "A page size must not be negative." },
  "2201X": { code: "BADIN", message: "An offset must not be negative." },
};

/**
 * Grafast's own complaints about a connection's arguments (a negative first, first with last, a
 * cursor that is not ours): the caller's mistake, and the message says which.
 */
const PAGINATION_MISTAKES = [
  /^Invalid 'first'$/,
  /^Invalid 'last'$/,
  /^You must not set (both )?`(first|last)` and `(before|after)`/,
  /^It is not permitted to set both 'first' and 'last' in the same field\.$/,
  /^May not combine 'offset' with backward pagination\.$/,
  /^Can only use '(before|after)' cursor when there is a unique defined order\.$/,
];

/** first_name → firstName: SQL names its columns and arguments in snake_case, the API in camelCase. */
const camelCase = (name: string) => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** The public form of an error thrown by PostgreSQL (or null when it is not one we expose). */
export function publicError(err: unknown): PublicError | null {
  const { code, column, detail } = (err ?? {}) as { code?: unknown; column?: unknown; detail?: unknown };
  if (typeof code !== "string") return null;
  if (!OUR_CODE.test(code)) return FROM_POSTGRES[code] ?? null;
  const known: PublicError = { code, message: (err as Error).message };
  if (typeof column === "string" && column) known.field = camelCase(column);
  if (typeof detail === "string" && detail) known.ref = detail;
  return known;
}

/** The GraphQL extensions of a public error. */
export function errorExtensions(known: PublicError): Record<string, string> {
  return { code: known.code, ...(known.field ? { field: known.field } : {}), ...(known.ref ? { ref: known.ref } : {}) };
}

export const NOTHING_CHANGED = "Nothing was changed: it does not exist, belongs to another business, or your role may not change it.";

/** grafserv's maskError: GraphQL's own validation errors pass; database errors go through publicError. */
export function maskError(error: GraphQLError): GraphQLError {
  const original = error.originalError;
  if (!original || original instanceof GraphQLError) return error;
  const opts = { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path };
  // Grafast's SafeError is by design a message for the caller (such as a cursor that is not ours).
  if (isSafeError(original) || PAGINATION_MISTAKES.some((re) => re.test(original.message))) {
    return new GraphQLError(original.message.replace(/[;\s]+$/, ""), { ...opts, extensions: { code: "BADIN" } });
  }
  // @dataplan/pg's delete of no row (another business's, unknown, or not the caller's to delete).
  if (/^No values were (deleted|updated) in collection '[^']*' because no values you can (delete|update) were found/.test(original.message)) {
    return new GraphQLError(NOTHING_CHANGED, { ...opts, extensions: { code: "NOTFD" } });
  }
  // A value too deep for JavaScript itself (JSON.stringify on the way to PostgreSQL).
  if (original instanceof RangeError && /Maximum call stack size exceeded/.test(original.message)) {
    return new GraphQLError("A value is nested too deeply.", { ...opts, extensions: { code: "BADIN" } });
  }
  const known = publicError(original);
  if (known) {
    return new GraphQLError(known.message, { ...opts, extensions: errorExtensions(known) });
  }
  const id = randomUUID();
  logger.error({ err: original, errorId: id, path: error.path }, "masked GraphQL error");
  return new GraphQLError(`Something went wrong on our side (reference ${id}).`, {
    ...opts,
    extensions: { code: "INTER", errorId: id },
  });
}
