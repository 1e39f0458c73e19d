// GraphQL operations of loyalty points (customers/477-loyalty-points.sql): the program and its
// rewards (Settings → Loyalty points), a customer's balance and ledger (profile card), and the
// balance at the till. Points are whole numbers; reward amounts are cents of the business's currency.
import { graphql, type ResultOf } from "../graphql.ts";

export const LoyaltyPointRewardFields = graphql(`
  fragment LoyaltyPointRewardFields on LoyaltyPointReward {
    id rowId name points amount active
  }
`);

export const LoyaltyPointsProgramQuery = graphql(`
  query LoyaltyPointsProgram {
    currentLoyaltyPointsProgram { enabled earnMode pointsPerUnit unitAmount pointsPerVisit }
    loyaltyPointRewards(first: 100, orderBy: [POINTS_ASC]) {
      nodes { ...LoyaltyPointRewardFields }
    }
  }
`, [LoyaltyPointRewardFields]);

export const UpdateLoyaltyPointsProgramMutation = graphql(`
  mutation UpdateLoyaltyPointsProgram($enabled: Boolean, $earnMode: String, $pointsPerUnit: Int, $unitAmount: Int, $pointsPerVisit: Int) {
    updateLoyaltyPointsProgram(input: { enabled: $enabled, earnMode: $earnMode, pointsPerUnit: $pointsPerUnit, unitAmount: $unitAmount,
                                        pointsPerVisit: $pointsPerVisit }) {
      result { enabled earnMode pointsPerUnit unitAmount pointsPerVisit }
      query { currentLoyaltyPointsProgram { enabled earnMode pointsPerUnit unitAmount pointsPerVisit } }
    }
  }
`);

export const CreateLoyaltyPointRewardMutation = graphql(`
  mutation CreateLoyaltyPointReward($name: String!, $points: Int!, $amount: Int!) {
    createLoyaltyPointReward(input: { name: $name, points: $points, amount: $amount }) {
      result { ...LoyaltyPointRewardFields }
    }
  }
`, [LoyaltyPointRewardFields]);

export const UpdateLoyaltyPointRewardMutation = graphql(`
  mutation UpdateLoyaltyPointReward($id: String!, $name: String!, $points: Int!, $amount: Int!, $active: Boolean) {
    updateLoyaltyPointReward(input: { id: $id, name: $name, points: $points, amount: $amount, active: $active }) {
      result { ...LoyaltyPointRewardFields }
    }
  }
`, [LoyaltyPointRewardFields]);

export const CustomerLoyaltyPointsQuery = graphql(`
  query CustomerLoyaltyPoints($rowId: String!) {
    currentLoyaltyPointsProgram { enabled }
    customerByRowId(rowId: $rowId) {
      id
      rowId
      stage
      loyaltyPoints
      loyaltyPointEntries(first: 50, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) {
        totalCount
        nodes {
          id rowId kind points reason createdAt orderId
          reward { id name }
          staffUser { id name }
        }
      }
    }
  }
`);

export const AdjustLoyaltyPointsMutation = graphql(`
  mutation AdjustLoyaltyPoints($customerId: String!, $points: Int!, $reason: String!) {
    adjustLoyaltyPoints(input: { customerId: $customerId, points: $points, reason: $reason }) {
      entry { id rowId points customer { id loyaltyPoints } }
    }
  }
`);

export type LoyaltyPointReward = ResultOf<typeof LoyaltyPointRewardFields>;
export type LoyaltyPointsProgram = NonNullable<ResultOf<typeof LoyaltyPointsProgramQuery>["currentLoyaltyPointsProgram"]>;

export const PosLoyaltyPointsQuery = graphql(`
  query PosLoyaltyPoints($rowId: String!) {
    currentLoyaltyPointsProgram { enabled }
    customerByRowId(rowId: $rowId) { id rowId displayName stage loyaltyPoints }
    loyaltyPointRewards(first: 100, orderBy: [POINTS_ASC]) {
      nodes { ...LoyaltyPointRewardFields }
    }
  }
`, [LoyaltyPointRewardFields]);
