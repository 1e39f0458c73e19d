// GraphQL of the profile stages (issue 17): upgrading a customer to its next stage, which answers
// with the customer who already has the phone or email (and the merge to offer) instead of making
// a second record; keeping a walk-in for a sale at the till.
import { graphql, type ResultOf } from "../graphql.ts";

export const UpgradeCustomerMutation = graphql(`
  mutation UpgradeCustomer($customerId: String!, $firstName: String, $lastName: String, $phone: String, $email: String) {
    upgradeCustomer(input: { customerId: $customerId, firstName: $firstName, lastName: $lastName, phone: $phone, email: $email }) {
      result {
        customerId
        stage
        duplicateOfId
        duplicateOfNumber
        duplicateOfName
        duplicateField
        mergePreview {
          displayName
          ordersToMove
        }
      }
    }
  }
`);

export type CustomerUpgrade = NonNullable<NonNullable<ResultOf<typeof UpgradeCustomerMutation>["upgradeCustomer"]>["result"]>;

export const CreateWalkInCustomerMutation = graphql(`
  mutation CreateWalkInCustomer {
    createWalkInCustomer(input: {}) {
      result {
        id
        rowId
        customerNumber
        displayName
        email
        phone
      }
    }
  }
`);
