// The business's day (its first location's clock), which invoices are due and overdue by: the
// browser's own date can be a day off near midnight in another time zone. Until the server has
// answered, the browser's date stands in.
import { useQuery } from "urql";
import { graphql } from "../graphql.ts";
import { today } from "./format.ts";

const BusinessTodayQuery = graphql(`
  query BusinessToday {
    currentTenant {
      id
      today
    }
  }
`);

export function useBusinessToday(): string {
  const [{ data }] = useQuery({ query: BusinessTodayQuery, requestPolicy: "cache-and-network" });
  return (data?.currentTenant?.today as string | undefined) ?? today();
}
