// Where a refusal of createCustomer / updateCustomer belongs on the form (db/ERRORS.md): the
// field it names, in words a person can act on, and — for a duplicate email or phone — the
// number of the customer who already has it, so the form can link to them.
import { CombinedError } from "urql";
import { errorCode, errorMessage } from "../lib/errors.ts";

export type CustomerField = "firstName" | "lastName" | "email" | "phone" | "tags" | "notes" | "general";

export interface FieldError {
  field: CustomerField;
  message: string;
  code: string | null;
  /** For DUPEM/DUPPH: the customer number named in the message (CUST-00012). */
  existingNumber?: string;
  /** For DUPEM/DUPPH/CMRGD: the customer's row id, when the server passes the SQL detail on. */
  existingId?: string;
}

export type FieldErrors = Partial<Record<CustomerField, FieldError>>;

export const NO_IDENTIFIER = "Enter at least an email, a phone number or a first name.";

const BY_CODE: Record<string, CustomerField> = {
  DUPEM: "email",
  BADEM: "email",
  DUPPH: "phone",
  BADPH: "phone",
  BADTG: "tags",
  NOIDN: "firstName",
};

/** BADIN messages start with the field's name ("First name must be at most 100 characters."). */
const BY_PREFIX: [RegExp, CustomerField][] = [
  [/^first name\b/i, "firstName"],
  [/^last name\b/i, "lastName"],
  [/^notes?\b/i, "notes"],
  [/^tags?\b/i, "tags"],
  [/^email\b/i, "email"],
  [/^phone\b/i, "phone"],
];

/** The SQL error's detail, when the server passes it on (extensions.detail). */
function errorDetail(error: unknown): string | undefined {
  if (!(error instanceof CombinedError)) return undefined;
  const detail = error.graphQLErrors.find((e) => typeof e.extensions?.detail === "string")?.extensions.detail;
  return typeof detail === "string" && detail ? detail : undefined;
}

/** "Email: x is already…" under the Email field reads better as "x is already…". */
function withoutFieldPrefix(message: string): string {
  const m = /^(Email|Phone|Tags): (.+)$/s.exec(message);
  if (!m) return message;
  const rest = m[2]!;
  // "a customer can have…" → "A customer can have…"; an address or number stays as written.
  return /^[a-z]+ /.test(rest) ? rest[0]!.toUpperCase() + rest.slice(1) : rest;
}

export function customerFieldError(error: unknown): FieldError {
  const code = errorCode(error);
  const message = errorMessage(error);
  if (code === "NOIDN") return { field: "firstName", message: NO_IDENTIFIER, code };
  let field: CustomerField = (code && BY_CODE[code]) || "general";
  if (field === "general" && code === "BADIN") field = BY_PREFIX.find(([re]) => re.test(message))?.[1] ?? "general";
  const result: FieldError = { field, message: field === "general" ? message : withoutFieldPrefix(message), code };
  if (code === "DUPEM" || code === "DUPPH") {
    result.existingNumber = /\b(CUST-\d{5,})\b/.exec(message)?.[1];
    result.existingId = errorDetail(error);
  }
  return result;
}

/** Words for the merge refusals (CMRGD, MRGSM); the server's message otherwise. */
export function mergeErrorMessage(error: unknown): string {
  switch (errorCode(error)) {
    case "CMRGD":
      return "One of these customers has already been merged into another customer, so it cannot be merged again. Reload the page and start from the customer that remains.";
    case "MRGSM":
      return "A customer cannot be merged with itself. Choose a different customer as the duplicate.";
    case "DNIED":
      return "Your role does not allow merging customers. Ask an owner or a manager.";
    default:
      return errorMessage(error);
  }
}
