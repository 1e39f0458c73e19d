// Loyalty classes change with time and no write; preferences keep what people type in its
// stored form and refuse the rest under its field.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { createCustomer, openShop, placeOrder, type Shop } from "./helpers.ts";

let db: TestDatabase;
let shop: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db);
});
afterAll(async () => db?.drop());

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

/** The class and its reason at `at`, read through the API's function, and the stats row's last write. */
async function classAt(customerId: string, at: string | null) {
  const { rows } = await shop.manager.query(
    `select app_public.customer_stats_loyalty_class(s, $2) as class, app_public.customer_stats_loyalty_class_reason(s, $2) as reason, s.updated_at
     from app_public.customer_stats s where s.customer_id = $1`,
    [customerId, at],
  );
  return rows[0];
}

describe("loyalty classes", () => {
  it("a regular becomes lapsed as days pass, with no write", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Rita" });
    for (const n of [40, 30, 20, 10, 5]) await placeOrder(shop.owner, shop, c.id, { placedAt: daysAgo(n) });
    const now = await classAt(c.id, null);
    expect(now).toMatchObject({ class: "regular", reason: "5 visits in the last 90 days" });
    // 61 days after the last visit: lapsed; nothing was written meanwhile.
    const later = await classAt(c.id, new Date(Date.now() + 56 * DAY).toISOString());
    expect(later).toMatchObject({ class: "lapsed", reason: "No visit for 61 days, after 5 visits" });
    expect(later.updated_at).toEqual(now.updated_at);
    // In between: still regular while the five visits are within 90 days, returning once one left.
    expect((await classAt(c.id, new Date(Date.now() + 15 * DAY).toISOString())).class).toBe("regular");
    expect((await classAt(c.id, new Date(Date.now() + 52 * DAY).toISOString())).class).toBe("returning");
  });

  it("one visit is new, then one-time; no visit has no class; the thresholds are the business's", async () => {
    const once = await createCustomer(shop.manager, { first_name: "Otto" });
    const none = await createCustomer(shop.manager, { first_name: "Nina" });
    await placeOrder(shop.owner, shop, once.id, { placedAt: daysAgo(3) });
    expect(await classAt(once.id, null)).toMatchObject({ class: "new", reason: "First visit 3 days ago" });
    expect((await classAt(once.id, new Date(Date.now() + 60 * DAY).toISOString())).class).toBe("one_time");
    expect(await classAt(none.id, null)).toMatchObject({ class: null, reason: "No visits yet" });
    await shop.owner.query("select app_public.update_loyalty_settings(lapsed_after_days => 7)");
    expect((await classAt(once.id, new Date(Date.now() + 5 * DAY).toISOString())).class).toBe("one_time");
    expect(await sqlState(() => shop.owner.query("select app_public.update_loyalty_settings(regular_min_visits => 50)"))).toBe("BADIN");
    expect(await sqlState(() => shop.manager.query("select app_public.update_loyalty_settings(regular_min_visits => 3)"))).toBe("DNIED");
    await shop.owner.query("select app_public.update_loyalty_settings(lapsed_after_days => 60)");
  });
});

describe("preferences", () => {
  it("stores a language tag in its usual case, refuses what is not one, and clears it with an empty string", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Lena" });
    const set = async (language: string) =>
      (await shop.manager.query("select language from app_public.set_customer_preferences($1, language => $2)", [c.id, language])).rows[0].language;
    expect(await set("en")).toBe("en");
    expect(await set("pt-br")).toBe("pt-BR");
    expect(await set("zh-hant-tw")).toBe("zh-Hant-TW");
    expect(await set("SR-LATN")).toBe("sr-Latn");
    expect(await sqlState(() => set("english!"))).toBe("BADIN");
    expect(await set("")).toBe(null);
  });
});

describe("the timeline", () => {
  it("names the changed preferences in words", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Tomas", email: "tomas@example.com" });
    const vip = (await shop.manager.query("select id from app_public.customer_types where key = 'vip'")).rows[0].id;
    await shop.manager.query("select app_public.set_customer_type($1, $2)", [c.id, vip]);
    await shop.manager.query("select app_public.set_customer_contact_channel($1, 'sms', true, 'pos')", [c.id]);
    await shop.manager.query("select app_public.set_customer_preferences($1, do_not_contact => true, best_contact_time => 'evening')", [c.id]);
    const { rows } = await shop.manager.query(
      "select t.summary from app_public.customers x, app_public.customers_timeline(x) t where x.id = $1 and t.kind = 'updated' order by t.occurred_at",
      [c.id],
    );
    expect(rows.map((r) => r.summary)).toEqual([
      "Changed type",
      "Changed SMS consent, SMS consent source",
      "Changed best time to contact, do not contact",
    ]);
  });
});
