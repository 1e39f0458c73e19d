// A file the worker stored in the database as chunks (CSV exports, customers' data bundles, account PDFs),
// streamed back to the member who may have it. Runs as the API role with the session cookie; the
// database decides who that is (the kind's `file` function returns no row for anyone else, and
// none before the file is done). Anything else is 404, so nobody learns whether a file they may
// not read exists.
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import { asVisitor } from "./db.ts";
import { sendError } from "./http.ts";
import { readSessionId } from "./session.ts";

export interface StoredFileKind {
  /** SQL function of the file's id returning (file_name, byte_size, chunk_count) for a caller who may download it. */
  file: string;
  /** SQL function of (id, chunk number) returning that chunk's bytes. */
  chunk: string;
  contentType: string;
}

/** GET or HEAD of the file `id` of this kind. */
export async function sendStoredFile(pool: pg.Pool, req: IncomingMessage, res: ServerResponse, id: string, kind: StoredFileKind): Promise<void> {
  const sessionId = readSessionId(req);
  if ((req.method !== "GET" && req.method !== "HEAD") || !sessionId) {
    return sendError(res, { code: "NOTFD", message: "Not found." });
  }
  await asVisitor(pool, sessionId, async (client) => {
    const { rows } = await client.query<{ file_name: string; byte_size: string; chunk_count: number }>(
      `select file_name, byte_size, chunk_count from ${kind.file}($1)`,
      [id],
    );
    const file = rows[0];
    if (!file) return sendError(res, { code: "NOTFD", message: "Not found." });
    res.writeHead(200, {
      "content-type": kind.contentType,
      "content-disposition": `attachment; filename="${file.file_name}"`,
      "content-length": file.byte_size,
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
    });
    if (req.method === "HEAD") return void res.end();
    for (let n = 0; n < file.chunk_count; n++) {
      if (res.destroyed) return;
      const chunk = await client.query<{ data: Buffer | null }>(`select ${kind.chunk}($1, $2) as data`, [id, n]);
      const data = chunk.rows[0]?.data;
      if (!data) throw new Error(`${kind.file} ${id}: chunk ${n} is missing`);
      if (!res.write(data)) await drained(res);
    }
    res.end();
  });
}

/** Resolves when the response can take more data, or has been closed. */
export function drained(res: ServerResponse): Promise<void> {
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
