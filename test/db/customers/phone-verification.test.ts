// Phone verification by one-time code (customers/426-phone-verification.sql), as the API role:
// a code is asked, arrives hashed in the database and in clear only in the SMS outbox row, and is
// checked with its rules — 5 minutes, 3 tries (counted although a wrong code is refused),
// 60 seconds between codes to one phone, a cap per business and hour — and verifying makes a stub
// with an email full. The clock is moved by moving the stored times back (owner connection).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type Actor, type TestDatabase } from "../../helpers/db.ts";
import { tablesHolding } from "../../helpers/scan.ts";
import { auditOf, createCustomer, customerRow, openShop, updateCustomer, type Shop } from "./helpers.ts";

let db: TestDatabase;
let shop: Shop;
let phoneCounter = 0;
const newPhone = () => `+9689${String(1000000 + ++phoneCounter * 7919).slice(-7)}`;

beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db);
});
afterAll(() => db?.drop());

async function request(actor: Actor, customerId: string) {
  const { rows } = await actor.query("select * from app_public.request_phone_code($1)", [customerId]);
  return rows[0] as { customer_id: string; sent_to: string; expires_at: Date; resend_after: Date };
}

async function verify(actor: Actor, customerId: string, code: string) {
  const { rows } = await actor.query("select * from app_public.verify_phone_code($1, $2)", [customerId, code]);
  return rows[0] as { customer_id: string; verified: boolean; error_code: string | null; message: string; attempts_left: number | null };
}

/** The code in clear, as only the worker reads it: from the message waiting in the outbox. */
async function sentCode(customerId: string): Promise<string> {
  const { rows } = await db.owner.query(
    `select m.body from app_private.sms_messages m join app_private.phone_codes p on p.tenant_id = m.tenant_id and p.id = m.phone_code_id
     where p.customer_id = $1 order by p.created_at desc, p.id desc limit 1`,
    [customerId],
  );
  return /\b(\d{6})\b/.exec(rows[0].body)![1];
}

const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

async function stub(fields: { email?: string | null } = {}) {
  return createCustomer(shop.manager, { first_name: "Ann", last_name: "Lee", phone: newPhone(), email: fields.email ?? null });
}

describe("request_phone_code", () => {
  it("keeps only a bcrypt hash of the code, puts the text in the outbox and queues one send_sms job for it", async () => {
    const c = await stub();
    const r = await request(shop.manager, c.id);
    expect(r.sent_to).toBe(c.phone);
    expect(r.expires_at.getTime() - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(r.expires_at.getTime() - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    const code = await sentCode(c.id);
    const { rows: codes } = await db.owner.query("select * from app_private.phone_codes where customer_id = $1", [c.id]);
    expect(codes).toHaveLength(1);
    expect(codes[0].code_hash).toMatch(/^\$2a\$/);
    expect(codes[0].code_hash).not.toContain(code);
    const { rows: ok } = await db.owner.query("select crypt($1, $2) = $2 as ok", [code, codes[0].code_hash]);
    expect(ok[0].ok).toBe(true);
    const { rows: msgs } = await db.owner.query("select * from app_private.sms_messages where phone_code_id = $1", [codes[0].id]);
    expect(msgs).toMatchObject([{ status: "queued", to_phone: c.phone }]);
    expect(msgs[0].body).toMatch(/verification code is \d{6}\. It expires in 5 minutes\./);
    const { rows: jobs } = await db.owner.query(
      `select t.identifier as task_identifier, j.payload, j.key, j.max_attempts from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id where j.key = $1`,
      [`send_sms:${msgs[0].id}`],
    );
    expect(jobs).toEqual([{ task_identifier: "send_sms", payload: { tenantId: shop.tenantId, messageId: msgs[0].id }, key: `send_sms:${msgs[0].id}`, max_attempts: 5 }]);
  });

  it("draws 6 digits from the CSPRNG, every value possible (leading zeros kept)", async () => {
    const { rows } = await db.owner.query("select app_private.new_phone_code() as c from generate_series(1, 3000)");
    const codes = rows.map((r) => r.c as string);
    expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true);
    // 3000 draws out of a million: a handful of repeats at most, and about 10% start with a 0.
    expect(new Set(codes).size).toBeGreaterThan(2980);
    expect(codes.filter((c) => c.startsWith("0")).length).toBeGreaterThan(200);
  });

  it("is audited (the request, without the hash)", async () => {
    const c = await stub();
    await request(shop.manager, c.id);
    const { rows } = await db.owner.query(
      "select a.action, a.actor_user_id, a.command, a.changes from app_public.audit_entries a join app_private.phone_codes p on p.id = a.entity_id where a.entity = 'phone_codes' and p.customer_id = $1",
      [c.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: "insert", actor_user_id: shop.manager.userId, command: "request_phone_code" });
    expect(rows[0].changes.customer_id.new).toBe(c.id);
    expect(rows[0].changes).not.toHaveProperty("code_hash");
  });

  it("waits 60 seconds between two codes to one phone (OTPSN), not for another phone", async () => {
    const c = await stub();
    await request(shop.manager, c.id);
    expect(await sqlState(() => request(shop.manager, c.id))).toBe("OTPSN");
    await request(shop.manager, (await stub()).id);
    await db.owner.query("update app_private.phone_codes set created_at = created_at - interval '61 seconds' where customer_id = $1", [c.id]);
    await request(shop.manager, c.id);
    const { rows } = await db.owner.query("select count(*)::int as n from app_private.phone_codes where customer_id = $1", [c.id]);
    expect(rows[0].n).toBe(2);
  });

  it("refuses a customer without a phone (OTPNP), one already verified (OTPVD), another business's (NOTFD), a member who may neither add nor change customers (DNIED)", async () => {
    const noPhone = await createCustomer(shop.manager, { first_name: "Nope", email: "nope@example.com" });
    expect(await sqlState(() => request(shop.manager, noPhone.id))).toBe("OTPNP");
    const c = await stub();
    await request(shop.manager, c.id);
    expect((await verify(shop.manager, c.id, await sentCode(c.id))).verified).toBe(true);
    expect(await sqlState(() => request(shop.manager, c.id))).toBe("OTPVD");
    expect(await sqlState(() => verify(shop.manager, c.id, "123456"))).toBe("OTPVD");
    const other = await openShop(db);
    const mine = await stub();
    expect(await sqlState(() => request(other.manager, mine.id))).toBe("NOTFD");
    // The till's cashier (customers.create) verifies a customer's phone at the counter; a member with neither permission may not.
    expect((await request(shop.cashier, mine.id)).sent_to).toBeTruthy();
    await db.owner.query("update app_public.roles set permissions = array['sales.sell', 'customers.view'] where tenant_id = $1 and key = 'cashier'", [other.tenantId]);
    const theirs = await createCustomer(other.manager, { first_name: "Theo", phone: newPhone() });
    expect(await sqlState(() => request(other.cashier, theirs.id))).toBe("DNIED");
    expect(await sqlState(() => verify(other.cashier, theirs.id, "123456"))).toBe("DNIED");
  });

  it("caps a business at 200 codes an hour (OTPCP); another business is not affected", async () => {
    const busy = await openShop(db);
    const other = await openShop(db);
    const filler = await createCustomer(busy.manager, { first_name: "Fill", phone: newPhone() });
    await db.owner.query(
      `insert into app_private.phone_codes (tenant_id, customer_id, phone, code_hash, expires_at, created_at)
       select $1, $2, '+1555' || lpad(g::text, 7, '0'), 'x', now() - interval '50 minutes', now() - interval '55 minutes'
       from generate_series(1, 200) g`,
      [busy.tenantId, filler.id],
    );
    const c = await createCustomer(busy.manager, { first_name: "Capped", phone: newPhone() });
    expect(await sqlState(() => request(busy.manager, c.id))).toBe("OTPCP");
    await request(other.manager, (await createCustomer(other.manager, { first_name: "Free", phone: newPhone() })).id);
    // An hour after those codes, the business may send again.
    await db.owner.query("update app_private.phone_codes set created_at = created_at - interval '6 minutes' where tenant_id = $1", [busy.tenantId]);
    await request(busy.manager, c.id);
  });
});

describe("verify_phone_code", () => {
  it("verifies the phone with the right code: a stub with an email becomes full, audited and told", async () => {
    const c = await stub({ email: `ann.${Date.now()}@example.com` });
    expect(c.stage).toBe("stub");
    await request(shop.manager, c.id);
    const r = await verify(shop.manager, c.id, ` ${await sentCode(c.id)} `);
    expect(r).toMatchObject({ verified: true, error_code: null, attempts_left: null });
    const row = await customerRow(db, c.id);
    expect(row.phone_verified_at).not.toBeNull();
    expect(row.stage).toBe("full");
    const audit = await db.owner.query(
      "select command, actor_user_id, changes from app_public.audit_entries where entity = 'customers' and entity_id = $1 and command = 'verify_phone_code'",
      [c.id],
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].actor_user_id).toBe(shop.manager.userId);
    expect(Object.keys(audit.rows[0].changes)).toEqual(expect.arrayContaining(["phone_verified_at", "stage"]));
    const { rows: events } = await db.owner.query(
      "select payload from app_private.events where aggregate_id = $1 and type = 'customer.updated.v1' order by id desc limit 1",
      [c.id],
    );
    expect(events[0].payload.changes.stage).toEqual({ old: "stub", new: "full" });
    // The code is used: it does not verify twice (and a new phone starts over).
    await updateCustomer(shop.manager, c.id, { phone: newPhone() });
    expect((await customerRow(db, c.id)).phone_verified_at).toBeNull();
    expect(await sqlState(() => verify(shop.manager, c.id, "000000"))).toBe("OTPNC");
  });

  it("counts wrong codes although they are refused: 3 wrong tries kill the code (OTPWR, then OTPMX)", async () => {
    const c = await stub();
    await request(shop.manager, c.id);
    const code = await sentCode(c.id);
    expect(await verify(shop.manager, c.id, wrong(code))).toMatchObject({ verified: false, error_code: "OTPWR", attempts_left: 2, message: "Wrong code: 2 tries left." });
    expect(await verify(shop.manager, c.id, wrong(code))).toMatchObject({ verified: false, error_code: "OTPWR", attempts_left: 1, message: "Wrong code: 1 try left." });
    expect(await verify(shop.manager, c.id, wrong(code))).toMatchObject({ verified: false, error_code: "OTPMX", attempts_left: 0 });
    // Dead: even the right code is refused now.
    expect(await sqlState(() => verify(shop.manager, c.id, code))).toBe("OTPMX");
    const { rows } = await db.owner.query("select attempts, verified_at from app_private.phone_codes where customer_id = $1", [c.id]);
    expect(rows).toEqual([{ attempts: 3, verified_at: null }]);
    expect((await customerRow(db, c.id)).phone_verified_at).toBeNull();
    // Each wrong try is in the audit trail.
    const pc = await db.owner.query("select id from app_private.phone_codes where customer_id = $1", [c.id]);
    const audit = await auditOf(db, "phone_codes", pc.rows[0].id);
    expect(audit.map((a) => a.changes.attempts?.new ?? null)).toEqual([0, 1, 2, 3]);
    // A new code (after the cooldown) starts over.
    await db.owner.query("update app_private.phone_codes set created_at = created_at - interval '61 seconds' where customer_id = $1", [c.id]);
    await request(shop.manager, c.id);
    expect((await verify(shop.manager, c.id, await sentCode(c.id))).verified).toBe(true);
  });

  it("refuses an expired code (OTPEX) without counting a try", async () => {
    const c = await stub();
    await request(shop.manager, c.id);
    const code = await sentCode(c.id);
    await db.owner.query("update app_private.phone_codes set created_at = created_at - interval '5 minutes', expires_at = expires_at - interval '5 minutes' where customer_id = $1", [c.id]);
    expect(await sqlState(() => verify(shop.manager, c.id, code))).toBe("OTPEX");
    const { rows } = await db.owner.query("select attempts from app_private.phone_codes where customer_id = $1", [c.id]);
    expect(rows[0].attempts).toBe(0);
  });

  it("checks only the latest code sent to the current phone", async () => {
    const c = await stub();
    await request(shop.manager, c.id);
    const first = await sentCode(c.id);
    await db.owner.query("update app_private.phone_codes set created_at = created_at - interval '61 seconds' where customer_id = $1", [c.id]);
    await request(shop.manager, c.id);
    const second = await sentCode(c.id);
    if (first !== second) expect((await verify(shop.manager, c.id, first)).error_code).toBe("OTPWR");
    expect((await verify(shop.manager, c.id, second)).verified).toBe(true);
  });

  it("refuses what is not 6 digits (BADIN) and a customer with no code sent (OTPNC)", async () => {
    const c = await stub();
    expect(await sqlState(() => verify(shop.manager, c.id, "123456"))).toBe("OTPNC");
    await request(shop.manager, c.id);
    expect(await sqlState(() => verify(shop.manager, c.id, "12345"))).toBe("BADIN");
    expect(await sqlState(() => verify(shop.manager, c.id, "abcdef"))).toBe("BADIN");
    const { rows } = await db.owner.query("select attempts from app_private.phone_codes where customer_id = $1", [c.id]);
    expect(rows[0].attempts).toBe(0);
  });
});

describe("where the code is", () => {
  it("the API role can read neither the codes nor the outbox", async () => {
    expect(await sqlState(() => shop.owner.query("select * from app_private.phone_codes"))).toBe("42501");
    expect(await sqlState(() => shop.owner.query("select * from app_private.sms_messages"))).toBe("42501");
    expect(await sqlState(() => shop.owner.query("select app_private.claim_sms($1, $2)", [shop.tenantId, "x"]))).toBe("42501");
  });

  it("is in no table in clear but the outbox row waiting to be sent", async () => {
    const c = await stub();
    await request(shop.manager, c.id);
    const code = await sentCode(c.id);
    expect(await tablesHolding(db, code)).toEqual(["app_private.sms_messages"]);
  });
});

describe("erasure", () => {
  it("deletes an erased customer's codes and messages at once (they hold the phone)", async () => {
    const c = await stub();
    await request(shop.manager, c.id);
    await shop.owner.query("select * from app_public.erase_customer($1, $2)", [c.id, "Asked by email"]);
    const left = await db.owner.query(
      "select (select count(*)::int from app_private.phone_codes where customer_id = $1) as codes, (select count(*)::int from app_private.sms_messages where to_phone = $2) as messages",
      [c.id, c.phone],
    );
    expect(left.rows[0]).toEqual({ codes: 0, messages: 0 });
  });
});

describe("delete_expired_phone_codes", () => {
  it("deletes codes an hour after they expired, with their messages", async () => {
    const c = await stub();
    await request(shop.manager, c.id);
    await db.owner.query("update app_private.phone_codes set expires_at = now() - interval '59 minutes' where customer_id = $1", [c.id]);
    const before = await db.owner.query("select app_private.delete_expired_phone_codes() as n");
    const kept = await db.owner.query("select count(*)::int as n from app_private.phone_codes where customer_id = $1", [c.id]);
    expect(kept.rows[0].n).toBe(1);
    await db.owner.query("update app_private.phone_codes set expires_at = now() - interval '61 minutes' where customer_id = $1", [c.id]);
    const { rows } = await db.owner.query("select app_private.delete_expired_phone_codes() as n");
    expect(rows[0].n).toBeGreaterThanOrEqual(1);
    expect(before.rows[0].n).toBeGreaterThanOrEqual(0);
    const left = await db.owner.query(
      "select (select count(*)::int from app_private.phone_codes where customer_id = $1) as codes, (select count(*)::int from app_private.sms_messages where to_phone = $2) as messages",
      [c.id, c.phone],
    );
    expect(left.rows[0]).toEqual({ codes: 0, messages: 0 });
  });
});
