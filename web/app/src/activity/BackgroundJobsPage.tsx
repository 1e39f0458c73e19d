// Activity → Background jobs: the work Backoffice does for the business out of sight (CSV
// exports, plan changes and billing updates from Stripe…), newest first, 25 at a time with "Load
// more": what ran, how it ended, when it started, how long it took, how many rows it handled and,
// when it failed, why in words. While a job runs the list asks again every few seconds, so it
// ends here without a reload. Needs settings.view (the server answers nothing otherwise).
import {
  Alert,
  Button,
  Card,
  CardContent,
  Chip,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  Typography,
} from "@mui/material";
import { useEffect } from "react";
import { errorMessage } from "../lib/errors.ts";
import { usePagedQuery } from "../lib/usePagedQuery.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { Loading } from "../ui/Loading.tsx";
import { LoadMore, PagedListHeader } from "../ui/PagedList.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { TimeAgo } from "../ui/TimeAgo.tsx";
import { formatDuration, formatRows, OUTCOME_COLOR, OUTCOME_LABEL } from "./format.ts";
import { BackgroundJobsQuery, type BackgroundJob } from "./queries.ts";

const PAGE_SIZE = 25;
/** How often the list asks again while a job runs. */
const POLL_MS = 2000;
const NO_VARIABLES = {};

export function BackgroundJobsPage() {
  const canView = useCan("settings.view");
  return (
    <>
      <PageHeader
        title="Background jobs"
        subtitle="Exports, plan changes and billing updates Backoffice runs for your business, and how each one went."
      />
      {canView ? <JobsList /> : <NotAllowed what="the activity of the business" />}
    </>
  );
}

function JobsList() {
  const jobs = usePagedQuery(BackgroundJobsQuery, NO_VARIABLES, (d) => d.backgroundJobs, {
    pageSize: PAGE_SIZE,
    // Jobs change without anything in this tab knowing: ask on every visit.
    requestPolicy: "cache-and-network",
  });
  const running = jobs.nodes.some((j) => j.outcome === "running");
  const { refresh } = jobs;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [running, refresh]);

  if (jobs.loading) return <Loading />;
  if (jobs.error && !jobs.nodes.length) return <Alert severity="error">{errorMessage(jobs.error)}</Alert>;
  if (!jobs.nodes.length) {
    return (
      <Card>
        <CardContent>
          <Typography variant="h6" component="h2" gutterBottom>
            Nothing has run yet
          </Typography>
          <Typography color="text.secondary">
            When you export a report, change your plan, or Stripe sends a billing update, the work is done in the background and each run is
            listed here: when it started, how long it took, how many rows it handled, and why it failed if it did. Runs are kept for 90 days.
          </Typography>
        </CardContent>
      </Card>
    );
  }

  return (
    <Card>
      <CardContent>
        <PagedListHeader
          list={jobs}
          one="run"
          many="runs"
          testId="jobs-summary"
          action={
            <Button size="small" onClick={refresh} loading={jobs.fetching}>
              Refresh
            </Button>
          }
        />
        <TableContainer>
          <Table aria-label="Background jobs" size="small" sx={{ minWidth: 760 }}>
            <TableHead>
              <TableRow>
                <TableCell>Job</TableCell>
                <TableCell>State</TableCell>
                <TableCell>Started</TableCell>
                <TableCell align="right">Duration</TableCell>
                <TableCell align="right">Rows</TableCell>
                <TableCell>Error</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {jobs.nodes.map((job, i) => (
                <JobRow key={job.rowId ?? i} job={job} />
              ))}
            </TableBody>
          </Table>
        </TableContainer>
        <LoadMore list={jobs} capped="Older runs are not shown." />
      </CardContent>
    </Card>
  );
}

function JobRow({ job }: { job: BackgroundJob }) {
  const outcome = job.outcome ?? "running";
  const running = outcome === "running";
  return (
    <TableRow hover data-testid="job-row">
      <TableCell>
        {job.label ?? job.task}
        {(job.attempt ?? 1) > 1 && (
          <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
            attempt {job.attempt}
          </Typography>
        )}
      </TableCell>
      <TableCell>
        <Chip
          size="small"
          label={OUTCOME_LABEL[outcome] ?? outcome}
          color={OUTCOME_COLOR[outcome] ?? "default"}
          variant={running ? "outlined" : "filled"}
          data-testid="job-state"
        />
      </TableCell>
      <TableCell sx={{ whiteSpace: "nowrap" }}>
        <TimeAgo iso={job.startedAt} />
      </TableCell>
      <TableCell align="right" sx={{ whiteSpace: "nowrap" }}>
        {formatDuration(job.durationMs)}
        {running && " so far"}
      </TableCell>
      <TableCell align="right">{formatRows(job.rowsAffected)}</TableCell>
      <TableCell sx={{ maxWidth: 360, wordBreak: "break-word" }}>
        {job.errorMessage && (
          <Typography variant="body2" color={outcome === "crashed" ? "warning.dark" : "error"} data-testid="job-error">
            {job.errorMessage}
          </Typography>
        )}
      </TableCell>
    </TableRow>
  );
}
