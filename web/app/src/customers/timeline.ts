// The customer timeline's GraphQL: a page of 50 entries after a cursor, with the filters, and
// logging a call, an email or a meeting (customers/460-timeline.sql, 455-interactions.sql).
import { graphql, type ResultOf } from "../graphql.ts";

export const CustomerTimelineQuery = graphql(`
  query CustomerTimeline($rowId: String!, $kinds: [String], $since: Datetime, $until: Datetime, $olderThan: String) {
    customerByRowId(rowId: $rowId) {
      id
      timeline(first: 50, kinds: $kinds, since: $since, until: $until, olderThan: $olderThan) {
        nodes {
          occurredAt
          kind
          summary
          actorName
          subjectId
          cursor
        }
        pageInfo {
          hasNextPage
        }
      }
    }
  }
`);

export type TimelineEntry = NonNullable<ResultOf<typeof CustomerTimelineQuery>["customerByRowId"]>["timeline"]["nodes"][number];

export const LogActivityMutation = graphql(`
  mutation LogCustomerInteraction($customerId: String!, $kind: String!, $note: String!, $occurredAt: Datetime) {
    createCustomerInteraction(input: { customerInteraction: { customerId: $customerId, kind: $kind, note: $note, occurredAt: $occurredAt } }) {
      customerInteraction {
        id
        rowId
      }
    }
  }
`);

/** What the type filter offers: groups of entry kinds. */
export const TIMELINE_FILTERS: { value: string; label: string; kinds: string[] | null }[] = [
  { value: "all", label: "Everything", kinds: null },
  { value: "orders", label: "Orders", kinds: ["order_placed", "order_voided", "order_refunded"] },
  { value: "contact", label: "Calls, emails and meetings", kinds: ["call", "email", "meeting"] },
  { value: "notes", label: "Notes", kinds: ["note"] },
  {
    value: "profile",
    label: "Profile changes",
    kinds: ["created", "updated", "tier_changed", "archived", "restored", "merged", "merged_into", "erased", "data_requested"],
  },
];

export const ACTIVITY_KINDS = [
  { value: "call", label: "Call" },
  { value: "email", label: "Email" },
  { value: "meeting", label: "Meeting" },
];
