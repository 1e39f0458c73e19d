// Which field of the create-your-business form a server error code belongs to.
export type OnboardField = "companyName" | "ownerName" | "email" | "password" | "timezone";

const FIELD_FOR_CODE: Record<string, OnboardField> = {
  BADEM: "email",
  EMTKN: "email",
  WEAKP: "password",
  BADTZ: "timezone",
};

/** The field to show this error under, or null for the message above the form (BADIN and others). */
export function fieldForCode(code: string | null): OnboardField | null {
  return (code && FIELD_FOR_CODE[code]) || null;
}
