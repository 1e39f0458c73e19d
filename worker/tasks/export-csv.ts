// A CSV export requested with reporting.request_export (SQL: migrations/fixtures/reporting/650-exports.sql).
// Streams `COPY (<query>) TO STDOUT WITH (FORMAT csv, HEADER)` from one connection and stores the
// bytes as ~1 MB chunks with the progress through another, so memory stays flat however many
// rows there are; the export becomes downloadable only when the last chunk is stored. The tenant
// and the query come from the export row (app_private.start_export), never from the payload alone.
// Every file starts with a UTF-8 byte order mark, so that Excel opens it as UTF-8 (without one it
// reads the bytes as the machine's legacy code page: "ZoÃ«" for "Zoë").
import type { JobHelpers } from "graphile-worker";
import { assertIdFields } from "./payload.ts";
import type { LoggedTask } from "./run-log.ts";
import { to as copyTo } from "pg-copy-streams";

/** The UTF-8 byte order mark a file starts with (once, before COPY's header). */
export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Bytes per stored chunk (EXPORT_CHUNK_BYTES overrides the 1 MB default, for tests). */
const chunkBytes = () => Number(process.env.EXPORT_CHUNK_BYTES) || 1024 * 1024;

interface ExportJob {
  tenantId: string;
  exportId: string;
  query: string;
  fileName: string;
  rowsTotal: number;
}

/** Counts CSV records ending in a chunk: line feeds outside quoted fields (quotes toggle, "" toggles twice). */
export class CsvRecordCounter {
  records = 0;
  private inQuotes = false;
  push(buf: Buffer): void {
    let quoted = this.inQuotes;
    let n = 0;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i];
      if (b === 0x22) quoted = !quoted;
      else if (b === 0x0a && !quoted) n++;
    }
    this.inQuotes = quoted;
    this.records += n;
  }
}

export const exportCsv: LoggedTask<"export_csv"> = async (payload, helpers) => {
  assertIdFields(payload, "export_csv", "tenantId", "exportId");
  try {
    const { rows } = await helpers.query<{ job: ExportJob | null }>("select app_private.start_export($1, $2) as job", [
      payload.tenantId,
      payload.exportId,
    ]);
    const job = rows[0]?.job;
    if (!job) return; // gone, or already done
    const result = await streamExport(helpers, job);
    const done = await helpers.query<{ ok: boolean }>("select app_private.finish_export($1, $2, $3, $4, $5) as ok", [
      job.tenantId,
      job.exportId,
      result.chunks,
      result.rows,
      result.bytes,
    ]);
    helpers.logger.info(
      `export ${job.exportId} (${job.fileName}): ${result.rows} rows, ${result.bytes} bytes${done.rows[0].ok ? "" : " (no longer running)"}`,
    );
    return { rows: result.rows };
  } catch (err) {
    // The last attempt tells the admin; earlier ones are retried by graphile-worker (from scratch).
    if (helpers.job.attempts >= helpers.job.max_attempts) {
      await helpers.query("select app_private.fail_export($1, $2, $3)", [
        payload.tenantId,
        payload.exportId,
        "The export could not be written. Please try again.",
      ]);
    }
    throw err;
  }
};

async function streamExport(helpers: JobHelpers, job: ExportJob): Promise<{ chunks: number; rows: number; bytes: number }> {
  return helpers.withPgClient((source) =>
    helpers.withPgClient(async (writer) => {
      const counter = new CsvRecordCounter();
      // One buffer for every chunk, filled from COPY's pieces and stored whenever full: memory
      // is the same for 1,000 rows as for 1,000,000 (no buffer is allocated per chunk).
      const chunk = Buffer.allocUnsafeSlow(chunkBytes());
      let filled = 0;
      let chunks = 0;
      let bytes = 0;

      // Stores `data` as the next chunk, with the progress so far. Awaited before the buffer is
      // filled again (pg has copied it into the Bind message by then).
      const store = async (data: Buffer) => {
        bytes += data.length;
        const { rows } = await writer.query<{ ok: boolean }>(
          "select app_private.write_export_chunk($1, $2, $3, $4, $5, $6) as ok",
          [job.tenantId, job.exportId, chunks, data, Math.max(counter.records - 1, 0), bytes],
        );
        if (!rows[0].ok) throw new Error(`export ${job.exportId} is no longer running`);
        chunks++;
      };
      const append = async (piece: Buffer) => {
        for (let at = 0; at < piece.length; ) {
          const n = piece.copy(chunk, filled, at);
          filled += n;
          at += n;
          if (filled === chunk.length) {
            await store(chunk);
            filled = 0;
          }
        }
      };

      // The mark goes first, counted in the file's bytes (and stored like any other byte).
      await append(UTF8_BOM);
      const stream = source.query(copyTo(`copy (${job.query}) to stdout with (format csv, header)`));
      for await (const piece of stream as AsyncIterable<Buffer>) {
        counter.push(piece);
        await append(piece);
      }
      if (filled > 0) await store(chunk.subarray(0, filled));
      return { chunks, rows: Math.max(counter.records - 1, 0), bytes };
    }),
  );
}
