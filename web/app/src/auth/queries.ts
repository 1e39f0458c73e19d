// GraphQL read by the signed-out pages.
import { graphql, type ResultOf } from "../graphql.ts";

/** What an invitation link offers; an empty list when the link is used, revoked, expired or unknown. Anyone holding the token may read it. */
export const InvitationByTokenQuery = graphql(`
  query InvitationByToken($token: String!) {
    invitationByTokenList(token: $token) {
      businessName
      roleName
      email
      hasAccount
      expiresAt
    }
  }
`);

/** What the link offers; `hasAccount`: the email has an account, whose owner signs in with it instead of choosing a password. */
export type InvitationOffer = NonNullable<ResultOf<typeof InvitationByTokenQuery>["invitationByTokenList"]>[number];
