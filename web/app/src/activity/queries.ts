// GraphQL operations of the Activity module: the business's background job runs (exports,
// billing, imports), newest first, as app_public.background_jobs() reports them (needs
// settings.view). BigInt figures arrive as strings.
import { graphql, type ResultOf } from "../graphql.ts";

export type JobOutcome = "running" | "succeeded" | "failed" | "crashed";

export const BackgroundJobsQuery = graphql(`
  query BackgroundJobs($first: Int!) {
    backgroundJobs(first: $first) {
      totalCount
      pageInfo {
        hasNextPage
      }
      nodes {
        rowId
        task
        label
        attempt
        startedAt
        finishedAt
        durationMs
        rowsAffected
        outcome
        errorMessage
      }
    }
  }
`);

/** One run: `outcome` is a JobOutcome; `errorMessage` says why it failed, in words (null when it did not). */
export type BackgroundJob = NonNullable<ResultOf<typeof BackgroundJobsQuery>["backgroundJobs"]>["nodes"][number];
