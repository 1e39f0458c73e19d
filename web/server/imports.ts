// Customer imports over plain HTTP (SQL: migrations/fixtures/customers/485-import.sql):
//   POST /imports/customers?name=<file name>  the file as the request body (any content type);
//                                              answers 201 {"importId"} once it is stored and queued
//   GET  /imports/:id/errors.csv              the rows that were not imported, with their reason
// Both run as the API role with the session cookie, so the database decides who may (customers.import,
// the member's own business). The upload is one transaction: a body cut off half way stores nothing.
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { sniffEncoding, SNIFF_BYTES } from "../../worker/csv-text.ts";
import { asVisitor } from "./db.ts";
import { HttpError, assertSameOrigin, sendError, sendJson } from "./http.ts";
import { readSessionId } from "./session.ts";
import { drained } from "./stored-files.ts";

/** The largest file taken; the database holds the same limit (app_hidden.customer_import_max_bytes). */
export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;
/** Bytes per stored chunk. */
const CHUNK_BYTES = 1024 * 1024;
const REPORT_PATH = /^\/imports\/([0-9A-Za-z]{26})\/errors\.csv$/;

export async function handleImports(pool: pg.Pool, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (path === "/imports/customers" && req.method === "POST") return upload(pool, req, res);
  const report = REPORT_PATH.exec(path);
  if (report && (req.method === "GET" || req.method === "HEAD")) return downloadReport(pool, req, res, report[1]);
  return sendError(res, { code: "NOTFD", message: "Not found." });
}

async function upload(pool: pg.Pool, req: IncomingMessage, res: ServerResponse): Promise<void> {
  assertSameOrigin(req);
  // Whatever is refused, the unread rest of the body must not be read as the next request.
  const refuse = (err: unknown) => {
    res.setHeader("connection", "close");
    throw err;
  };
  if (Number(req.headers["content-length"] ?? 0) > MAX_IMPORT_BYTES) {
    refuse(new HttpError("TOOBG", "The file is larger than 50 MB. Split it into smaller files."));
  }
  // Control characters (a %00 would not even reach PostgreSQL as text) are dropped; SQL cleans the rest.
  const name = (new URL(`http://localhost${req.url ?? "/"}`).searchParams.get("name") ?? "").replace(/[\u0000-\u001f\u007f]/g, "");
  const importId = await asVisitor(pool, readSessionId(req), async (client) => {
    const begun = await client.query<{ id: string }>("select app_hidden.begin_customer_import($1) as id", [name]);
    const id = begun.rows[0].id;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let chunkNo = 0;
    let total = 0;
    const store = async (data: Buffer) => {
      if (chunkNo === 0 && !sniffEncoding(data.subarray(0, SNIFF_BYTES))) {
        throw new HttpError("BADCS", "This is not a CSV file: it holds binary data. Export your customers as CSV and upload that file.");
      }
      await client.query("select app_hidden.write_customer_import_chunk($1, $2)", [id, data]);
      chunkNo++;
    };
    for await (const piece of req as AsyncIterable<Buffer>) {
      total += piece.length;
      if (total > MAX_IMPORT_BYTES) throw new HttpError("TOOBG", "The file is larger than 50 MB. Split it into smaller files.");
      pending.push(piece);
      pendingBytes += piece.length;
      if (pendingBytes >= CHUNK_BYTES) {
        const data = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        await store(data);
      }
    }
    if (pendingBytes > 0) await store(Buffer.concat(pending, pendingBytes));
    await client.query("select app_hidden.finish_customer_import_upload($1)", [id]);
    return id;
  }).catch(refuse);
  sendJson(res, 201, { importId });
}

async function downloadReport(pool: pg.Pool, req: IncomingMessage, res: ServerResponse, importId: string): Promise<void> {
  const sessionId = readSessionId(req);
  if (!sessionId) return sendError(res, { code: "NOTFD", message: "Not found." });
  await asVisitor(pool, sessionId, async (client) => {
    const { rows } = await client.query<{ query: string | null; name: string | null }>(
      "select app_hidden.customer_import_report_query($1) as query, app_hidden.customer_import_report_name($1) as name",
      [importId],
    );
    const { query, name } = rows[0];
    if (!query || !name) return sendError(res, { code: "NOTFD", message: "Not found." });
    res.writeHead(200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${name}"`,
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
    });
    if (req.method === "HEAD") return void res.end();
    res.write("\uFEFF"); // Excel reads a UTF-8 file as UTF-8 only with its byte order mark
    const stream = client.query(copyTo(`copy (${query}) to stdout with (format csv, header)`));
    for await (const piece of stream as AsyncIterable<Buffer>) {
      if (res.destroyed) break;
      if (!res.write(piece)) await drained(res);
    }
    res.end();
  });
}
