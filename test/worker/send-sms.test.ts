// send_sms through graphile-worker, with the real twilio SDK talking to the local stand-in
// (sms-local/): the code reaches the outbox exactly once, however often the task runs; a 5xx is
// retried, a 4xx is final; the text leaves the database once sent. And the cron task that deletes
// expired codes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSmsLocal, type SmsLocalServer } from "../../sms-local/server.ts";
import { LOCAL_TWILIO, twilioProvider } from "../../worker/sms/provider.ts";
import { makeTaskList } from "../../worker/tasks/index.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { tablesHolding } from "../helpers/scan.ts";
import { runJobsOnce } from "../helpers/worker.ts";
import { createCustomer, openShop, type Shop } from "../db/customers/helpers.ts";

let db: TestDatabase;
let shop: Shop;
let sms: SmsLocalServer;
let taskList: ReturnType<typeof makeTaskList>;
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, { company: "Corner Cafe" });
  // Onboarding queued the business's Stripe customer: not this file's business.
  await db.owner.query("delete from graphile_worker._private_jobs");
  sms = await startSmsLocal({ authToken: LOCAL_TWILIO.authToken });
  const provider = twilioProvider({ ...LOCAL_TWILIO, baseUrl: sms.url });
  taskList = makeTaskList({ sms: () => provider });
});
afterAll(async () => {
  await sms?.close();
  await db?.drop();
});
beforeEach(() => sms.reset());

/** A stub customer with a new phone, and a code requested for it: the customer and its outbox row. */
async function requested() {
  const phone = `+9689${String(2000000 + ++n * 104729).slice(-7)}`;
  const c = await createCustomer(shop.manager, { first_name: "Sam", phone });
  await shop.manager.query("select * from app_public.request_phone_code($1)", [c.id]);
  const { rows } = await db.owner.query(
    "select m.* from app_private.sms_messages m join app_private.phone_codes p on p.tenant_id = m.tenant_id and p.id = m.phone_code_id where p.customer_id = $1",
    [c.id],
  );
  const code = /\b(\d{6})\b/.exec(rows[0].body)![1];
  return { customer: c, message: rows[0], code };
}

const messageRow = async (id: string) => (await db.owner.query("select * from app_private.sms_messages where id = $1", [id])).rows[0];
const jobOf = async (id: string) =>
  (await db.owner.query("select attempts, last_error from graphile_worker._private_jobs where key = $1", [`send_sms:${id}`])).rows[0];
/** Makes a job waiting for its retry due now (graphile-worker's backoff set it seconds ahead). */
const dueNow = () => db.owner.query("update graphile_worker._private_jobs set run_at = now()");
const sendAgain = (tenantId: string, messageId: string) =>
  db.owner.query("select graphile_worker.add_job('send_sms', json_build_object('tenantId', $1::text, 'messageId', $2::text))", [tenantId, messageId]);

describe("send_sms", () => {
  it("sends the code through the Twilio SDK to the stand-in once, then blanks the text: the code is in no table", async () => {
    const { customer, message, code } = await requested();
    await runJobsOnce(db, taskList);
    const outbox = sms.outbox();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ to: customer.phone, from: LOCAL_TWILIO.from, status: "queued", account_sid: LOCAL_TWILIO.accountSid });
    expect(outbox[0].body).toBe(`Corner Cafe: your verification code is ${code}. It expires in 5 minutes.`);
    expect(await messageRow(message.id)).toMatchObject({ status: "sent", body: null, provider_sid: outbox[0].sid, error: null });
    expect(outbox[0].sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(await jobOf(message.id)).toBeUndefined();
    expect(await tablesHolding(db, code)).toEqual([]);
    // And the code sent verifies the phone.
    const { rows } = await shop.manager.query("select * from app_public.verify_phone_code($1, $2)", [customer.id, code]);
    expect(rows[0].verified).toBe(true);
  });

  it("never sends a message twice: the task run again (a doubled job) finds it sent", async () => {
    const { message } = await requested();
    await runJobsOnce(db, taskList);
    await sendAgain(shop.tenantId, message.id);
    await runJobsOnce(db, taskList);
    expect(sms.outbox()).toHaveLength(1);
    expect(sms.requests()).toBe(1);
  });

  it("gives up a message a previous try left 'sending' (it may have gone out) rather than send it twice", async () => {
    const { message } = await requested();
    await db.owner.query("update app_private.sms_messages set status = 'sending' where id = $1", [message.id]);
    await runJobsOnce(db, taskList);
    expect(sms.requests()).toBe(0);
    expect(await messageRow(message.id)).toMatchObject({ status: "failed", body: null });
  });

  it("retries after a 5xx (the message waits in the queue, the job backs off) and sends it once", async () => {
    const { message, code } = await requested();
    sms.failNext({ kind: 503 });
    await runJobsOnce(db, taskList);
    expect(sms.outbox()).toHaveLength(0);
    expect(await messageRow(message.id)).toMatchObject({ status: "queued", provider_sid: null });
    expect((await messageRow(message.id)).body).toContain(code);
    expect((await messageRow(message.id)).error).toMatch(/Twilio 503/);
    const job = await jobOf(message.id);
    expect(job.attempts).toBe(1);
    expect(job.last_error).toMatch(/Twilio 503/);
    await dueNow();
    await runJobsOnce(db, taskList);
    expect(sms.outbox()).toHaveLength(1);
    expect(await messageRow(message.id)).toMatchObject({ status: "sent", body: null, error: null });
    expect(await jobOf(message.id)).toBeUndefined();
  });

  it("retries when the provider cannot be reached", async () => {
    const { message } = await requested();
    const down = twilioProvider({ ...LOCAL_TWILIO, baseUrl: "http://127.0.0.1:9" });
    await runJobsOnce(db, makeTaskList({ sms: () => down }));
    expect(await messageRow(message.id)).toMatchObject({ status: "queued" });
    expect((await jobOf(message.id)).attempts).toBe(1);
    await dueNow();
    await runJobsOnce(db, taskList);
    expect(sms.outbox()).toHaveLength(1);
  });

  it("stops for good on a 4xx (Twilio 21211, invalid To): failed, text blanked, no retry", async () => {
    const { message } = await requested();
    await db.owner.query("update app_private.sms_messages set to_phone = '+0123' where id = $1", [message.id]);
    await runJobsOnce(db, taskList);
    expect(sms.outbox()).toHaveLength(0);
    const row = await messageRow(message.id);
    expect(row).toMatchObject({ status: "failed", body: null });
    expect(row.error).toMatch(/Twilio 400 \(21211\): The 'To' number \+0123 is not a valid phone number\./);
    expect(await jobOf(message.id)).toBeUndefined();
    await sendAgain(shop.tenantId, message.id);
    await runJobsOnce(db, taskList);
    expect(sms.requests()).toBe(1);
  });

  it("does not send a code that expired while it waited", async () => {
    const { message } = await requested();
    await db.owner.query("update app_private.phone_codes set expires_at = now() - interval '1 second' where id = $1", [message.phone_code_id]);
    await runJobsOnce(db, taskList);
    expect(sms.requests()).toBe(0);
    expect(await messageRow(message.id)).toMatchObject({ status: "failed", body: null, error: "The code expired before it could be sent." });
  });
});

describe("delete_expired_phone_codes (cron)", () => {
  it("deletes the codes expired more than an hour ago, and keeps the others", async () => {
    const old = await requested();
    const recent = await requested();
    await runJobsOnce(db, taskList);
    await db.owner.query("update app_private.phone_codes set expires_at = now() - interval '61 minutes' where id = $1", [old.message.phone_code_id]);
    await db.owner.query("update app_private.phone_codes set expires_at = now() - interval '59 minutes' where id = $1", [recent.message.phone_code_id]);
    await db.owner.query("select graphile_worker.add_job('delete_expired_phone_codes', '{}'::json)");
    await runJobsOnce(db, taskList);
    const { rows } = await db.owner.query("select id from app_private.phone_codes where id = any($1)", [[old.message.phone_code_id, recent.message.phone_code_id]]);
    expect(rows.map((r) => r.id)).toEqual([recent.message.phone_code_id]);
    expect(await messageRow(old.message.id)).toBeUndefined();
    const run = await db.owner.query("select outcome, rows_affected::int as rows from app_private.job_runs where task = 'delete_expired_phone_codes' order by started_at desc limit 1");
    expect(run.rows[0]).toMatchObject({ outcome: "succeeded" });
    expect(run.rows[0].rows).toBeGreaterThanOrEqual(1);
  });
});
