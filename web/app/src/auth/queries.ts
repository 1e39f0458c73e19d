// GraphQL read by the signed-out pages.
import { gql } from "urql";

export interface InvitationOffer {
  businessName: string | null;
  roleName: string | null;
  email: string | null;
  /** The email has an account: its owner signs in with it instead of choosing a password. */
  hasAccount: boolean | null;
  expiresAt: string | null;
}

/** What an invitation link offers; an empty list when the link is used, revoked, expired or unknown. Anyone holding the token may read it. */
export const InvitationByTokenQuery = gql<{ invitationByTokenList: InvitationOffer[] | null }, { token: string }>`
  query InvitationByToken($token: String!) {
    invitationByTokenList(token: $token) {
      businessName
      roleName
      email
      hasAccount
      expiresAt
    }
  }
`;
