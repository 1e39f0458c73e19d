// Reads an uploaded customer file (SQL: migrations/fixtures/customers/485-import.sql) and stages its
// rows: the stored chunks are decoded one at a time (worker/csv-text.ts decides the encoding),
// parsed by csv-parse as a stream, and streamed by COPY into the session's copy table, staged
// (and checked) every few thousand rows with the progress: no record is held once written, so
// memory stays flat however large the file. A file that is not valid UTF-8 (and has no byte
// order mark) is read again as Windows-1252. A file that cannot be read as CSV fails the import
// with BADCS and a sentence for the member; nothing of it reaches customers. Running it again
// starts over.
import { once } from "node:events";
import { Readable, type Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { parse, CsvError } from "csv-parse";
import { from as copyFrom } from "pg-copy-streams";
import type { JobHelpers } from "graphile-worker";
import { sniffDelimiter, sniffEncoding, SNIFF_BYTES, type CsvEncoding } from "../csv-text.ts";
import { assertIdFields } from "./payload.ts";
import type { LoggedTask } from "./run-log.ts";

/** Rows per COPY and staging statement (CUSTOMER_IMPORT_STAGE_ROWS overrides, for tests). */
const stageRows = () => Number(process.env.CUSTOMER_IMPORT_STAGE_ROWS) || 5000;
/** csv-parse's limit on one record: a file of one endless quoted cell is refused, not buffered. */
const MAX_RECORD_BYTES = 1024 * 1024;

interface ImportPayload {
  tenantId: string;
  importId: string;
}

/** A file the member must fix: the import fails with BADCS and this message. */
class UnreadableFile extends Error {}
/** The guess "UTF-8" was wrong: read again as Windows-1252. */
class NotUtf8 extends Error {}

export const customerImportParse: LoggedTask<"customer_import_parse"> = async (payload, helpers) => {
  assertIdFields(payload, "customer_import_parse", "tenantId", "importId");
  try {
    let result = await parseOnce(helpers, payload, null);
    if (result === "not utf-8") result = await parseOnce(helpers, payload, "windows-1252");
    if (result === "not utf-8" || result === null) return;
    helpers.logger.info(`customer import ${payload.importId}: ${result.rows} rows read (${result.encoding}, "${result.delimiter}")`);
    return { rows: result.rows };
  } catch (err) {
    if (err instanceof UnreadableFile) {
      await helpers.query("select app_private.fail_customer_import($1, $2, 'BADCS', $3)", [payload.tenantId, payload.importId, err.message]);
      return { rows: 0 };
    }
    if (helpers.job.attempts >= helpers.job.max_attempts) {
      await helpers.query("select app_private.fail_customer_import($1, $2, 'IMPFL', $3)", [
        payload.tenantId,
        payload.importId,
        "The file could not be read. Please upload it again.",
      ]);
    }
    throw err;
  }
};

/** Reads the file once with the given encoding (null: sniffed, UTF-8 by default). */
async function parseOnce(
  helpers: JobHelpers,
  job: ImportPayload,
  forced: CsvEncoding | null,
): Promise<{ rows: number; encoding: CsvEncoding; delimiter: string } | "not utf-8" | null> {
  const started = await helpers.query<{ info: { chunkCount: number } | null }>(
    "select app_private.start_customer_import_parse($1, $2) as info",
    [job.tenantId, job.importId],
  );
  const info = started.rows[0]?.info;
  if (!info) return null; // cancelled, or read already
  return helpers.withPgClient(async (client) => {
    // On another connection than `client`: a chunk is fetched while the batch's COPY is open on it,
    // and a connection runs one statement at a time (the fetch would wait for a COPY that waits for it).
    const chunk = async (n: number): Promise<Buffer> => {
      const { rows } = await helpers.query<{ data: Buffer }>(
        "select data from app_private.customer_import_chunks where tenant_id = $1 and import_id = $2 and chunk_no = $3",
        [job.tenantId, job.importId, n],
      );
      if (!rows[0]) throw new Error(`customer import ${job.importId}: chunk ${n} is missing`);
      return rows[0].data;
    };
    if (info.chunkCount === 0) throw new UnreadableFile("The file is empty.");
    const first = await chunk(0);
    const sniffed = sniffEncoding(first.subarray(0, SNIFF_BYTES));
    if (!sniffed) throw new UnreadableFile("This is not a CSV file: it holds binary data. Export your customers as CSV and upload that file.");
    const encoding: CsvEncoding = forced ?? sniffed.encoding ?? "utf-8";
    const guessed = !forced && sniffed.encoding === null;

    // The file's text, chunk by chunk; a byte that is not UTF-8 under a guess stops the reading.
    const decoder = new TextDecoder(encoding, { fatal: guessed, ignoreBOM: true });
    async function* text(): AsyncGenerator<string> {
      for (let n = 0; n < info!.chunkCount; n++) {
        const bytes = n === 0 ? first.subarray(sniffed!.bom) : await chunk(n);
        try {
          yield decoder.decode(bytes, { stream: true });
        } catch {
          throw new NotUtf8();
        }
      }
      try {
        yield decoder.decode();
      } catch {
        throw new NotUtf8();
      }
    }

    // The delimiter is read from the first line, then the text is fed again from its start.
    const source = text();
    const head: string[] = [];
    let header: string[] | null = null;
    let rowNo = 1; // the header is row 1, as a spreadsheet numbers it
    let rows = 0;
    let delimiter: "," | ";" | "\t" = ",";
    // The COPY of the current batch, opened at its first record; a batch is staged when closed.
    let copy: { stream: Writable; rows: number; error: Error | null } | null = null;
    const write = async (n: number, record: string[]) => {
      if (!copy) {
        const stream = client.query(copyFrom("copy pg_temp.customer_import_copied (row_no, cells) from stdin with (format csv)"));
        const opened: { stream: Writable; rows: number; error: Error | null } = { stream, rows: 0, error: null };
        stream.on("error", (err: Error) => (opened.error = err)); // thrown by the next write or flush
        copy = opened;
      }
      if (copy.error) throw copy.error;
      // One CSV line: the row number and the cells as a JSON array, quoted.
      if (!copy.stream.write(`${n},"${JSON.stringify(record).replaceAll('"', '""')}"\n`)) await once(copy.stream, "drain");
      if (++copy.rows >= stageRows()) await flush();
    };
    const flush = async () => {
      if (!copy) return;
      const done = copy;
      copy = null;
      done.stream.end();
      await finished(done.stream);
      const { rows: ok } = await client.query<{ ok: boolean }>("select app_private.stage_customer_import_copied($1, $2) as ok", [
        job.tenantId,
        job.importId,
      ]);
      if (!ok[0].ok) throw new Cancelled();
      rows += done.rows;
    };
    await client.query("select app_private.prepare_customer_import_copy()");
    try {
      let headText = "";
      for (;;) {
        const next = await source.next();
        if (next.done) break;
        head.push(next.value);
        headText += next.value;
        if (/[\r\n]/.test(headText) || headText.length > MAX_RECORD_BYTES) break;
      }
      delimiter = sniffDelimiter(headText);
      async function* again(): AsyncGenerator<string> {
        yield* head;
        yield* source;
      }
      const parser = parse({ delimiter, relax_column_count: true, relax_quotes: true, max_record_size: MAX_RECORD_BYTES, bom: true });
      // pipeline, not pipe: a decoding error of the source must reach the parser (and the loop below).
      // One decoded chunk (~1 MB) waiting at a time: Readable.from's default buffers 16 of them,
      // which held most of a 10 MB file in memory (the worker's peak grew with the file).
      pipeline(Readable.from(again(), { highWaterMark: 1 }), parser).catch(() => {}); // the loop below sees the same error
      for await (const record of parser as AsyncIterable<string[]>) {
        if (header === null) {
          if (record.every((cell) => cell.trim() === "")) throw new UnreadableFile("The first line of the file must name its columns.");
          header = record.map((cell) => cell.trim());
          // The mapping proposed for it, so that each row is checked as it is staged.
          const { rows: set } = await client.query<{ ok: boolean }>("select app_private.set_customer_import_header($1, $2, $3) as ok", [
            job.tenantId,
            job.importId,
            header,
          ]);
          if (!set[0].ok) throw new Cancelled();
          continue;
        }
        rowNo++;
        if (record.every((cell) => cell.trim() === "")) continue; // a blank row (spreadsheets leave some at the end)
        await write(rowNo, record);
      }
      await flush();
    } catch (err) {
      // A COPY left open by an error ends with it (the next prepare empties the session's copy table).
      const open = copy as { stream: Writable } | null;
      if (open) {
        open.stream.destroy();
        await finished(open.stream).catch(() => {});
      }
      if (err instanceof NotUtf8 && guessed) return "not utf-8";
      if (err instanceof Cancelled) return null;
      // csv-parse counts the records it read: the one it could not read is the next row.
      if (err instanceof CsvError) throw new UnreadableFile(csvErrorMessage(err, Number((err as { records?: number }).records ?? rowNo) + 1));
      throw err;
    }
    if (header === null) throw new UnreadableFile("The file is empty.");
    if (rows === 0) throw new UnreadableFile("The file has a header line but no customers under it.");
    await client.query("select app_private.finish_customer_import_parse($1, $2, $3, $4, $5)", [
      job.tenantId,
      job.importId,
      header,
      encoding,
      delimiter,
    ]);
    return { rows, encoding, delimiter };
  });
}

/** The import was cancelled while it was read. */
class Cancelled extends Error {}

/** What csv-parse could not read, for the member. */
function csvErrorMessage(err: CsvError, row: number): string {
  switch (err.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return `Row ${row}: a quoted cell is opened and never closed, so the rest of the file cannot be read. Close the quote (") and upload the file again.`;
    case "CSV_MAX_RECORD_SIZE":
      return `Row ${row} is larger than 1 MB: this does not look like a customer list.`;
    default:
      return `Row ${row} cannot be read as CSV (${err.message.replace(/\s+/g, " ").slice(0, 200)}).`;
  }
}
