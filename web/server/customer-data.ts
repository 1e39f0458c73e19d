// GET /customer-data/:id — the zip of a customer's data request (app_public.request_customer_data).
// The database decides (app_hidden.customer_data_file / customer_data_chunk): only a member of the
// business with customers.erase gets it, and only once it is done; anything else is 404.
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import { sendError } from "./http.ts";
import { sendStoredFile } from "./stored-files.ts";

const BUNDLE_PATH = /^\/customer-data\/([0-9A-Za-z]{26})$/;

export async function handleCustomerDataDownload(pool: pg.Pool, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const match = BUNDLE_PATH.exec(path);
  if (!match) return sendError(res, { code: "NOTFD", message: "Not found." });
  return sendStoredFile(pool, req, res, match[1], {
    file: "app_hidden.customer_data_file",
    chunk: "app_hidden.customer_data_chunk",
    contentType: "application/zip",
  });
}
