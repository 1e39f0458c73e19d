// GraphQL operations of the Activity module: the business's background job runs (exports,
// billing, imports), newest first, as app_public.background_jobs() reports them (needs
// settings.view). BigInt figures arrive as strings.
import { gql } from "urql";

export type JobOutcome = "running" | "succeeded" | "failed" | "crashed";

export interface BackgroundJob {
  rowId: string | null;
  task: string | null;
  label: string | null;
  attempt: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: string | null;
  rowsAffected: string | null;
  outcome: JobOutcome | string | null;
  /** Why it failed, in words; null when it did not. */
  errorMessage: string | null;
}

export const BackgroundJobsQuery = gql<
  { backgroundJobs: { totalCount: number; pageInfo: { hasNextPage: boolean }; nodes: BackgroundJob[] } | null },
  { first: number }
>`
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
`;
