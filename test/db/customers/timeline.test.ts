// The customer timeline as pages: newest first, 50 (at most 100) a page through a cursor that
// loses nothing and repeats nothing, even across entries of the same instant; filters by kind and
// by time; every entry at the time it happened (an order at placed_at, a call when it was made);
// calls, emails and meetings logged by staff (customers.update, audited, checked); and a page
// stays fast at a customer with thousands of entries.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { auditOf, createCustomer, mergeCustomers, openShop, placeOrder, type Shop } from "./helpers.ts";
import type { Actor } from "../../helpers/db.ts";

let db: TestDatabase;
let shop: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db);
});
afterAll(async () => {
  await db?.drop();
});

interface Entry {
  occurred_at: Date;
  kind: string;
  summary: string;
  actor_name: string | null;
  subject_id: string;
  cursor: string;
}

async function page(actor: Actor, customerId: string, opts: { kinds?: string[]; since?: string; until?: string; olderThan?: string } = {}) {
  const { rows } = await actor.query<Entry>(
    `select t.* from app_public.customers c,
       app_public.customers_timeline(c, kinds => $2, since => $3, until => $4, older_than => $5) t
     where c.id = $1 limit 50`,
    [customerId, opts.kinds ?? null, opts.since ?? null, opts.until ?? null, opts.olderThan ?? null],
  );
  return rows;
}

/** Every entry, 50 a page as the admin reads them. */
async function allPages(actor: Actor, customerId: string, opts: { kinds?: string[] } = {}) {
  const seen: Entry[] = [];
  for (let olderThan: string | undefined, n = 0; n < 100; n++) {
    const rows = await page(actor, customerId, { ...opts, olderThan });
    seen.push(...rows);
    if (rows.length < 50) return seen;
    olderThan = rows.at(-1)!.cursor;
  }
  throw new Error("too many pages");
}

const logActivity = (actor: Actor, customerId: string, kind: string, note: string, occurredAt?: string) =>
  actor.query("insert into app_public.customer_interactions (customer_id, kind, note, occurred_at) values ($1, $2, $3, $4) returning *", [
    customerId, kind, note, occurredAt ?? null,
  ]);

describe("logging a call, an email or a meeting", () => {
  it("needs customers.update like a note, is audited with its author, and is checked", async () => {
    const c = await createCustomer(shop.cashier, { first_name: "Cal" });
    const { rows } = await logActivity(shop.manager, c.id, " Call ", "Asked about the wholesale price", "2026-01-05T10:00:00Z");
    expect(rows[0]).toMatchObject({ kind: "call", note: "Asked about the wholesale price" });
    expect(rows[0].occurred_at.toISOString()).toBe("2026-01-05T10:00:00.000Z");
    const audit = await auditOf(db, "customer_interactions", rows[0].id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "insert" });

    // Now unless given; not in the future; a known kind; a note.
    const now = await logActivity(shop.manager, c.id, "email", "Sent the price list");
    expect(Math.abs(now.rows[0].occurred_at.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await sqlState(() => logActivity(shop.manager, c.id, "fax", "Sent a fax"))).toBe("BADIN");
    expect(await sqlState(() => logActivity(shop.manager, c.id, "call", "   "))).toBe("BADIN");
    expect(await sqlState(() => logActivity(shop.manager, c.id, "meeting", "Later", "2099-01-01T00:00:00Z"))).toBe("BADIN");
    // A cashier may read the timeline but not log (as for notes); nobody may edit or delete a logged one.
    expect(await sqlState(() => logActivity(shop.cashier, c.id, "call", "Hello"))).toBe("42501");
    expect(await sqlState(() => shop.manager.query("update app_public.customer_interactions set note = 'x'"))).toBe("42501");
    expect(await sqlState(() => shop.manager.query("delete from app_public.customer_interactions"))).toBe("42501");
  });

  it("another business can neither see nor log against the customer", async () => {
    const other = await openShop(db, { company: "Other" });
    const c = await createCustomer(shop.cashier, { first_name: "Private" });
    await logActivity(shop.manager, c.id, "meeting", "Met at the fair");
    expect((await other.owner.query("select * from app_public.customer_interactions")).rows).toEqual([]);
    expect(await sqlState(() => logActivity(other.owner, c.id, "call", "Hi"))).toBe("NOTFD");
    expect(await page(other.owner, c.id)).toEqual([]);
  });

  it("go when the customer's personal data is erased, and their notes leave the audit trail", async () => {
    const c = await createCustomer(shop.cashier, { first_name: "Erin" });
    const { rows } = await logActivity(shop.manager, c.id, "call", "Erin's new address is 5 Elm St");
    await shop.owner.query("select app_public.erase_customer($1, 'Asked by email')", [c.id]);
    expect((await shop.owner.query("select * from app_public.customer_interactions where customer_id = $1", [c.id])).rows).toEqual([]);
    const audit = await auditOf(db, "customer_interactions", rows[0].id);
    expect(JSON.stringify(audit)).not.toContain("Elm St");
  });
});

describe("the timeline", () => {
  it("tells each thing at the time it happened: an imported sale at placed_at, a call when it was made", async () => {
    const c = await createCustomer(shop.cashier, { first_name: "Tess" });
    await placeOrder(shop.owner, shop, c.id, { placedAt: "2025-12-04T09:30:00Z" });
    await logActivity(shop.manager, c.id, "call", "Called back about the order", "2025-12-04T11:00:00Z");
    const rows = await page(shop.cashier, c.id);
    expect(rows.map((r) => [r.kind, r.summary, r.occurred_at.toISOString()])).toEqual([
      ["created", `Customer ${c.customer_number} created`, expect.any(String)],
      ["call", "Call: Called back about the order", "2025-12-04T11:00:00.000Z"],
      ["order_placed", "Order of 10.00 USD placed", "2025-12-04T09:30:00.000Z"],
    ]);
    expect(rows[1].actor_name).toBe("A manager");
  });

  it("pages newest first by cursor without losing or repeating an entry, across entries of the same instant", async () => {
    const c = await createCustomer(shop.cashier, { first_name: "Paige" });
    // 130 calls at distinct times, and 60 emails logged in one statement (one instant).
    await shop.manager.query(
      `insert into app_public.customer_interactions (customer_id, kind, note, occurred_at)
       select $1, 'call', 'Call ' || g, now() - g * interval '1 minute' from generate_series(1, 130) g`,
      [c.id],
    );
    await shop.manager.query(
      `insert into app_public.customer_interactions (customer_id, kind, note, occurred_at)
       select $1, 'email', 'Email ' || g, timestamptz '2026-06-01 12:00:00+00' from generate_series(1, 60) g`,
      [c.id],
    );
    const whole = (await db.owner.query("select * from app_private.customer_timeline($1, $2)", [shop.tenantId, c.id])).rows;
    expect(whole).toHaveLength(191);
    const paged = await allPages(shop.cashier, c.id);
    expect(paged.map((r) => r.summary)).toEqual(whole.map((r) => r.summary));
    expect(new Set(paged.map((r) => r.cursor)).size).toBe(191);
    // A page is at most 100 entries however many are asked for (and one more, which tells the
    // API's connection there is a next page).
    const big = await shop.cashier.query("select count(*)::int as n from app_public.customers c, app_public.customers_timeline(c) t where c.id = $1", [c.id]);
    expect(big.rows[0].n).toBe(101);
    // A made-up cursor is refused.
    expect(await sqlState(() => page(shop.cashier, c.id, { olderThan: "yesterday" }))).toBe("BADIN");
  });

  it("filters by kind and by a time range [since, until), and pages within a filter", async () => {
    const c = await createCustomer(shop.cashier, { first_name: "Fil" });
    await logActivity(shop.manager, c.id, "call", "Early call", "2026-01-01T09:00:00Z");
    await logActivity(shop.manager, c.id, "meeting", "Meeting", "2026-01-02T09:00:00Z");
    await logActivity(shop.manager, c.id, "call", "Late call", "2026-01-03T09:00:00Z");
    await placeOrder(shop.owner, shop, c.id, { placedAt: "2026-01-02T12:00:00Z" });
    await shop.manager.query("insert into app_public.customer_notes (customer_id, body) values ($1, 'A note')", [c.id]);

    expect((await page(shop.cashier, c.id, { kinds: ["call"] })).map((r) => r.summary)).toEqual(["Call: Late call", "Call: Early call"]);
    expect((await page(shop.cashier, c.id, { kinds: ["order_placed", "meeting"] })).map((r) => r.kind)).toEqual(["order_placed", "meeting"]);
    expect((await page(shop.cashier, c.id, { since: "2026-01-02T00:00:00Z", until: "2026-01-03T00:00:00Z" })).map((r) => r.kind)).toEqual([
      "order_placed",
      "meeting",
    ]);
    // The next page of a filter keeps the filter.
    const first = await page(shop.cashier, c.id, { kinds: ["call", "note"] });
    const after = await page(shop.cashier, c.id, { kinds: ["call", "note"], olderThan: first[0].cursor });
    expect(after.map((r) => r.summary)).toEqual(first.slice(1).map((r) => r.summary));
  });

  it("keeps the calls of a customer merged into this one", async () => {
    const a = await createCustomer(shop.cashier, { first_name: "Mara" });
    const b = await createCustomer(shop.cashier, { first_name: "Mara", last_name: "Dup" });
    await logActivity(shop.manager, b.id, "call", "Talked to the duplicate", "2026-02-01T10:00:00Z");
    await mergeCustomers(shop.manager, a.id, b.id);
    expect((await page(shop.cashier, a.id, { kinds: ["call"] })).map((r) => r.summary)).toEqual(["Call: Talked to the duplicate"]);
  });

  it("a page is fast at a customer with thousands of entries", async () => {
    const c = await createCustomer(shop.cashier, { first_name: "Busy" });
    await shop.manager.query(
      `insert into app_public.customer_interactions (customer_id, kind, note, occurred_at)
       select $1, (array['call', 'email', 'meeting'])[1 + g % 3], 'Activity ' || g, now() - g * interval '7 minutes'
       from generate_series(1, 4000) g`,
      [c.id],
    );
    await shop.manager.query(
      `insert into app_public.customer_notes (customer_id, body) select $1, 'Note ' || g from generate_series(1, 2000) g`,
      [c.id],
    );
    await db.owner.query("analyze app_public.customer_interactions; analyze app_public.customer_notes");
    // Rows a page reads from each source, counted by PostgreSQL in the page's own transaction:
    // about a page's worth through the (customer, time) indexes, not the 4000 activities and 2000
    // notes to sort them all.
    const readFor = (opts: Parameters<typeof page>[2]) =>
      shop.cashier.transaction(async (client) => {
        const { rows } = await client.query(
          `select t.* from app_public.customers c,
             app_public.customers_timeline(c, kinds => $2, older_than => $3) t where c.id = $1 limit 50`,
          [c.id, opts?.kinds ?? null, opts?.olderThan ?? null],
        );
        const read = await client.query(
          `select pg_stat_get_xact_tuples_fetched('app_public.customer_interactions'::regclass)::int as activities,
                  pg_stat_get_xact_tuples_fetched('app_public.customer_notes'::regclass)::int as notes`,
        );
        return { rows: rows as Entry[], ...read.rows[0] };
      });
    const first = await readFor({});
    expect(first.rows).toHaveLength(50);
    expect(first.activities).toBeLessThanOrEqual(110);
    expect(first.notes).toBeLessThanOrEqual(110);
    let cursor = first.rows.at(-1)!.cursor;
    for (let n = 0; n < 20; n++) cursor = (await page(shop.cashier, c.id, { olderThan: cursor })).at(-1)!.cursor;
    const deep = await readFor({ olderThan: cursor });
    expect(deep.rows).toHaveLength(50);
    expect(deep.activities).toBeLessThanOrEqual(110);
    expect(deep.notes).toBeLessThanOrEqual(110);
    // Meetings are a third of the activities: a page of them reads about three pages of activities.
    const meetings = await readFor({ kinds: ["meeting"], olderThan: cursor });
    expect(meetings.rows.map((r: Entry) => r.kind)).toEqual(Array(50).fill("meeting"));
    expect(meetings.activities).toBeLessThanOrEqual(330);
    expect(meetings.notes).toBe(0);
  });
});
