// GET /exports/:id — the file of a finished CSV export (reporting.request_export). The database
// decides (app_hidden.export_file / export_chunk): only a member of the exporting tenant with
// reports.export gets it, and only once the export is done; anything else is 404.
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import { sendError } from "./http.ts";
import { sendStoredFile } from "./stored-files.ts";

const EXPORT_PATH = /^\/exports\/([0-9A-Za-z]{26})$/;

export async function handleExportDownload(pool: pg.Pool, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const match = EXPORT_PATH.exec(path);
  if (!match) return sendError(res, { code: "NOTFD", message: "Not found." });
  return sendStoredFile(pool, req, res, match[1], {
    file: "app_hidden.export_file",
    chunk: "app_hidden.export_chunk",
    contentType: "text/csv; charset=utf-8",
  });
}
