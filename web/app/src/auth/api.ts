// The REST auth routes. The session secret lives in an HttpOnly cookie the server sets; this
// code never sees it. Each call throws a RestError (code + message) when the server says no.
import { postJson } from "../lib/rest.ts";

export interface OnboardInput {
  companyName: string;
  ownerName: string;
  email: string;
  password: string;
  timezone: string;
  /** ISO 4217 code; amounts of the business are in its minor units. */
  currency: string;
  /** How amounts and dates are written for the business (the browser's language by default). */
  locale: string;
}

export const signIn = (email: string, password: string) => postJson("/auth/login", { email, password });
export const onboard = (input: OnboardInput) => postJson("/auth/onboard", input);
export const signOut = () => postJson("/auth/logout");

/** Accepts an invitation: a name and a new password for someone new, the account's password for someone who has one. */
export const acceptInvitation = (token: string, name: string | null, password: string) =>
  postJson("/auth/invitations/accept", { token, name, password });
