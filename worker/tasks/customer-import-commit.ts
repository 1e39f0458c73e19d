// Commits a customer import (SQL: app_private.commit_customer_import_batch in
// migrations/fixtures/customers/485-import.sql): one transaction per batch of rows, each marking its
// rows done with the customers it writes, until none is left. A worker killed half way leaves
// whole batches behind it; the retry goes on from the first row not marked, so no customer is
// created twice. The import becomes done (with its counts) in the last call.
import type { LoggedTask } from "./run-log.ts";
import { assertIdFields } from "./payload.ts";

/** Rows per transaction (CUSTOMER_IMPORT_BATCH_ROWS overrides, for tests). */
const batchRows = () => Number(process.env.CUSTOMER_IMPORT_BATCH_ROWS) || 1000;

export const customerImportCommit: LoggedTask<"customer_import_commit"> = async (payload, helpers) => {
  assertIdFields(payload, "customer_import_commit", "tenantId", "importId");
  try {
    let rows = 0;
    for (;;) {
      const { rows: r } = await helpers.query<{ n: number }>("select app_private.commit_customer_import_batch($1, $2, $3) as n", [
        payload.tenantId,
        payload.importId,
        batchRows(),
      ]);
      if (r[0].n === 0) break;
      rows += r[0].n;
    }
    helpers.logger.info(`customer import ${payload.importId}: ${rows} rows committed`);
    return { rows };
  } catch (err) {
    if (helpers.job.attempts >= helpers.job.max_attempts) {
      await helpers.query("select app_private.fail_customer_import($1, $2, 'IMPFL', $3)", [
        payload.tenantId,
        payload.importId,
        "The import stopped before the end: the rows not yet imported are listed in the error report.",
      ]);
    }
    throw err;
  }
};
