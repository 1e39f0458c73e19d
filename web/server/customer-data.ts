// GET /customer-data/:id — the zip of a customer's data request (app_public.request_customer_data),
// streamed chunk by chunk from the database, as GET /exports/:id streams CSV exports. Runs as the
// API role with the session cookie; the database decides (app_hidden.customer_data_file /
// customer_data_chunk): only a member of the business with customers.erase gets it, and only once
// it is done. Anything else is 404, so nobody learns whether a bundle they may not read exists.
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import { asVisitor } from "./db.ts";
import { sendError } from "./http.ts";
import { readSessionId } from "./session.ts";

const BUNDLE_PATH = /^\/customer-data\/([0-9A-Za-z]{26})$/;

export async function handleCustomerDataDownload(pool: pg.Pool, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const match = BUNDLE_PATH.exec(path);
  const sessionId = readSessionId(req);
  if (!match || (req.method !== "GET" && req.method !== "HEAD") || !sessionId) {
    return sendError(res, { code: "NOTFD", message: "Not found." });
  }
  const exportId = match[1];
  await asVisitor(pool, sessionId, async (client) => {
    const { rows } = await client.query<{ file_name: string; byte_size: string; chunk_count: number }>(
      "select file_name, byte_size, chunk_count from app_hidden.customer_data_file($1)",
      [exportId],
    );
    const file = rows[0];
    if (!file) return sendError(res, { code: "NOTFD", message: "Not found." });
    res.writeHead(200, {
      "content-type": "application/zip",
      "content-disposition": `attachment; filename="${file.file_name}"`,
      "content-length": file.byte_size,
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
    });
    if (req.method === "HEAD") return void res.end();
    for (let n = 0; n < file.chunk_count; n++) {
      if (res.destroyed) return;
      const chunk = await client.query<{ data: Buffer | null }>("select app_hidden.customer_data_chunk($1, $2) as data", [exportId, n]);
      const data = chunk.rows[0]?.data;
      if (!data) throw new Error(`customer data ${exportId}: chunk ${n} is missing`);
      if (!res.write(data)) await drained(res);
    }
    res.end();
  });
}

/** Resolves when the response can take more data, or has been closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
