// Concurrency across modules (issue 8, item 3): many real connections at once, each signed in as
// a member, doing what tills and back-office staff do at the same time to the same rows. After
// every burst the figures must be exact — customer counters, the sales read models, stock — and
// equal both to sums taken straight from the sales tables and to what a rebuild from the event
// log gives; merges that cross or chain must neither deadlock nor lose a customer or a visit;
// one Stripe event delivered many times at once is applied once; and racing creates with the same
// email or phone get our DUPEM / DUPPH, never PostgreSQL's raw 23505.
//
// Every connection runs with a statement_timeout, so a deadlock that PostgreSQL did not break, or
// a lock wait that never ends, fails the test (57014) instead of hanging it.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roles } from "../../db/config.ts";
import type { Member } from "../helpers/db.ts";
import { startTestWorker } from "../helpers/worker.ts";
import { outcome, customersWithStats } from "../db/customers/helpers.ts";
import {
  fold,
  groundTruth,
  line,
  openReportingShop,
  queued,
  readModels,
  readModelsAsTruth,
  type ReportingShop,
} from "../db/reporting/helpers.ts";
import { onHand } from "../db/sales/shop.ts";
import { signed, silentLogger, startBillingHarness, type BillingHarness } from "../worker/billing/harness.ts";

const TILLS = 12;
const ORDERS_PER_TILL = 10;

let h: BillingHarness;
beforeAll(async () => {
  h = await startBillingHarness();
});
afterAll(() => h?.close());

const opened: pg.Client[] = [];
afterAll(async () => {
  await Promise.all(opened.map((c) => c.end().catch(() => {})));
});

/** A connection of its own, signed in as the member, that gives up on any statement after 20 s. */
async function terminal(member: Member): Promise<pg.Client> {
  const client = new pg.Client(h.db.authUrl);
  await client.connect();
  opened.push(client);
  await client.query(
    "select set_config('role', $1, false), set_config('app.session_id', $2, false), set_config('statement_timeout', '20s', false)",
    [roles.visitor, member.sessionId],
  );
  return client;
}

const endAll = (clients: pg.Client[]) => Promise.all(clients.map((c) => c.end()));

async function createCustomer(member: Member, firstName: string) {
  const { rows } = await member.query("select * from app_public.create_customer(first_name => $1)", [firstName]);
  return rows[0] as { id: string };
}

describe("orders from many tills for the same customer and items", () => {
  let shop: ReportingShop;
  beforeAll(async () => {
    shop = await openReportingShop(h.db, {
      taxRateBps: 825,
      items: [
        { sku: "LATTE", price: 475 },
        { sku: "CROISSANT", price: 375, stock: 1000 },
        { sku: "BAGEL", price: 250, stock: 40 },
      ],
    });
  });

  it(`${TILLS} connections × ${ORDERS_PER_TILL} orders, tenders and voids: counters, read models and stock exact, and equal to a rebuild`, { timeout: 120_000 }, async () => {
    const regular = await createCustomer(shop.manager, "Regular");
    const other = await createCustomer(shop.manager, "Other");
    // Half the tills are cashiers, half managers (who may also void).
    const staff = Array.from({ length: TILLS }, (_, i) => (i % 2 ? shop.manager : shop.cashier));
    const tills = await Promise.all(staff.map((m) => terminal(m)));
    const failures: string[] = [];
    try {
      await Promise.all(
        tills.map(async (t, i) => {
          for (let n = 0; n < ORDERS_PER_TILL; n++) {
            const customer = n % 4 === 3 ? other.id : n % 5 === 4 ? null : regular.id;
            const lines = [line(shop.item.LATTE, 1 + ((i + n) % 3), n % 3 === 0 ? 50 : undefined), line(shop.item.CROISSANT, 1 + (n % 2))];
            if ((i + n) % 4 === 0) lines.push(line(shop.item.BAGEL, 2));
            const result = await outcome(
              (async () => {
                const { rows } = await t.query("select id, total from app_public.place_order($1, $2::jsonb, $3, $4)", [
                  shop.locationId,
                  JSON.stringify(lines),
                  customer,
                  n % 2 ? 25 : 0,
                ]);
                const order = rows[0];
                if (n % 3 !== 2) {
                  await t.query("select app_public.record_tender($1, $2, $3)", [order.id, n % 2 ? "cash" : "card", order.total]);
                } else if (n % 2 === 0) {
                  // One charge in three is not paid: left open, or given up (cancelled).
                  await t.query("select app_public.cancel_order($1, 'Walked away')", [order.id]);
                }
                // A manager voids one order in five of theirs, straight after taking the money.
                if (i % 2 === 1 && n % 5 === 1) await t.query("select app_public.void_order($1, 'Rang up twice')", [order.id]);
              })(),
            );
            if (result !== "ok") failures.push(result);
          }
        }),
      );
    } finally {
      await endAll(tills);
    }
    expect(failures).toEqual([]);

    const db = h.db;
    const orders = await db.owner.query(
      `select count(*) filter (where status = 'placed')::int as placed, count(*) filter (where status = 'voided')::int as voided,
              count(*) filter (where status = 'open')::int as open, count(*) filter (where status = 'cancelled')::int as cancelled
       from app_public.orders where tenant_id = $1`,
      [shop.tenantId],
    );
    // Of each till's 10: n = 2, 8 cancelled, n = 5 open; managers void n = 1 and 6.
    expect(orders.rows[0]).toEqual({ placed: TILLS * (ORDERS_PER_TILL - 3) - (TILLS / 2) * 2, voided: (TILLS / 2) * 2, open: TILLS, cancelled: TILLS * 2 });

    // Customer counters: exactly the standing orders of each customer.
    const counters = await db.owner.query(
      `select c.id, c.total_visits, c.total_spend::bigint as total_spend, c.last_visit_at,
              (select count(*) from app_public.orders o where o.tenant_id = c.tenant_id and o.customer_id = c.id and o.status = 'placed')::int as visits,
              (select coalesce(sum(o.total), 0) from app_public.orders o where o.tenant_id = c.tenant_id and o.customer_id = c.id and o.status = 'placed')::bigint as spend,
              (select max(o.placed_at) from app_public.orders o where o.tenant_id = c.tenant_id and o.customer_id = c.id and o.status = 'placed') as last_visit
       from ${customersWithStats} c where c.tenant_id = $1 order by c.id`,
      [shop.tenantId],
    );
    for (const c of counters.rows) {
      expect({ visits: c.total_visits, spend: c.total_spend, last: c.last_visit_at }).toEqual({ visits: c.visits, spend: c.spend, last: c.last_visit });
    }
    // The regular's row was the hot one: 3 paid orders on each cashier's till, 1 left standing on each manager's.
    expect(counters.rows.find((c) => c.id === regular.id).visits).toBe(24);

    // Stock: on hand is the opening stock less what standing orders took, by the ledger and by the read model.
    const sold = await db.owner.query(
      `select l.catalog_item_id, sum(l.quantity)::int as n from app_public.order_lines l
       join app_public.orders o on o.tenant_id = l.tenant_id and o.id = l.order_id
       where l.tenant_id = $1 and o.status = 'placed' group by 1`,
      [shop.tenantId],
    );
    const soldOf = (id: string) => sold.rows.find((r) => r.catalog_item_id === id)?.n ?? 0;
    expect(await onHand(db, shop.tenantId, shop.stock.CROISSANT, shop.locationId)).toBe(1000 - soldOf(shop.item.CROISSANT));
    expect(await onHand(db, shop.tenantId, shop.stock.BAGEL, shop.locationId)).toBe(40 - soldOf(shop.item.BAGEL));

    // Read models, once whatever is still queued is folded, equal the sales tables...
    await fold(db, shop.tenantId);
    expect(await queued(db, shop.tenantId)).toBe(0);
    const truth = await groundTruth(db, shop.tenantId);
    expect(await readModelsAsTruth(db, shop.tenantId)).toEqual(truth);
    expect(truth.stock.find((s) => s.inventory_item_id === shop.stock.BAGEL).on_hand).toBe(40 - soldOf(shop.item.BAGEL));
    // ...and a rebuild from the event log gives the very same rows, counters included.
    const incremental = await readModels(db, shop.tenantId);
    await db.owner.query("select reporting.rebuild($1)", [shop.tenantId]);
    expect(await readModels(db, shop.tenantId)).toEqual(incremental);
    const before = counters.rows.map((c) => [c.id, c.total_visits, c.total_spend]);
    await db.owner.query("select app_private.rebuild_customer_counters($1)", [shop.tenantId]);
    const after = await db.owner.query(`select id, total_visits, total_spend::bigint as total_spend from ${customersWithStats} x where tenant_id = $1 order by id`, [shop.tenantId]);
    expect(after.rows.map((c) => [c.id, c.total_visits, c.total_spend])).toEqual(before);
  });
});

describe("merges that cross or chain", () => {
  it("crossing pairs (A←B with B←A) and chains (A←B with B←C) at once: no deadlock, no timeout, nobody lost, every visit kept", { timeout: 120_000 }, async () => {
    const shop = await openReportingShop(h.db, { items: [{ sku: "TEA", price: 300 }] });
    const PAIRS = 4;
    const CHAINS = 3;
    const mk = async (name: string, visits: number) => {
      const c = await createCustomer(shop.manager, name);
      for (let v = 0; v < visits; v++) {
        await shop.cashier.query("select app_public.record_tender(o.id, 'card', o.total) from app_public.place_order($1, $2::jsonb, $3) o", [
          shop.locationId,
          JSON.stringify([line(shop.item.TEA, v + 1)]),
          c.id,
        ]);
      }
      return c.id;
    };
    const pairs: string[][] = [];
    for (let p = 0; p < PAIRS; p++) pairs.push([await mk(`A${p}`, 1), await mk(`B${p}`, 2)]);
    const chains: string[][] = [];
    for (let p = 0; p < CHAINS; p++) chains.push([await mk(`X${p}`, 1), await mk(`Y${p}`, 2), await mk(`Z${p}`, 1)]);
    const everyone = [...pairs.flat(), ...chains.flat()];
    const visitsBefore = await h.db.owner.query(
      `select sum(total_visits)::int as v, sum(total_spend)::bigint as s from ${customersWithStats} x where id = any($1)`,
      [everyone],
    );

    const jobs: [string, string][] = [];
    for (const [a, b] of pairs) jobs.push([a, b], [b, a]);
    for (const [x, y, z] of chains) jobs.push([x, y], [y, z]);
    const terms = await Promise.all(jobs.map((_, i) => terminal(i % 2 ? shop.owner : shop.manager)));
    let results: string[];
    try {
      results = await Promise.all(
        jobs.map(([primary, duplicate], i) => outcome(terms[i].query("select app_public.merge_customers($1, $2)", [primary, duplicate]))),
      );
    } finally {
      await endAll(terms);
    }
    // Every merge returned: it either went through or was refused as merged already.
    for (const r of results) expect(["ok", "CMRGD"]).toContain(r);
    for (let p = 0; p < PAIRS; p++) expect([results[2 * p], results[2 * p + 1]].sort()).toEqual(["CMRGD", "ok"]);
    for (let p = 0; p < CHAINS; p++) expect(results[2 * PAIRS + 2 * p]).toBe("ok"); // A←B always finds both live...
    // ...while B←C goes through only when it committed first (then C went to B, and with B to A).

    const { rows } = await h.db.owner.query(
      `select c.id, c.status, c.merged_into_id, app_private.live_customer_id(c.tenant_id, c.id) as live, c.total_visits, c.total_spend::bigint as spend
       from ${customersWithStats} c where c.id = any($1)`,
      [everyone],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const r of rows) {
      // Nobody is lost: each customer is live, or points (directly) at a live one.
      expect(r.live).not.toBeNull();
      if (r.status === "merged") expect(byId.get(r.merged_into_id).status).toBe("active");
      else expect(r.merged_into_id).toBeNull();
      if (r.status === "merged") expect({ visits: r.total_visits, spend: r.spend }).toEqual({ visits: 0, spend: "0" });
    }
    // Counters are conserved, and every order sits with a live customer.
    const live = rows.filter((r) => r.status === "active");
    expect(live.length).toBe(everyone.length - results.filter((r) => r === "ok").length);
    expect(live.reduce((n, r) => n + r.total_visits, 0)).toBe(visitsBefore.rows[0].v);
    expect(String(live.reduce((n, r) => n + Number(r.spend), 0))).toBe(visitsBefore.rows[0].s);
    const stray = await h.db.owner.query(
      `select count(*)::int as n from app_public.orders o join app_public.customers c on c.tenant_id = o.tenant_id and c.id = o.customer_id
       where o.tenant_id = $1 and c.status = 'merged'`,
      [shop.tenantId],
    );
    expect(stray.rows[0].n).toBe(0);
    // One merge record per merged customer, and the customer read model agrees with the tables.
    const merges = await h.db.owner.query("select count(*)::int as n from app_public.customer_merges where tenant_id = $1", [shop.tenantId]);
    expect(merges.rows[0].n).toBe(results.filter((r) => r === "ok").length);
    await fold(h.db, shop.tenantId);
    expect((await readModelsAsTruth(h.db, shop.tenantId)).customers).toEqual((await groundTruth(h.db, shop.tenantId)).customers);
  });
});

describe("creates racing on the same email or phone", () => {
  const RACERS = 16;

  it(`${RACERS} connections create a customer with the same email (written differently): one succeeds, the others get DUPEM`, async () => {
    const shop = await openReportingShop(h.db);
    const terms = await Promise.all(Array.from({ length: RACERS }, (_, i) => terminal(i % 2 ? shop.cashier : shop.manager)));
    const spellings = ["race@example.com", " RACE@example.com", "Race@Example.COM ", "race@EXAMPLE.com"];
    let results: string[];
    try {
      results = await Promise.all(
        terms.map((t, i) => outcome(t.query("select app_public.create_customer(email => $1, first_name => $2)", [spellings[i % 4], `Racer ${i}`]))),
      );
    } finally {
      await endAll(terms);
    }
    expect(results.filter((r) => r === "ok")).toHaveLength(1);
    expect(results.filter((r) => r === "DUPEM")).toHaveLength(RACERS - 1);
    const { rows } = await h.db.owner.query("select email, customer_number from app_public.customers where tenant_id = $1", [shop.tenantId]);
    expect(rows).toEqual([{ email: "race@example.com", customer_number: "CUST-00001" }]);
  });

  it(`${RACERS} connections create a customer with the same phone (national and international forms): one succeeds, the others get DUPPH`, async () => {
    const shop = await openReportingShop(h.db);
    await shop.owner.query("update app_public.tenants set default_country = 'FR'");
    const terms = await Promise.all(Array.from({ length: RACERS }, (_, i) => terminal(i % 2 ? shop.cashier : shop.manager)));
    const spellings = ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "+33 (0)6.12.34.56.78"];
    let results: string[];
    try {
      results = await Promise.all(terms.map((t, i) => outcome(t.query("select app_public.create_customer(phone => $1)", [spellings[i % 4]]))));
    } finally {
      await endAll(terms);
    }
    expect(results.filter((r) => r === "ok")).toHaveLength(1);
    expect(results.filter((r) => r === "DUPPH")).toHaveLength(RACERS - 1);
    const { rows } = await h.db.owner.query("select phone from app_public.customers where tenant_id = $1", [shop.tenantId]);
    expect(rows).toEqual([{ phone: "+33612345678" }]);
  });

  it("racing creates that share an email with some and a phone with others get DUPEM or DUPPH, never a raw 23505", async () => {
    const shop = await openReportingShop(h.db);
    const terms = await Promise.all(Array.from({ length: RACERS }, (_, i) => terminal(i % 2 ? shop.cashier : shop.manager)));
    let results: string[];
    try {
      results = await Promise.all(
        terms.map((t, i) =>
          outcome(
            t.query("select app_public.create_customer(email => $1, phone => $2)", [
              `mixed${i % 3}@example.com`,
              `+1 917 555 01${String(i % 5).padStart(2, "0")}`,
            ]),
          ),
        ),
      );
    } finally {
      await endAll(terms);
    }
    for (const r of results) expect(["ok", "DUPEM", "DUPPH"]).toContain(r);
    const { rows } = await h.db.owner.query("select email, phone, customer_number from app_public.customers where tenant_id = $1 order by customer_number", [shop.tenantId]);
    expect(rows.length).toBe(results.filter((r) => r === "ok").length);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(new Set(rows.map((r) => r.email)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.phone)).size).toBe(rows.length);
    // Refused creates gave their number back: the numbers that exist have no gap.
    expect(rows.map((r) => r.customer_number)).toEqual(rows.map((_, i) => `CUST-${String(i + 1).padStart(5, "0")}`));
  });
});

describe("one Stripe event delivered many times at once", () => {
  it("16 signed POSTs and 4 direct calls at once store it once, queue one job, and a 4-way worker applies it once", { timeout: 120_000 }, async () => {
    const owner = await h.onboard();
    const now = Math.floor(Date.now() / 1000);
    const invoiceId = `in_conc_${now}`;
    const event = {
      id: `evt_conc_${now}_${Math.random().toString(36).slice(2)}`,
      object: "event",
      api_version: "2026-10-28.endive",
      created: now + 60, // newer than anything onboarding stored
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: "invoice.payment_failed",
      data: {
        object: {
          id: invoiceId,
          object: "invoice",
          customer: owner.customerId,
          subscription: owner.subscriptionId,
          parent: { subscription_details: { subscription: owner.subscriptionId, metadata: { tenant_id: owner.tenantId } } },
          status: "open",
          amount_due: 2900,
          amount_paid: 0,
          currency: "usd",
          attempt_count: 1,
          next_payment_attempt: now + 3 * 86400,
          number: "CONC-0001",
          created: now,
          lines: { object: "list", data: [] },
        },
      },
    };
    const body = JSON.stringify(event);
    const posts = Array.from({ length: 16 }, () =>
      fetch(`${h.server.url}/webhooks/stripe`, { method: "POST", headers: signed(body), body }).then(async (r) => ({ status: r.status, body: await r.json() })),
    );
    const direct = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = new pg.Client(h.db.authUrl); // the authenticator, as the webhook route calls it
        await c.connect();
        opened.push(c);
        return c;
      }),
    );
    const calls = direct.map((c) => c.query("select app_hidden.receive_stripe_event($1::jsonb) as stored", [body]).then((r) => r.rows[0].stored as boolean));
    const [answers, stored] = await Promise.all([Promise.all(posts), Promise.all(calls)]);
    await endAll(direct);
    expect(answers.map((a) => a.status)).toEqual(Array(16).fill(200));
    const fresh = answers.filter((a) => a.body.duplicate === false).length + stored.filter(Boolean).length;
    expect(fresh).toBe(1);

    const jobs = await h.db.owner.query("select count(*)::int as n from graphile_worker._private_jobs where payload->>'eventId' = $1", [event.id]);
    expect(jobs.rows[0].n).toBe(1);
    // Extra jobs for the same event, as a retry racing the first attempt would make.
    for (let i = 0; i < 3; i++) {
      await h.db.owner.query("select graphile_worker.add_job('stripe_apply_event', json_build_object('eventId', $1::text))", [event.id]);
    }
    const audited = () =>
      h.db.owner
        .query("select count(*)::int as n from app_public.audit_entries where tenant_id = $1 and entity = 'billing_subscriptions'", [owner.tenantId])
        .then((r) => r.rows[0].n as number);
    const auditBefore = await audited();
    const runner = await startTestWorker(h.db, {
      taskList: { stripe_apply_event: h.taskList.stripe_apply_event },
      concurrency: 4,
      pollInterval: 50,
      logger: silentLogger,
    });
    try {
      for (let i = 0; i < 400; i++) {
        const { rows } = await h.db.owner.query("select count(*)::int as n from graphile_worker._private_jobs where payload->>'eventId' = $1", [event.id]);
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await runner.stop();
    }
    const state = await h.db.owner.query(
      `select (select count(*)::int from app_private.stripe_events where id = $1) as events,
              (select status from app_private.stripe_events where id = $1) as status,
              (select count(*)::int from app_public.billing_notices where stripe_event_id = $1) as notices,
              (select count(*)::int from app_public.billing_invoices where stripe_invoice_id = $2) as invoices,
              (select status from app_public.billing_subscriptions where tenant_id = $3) as subscription,
              (select count(*)::int from graphile_worker._private_jobs where payload->>'eventId' = $1) as jobs_left`,
      [event.id, invoiceId, owner.tenantId],
    );
    expect(state.rows[0]).toEqual({ events: 1, status: "applied", notices: 1, invoices: 1, subscription: "past_due", jobs_left: 0 });
    // The subscription changed once (trialing → past_due): one audit row, not one per job.
    expect((await audited()) - auditBefore).toBe(1);
  });
});
