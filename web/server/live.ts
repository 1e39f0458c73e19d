// Live updates (DESIGN.md "Libraries": PostGraphile subscriptions on pg_notify topics that carry
// the tenant). `customerChanged` tells a signed-in member of staff that a customer of their
// business changed (customers/465-live-updates.sql sends the notifications). The topic is asked
// of PostgreSQL under the caller's session (app_hidden.customers_live_topic: LOGIN, DNIED… for
// whoever may not read customers), never taken from the client, and each changed customer is
// read back under row-level security as the caller, so no business hears another.
import { jsonParse } from "@dataplan/json";
import { withPgClient } from "@dataplan/pg";
import { constant, context, lambda, listen } from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";

export const LiveUpdatesPlugin = extendSchema((build) => {
  const customers = build.input.pgRegistry.pgResources.customers;
  if (!customers) throw new Error("LiveUpdatesPlugin: no customers resource");
  return {
    typeDefs: gql`
      """A customer of the business changed (or many did at once)."""
      type CustomerChangedPayload {
        """The customer that changed, as the caller may see it now (null after a change of many, or when it cannot be read)."""
        customer: Customer
        """Many customers changed at once (an import): reload lists rather than rows."""
        many: Boolean!
      }
      extend type Subscription {
        """Tells when a customer of the business, its notes, addresses or logged activities change; needs customers.view."""
        customerChanged: CustomerChangedPayload
      }
    `,
    objects: {
      Subscription: {
        plans: {
          customerChanged: {
            subscribePlan() {
              const $topic = withPgClient(customers.executor, constant(null), async (client) => {
                const { rows } = await client.query<{ topic: string }>({ text: "select app_hidden.customers_live_topic() as topic" });
                return rows[0].topic;
              });
              return listen(context().get("pgSubscriber"), $topic, jsonParse);
            },
            plan($event: any) {
              return $event;
            },
          },
        },
      },
      CustomerChangedPayload: {
        plans: {
          customer($event: any) {
            const $id = lambda($event.get("id"), (id: unknown) => (typeof id === "string" ? id : null));
            return customers.get({ id: $id });
          },
          many($event: any) {
            return lambda($event.get("id"), (id: unknown) => id == null);
          },
        },
      },
    },
  };
});
