// GraphQL operations of possible duplicates (customers/490-possible-duplicates.sql in the
// database holds the rule): the warning while a customer is created, and the Possible
// duplicates page with its "Not a duplicate".
import { graphql, type ResultOf } from "../graphql.ts";

/** The live customers that a customer about to be created with these values would likely duplicate (at most 5, best first). */
export const LikelyDuplicatesQuery = graphql(`
  query LikelyDuplicates($firstName: String, $lastName: String, $email: String, $phone: String) {
    likelyDuplicates(firstName: $firstName, lastName: $lastName, email: $email, phone: $phone) {
      customerId
      customerNumber
      displayName
      status
      score
      reasons
    }
  }
`);

/** A page of likely pairs of live customers, best first (ask for one more than shown: is there a next page?). */
export const PossibleDuplicatePairsQuery = graphql(`
  query PossibleDuplicatePairs($maxPairs: Int!, $skip: Int!) {
    possibleDuplicatePairs(maxPairs: $maxPairs, skip: $skip) {
      customerId
      customerNumber
      displayName
      email
      phone
      otherCustomerId
      otherCustomerNumber
      otherDisplayName
      otherEmail
      otherPhone
      score
      reasons
    }
  }
`);

export const DismissPossibleDuplicateMutation = graphql(`
  mutation DismissPossibleDuplicate($customerId: String!, $duplicateId: String!) {
    dismissPossibleDuplicate(input: { customerId: $customerId, duplicateId: $duplicateId }) {
      result
    }
  }
`);

export type LikelyDuplicate = NonNullable<ResultOf<typeof LikelyDuplicatesQuery>["likelyDuplicates"]>[number];
export type PossibleDuplicatePair = NonNullable<ResultOf<typeof PossibleDuplicatePairsQuery>["possibleDuplicatePairs"]>[number];

/** The reasons as written under a customer: "Same phone digits, Similar name (0.82)". */
export const reasonsText = (reasons: readonly (string | null)[]) => reasons.filter(Boolean).join(", ");
