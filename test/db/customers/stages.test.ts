// Profile stages (issue 17): guest → stub → full, rising by itself and never down; walk-ins kept
// for a sale and upgraded later with the sale in their history; upgrade_customer, which offers the
// merge instead of making a second record of a phone or email, and asks for a verified phone
// before a full profile.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import type { Actor } from "../../helpers/db.ts";
import { createCustomer, customerRow, openShop, placeOrder, updateCustomer, written, type Shop } from "./helpers.ts";

let db: TestDatabase;
let shop: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, { country: "OM" });
});
afterAll(() => db?.drop());

interface Upgrade {
  customer_id: string | null;
  stage: string | null;
  duplicate_of_id: string | null;
  duplicate_of_number: string | null;
  duplicate_of_name: string | null;
  duplicate_field: string | null;
  merge_preview: string | null;
}

async function upgrade(actor: Actor, id: string, f: { first_name?: string; last_name?: string; phone?: string; email?: string }) {
  const { rows } = await actor.query(
    "select * from app_public.upgrade_customer($1, first_name => $2, last_name => $3, phone => $4, email => $5)",
    [id, f.first_name ?? null, f.last_name ?? null, f.phone ?? null, f.email ?? null],
  );
  return rows[0] as Upgrade;
}

/** What the one-time code flow does when the code is right (another part of issue 17 owns it). */
async function verifyPhone(id: string) {
  await db.owner.query("update app_public.customers set phone_verified_at = now() where id = $1", [id]);
}

async function walkIn(actor: Actor) {
  const { rows } = await actor.query("select * from app_public.create_walk_in_customer()");
  return rows[0];
}

describe("stages", () => {
  it("rise by themselves: a name and phone make a stub, an email and the phone verified make it full", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Salim", phone: "+968 9123 4001" });
    expect(c.stage).toBe("stub");
    expect(c.phone).toBe("+96891234001");
    const withEmail = await updateCustomer(shop.manager, c.id, { email: "salim@example.com" });
    expect(withEmail.stage).toBe("stub"); // the phone is not verified yet
    await verifyPhone(c.id);
    expect((await customerRow(db, c.id)).stage).toBe("full");
  });

  it("never go down: a stub keeps its name and phone (NODWN), a new phone keeps a full profile full but unverified", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Huda", phone: "+968 9123 4002", email: "huda@example.com" });
    const before = await written(db, shop.tenantId);
    const err = await updateCustomer(shop.manager, c.id, { phone: "" }).catch((e) => e);
    expect(err.code).toBe("NODWN");
    expect(err.column).toBe("phone");
    expect(await written(db, shop.tenantId)).toEqual(before);

    await verifyPhone(c.id);
    const moved = await updateCustomer(shop.manager, c.id, { phone: "+968 9123 4003" });
    expect(moved).toMatchObject({ stage: "full", phone: "+96891234003", phone_verified_at: null });
  });

  it("a profile known by email only is a guest", async () => {
    const c = await createCustomer(shop.manager, { email: "only@example.com" });
    expect(c.stage).toBe("guest");
  });
});

describe("walk-ins", () => {
  it("a walk-in kept for a sale is a guest shown as Walk-in; upgraded later, the sale stays in its history", async () => {
    const w = await walkIn(shop.cashier);
    expect(w).toMatchObject({ stage: "guest", display_name: "Walk-in", walk_in: true, email: null, phone: null, first_name: null });
    expect(w.customer_number).toMatch(/^CUST-\d{5}$/);
    const order = await placeOrder(shop.cashier, shop, w.id);
    expect(order.customer_id).toBe(w.id);
    expect(await customerRow(db, w.id)).toMatchObject({ total_visits: 1, total_spend: "1000" });

    const up = await upgrade(shop.manager, w.id, { first_name: "Maryam", last_name: "Al Balushi", phone: "+968 9123 4010" });
    expect(up).toMatchObject({ customer_id: w.id, stage: "stub", duplicate_of_id: null, merge_preview: null });
    const row = await customerRow(db, w.id);
    expect(row).toMatchObject({ stage: "stub", display_name: "Maryam Al Balushi", phone: "+96891234010", total_visits: 1, total_spend: "1000" });
    const { rows } = await db.owner.query("select customer_id from app_public.orders where id = $1", [order.id]);
    expect(rows[0].customer_id).toBe(w.id);
    // Found by its new name, on the list under its stage.
    const found = await shop.manager.query("select id from app_public.search_customers('maryam')");
    expect(found.rows.map((r) => r.id)).toContain(w.id);
    const listed = await shop.manager.query("select id from app_public.customer_rows where stage = 'stub'");
    expect(listed.rows.map((r) => r.id)).toContain(w.id);
  });

  it("only a walk-in may have no identifier: the commands still refuse an empty customer (NOIDN)", async () => {
    const err = await shop.manager.query("select app_public.create_customer()").catch((e) => e);
    expect(err.code).toBe("NOIDN");
    const w = await walkIn(shop.cashier);
    const refused = await updateCustomer(shop.manager, w.id, { notes: "Tall, likes oat milk" });
    expect(refused.notes).toBe("Tall, likes oat milk"); // a guest can be changed like any customer
  });

  it("a walk-in's data can be requested and erased like anyone's: erased, it stays a guest with its sale", async () => {
    const w = await walkIn(shop.cashier);
    await placeOrder(shop.cashier, shop, w.id);
    const requested = await shop.owner.query("select id from app_public.request_customer_data($1, 'Asked at the till')", [w.id]);
    expect(requested.rows).toHaveLength(1);
    const erased = (await shop.owner.query("select * from app_public.erase_customer($1, 'Asked at the till')", [w.id])).rows[0];
    expect(erased).toMatchObject({ status: "erased", stage: "guest" });
    expect(await customerRow(db, w.id)).toMatchObject({ total_visits: 1 });
    const listed = await shop.owner.query("select display_name from app_public.customer_rows where id = $1", [w.id]);
    expect(listed.rows).toHaveLength(1);
  });

  it("keeping a walk-in needs customers.create", async () => {
    const other = await openShop(db);
    await db.owner.query("update app_public.roles set permissions = array['sales.sell'] where tenant_id = $1 and key = 'cashier'", [other.tenantId]);
    const err = await walkIn(other.cashier).catch((e) => e);
    expect(err.code).toBe("DNIED");
  });
});

describe("upgrade_customer", () => {
  it("offers the merge when the phone already belongs to another customer, and writes nothing", async () => {
    const ann = await createCustomer(shop.manager, { first_name: "Ann", last_name: "Lee", phone: "+968 9123 4020" });
    const w = await walkIn(shop.cashier);
    const before = await written(db, shop.tenantId);
    const up = await upgrade(shop.manager, w.id, { first_name: "Annie", phone: "+968 9123 4020" });
    expect(up).toMatchObject({
      customer_id: w.id,
      stage: "guest",
      duplicate_of_id: ann.id,
      duplicate_of_number: ann.customer_number,
      duplicate_of_name: "Ann Lee",
      duplicate_field: "phone",
    });
    // The preview is the merge the admin offers: Ann kept, the walk-in merged into her.
    const preview = await shop.manager.query("select (p).* from (select app_public.upgrade_customer($1, first_name => 'Annie', phone => '+968 91234020') as u) x, lateral (select (x.u).merge_preview as p) y", [w.id]);
    expect(preview.rows[0]).toMatchObject({ display_name: "Ann Lee", phone: "+96891234020", orders_to_move: 0 });
    expect(await written(db, shop.tenantId)).toEqual(before);
    expect((await customerRow(db, w.id)).stage).toBe("guest");
  });

  it("offers the merge when the email already belongs to another customer, and writes nothing", async () => {
    const bo = await createCustomer(shop.manager, { first_name: "Bo", email: "bo@example.com" });
    const stub = await createCustomer(shop.manager, { first_name: "Bo", phone: "+968 9123 4030" });
    await verifyPhone(stub.id);
    const before = await written(db, shop.tenantId);
    const up = await upgrade(shop.manager, stub.id, { email: "BO@example.com" });
    expect(up).toMatchObject({ stage: "stub", duplicate_of_id: bo.id, duplicate_field: "email", duplicate_of_name: "Bo" });
    expect(up.merge_preview).not.toBeNull();
    expect(await written(db, shop.tenantId)).toEqual(before);
  });

  it("to full needs the phone verified first (PHUNV), then makes it full", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Zaid", phone: "+968 9123 4040" });
    const before = await written(db, shop.tenantId);
    const err = await upgrade(shop.manager, c.id, { email: "zaid@example.com" }).catch((e) => e);
    expect(err.code).toBe("PHUNV");
    expect(err.column).toBe("phone");
    expect(err.message).toBe("Verify the phone +96891234040 with a one-time code first: a full profile needs a verified phone.");
    expect(await written(db, shop.tenantId)).toEqual(before);

    await verifyPhone(c.id);
    // A new phone would need its own verification.
    expect((await upgrade(shop.manager, c.id, { email: "zaid@example.com", phone: "+968 9123 4041" }).catch((e) => e)).code).toBe("PHUNV");
    const up = await upgrade(shop.manager, c.id, { email: "zaid@example.com" });
    expect(up).toMatchObject({ customer_id: c.id, stage: "full", duplicate_of_id: null });
    expect((await customerRow(db, c.id)).email).toBe("zaid@example.com");
  });

  it("names what the next stage still misses (UPGMS) and refuses a full profile", async () => {
    const w = await walkIn(shop.cashier);
    const noPhone = await upgrade(shop.manager, w.id, { first_name: "Omar" }).catch((e) => e);
    expect([noPhone.code, noPhone.column, noPhone.message]).toEqual(["UPGMS", "phone", "A stub profile needs a phone number."]);
    const noName = await upgrade(shop.manager, w.id, { phone: "+968 9123 4050" }).catch((e) => e);
    expect([noName.code, noName.column]).toEqual(["UPGMS", "first_name"]);
    const stub = await createCustomer(shop.manager, { first_name: "Omar", phone: "+968 9123 4051" });
    const noEmail = await upgrade(shop.manager, stub.id, {}).catch((e) => e);
    expect([noEmail.code, noEmail.column]).toEqual(["UPGMS", "email"]);

    const full = await createCustomer(shop.manager, { first_name: "Lina", phone: "+968 9123 4052", email: "lina@example.com" });
    await verifyPhone(full.id);
    expect((await upgrade(shop.manager, full.id, {}).catch((e) => e)).code).toBe("BADIN");
  });

  it("at the till (customers.create) adds only what is missing; changing a detail needs customers.update; another business's customer is not found", async () => {
    const w = await walkIn(shop.cashier);
    expect(await upgrade(shop.cashier, w.id, { first_name: "Xena", phone: "+968 9123 4060" })).toMatchObject({ stage: "stub", duplicate_of_id: null });
    const changed = await upgrade(shop.cashier, w.id, { first_name: "Yara", email: "yara@example.com" }).catch((e) => e);
    expect(changed).toMatchObject({ code: "DNIED", message: expect.stringContaining("add only what is missing") });
    expect((await customerRow(db, w.id)).first_name).toBe("Xena");
    await verifyPhone(w.id);
    expect(await upgrade(shop.cashier, w.id, { email: "xena@example.com" })).toMatchObject({ stage: "full" });
    expect(await upgrade(shop.manager, (await walkIn(shop.cashier)).id, { first_name: "Zed", phone: "+968 9123 4061" })).toMatchObject({ stage: "stub" });

    const other = await openShop(db);
    expect((await upgrade(other.owner, w.id, { first_name: "X", phone: "+968 9123 4062" }).catch((e) => e)).code).toBe("NOTFD");
    await db.owner.query("update app_public.roles set permissions = array['sales.sell', 'customers.view'] where tenant_id = $1 and key = 'cashier'", [other.tenantId]);
    const theirs = await walkIn(other.owner);
    expect((await upgrade(other.cashier, theirs.id, { first_name: "X", phone: "+968 9123 4063" }).catch((e) => e)).code).toBe("DNIED");
  });

  it("a merge keeps the verification of the phone the primary takes from the duplicate", async () => {
    const lina = await createCustomer(shop.manager, { first_name: "Lina", email: "lina.primary@example.com" });
    const dup = await createCustomer(shop.manager, { first_name: "Lina", phone: "+968 9123 4080", email: "lina.second@example.com" });
    await verifyPhone(dup.id);
    expect((await customerRow(db, dup.id)).stage).toBe("full");
    await shop.manager.query("select app_public.merge_customers($1, $2)", [lina.id, dup.id]);
    const merged = await customerRow(db, lina.id);
    expect(merged).toMatchObject({ phone: "+96891234080", stage: "full" });
    expect(merged.phone_verified_at).not.toBeNull();
  });

  it("a walk-in merged into the customer it turned out to be takes its sale there", async () => {
    const kim = await createCustomer(shop.manager, { first_name: "Kim", phone: "+968 9123 4070" });
    const w = await walkIn(shop.cashier);
    await placeOrder(shop.cashier, shop, w.id);
    const up = await upgrade(shop.manager, w.id, { first_name: "Kim", phone: "+96891234070" });
    expect(up.duplicate_of_id).toBe(kim.id);
    await shop.manager.query("select app_public.merge_customers($1, $2)", [kim.id, w.id]);
    expect(await customerRow(db, kim.id)).toMatchObject({ stage: "stub", display_name: "Kim", total_visits: 1 });
    expect(await customerRow(db, w.id)).toMatchObject({ status: "merged", merged_into_id: kim.id });
  });
});

describe("addresses and distances", () => {
  it("Haversine: a degree along the equator and Paris–London", async () => {
    const { rows } = await db.owner.query(
      "select app_hidden.haversine_km(0, 0, 0, 1) as degree, app_hidden.haversine_km(48.8566, 2.3522, 51.5074, -0.1278) as paris_london",
    );
    expect(rows[0].degree).toBeCloseTo(111.195, 2);
    expect(Math.abs(rows[0].paris_london - 343.5)).toBeLessThan(1);
  });

  it("an address's distance from each location, and its nearest open location", async () => {
    const s = await openShop(db, { country: "OM" });
    await s.owner.query("update app_public.locations set name = 'Muscat store', latitude = 23.5880, longitude = 58.3829 where id = $1", [s.locationId]);
    const dubai = await s.owner.query(
      "insert into app_public.locations (name, timezone, latitude, longitude) values ('Dubai store', 'Asia/Dubai', 25.2048, 55.2708) returning id",
    );
    const c = await createCustomer(s.manager, { first_name: "Nasser", phone: "+968 9123 4080" });
    const { rows } = await s.manager.query(
      `insert into app_public.customer_addresses (customer_id, line1, city, building, floor, delivery_notes, latitude, longitude)
       values ($1, 'Way 3017', 'Muscat', '  Al Noor Tower ', '4', ' Ring twice ', 23.6100, 58.5400) returning *`,
      [c.id],
    );
    expect(rows[0]).toMatchObject({ building: "Al Noor Tower", floor: "4", delivery_notes: "Ring twice" });
    const dist = await s.manager.query(
      `select app_public.customer_addresses_distance_from(a, $2) as km, (app_public.customer_addresses_nearest_location(a)).*
       from app_public.customer_addresses a where a.id = $1`,
      [rows[0].id, s.locationId],
    );
    expect(dist.rows[0]).toMatchObject({ location_id: s.locationId, location_name: "Muscat store" });
    expect(dist.rows[0].km).toBe(16.2);
    expect(dist.rows[0].distance_km).toBe(dist.rows[0].km);
    // From this Muscat address to the Dubai store: 375.5 km great-circle (an independent calculator gives the same within 1 km).
    const far = await s.manager.query(
      "select app_public.customer_addresses_distance_from(a, $2) as km from app_public.customer_addresses a where a.id = $1",
      [rows[0].id, dubai.rows[0].id],
    );
    expect(Math.abs(far.rows[0].km - 375.5)).toBeLessThan(1);
    // No coordinates, no distance.
    await s.manager.query("update app_public.customer_addresses set latitude = null, longitude = null where id = $1", [rows[0].id]);
    const none = await s.manager.query("select (app_public.customer_addresses_nearest_location(a)).location_id from app_public.customer_addresses a where a.id = $1", [rows[0].id]);
    expect(none.rows[0].location_id).toBeNull();
  });

  it("refuses bad delivery details and location coordinates with BADIN naming the field", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Reem", phone: "+968 9123 4090" });
    const long = await shop.manager.query(
      "insert into app_public.customer_addresses (customer_id, line1, city, floor) values ($1, 'Way 1', 'Muscat', $2)",
      [c.id, "x".repeat(21)],
    ).catch((e) => e);
    expect([long.code, long.column]).toEqual(["BADIN", "floor"]);
    const half = await shop.owner.query("update app_public.locations set latitude = 23.5 where id = $1", [shop.locationId]).catch((e) => e);
    expect([half.code, half.column]).toEqual(["BADIN", "latitude"]);
    const out = await shop.owner.query("update app_public.locations set latitude = 23.5, longitude = 190 where id = $1", [shop.locationId]).catch((e) => e);
    expect([out.code, out.column]).toEqual(["BADIN", "longitude"]);
    const cashier = await shop.cashier.query("update app_public.locations set latitude = 1, longitude = 1 where id = $1 returning id", [shop.locationId]).catch((e) => e);
    expect(cashier instanceof Error ? "refused" : cashier.rowCount).not.toBe(1);
  });
});
