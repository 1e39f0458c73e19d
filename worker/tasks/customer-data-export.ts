// A customer's own data request (app_public.request_customer_data; SQL:
// migrations/fixtures/customers/495-data-requests.sql): one zip of everything held about them —
// customer.json (app_private.customer_data_document) and orders.csv, order-lines.csv and
// timeline.csv, each streamed from `COPY (<query>) TO STDOUT WITH (FORMAT csv, HEADER)` (quoting is
// PostgreSQL's, formulas defused in the queries) into the zip as it is compressed, and the zip
// stored as ~1 MB chunks like the CSV exports, so memory stays flat for a customer with years of
// orders. The bundle becomes downloadable only once its last chunk is stored; a retry starts over.
// The tenant, the customer and the queries come from the bundle's row, never from the payload.
//
// The zip is written by fflate: a maintained, dependency-free library (8 kB, no native code) whose
// streaming Zip/ZipDeflate take the data as it comes from COPY; Node has deflate (zlib) but no
// zip container, and writing central directories and CRCs by hand is the kind of format code
// we reach for a library for.
import type { JobHelpers } from "graphile-worker";
import { Zip, ZipDeflate, strToU8 } from "fflate";
import { to as copyTo } from "pg-copy-streams";
import { assertIdFields } from "./payload.ts";
import type { LoggedTask } from "./run-log.ts";

/** Bytes per stored chunk (EXPORT_CHUNK_BYTES overrides the 1 MB default, for tests; as the CSV exports). */
const chunkBytes = () => Number(process.env.EXPORT_CHUNK_BYTES) || 1024 * 1024;

interface BundleJob {
  tenantId: string;
  exportId: string;
  customerId: string;
  fileName: string;
  csvFiles: { name: string; query: string }[];
}

export const customerDataExport: LoggedTask<"customer_data_export"> = async (payload, helpers) => {
  assertIdFields(payload, "customer_data_export", "tenantId", "exportId");
  try {
    const { rows } = await helpers.query<{ job: BundleJob | null }>("select app_private.start_customer_data_export($1, $2) as job", [
      payload.tenantId,
      payload.exportId,
    ]);
    const job = rows[0]?.job;
    if (!job) return; // gone (erased, expired) or already done
    const result = await writeBundle(helpers, job);
    const done = await helpers.query<{ ok: boolean }>("select app_private.finish_customer_data_export($1, $2, $3, $4) as ok", [
      job.tenantId,
      job.exportId,
      result.chunks,
      result.bytes,
    ]);
    helpers.logger.info(
      `customer data ${job.exportId} (${job.fileName}): ${result.bytes} bytes${done.rows[0].ok ? "" : " (no longer running)"}`,
    );
    return { rows: result.files };
  } catch (err) {
    // The last attempt tells the admin; earlier ones are retried by graphile-worker (from scratch).
    if (helpers.job.attempts >= helpers.job.max_attempts) {
      await helpers.query("select app_private.fail_customer_data_export($1, $2, $3)", [
        payload.tenantId,
        payload.exportId,
        "The file could not be written. Please try again.",
      ]);
    }
    throw err;
  }
};

async function writeBundle(helpers: JobHelpers, job: BundleJob): Promise<{ files: number; chunks: number; bytes: number }> {
  return helpers.withPgClient((source) =>
    helpers.withPgClient(async (writer) => {
      const limit = chunkBytes();
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let chunks = 0;
      let bytes = 0;
      let files = 0;
      let zipError: Error | null = null;

      // fflate calls back synchronously with compressed output; it is stored between awaits.
      const zip = new Zip((err, data) => {
        if (err) zipError = err;
        else if (data.length > 0) {
          pending.push(Buffer.from(data)); // a copy: the chunk is ours whatever fflate does with its buffers
          pendingBytes += data.length;
        }
      });
      const store = async (data: Buffer) => {
        bytes += data.length;
        const { rows } = await writer.query<{ ok: boolean }>("select app_private.write_customer_data_chunk($1, $2, $3, $4, $5, $6) as ok", [
          job.tenantId,
          job.exportId,
          chunks,
          data,
          files,
          bytes,
        ]);
        if (!rows[0].ok) throw new Error(`customer data ${job.exportId} is no longer running`);
        chunks++;
      };
      const flush = async (all: boolean) => {
        if (zipError) throw zipError;
        if (pendingBytes === 0 || (!all && pendingBytes < limit)) return;
        let data = Buffer.concat(pending, pendingBytes);
        while (data.length >= limit || (all && data.length > 0)) {
          const size = Math.min(limit, data.length);
          await store(data.subarray(0, size));
          data = data.subarray(size);
        }
        pending = data.length ? [Buffer.from(data)] : [];
        pendingBytes = data.length;
      };
      const fileDone = async () => {
        files++;
        await writer.query("select app_private.customer_data_export_progress($1, $2, $3)", [job.tenantId, job.exportId, files]);
      };

      const doc = await source.query<{ doc: unknown }>("select app_private.customer_data_document($1, $2) as doc", [
        job.tenantId,
        job.customerId,
      ]);
      if (!doc.rows[0]?.doc) throw new Error(`customer data ${job.exportId}: customer ${job.customerId} not found`);
      const json = new ZipDeflate("customer.json", { level: 6 });
      zip.add(json);
      json.push(strToU8(JSON.stringify(doc.rows[0].doc, null, 2) + "\n"), true);
      await flush(false);
      await fileDone();

      for (const file of job.csvFiles) {
        const entry = new ZipDeflate(file.name, { level: 6 });
        zip.add(entry);
        const stream = source.query(copyTo(`copy (${file.query}) to stdout with (format csv, header)`));
        for await (const piece of stream as AsyncIterable<Buffer>) {
          entry.push(piece);
          await flush(false);
        }
        entry.push(new Uint8Array(0), true);
        await flush(false);
        await fileDone();
      }
      zip.end();
      await flush(true);
      return { files, chunks, bytes };
    }),
  );
}
