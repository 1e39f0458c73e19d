// "Export CSV": asks the server for an export (the worker writes it), polls its progress, then
// downloads the finished file through a temporary <a download>. Needs reports.export. Shared by
// the Reports tabs and the Customers page (customers/ExportCustomersButton.tsx).
import { Alert, Box, Button, LinearProgress, Typography } from "@mui/material";
import { useEffect, useRef, useState } from "react";
import { useClient } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { cents, ExportQuery, RequestExportMutation, type ExportKind, type ExportRow } from "./queries.ts";

const POLL_MS = 750;
const GIVE_UP_MS = 10 * 60_000;

type State =
  | { phase: "idle" }
  | { phase: "working"; progress: ExportRow | null }
  | { phase: "done"; fileName: string }
  | { phase: "failed"; message: string };

function download(url: string, fileName: string) {
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function ExportButton({
  kind,
  params,
  label = "Export CSV",
  title,
  inline = false,
}: {
  kind: ExportKind;
  params: Record<string, unknown>;
  /** The button's words (the Reports tabs: "Export CSV"). */
  label?: string;
  /** What the file will hold, shown on hover. */
  title?: string;
  /**
   * In a row of buttons (a page's toolbar): the button alone takes room, and the progress and
   * the outcome show under it without making the row taller.
   */
  inline?: boolean;
}) {
  const canExport = useCan("reports.export");
  const client = useClient();
  const [state, setState] = useState<State>({ phase: "idle" });
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true; // StrictMode mounts twice: the second mount must undo the first clean-up
    return () => {
      alive.current = false;
    };
  }, []);

  if (!canExport) return null;

  async function run() {
    setState({ phase: "working", progress: null });
    try {
      const res = await client.mutation(RequestExportMutation, { kind, params }).toPromise();
      if (res.error) throw res.error;
      let row = res.data?.requestExport?.export;
      if (!row) throw new Error("no export");
      const started = Date.now();
      while (alive.current && row.status !== "done") {
        if (row.status === "failed") {
          setState({ phase: "failed", message: row.errorMessage || "The export failed. Please try again." });
          return;
        }
        if (Date.now() - started > GIVE_UP_MS) {
          setState({ phase: "failed", message: "The export is taking too long. Please try again later." });
          return;
        }
        setState({ phase: "working", progress: row });
        await new Promise((r) => setTimeout(r, POLL_MS));
        const polled = await client.query(ExportQuery, { id: row.rowId }, { requestPolicy: "network-only" }).toPromise();
        if (polled.error) throw polled.error;
        if (!polled.data?.exportByRowId) throw new Error("export gone");
        row = polled.data.exportByRowId;
      }
      if (!alive.current) return;
      download(row.downloadUrl ?? `/exports/${row.rowId}`, row.fileName);
      setState({ phase: "done", fileName: row.fileName });
    } catch (error) {
      if (alive.current) setState({ phase: "failed", message: errorMessage(error) });
    }
  }

  const progress = state.phase === "working" ? state.progress : null;
  const total = progress ? cents(progress.rowsTotal) : 0;
  const written = progress ? cents(progress.rowsWritten) : 0;

  // In a toolbar the progress and outcome float under the button, right-aligned with it.
  const below = inline
    ? ({ position: "absolute", top: "100%", right: 0, width: "max-content", maxWidth: 420, zIndex: 1, mt: 1 } as const)
    : ({ mt: 1 } as const);

  return (
    <Box sx={inline ? { position: "relative" } : { minWidth: 220 }}>
      <Button variant="outlined" onClick={run} disabled={state.phase === "working"} title={title}>
        {state.phase === "working" ? "Exporting…" : label}
      </Button>
      {state.phase === "working" && (
        <Box role="status" aria-label="Export progress" sx={below}>
          <LinearProgress
            variant={total > 0 ? "determinate" : "indeterminate"}
            value={total > 0 ? Math.min(100, (written / total) * 100) : undefined}
          />
          <Typography variant="caption" color="text.secondary">
            {total > 0 ? `Writing rows: ${written} of ${total}` : "Preparing the file…"}
          </Typography>
        </Box>
      )}
      {state.phase === "done" && (
        <Typography variant="caption" color="text.secondary" sx={{ display: "block", ...below, ...(inline ? { textAlign: "right" } : {}) }}>
          Downloaded {state.fileName}
        </Typography>
      )}
      {state.phase === "failed" && (
        <Alert severity="error" sx={below}>
          {state.message}
        </Alert>
      )}
    </Box>
  );
}
