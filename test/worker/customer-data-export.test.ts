// A customer's data bundle through the worker (app_public.request_customer_data +
// worker/tasks/customer-data-export.ts), run with graphile-worker's runOnce as in production: a zip
// holding customer.json with everything about the customer (profile, merged record, notes,
// addresses, consents, preferences, orders with lines, refunds and payments, timeline, audit
// trail) and the CSV files, and nothing of another customer; chunking that does not change a byte;
// the download route serving it only to members with customers.erase.
import { unzipSync, strFromU8 } from "fflate";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { taskList } from "../../worker/tasks/index.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer } from "../helpers/server.ts";
import { runJobsOnce } from "../helpers/worker.ts";
import { SESSION_COOKIE } from "../../web/server/session.ts";
import { createCustomer, mergeCustomers, openShop, placeOrder, type Shop } from "../db/customers/helpers.ts";
import { csvObjects, parseCsv } from "./reporting/csv.ts";

let db: TestDatabase;
let shop: Shop;
let ann: { id: string; customer_number: string };
let dup: { id: string };
let bob: { id: string };
let annOrders: string[];
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, { country: "US" });
  ann = await createCustomer(shop.manager, {
    first_name: "Ann",
    last_name: "Lee",
    email: "ann.lee@example.com",
    phone: "+1 917 555 0142",
    notes: "Loves oat milk",
    tags: ["regular"],
    marketing_consent: true,
    marketing_consent_source: "pos",
  });
  dup = await createCustomer(shop.manager, { first_name: "Annie", email: "annie@example.org" });
  bob = await createCustomer(shop.manager, { first_name: "Bob", last_name: "Stone", email: "bob@example.com", notes: "=HYPERLINK(\"x\")" });
  annOrders = [(await placeOrder(shop.cashier, shop, ann.id, { quantity: 2 })).id, (await placeOrder(shop.cashier, shop, dup.id)).id];
  await placeOrder(shop.cashier, shop, bob.id, { quantity: 7 });
  await shop.manager.query("insert into app_public.customer_notes (customer_id, body) values ($1, 'Allergic to nuts'), ($2, 'Bob''s secret')", [ann.id, bob.id]);
  await shop.manager.query("insert into app_public.customer_addresses (customer_id, line1, city) values ($1, '12 Elm Street', 'Springfield')", [ann.id]);
  await shop.manager.query("select app_public.set_customer_contact_channel($1, 'sms', true, 'pos')", [ann.id]);
  await shop.manager.query("select app_public.set_customer_preferences($1, language => 'fr')", [ann.id]);
  const lines = await shop.owner.query("select id from app_public.order_lines where order_id = $1", [annOrders[0]]);
  await shop.manager.query("select app_public.refund_order_lines($1, $2::jsonb, 'Cold coffee')", [
    annOrders[0],
    JSON.stringify([{ order_line_id: lines.rows[0].id, quantity: 1 }]),
  ]);
  await mergeCustomers(shop.owner, ann.id, dup.id);
  // A call logged with Ann, one with Bob, and a tier for Ann.
  await shop.manager.query("insert into app_public.customer_interactions (customer_id, kind, note) values ($1, 'call', 'Asked about oat milk'), ($2, 'call', 'Bob''s call')", [ann.id, bob.id]);
  const gold = (await shop.owner.query("select * from app_public.create_customer_tier('Gold', 1, 1000)")).rows[0];
  await shop.manager.query("select app_public.set_customer_tier($1, $2)", [ann.id, gold.id]);
});
afterAll(() => db?.drop());
afterEach(() => {
  delete process.env.EXPORT_CHUNK_BYTES;
});

async function request(reason = "Letter of 2 December") {
  const { rows } = await shop.owner.query("select * from app_public.request_customer_data($1, $2)", [ann.id, reason]);
  return rows[0];
}
const runWorker = () => runJobsOnce(db, { customer_data_export: taskList.customer_data_export });
const row = async (id: string) => (await db.owner.query("select * from app_public.customer_data_exports where id = $1", [id])).rows[0];
async function zipOf(id: string): Promise<Buffer> {
  const { rows } = await db.owner.query("select data from app_private.customer_data_export_chunks where export_id = $1 order by chunk_no", [id]);
  return Buffer.concat(rows.map((r) => r.data as Buffer));
}
const files = (zip: Buffer) => Object.fromEntries(Object.entries(unzipSync(new Uint8Array(zip))).map(([name, data]) => [name, strFromU8(data)]));

describe("customer_data_export", () => {
  it("writes one zip with customer.json and the CSV files, holding the customer and nothing of another", async () => {
    const requested = await request();
    expect(requested).toMatchObject({ status: "pending", files_written: 0 });
    await runWorker();
    const done = await row(requested.id);
    const zip = await zipOf(requested.id);
    expect(done).toMatchObject({ status: "done", files_written: 4, files_total: 4, bytes_written: String(zip.length), chunk_count: 1, error_message: null });
    const content = files(zip);
    expect(Object.keys(content).sort()).toEqual(["customer.json", "order-lines.csv", "orders.csv", "timeline.csv"]);

    const doc = JSON.parse(content["customer.json"]);
    expect(doc).toMatchObject({
      format: "backoffice.customer-data.v1",
      currency: { code: "USD", minor_units: 2 },
      customer: { id: ann.id, customer_number: ann.customer_number, first_name: "Ann", last_name: "Lee", email: "ann.lee@example.com", phone: "+19175550142", notes: "Loves oat milk", tags: ["regular"] },
      consents: { marketing: { agreed: true, source: "pos" }, contact_channels: [{ channel: "sms", agreed: true, source: "pos" }] },
      preferences: { language: "fr" },
      purchase_history: { visits: 2 },
    });
    expect(doc.merged_records.map((m: { id: string; email: string }) => [m.id, m.email])).toEqual([[dup.id, "annie@example.org"]]);
    expect(doc.notes.map((n: { body: string }) => n.body)).toEqual(["Allergic to nuts"]);
    expect(doc.addresses.map((a: { line1: string }) => a.line1)).toEqual(["12 Elm Street"]);
    expect(doc.customer.tier).toBe("Gold");
    expect(doc.contacts).toEqual([]);
    expect(doc.interactions).toEqual([expect.objectContaining({ kind: "call", note: "Asked about oat milk", by: expect.any(String) })]);
    expect(doc.orders.map((o: { id: string }) => o.id).sort()).toEqual([...annOrders].sort());
    const first = doc.orders.find((o: { id: string }) => o.id === annOrders[0]);
    expect(first).toMatchObject({ total: 2000, refunded_total: 1000, lines: [{ line_no: 1, name: "Coffee", quantity: 2, total: 2000 }] });
    expect(first.refunds).toEqual([expect.objectContaining({ reason: "Cold coffee", total: 1000, lines: [{ line_no: 1, name: "Coffee", quantity: 1, total: 1000 }] })]);
    expect(first.payments).toEqual([expect.objectContaining({ type: "card", amount: 2000 })]);
    expect(doc.timeline.map((t: { kind: string }) => t.kind)).toEqual(expect.arrayContaining(["created", "merged", "order_placed", "order_refunded", "note", "data_requested"]));
    const commands = doc.audit_entries.map((a: { command: string | null }) => a.command);
    expect(commands).toEqual(expect.arrayContaining(["merge_customers", "request_customer_data"]));
    expect(doc.audit_entries.find((a: { command: string }) => a.command === "request_customer_data")).toMatchObject({ reason: "Letter of 2 December", by: "Olive Owner" });

    // The CSV files: valid, the customer's orders and lines only, amounts with their currency.
    const orders = csvObjects(content["orders.csv"]);
    expect(orders.map((o) => o.order_id).sort()).toEqual([...annOrders].sort());
    expect(orders.find((o) => o.order_id === annOrders[0])).toMatchObject({ currency: "USD", total: "20.00", refunded: "10.00", status: "placed" });
    const lines = csvObjects(content["order-lines.csv"]);
    expect(lines.map((l) => [l.order_id, l.item, l.quantity, l.refunded_quantity]).sort()).toEqual(
      [[annOrders[0], "Coffee", "2", "1"], [annOrders[1], "Coffee", "1", "0"]].sort(),
    );
    const timeline = parseCsv(content["timeline.csv"]);
    expect(timeline[0]).toEqual(["occurred_at", "kind", "summary", "by"]);
    expect(timeline.length).toBe(doc.timeline.length + 1);

    // Nothing of Bob anywhere in the bundle.
    const everything = Object.values(content).join("\n");
    for (const s of [bob.id, "Bob", "bob@example.com", "secret", "HYPERLINK"]) expect(everything).not.toContain(s);
  });

  it("chunking changes no byte of the zip's content", async () => {
    process.env.EXPORT_CHUNK_BYTES = "200";
    const small = await request("Chunked");
    await runWorker();
    const done = await row(small.id);
    expect(done.status).toBe("done");
    expect(done.chunk_count).toBeGreaterThan(3);
    const content = files(await zipOf(small.id));
    expect(JSON.parse(content["customer.json"]).customer.email).toBe("ann.lee@example.com");
    expect(csvObjects(content["orders.csv"]).length).toBe(2);
  });

  it("downloads from GET /customer-data/:id for members with customers.erase only", async () => {
    const requested = await request("To download");
    await runWorker();
    const server = await startTestServer(db);
    try {
      const get = (sessionId: string | null) =>
        fetch(`${server.url}/customer-data/${requested.id}`, { headers: sessionId ? { cookie: `${SESSION_COOKIE}=${sessionId}` } : {} });
      const ok = await get(shop.owner.sessionId);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toBe("application/zip");
      expect(ok.headers.get("content-disposition")).toBe(`attachment; filename="${requested.file_name}"`);
      expect(Buffer.from(await ok.arrayBuffer()).equals(await zipOf(requested.id))).toBe(true);
      for (const who of [shop.manager.sessionId, shop.cashier.sessionId, null, (await openShop(db)).owner.sessionId]) {
        expect((await get(who)).status).toBe(404);
      }
    } finally {
      await server.close();
    }
  });
});
