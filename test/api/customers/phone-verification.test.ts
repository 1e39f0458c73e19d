// Phone verification over GraphQL, through the real server: requestPhoneCode answers where the
// code went and when another may be asked; its refusals come back coded (OTPSN, DNIED);
// verifyPhoneCode answers a wrong code in its payload (errorCode OTPWR, attemptsLeft) — the try
// commits — and a right one verifies the phone; and the development route /dev/sms-messages lists
// the local stand-in's outbox, only messages to the business's own customers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSmsLocal, type SmsLocalServer } from "../../../sms-local/server.ts";
import { LOCAL_TWILIO, twilioProvider } from "../../../worker/sms/provider.ts";
import { makeTaskList } from "../../../worker/tasks/index.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { startTestServer, type HttpClient, type TestServer } from "../../helpers/server.ts";
import { runJobsOnce } from "../../helpers/worker.ts";
import { createCustomer, openShop, type Shop } from "../../db/customers/helpers.ts";

let db: TestDatabase;
let sms: SmsLocalServer;
let server: TestServer;
let a: Shop, b: Shop;
let asManager: HttpClient, asCashier: HttpClient, asB: HttpClient;

beforeAll(async () => {
  db = await createTestDatabase();
  sms = await startSmsLocal();
  server = await startTestServer(db, { development: true, smsLocalUrl: sms.url });
  a = await openShop(db, { company: "Alpha" });
  b = await openShop(db, { company: "Bravo" });
  await db.owner.query("delete from graphile_worker._private_jobs");
  asManager = server.client();
  asCashier = server.client();
  asB = server.client();
  await asManager.login(a.manager.email, a.manager.password);
  await asCashier.login(a.cashier.email, a.cashier.password);
  await asB.login(b.owner.email, b.owner.password);
});
afterAll(async () => {
  await server?.close();
  await sms?.close();
  await db?.drop();
});

const REQUEST = `mutation($id: String!) { requestPhoneCode(input: { customerId: $id }) { request { customerId sentTo expiresAt resendAfter } } }`;
const VERIFY = `mutation($id: String!, $code: String!) { verifyPhoneCode(input: { customerId: $id, code: $code }) { check { customerId verified errorCode message attemptsLeft } } }`;
const CUSTOMER = `query($id: String!) { customerByRowId(rowId: $id) { phoneVerifiedAt stage } }`;

describe("requestPhoneCode / verifyPhoneCode", () => {
  it("sends, refuses a wrong code in the payload, verifies with the right one; lists the message in development", async () => {
    const c = await createCustomer(a.manager, { first_name: "Gil", phone: "+96891112233", email: "gil@example.com" });
    const sent = await asManager.graphql(REQUEST, { id: c.id });
    expect(sent.errors).toBeUndefined();
    const r = sent.data.requestPhoneCode.request;
    expect(r).toMatchObject({ customerId: c.id, sentTo: "+96891112233" });
    expect(new Date(r.resendAfter).getTime() - Date.now()).toBeGreaterThan(50_000);

    const again = await asManager.graphql(REQUEST, { id: c.id });
    expect(again.errors?.[0].extensions?.code).toBe("OTPSN");
    expect(again.errors?.[0].message).toMatch(/^A code was sent to \+96891112233 less than a minute ago: wait \d+ seconds/);
    // The till's cashier may ask too (customers.create), and the wait is the phone's, whoever asks.
    expect((await asCashier.graphql(REQUEST, { id: c.id })).errors?.[0].extensions?.code).toBe("OTPSN");
    expect((await asB.graphql(REQUEST, { id: c.id })).errors?.[0].extensions?.code).toBe("NOTFD");

    const provider = twilioProvider({ ...LOCAL_TWILIO, baseUrl: sms.url });
    await runJobsOnce(db, makeTaskList({ sms: () => provider }));
    const outbox = await asManager.request("/dev/sms-messages");
    expect(outbox.status).toBe(200);
    const { messages } = (await outbox.json()) as { messages: { to: string; body: string; customerId: string; customerName: string }[] };
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ to: "+96891112233", customerId: c.id, customerName: "Gil" });
    const code = /\b(\d{6})\b/.exec(messages[0].body)![1];
    // Another business sees none of it; nobody signed out does.
    expect((await (await asB.request("/dev/sms-messages")).json()).messages).toEqual([]);
    expect((await server.client().request("/dev/sms-messages")).status).toBe(401);

    const wrong = await asManager.graphql(VERIFY, { id: c.id, code: String((Number(code) + 1) % 1_000_000).padStart(6, "0") });
    expect(wrong.errors).toBeUndefined();
    expect(wrong.data.verifyPhoneCode.check).toEqual({ customerId: c.id, verified: false, errorCode: "OTPWR", message: "Wrong code: 2 tries left.", attemptsLeft: 2 });
    const right = await asManager.graphql(VERIFY, { id: c.id, code });
    expect(right.data.verifyPhoneCode.check).toMatchObject({ verified: true, errorCode: null });
    const after = await asManager.graphql(CUSTOMER, { id: c.id });
    expect(after.data.customerByRowId.phoneVerifiedAt).not.toBeNull();
    expect(after.data.customerByRowId.stage).toBe("full");
  });

  it("the outbox route is not there in production", async () => {
    const prod = await startTestServer(db, { development: false, smsLocalUrl: sms.url });
    try {
      const client = prod.client();
      await client.login(a.manager.email, a.manager.password);
      expect((await client.request("/dev/sms-messages")).status).toBe(404);
    } finally {
      await prod.close();
    }
  });
});
