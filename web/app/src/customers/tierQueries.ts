// GraphQL operations of customer tiers (customers/475-tiers.sql): the tiers themselves (managed in
// Settings), a customer's tier with the one their last 12 months suggest, the impact of giving one
// before it is given, and giving it. Discounts are basis points (1000 = 10.00 %); money in cents.
import { graphql, type ResultOf } from "../graphql.ts";

export const CustomerTierFields = graphql(`
  fragment CustomerTierFields on CustomerTier {
    id rowId name level discountBps benefits colour minAnnualSpend minVisits
  }
`);

export const CustomerTiersQuery = graphql(`
  query CustomerTiers {
    customerTiers(first: 100, orderBy: [LEVEL_ASC]) {
      nodes { ...CustomerTierFields }
    }
  }
`, [CustomerTierFields]);

export const CreateCustomerTierMutation = graphql(`
  mutation CreateCustomerTier($name: String!, $level: Int!, $discountBps: Int!, $benefits: String, $colour: String,
                              $minAnnualSpend: BigInt, $minVisits: Int) {
    createCustomerTier(input: { name: $name, level: $level, discountBps: $discountBps, benefits: $benefits, colour: $colour,
                                minAnnualSpend: $minAnnualSpend, minVisits: $minVisits }) {
      result { ...CustomerTierFields }
    }
  }
`, [CustomerTierFields]);

export const UpdateCustomerTierMutation = graphql(`
  mutation UpdateCustomerTier($id: String!, $name: String!, $level: Int!, $discountBps: Int!, $benefits: String, $colour: String,
                              $minAnnualSpend: BigInt, $minVisits: Int) {
    updateCustomerTier(input: { id: $id, name: $name, level: $level, discountBps: $discountBps, benefits: $benefits, colour: $colour,
                                minAnnualSpend: $minAnnualSpend, minVisits: $minVisits }) {
      result { ...CustomerTierFields }
    }
  }
`, [CustomerTierFields]);

export const DeleteCustomerTierMutation = graphql(`
  mutation DeleteCustomerTier($id: String!) {
    deleteCustomerTier(input: { id: $id }) {
      result { ...CustomerTierFields }
    }
  }
`, [CustomerTierFields]);

export const CustomerTierStateQuery = graphql(`
  query CustomerTierState($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      id
      rowId
      tierId
      tier { ...CustomerTierFields }
      suggestedTier { ...CustomerTierFields }
    }
  }
`, [CustomerTierFields]);

export const CustomerTierImpactQuery = graphql(`
  query CustomerTierImpact($customerId: String!, $tierId: String) {
    customerTierImpact(customerId: $customerId, tierId: $tierId) {
      exampleAmount
      exampleDiscount
      currentExampleDiscount
      recentOrders
      recentAmount
      recentDiscount
      currentRecentDiscount
    }
  }
`);

export const SetCustomerTierMutation = graphql(`
  mutation SetCustomerTier($customerId: String!, $tierId: String, $reason: String) {
    setCustomerTier(input: { customerId: $customerId, tierId: $tierId, reason: $reason }) {
      result {
        id
        tierId
        tier { ...CustomerTierFields }
      }
    }
  }
`, [CustomerTierFields]);

export type CustomerTier = ResultOf<typeof CustomerTierFields>;
export type CustomerTierImpact = NonNullable<ResultOf<typeof CustomerTierImpactQuery>["customerTierImpact"]>;
