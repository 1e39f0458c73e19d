// The PDF of an account document (issue 18; SQL: migrations/fixtures/accounts/750-documents.sql):
// an invoice's, queued when the invoice is made and again when it is voided, or a statement a
// member asked for. Reads what the document shows (app_private.start_account_document: the
// tenant and the document come from its row, never from the payload beyond their ids), renders it
// with pdfkit (worker/documents/*), and stores it as ~1 MB chunks with the row marked done in one
// transaction, so a download never sees half a file. Safe to run again: a done document is left
// alone, a retry after a failure starts over (the old chunks go first), and a run that started
// before the document was asked for again (an invoice voided meanwhile) stores nothing: the job of
// that ask writes the new one.
import { renderInvoicePdf, type InvoiceDocument } from "../documents/invoice-pdf.ts";
import { renderStatementPdf, type StatementDocument } from "../documents/statement-pdf.ts";
import { assertIdFields } from "./payload.ts";
import type { LoggedTask } from "./run-log.ts";

/** Bytes per stored chunk (EXPORT_CHUNK_BYTES overrides the 1 MB default, for tests; as the CSV exports). */
const chunkBytes = () => Number(process.env.EXPORT_CHUNK_BYTES) || 1024 * 1024;

interface JobBase {
  tenantId: string;
  documentId: string;
  fileName: string;
  /** How many times it was asked for before this run (a voided invoice asks again). */
  revision: number;
}
type DocumentJob = (JobBase & { kind: "invoice"; data: InvoiceDocument | null }) | (JobBase & { kind: "statement"; data: StatementDocument | null });

export const renderAccountDocument: LoggedTask<"render_account_document"> = async (payload, helpers) => {
  assertIdFields(payload, "render_account_document", "tenantId", "documentId");
  try {
    const { rows } = await helpers.query<{ job: DocumentJob | null }>("select app_private.start_account_document($1, $2) as job", [
      payload.tenantId,
      payload.documentId,
    ]);
    const job = rows[0]?.job;
    if (!job) return; // gone (an expired statement) or already done
    if (!job.data) throw new Error(`account document ${job.documentId}: nothing to show (its ${job.kind} is gone)`);
    const pdf = job.kind === "invoice" ? await renderInvoicePdf(job.data) : await renderStatementPdf(job.data);

    const limit = chunkBytes();
    const chunks = Math.max(1, Math.ceil(pdf.length / limit));
    const done = await helpers.withPgClient(async (client) => {
      await client.query("begin");
      try {
        for (let n = 0; n < chunks; n++) {
          const { rows: ok } = await client.query<{ ok: boolean }>("select app_private.write_account_document_chunk($1, $2, $3, $4) as ok", [
            job.tenantId,
            job.documentId,
            n,
            pdf.subarray(n * limit, (n + 1) * limit),
          ]);
          if (!ok[0].ok) {
            await client.query("rollback");
            return false; // written meanwhile by another run, or gone
          }
        }
        const { rows: fin } = await client.query<{ ok: boolean }>("select app_private.finish_account_document($1, $2, $3, $4, $5) as ok", [
          job.tenantId,
          job.documentId,
          job.revision,
          chunks,
          pdf.length,
        ]);
        // Asked for again meanwhile (an invoice voided): the job of that ask writes it.
        await client.query(fin[0].ok ? "commit" : "rollback");
        return fin[0].ok;
      } catch (err) {
        await client.query("rollback");
        throw err;
      }
    });
    helpers.logger.info(`account document ${job.documentId} (${job.fileName}): ${pdf.length} bytes${done ? "" : " (no longer pending)"}`);
    return { rows: done ? 1 : 0 };
  } catch (err) {
    // The last attempt tells the member; earlier ones are retried by graphile-worker (from scratch).
    if (helpers.job.attempts >= helpers.job.max_attempts) {
      await helpers.query("select app_private.fail_account_document($1, $2, $3)", [
        payload.tenantId,
        payload.documentId,
        "The PDF could not be written.",
      ]);
    }
    throw err;
  }
};
