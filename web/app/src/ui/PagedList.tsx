// The top and the foot of a list read with usePagedQuery: above it, how many rows there are and
// how many are shown ("28 runs · showing the latest 25"), an action of the page (Refresh, Clear
// filters) and the error of the last request; below it, "Load more" while there is more, and what
// to do past the most one request shows.
import { Alert, Box, Button, Typography } from "@mui/material";
import type { ReactNode } from "react";
import { errorMessage } from "../lib/errors.ts";
import type { PagedQuery } from "../lib/usePagedQuery.ts";

/** "1 run", "28 runs · showing the latest 25"; a blank line before the first answer. */
export function pagedSummary(list: PagedQuery<unknown>, one: string, many: string): string {
  if (list.totalCount == null) return " ";
  const all = list.totalCount === 1 ? `1 ${one}` : `${list.totalCount.toLocaleString()} ${many}`;
  return list.nodes.length < list.totalCount ? `${all} · showing the latest ${list.nodes.length}` : all;
}

export function PagedListHeader({
  list,
  one,
  many,
  testId,
  action,
}: {
  list: PagedQuery<unknown>;
  one: string;
  many: string;
  testId: string;
  action?: ReactNode;
}) {
  return (
    <>
      <Box sx={{ display: "flex", alignItems: "center", justifyContent: "space-between", gap: 2, my: 1, minHeight: 32, flexWrap: "wrap" }}>
        <Typography variant="body2" color="text.secondary" data-testid={testId}>
          {pagedSummary(list, one, many)}
        </Typography>
        {action}
      </Box>
      {list.error && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {errorMessage(list.error)}
        </Alert>
      )}
    </>
  );
}

/** `capped`: what to say when more rows exist than one request shows. */
export function LoadMore({ list, capped }: { list: PagedQuery<unknown>; capped: string }) {
  if (list.capped) {
    return (
      <Typography variant="body2" color="text.secondary" sx={{ pt: 2, textAlign: "center" }}>
        {capped}
      </Typography>
    );
  }
  if (!list.hasMore) return null;
  return (
    <Box sx={{ display: "flex", justifyContent: "center", pt: 2 }}>
      <Button variant="outlined" onClick={list.loadMore} loading={list.fetching}>
        Load more
      </Button>
    </Box>
  );
}
