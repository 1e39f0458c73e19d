// A business's currency and locale: chosen at onboarding (USD and en-US unless said), written as
// stored (EUR, fr-FR), changed by its owner only while it has no sale (CURFX), and the catalog's
// prices kept as they read when the currency's minor units differ.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type Member, type TestDatabase } from "../../helpers/db.ts";
import { line, openShop, placeOrder } from "./shop.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const money = async (m: Member) =>
  (await m.query("select currency, locale from app_public.tenants where id = $1", [m.tenantId])).rows[0] as { currency: string; locale: string };

const prices = async (m: Member) =>
  (await m.query("select sku, price from app_public.catalog_items order by sku")).rows.map((r) => [r.sku, r.price]);

/** The error a statement failed with: code, field and message. */
async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    const err = e as pg.DatabaseError;
    return { code: err.code, field: err.column, message: err.message };
  }
  throw new Error("expected the statement to fail");
}

describe("the currencies", () => {
  it("lists ISO 4217's currencies with their minor units, to anyone (the sign-up form reads them)", async () => {
    const { rows } = await db
      .asAnonymous()
      .query("select code, name, minor_units from app_public.currencies where code = any($1) order by code", [["JPY", "KWD", "OMR", "USD", "EUR"]]);
    expect(rows).toEqual([
      { code: "EUR", name: "Euro", minor_units: 2 },
      { code: "JPY", name: "Japanese Yen", minor_units: 0 },
      { code: "KWD", name: "Kuwaiti Dinar", minor_units: 3 },
      { code: "OMR", name: "Omani Rial", minor_units: 3 },
      { code: "USD", name: "US Dollar", minor_units: 2 },
    ]);
    const { rows: all } = await db.asAnonymous().query("select count(*)::int as n from app_public.currencies");
    expect(all[0].n).toBeGreaterThan(150);
  });
});

describe("onboarding", () => {
  it("keeps the currency and locale given, written as stored; USD and en-US when none is given", async () => {
    expect(await money(await db.onboard({ currency: " eur", locale: "fr-fr" }))).toEqual({ currency: "EUR", locale: "fr-FR" });
    expect(await money(await db.onboard({ currency: "JPY", locale: "ja" }))).toEqual({ currency: "JPY", locale: "ja" });
    const plain = await db
      .asAnonymous()
      .query("select app_hidden.onboard('Plain Shop', 'Pat', $1, 'correct horse 42', 'UTC') as sid", [`plain.${Date.now()}@example.com`]);
    const { rows } = await db.owner.query(
      "select t.currency, t.locale from app_private.sessions s join app_public.tenants t on t.id = s.active_tenant_id where s.secret_hash = app_hidden.session_secret_hash($1)",
      [plain.rows[0].sid],
    );
    expect(rows[0]).toEqual({ currency: "USD", locale: "en-US" });
  });

  it("refuses a currency we do not know and a locale that is not a language tag, under their field, and creates nothing", async () => {
    const before = (await db.owner.query("select count(*)::int as n from app_public.tenants")).rows[0].n;
    const onboard = (currency: string, locale: string) =>
      db
        .asAnonymous()
        .query("select app_hidden.onboard('New Shop', 'Pat', $1, 'correct horse 42', 'UTC', $2, $3)", [
          `refused.${Date.now()}.${Math.random()}@example.com`,
          currency,
          locale,
        ]);
    expect(await failure(onboard("EURO", "en-US"))).toMatchObject({ code: "BADIN", field: "currency", message: expect.stringContaining('"EURO" is not a currency we know') });
    expect(await failure(onboard("XXX", "en-US"))).toMatchObject({ code: "BADIN", field: "currency" });
    expect(await failure(onboard("USD", "english!"))).toMatchObject({ code: "BADIN", field: "locale", message: expect.stringContaining("Locale:") });
    expect(await failure(onboard("USD", " "))).toMatchObject({ code: "BADIN", field: "locale" });
    expect((await db.owner.query("select count(*)::int as n from app_public.tenants")).rows[0].n).toBe(before);
  });

  it("another business of the same owner sells in the same currency and locale unless told otherwise", async () => {
    const owner = await db.onboard({ currency: "CHF", locale: "de-CH" });
    const same = (await owner.query("select currency, locale from app_public.create_business('Second', 'Europe/Zurich')")).rows[0];
    expect(same).toEqual({ currency: "CHF", locale: "de-CH" });
    const other = (await owner.query("select currency, locale from app_public.create_business('Third', 'Asia/Tokyo', 'jpy', 'ja-jp')")).rows[0];
    expect(other).toEqual({ currency: "JPY", locale: "ja-JP" });
  });
});

describe("changing the currency", () => {
  it("before the first sale: the owner changes it, and prices keep what they read in the new minor units", async () => {
    const shop = await openShop(db, { items: [{ sku: "LATTE", price: 450 }, { sku: "MUFFIN", price: 1299 }, { sku: "WATER", price: 0 }] });
    await shop.owner.query("update app_public.tenants set currency = 'eur', locale = 'fr-fr' where id = $1", [shop.tenantId]);
    expect(await money(shop.owner)).toEqual({ currency: "EUR", locale: "fr-FR" });
    expect(await prices(shop.owner)).toEqual([["LATTE", 450], ["MUFFIN", 1299], ["WATER", 0]]); // same minor units
    // 4.50 and 12.99 in yen: 5 and 13 (rounded half up); back in dinars, 5.000 and 13.000.
    await shop.owner.query("update app_public.tenants set currency = 'JPY' where id = $1", [shop.tenantId]);
    expect(await prices(shop.owner)).toEqual([["LATTE", 5], ["MUFFIN", 13], ["WATER", 0]]);
    await shop.owner.query("update app_public.tenants set currency = 'KWD' where id = $1", [shop.tenantId]);
    expect(await prices(shop.owner)).toEqual([["LATTE", 5000], ["MUFFIN", 13000], ["WATER", 0]]);
    // A change of locale alone touches no price.
    await shop.owner.query("update app_public.tenants set locale = 'ar-KW' where id = $1", [shop.tenantId]);
    expect(await prices(shop.owner)).toEqual([["LATTE", 5000], ["MUFFIN", 13000], ["WATER", 0]]);
  });

  it("after a sale, even one voided, it is refused (CURFX, field currency) and nothing changes; the locale still may", async () => {
    const shop = await openShop(db, { items: [{ sku: "TEA", price: 300 }] });
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.TEA!)]);
    await shop.owner.query("select app_public.void_order($1, 'Rang up by mistake')", [order.id]);
    const refused = await failure(shop.owner.query("update app_public.tenants set currency = 'GBP' where id = $1", [shop.tenantId]));
    expect(refused).toMatchObject({ code: "CURFX", field: "currency", message: "The currency stays USD: the business has sales recorded in it." });
    expect(await money(shop.owner)).toEqual({ currency: "USD", locale: "en-US" });
    expect(await prices(shop.owner)).toEqual([["TEA", 300]]);
    await shop.owner.query("update app_public.tenants set locale = 'en-GB' where id = $1", [shop.tenantId]);
    expect(await money(shop.owner)).toEqual({ currency: "USD", locale: "en-GB" });
  });

  it("is for those who change the business's settings: a cashier's update changes no row", async () => {
    const shop = await openShop(db);
    const { rowCount } = await shop.cashier.query("update app_public.tenants set currency = 'EUR' where id = $1", [shop.tenantId]);
    expect(rowCount).toBe(0);
    expect(await money(shop.owner)).toEqual({ currency: "USD", locale: "en-US" });
    expect(await sqlState(() => shop.owner.query("update app_public.tenants set currency = 'ABC' where id = $1", [shop.tenantId]))).toBe("BADIN");
  });
});
