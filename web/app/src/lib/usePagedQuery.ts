// A list read a page at a time with "Load more", for lists that grow at the top while someone
// reads them (background jobs, the audit log). One query asks for the first `pageSize` rows, and
// each "Load more" asks again for `pageSize` more: the rows already shown come back with them, so
// rows that arrived meanwhile never shift a page nor show twice (cursors of a set-returning
// function are positions, and would). Other variables (filters) start it over at one page. The
// server answers at most 1000 rows a request (web/server/limits.ts): past them the list says so
// (`capped`) instead of offering more.
//
//   const jobs = usePagedQuery(BackgroundJobsQuery, {}, (d) => d.backgroundJobs, { pageSize: 25 });
//   jobs.nodes.map(...); jobs.hasMore && <Button onClick={jobs.loadMore}>Load more</Button>
import { useCallback, useMemo, useState } from "react";
import { useQuery, type AnyVariables, type CombinedError, type OperationContext, type RequestPolicy, type TypedDocumentNode } from "urql";

/** The part of a GraphQL connection the list reads. */
export interface Connection<N> {
  totalCount: number;
  nodes: N[];
  pageInfo: { hasNextPage: boolean };
}

/** The most rows one request may ask for (QLIMT above it). */
export const MAX_FIRST = 1000;

export interface PagedQuery<N> {
  /** The rows loaded so far (the previous ones while a new page or filter is fetched). */
  nodes: N[];
  /** How many rows there are in all; null before the first answer. */
  totalCount: number | null;
  /** Whether "Load more" has more to show. */
  hasMore: boolean;
  /** More rows exist than one request may show: narrow the filters to see them. */
  capped: boolean;
  loadMore(): void;
  /** Asks the server again for what is shown (polling, a Refresh button). */
  refresh(): void;
  /** True until the first answer. */
  loading: boolean;
  fetching: boolean;
  error: CombinedError | undefined;
}

export function usePagedQuery<Data, Vars extends AnyVariables & { first: number }, N>(
  query: TypedDocumentNode<Data, Vars>,
  variables: Omit<Vars, "first">,
  connectionOf: (data: Data) => Connection<N> | null | undefined,
  opts: { pageSize: number; requestPolicy?: RequestPolicy; context?: Partial<OperationContext>; pause?: boolean },
): PagedQuery<N> {
  const key = JSON.stringify(variables);
  const [grown, setGrown] = useState({ key, pages: 1 });
  const pages = grown.key === key ? grown.pages : 1;
  const first = Math.min(pages * opts.pageSize, MAX_FIRST);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` is the variables' content
  const vars = useMemo(() => ({ ...variables, first }) as Vars, [key, first]);
  const [{ data, fetching, error }, reexecute] = useQuery<Data, Vars>({
    query,
    variables: vars,
    requestPolicy: opts.requestPolicy,
    context: opts.context,
    pause: opts.pause,
  } as Parameters<typeof useQuery<Data, Vars>>[0]);

  const connection = data ? connectionOf(data) : null;
  const more = Boolean(connection?.pageInfo.hasNextPage);
  const loadMore = useCallback(() => setGrown({ key, pages: pages + 1 }), [key, pages]);
  const refresh = useCallback(() => reexecute({ requestPolicy: "network-only" }), [reexecute]);
  return {
    nodes: connection?.nodes ?? [],
    totalCount: connection ? connection.totalCount : null,
    hasMore: more && first < MAX_FIRST,
    capped: more && first >= MAX_FIRST,
    loadMore,
    refresh,
    loading: !data && fetching,
    fetching,
    error,
  };
}
