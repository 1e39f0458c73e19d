// Customer types, preferences, contact channels and favourite items, as a shop uses them: the
// four types every business starts with and the owner's own; how a customer likes to be
// contacted and served, with do-not-contact above every channel (app_hidden.may_contact, the one
// answer exports and campaign lists ask); each change audited on the customer with who made it,
// and a refused command writing nothing.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type Actor, type TestDatabase } from "../../helpers/db.ts";
import { createCustomer, mergeCustomers, openShop, type Shop } from "./helpers.ts";

let db: TestDatabase;
let shop: Shop;
/** Another business: its types, customers and items are never ours. */
let other: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db);
  other = await openShop(db);
});
afterAll(() => db?.drop());

interface Failure {
  code: string;
  /** The input the error is about (raise_error's `field`, PostgreSQL's COLUMN). */
  field: string | undefined;
  /** The reference to act on (raise_error's `detail`). */
  ref: string | undefined;
  message: string;
}

/** How a command failed; fails the test when it succeeded or failed with no SQLSTATE. */
async function failure(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (e) {
    const err = e as pg.DatabaseError;
    if (!err.code) throw e;
    return { code: err.code, field: err.column, ref: err.detail, message: err.message };
  }
  throw new Error("expected the command to fail, but it succeeded");
}

/**
 * Every row this file's commands could write for a business, whole (timestamps included), and the
 * number of audit entries and events: equal before and after a command that must write nothing.
 */
async function snapshot(tenantId: string) {
  const { rows } = await db.owner.query(
    `select
       (select coalesce(jsonb_agg(to_jsonb(t) order by t.id), '[]') from app_public.customer_types t where t.tenant_id = $1) as types,
       (select coalesce(jsonb_agg(to_jsonb(c) order by c.id), '[]') from app_public.customers c where c.tenant_id = $1) as customers,
       (select coalesce(jsonb_agg(to_jsonb(p) order by p.customer_id), '[]') from app_public.customer_preferences p where p.tenant_id = $1) as preferences,
       (select coalesce(jsonb_agg(to_jsonb(x) order by x.customer_id, x.channel), '[]') from app_public.customer_contact_channels x where x.tenant_id = $1) as channels,
       (select coalesce(jsonb_agg(to_jsonb(f) order by f.customer_id, f.catalog_item_id), '[]') from app_public.customer_favourite_items f where f.tenant_id = $1) as favourites,
       (select count(*)::int from app_public.audit_entries a where a.tenant_id = $1) as audit,
       (select count(*)::int from app_private.events e where e.tenant_id = $1) as events`,
    [tenantId],
  );
  return rows[0];
}

/** The audit trail of one record, oldest first, as the owner reads it. */
async function trail(entity: string, id: string) {
  const { rows } = await db.owner.query(
    `select action, actor_user_id as by, changes, created_at from app_public.audit_entries
     where entity = $1 and entity_id = $2 order by created_at, id`,
    [entity, id],
  );
  return rows as { action: string; by: string | null; changes: Record<string, { old: unknown; new: unknown }>; created_at: Date }[];
}

/** The customer's audit entries written after the first `skip` (the insert of create_customer, usually). */
const customerTrail = async (customerId: string, skip = 1) => (await trail("customers", customerId)).slice(skip);

const typesOf = async (actor: Actor) =>
  (await actor.query("select id, key, label, position from app_public.customer_types order by position, id")).rows;

const typeId = async (actor: Actor, key: string) =>
  (await actor.query("select id from app_public.customer_types where key = $1", [key])).rows[0].id as string;

const createType = async (actor: Actor, label: string | null) =>
  (await actor.query("select * from app_public.create_customer_type($1)", [label])).rows[0];
const renameType = async (actor: Actor, id: string, label: string | null) =>
  (await actor.query("select * from app_public.rename_customer_type($1, $2)", [id, label])).rows[0];
const deleteType = async (actor: Actor, id: string) =>
  (await actor.query("select * from app_public.delete_customer_type($1)", [id])).rows[0];
const setType = async (actor: Actor, customerId: string, customerTypeId: string | null) =>
  (await actor.query("select * from app_public.set_customer_type($1, $2)", [customerId, customerTypeId])).rows[0];

interface Preferences {
  do_not_contact?: boolean | null;
  preferred_payment?: string | null;
  best_contact_time?: string | null;
  language?: string | null;
}
const setPreferences = async (actor: Actor, customerId: string, p: Preferences) =>
  (
    await actor.query(
      `select * from app_public.set_customer_preferences(customer_id => $1, do_not_contact => $2,
         preferred_payment => $3, best_contact_time => $4, language => $5)`,
      [customerId, p.do_not_contact ?? null, p.preferred_payment ?? null, p.best_contact_time ?? null, p.language ?? null],
    )
  ).rows[0];
const preferencesOf = async (customerId: string) =>
  (
    await shop.manager.query(
      "select do_not_contact, preferred_payment, best_contact_time, language from app_public.customer_preferences where customer_id = $1",
      [customerId],
    )
  ).rows[0];

/** set_customer_contact_channel; `source` undefined leaves the argument out (its default). */
const setChannel = async (actor: Actor, customerId: string, channel: string | null, allowed: boolean | null, source?: string | null) =>
  (
    source === undefined
      ? await actor.query("select * from app_public.set_customer_contact_channel($1, $2, $3)", [customerId, channel, allowed])
      : await actor.query("select * from app_public.set_customer_contact_channel($1, $2, $3, $4)", [customerId, channel, allowed, source])
  ).rows[0];

const addFavourite = async (actor: Actor, customerId: string, itemId: string | null) =>
  (await actor.query("select * from app_public.add_customer_favourite_item($1, $2)", [customerId, itemId])).rows[0];
const removeFavourite = async (actor: Actor, customerId: string, itemId: string | null) =>
  (await actor.query("select * from app_public.remove_customer_favourite_item($1, $2)", [customerId, itemId])).rows[0];
const favouritesOf = async (customerId: string) =>
  (
    await shop.manager.query(
      "select i.name from app_public.customer_favourite_items f join app_public.catalog_items i on i.tenant_id = f.tenant_id and i.id = f.catalog_item_id where f.customer_id = $1 order by i.name",
      [customerId],
    )
  ).rows.map((r) => r.name as string);

const CHANNELS = ["email", "sms", "phone"] as const;

/**
 * Whether the business may contact the customer by each channel, through the API's computed
 * column (as the signed-in manager), checked equal to app_hidden.may_contact (what exports ask).
 */
async function mayContact(customerId: string) {
  const api = await shop.manager.query(
    `select app_public.customers_may_contact(c, 'email') as email, app_public.customers_may_contact(c, 'sms') as sms,
            app_public.customers_may_contact(c, 'phone') as phone
     from app_public.customers c where c.id = $1`,
    [customerId],
  );
  const hidden = await db.owner.query(
    `select app_hidden.may_contact($1, $2, 'email') as email, app_hidden.may_contact($1, $2, 'sms') as sms,
            app_hidden.may_contact($1, $2, 'phone') as phone`,
    [shop.tenantId, customerId],
  );
  expect(hidden.rows[0]).toEqual(api.rows[0]);
  return api.rows[0] as Record<(typeof CHANNELS)[number], boolean>;
}

describe("customer types", () => {
  it("every new business starts with walk-in, regular, VIP and wholesale, in that order, and sees only its own", async () => {
    const fresh = await db.onboard();
    const types = await typesOf(fresh);
    expect(types.map((t) => [t.key, t.label, t.position])).toEqual([
      ["walk_in", "Walk-in", 1],
      ["regular", "Regular", 2],
      ["vip", "VIP", 3],
      ["wholesale", "Wholesale", 4],
    ]);
    // Its own four rows, not another business's.
    const others = (await typesOf(other.owner)).map((t) => t.id);
    expect(types.filter((t) => others.includes(t.id))).toEqual([]);
  });

  it("the owner renames a type: the label is trimmed, customers keep the type, and the rename is audited", async () => {
    const vip = await typeId(shop.owner, "vip");
    const c = await createCustomer(shop.manager, { first_name: "Vera" });
    await setType(shop.manager, c.id, vip);
    const renamed = await renameType(shop.owner, vip, "  Gold members  ");
    expect(renamed).toMatchObject({ id: vip, key: "vip", label: "Gold members", position: 3 });
    // A type may take its own name in other letter case.
    expect((await renameType(shop.owner, vip, "GOLD members")).label).toBe("GOLD members");
    const { rows } = await shop.manager.query(
      "select t.label from app_public.customers c join app_public.customer_types t on t.tenant_id = c.tenant_id and t.id = c.customer_type_id where c.id = $1",
      [c.id],
    );
    expect(rows).toEqual([{ label: "GOLD members" }]);
    // The seeded type's first entry is its insert at sign-up; then the renames.
    expect((await trail("customer_types", vip)).slice(1).map((e) => [e.action, e.by, e.changes])).toEqual([
      ["update", shop.owner.userId, { label: { old: "VIP", new: "Gold members" } }],
      ["update", shop.owner.userId, { label: { old: "Gold members", new: "GOLD members" } }],
    ]);
  });

  it.each([
    ["an empty name", "", "BADIN"],
    ["a blank name", "   ", "BADIN"],
    ["no name", null, "BADIN"],
    ["a name over 40 characters", "x".repeat(41), "BADIN"],
    ["a control character", "Trade\tcustomers", "BADIN"],
    ["the name of another type", "Regular", "DUPLI"],
    ["the name of another type in other case, padded", "  wHOLESALE ", "DUPLI"],
  ])("refuses %s under the field label, adding or renaming, and writes nothing", async (_label, label, code) => {
    const walkIn = await typeId(shop.owner, "walk_in");
    const before = await snapshot(shop.tenantId);
    expect(await failure(createType(shop.owner, label))).toMatchObject({ code, field: "label" });
    expect(await failure(renameType(shop.owner, walkIn, label))).toMatchObject({ code, field: "label" });
    expect(await snapshot(shop.tenantId)).toEqual(before);
  });

  it("the owner adds its own type after the others (40 characters at most) and deletes it while no customer has it; both audited", async () => {
    const last = Math.max(...(await typesOf(shop.owner)).map((t) => t.position as number));
    const added = await createType(shop.owner, "  Staff  ");
    expect(added).toMatchObject({ key: null, label: "Staff", position: last + 1 });
    const long = await createType(shop.owner, "L".repeat(40));
    expect(long).toMatchObject({ label: "L".repeat(40), position: last + 2 });
    // The cashier's screens list it.
    expect((await typesOf(shop.cashier)).map((t) => t.label)).toContain("Staff");

    expect(await deleteType(shop.owner, added.id)).toMatchObject({ id: added.id, label: "Staff" });
    expect((await typesOf(shop.owner)).map((t) => t.id)).not.toContain(added.id);
    const entries = await trail("customer_types", added.id);
    expect(entries.map((e) => [e.action, e.by])).toEqual([
      ["insert", shop.owner.userId],
      ["delete", shop.owner.userId],
    ]);
    expect(entries[0].changes.label).toEqual({ old: null, new: "Staff" });
    expect(entries[1].changes.label).toEqual({ old: "Staff", new: null });
    // Gone means gone: deleting it again is NOTFD.
    expect((await failure(deleteType(shop.owner, added.id))).code).toBe("NOTFD");
  });

  it("a type customers have cannot be deleted (TYPIU, how many, the type as ref) and nothing is written; once none has it, it can be", async () => {
    const trade = await createType(shop.owner, "Trade");
    const a = await createCustomer(shop.manager, { first_name: "Ada" });
    const b = await createCustomer(shop.manager, { first_name: "Bo" });
    await setType(shop.manager, a.id, trade.id);
    await setType(shop.manager, b.id, trade.id);
    // An archived customer still has it.
    await shop.manager.query("select app_public.archive_customer($1)", [b.id]);
    const before = await snapshot(shop.tenantId);
    const refused = await failure(deleteType(shop.owner, trade.id));
    expect(refused).toMatchObject({ code: "TYPIU", ref: trade.id });
    expect(refused.message).toContain('"Trade" is the type of 2 customers');
    expect(await snapshot(shop.tenantId)).toEqual(before);

    await setType(shop.manager, a.id, null);
    expect(await failure(deleteType(shop.owner, trade.id))).toMatchObject({ code: "TYPIU", ref: trade.id });
    await setType(shop.manager, b.id, await typeId(shop.manager, "regular"));
    expect((await deleteType(shop.owner, trade.id)).id).toBe(trade.id);
    expect((await typesOf(shop.owner)).map((t) => t.id)).not.toContain(trade.id);
  });

  it("a merge gives the duplicate's type to the customer it went into (unless that one has its own); a merged customer has none, so the type can go", async () => {
    const trade = await createType(shop.owner, "Trade account");
    const vip = await typeId(shop.manager, "vip");
    const keep = await createCustomer(shop.manager, { first_name: "Kept" });
    const dup = await createCustomer(shop.manager, { first_name: "Dupe" });
    await setType(shop.manager, dup.id, trade.id);
    await mergeCustomers(shop.manager, keep.id, dup.id);
    const typeOf = async (id: string) =>
      (await shop.manager.query("select customer_type_id from app_public.customers where id = $1", [id])).rows[0].customer_type_id;
    expect([await typeOf(keep.id), await typeOf(dup.id)]).toEqual([trade.id, null]);

    // The primary's own type wins; the duplicate's is dropped with it.
    const mine = await createCustomer(shop.manager, { first_name: "Own" });
    const other = await createCustomer(shop.manager, { first_name: "Other" });
    await setType(shop.manager, mine.id, vip);
    await setType(shop.manager, other.id, trade.id);
    await mergeCustomers(shop.manager, mine.id, other.id);
    expect([await typeOf(mine.id), await typeOf(other.id)]).toEqual([vip, null]);

    // Only the survivor keeps "Trade account" in use; once it has another type, the type can be deleted.
    expect((await failure(deleteType(shop.owner, trade.id))).message).toContain("is the type of 1 customer;");
    await setType(shop.manager, keep.id, vip);
    expect((await deleteType(shop.owner, trade.id)).id).toBe(trade.id);
    // And the database holds it: no merged customer with a type.
    expect((await failure(db.owner.query("update app_public.customers set customer_type_id = $1 where id = $2", [vip, dup.id]))).code).toBe("23514");
  });

  it("set_customer_type sets, changes and clears a customer's type, each change audited on the customer; the same type again writes nothing", async () => {
    const regular = await typeId(shop.manager, "regular");
    const wholesale = await typeId(shop.manager, "wholesale");
    const c = await createCustomer(shop.manager, { first_name: "Tess" });
    expect((await setType(shop.manager, c.id, regular)).customer_type_id).toBe(regular);
    expect((await setType(shop.owner, c.id, wholesale)).customer_type_id).toBe(wholesale);

    const before = await snapshot(shop.tenantId);
    expect((await setType(shop.manager, c.id, wholesale)).customer_type_id).toBe(wholesale);
    expect(await snapshot(shop.tenantId)).toEqual(before);

    expect((await setType(shop.manager, c.id, null)).customer_type_id).toBe(null);
    expect((await customerTrail(c.id)).map((e) => [e.action, e.by, e.changes])).toEqual([
      ["update", shop.manager.userId, { customer_type_id: { old: null, new: regular } }],
      ["update", shop.owner.userId, { customer_type_id: { old: regular, new: wholesale } }],
      ["update", shop.manager.userId, { customer_type_id: { old: wholesale, new: null } }],
    ]);
  });

  it("another business's type is not found (NOTFD, field customer_type_id): it cannot be given, renamed or deleted, and nothing is written", async () => {
    const theirs = await typeId(other.owner, "vip");
    const c = await createCustomer(shop.manager, { first_name: "Iso" });
    const theirCustomer = await createCustomer(other.manager, { first_name: "Theirs" });
    const [ours, their] = [await snapshot(shop.tenantId), await snapshot(other.tenantId)];

    expect(await failure(setType(shop.manager, c.id, theirs))).toMatchObject({ code: "NOTFD", field: "customer_type_id" });
    expect(await failure(setType(shop.manager, c.id, "01NOSUCHTYPE"))).toMatchObject({ code: "NOTFD", field: "customer_type_id" });
    expect((await failure(renameType(shop.owner, theirs, "Mine now"))).code).toBe("NOTFD");
    expect((await failure(deleteType(shop.owner, theirs))).code).toBe("NOTFD");
    // Nor can our type be given to their customer.
    expect((await failure(setType(shop.manager, theirCustomer.id, await typeId(shop.manager, "regular")))).code).toBe("NOTFD");

    expect(await snapshot(shop.tenantId)).toEqual(ours);
    expect(await snapshot(other.tenantId)).toEqual(their);
  });

  it("managing types needs settings.update, the owner's: a manager and a cashier are refused (DNIED); a cashier cannot set a customer's type", async () => {
    const regular = await typeId(shop.owner, "regular");
    const c = await createCustomer(shop.manager, { first_name: "Cas" });
    const before = await snapshot(shop.tenantId);
    for (const actor of [shop.manager, shop.cashier]) {
      expect((await failure(createType(actor, "Friends"))).code).toBe("DNIED");
      expect((await failure(renameType(actor, regular, "Locals"))).code).toBe("DNIED");
      expect((await failure(deleteType(actor, regular))).code).toBe("DNIED");
    }
    expect((await failure(setType(shop.cashier, c.id, regular))).code).toBe("DNIED");
    expect(await snapshot(shop.tenantId)).toEqual(before);
  });
});

describe("preferences", () => {
  it("stores do-not-contact, preferred payment, best time and language as offered; null leaves a field, an empty string clears it; audited with exactly what changed", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Pia" });
    const set = await setPreferences(shop.manager, c.id, {
      do_not_contact: true,
      preferred_payment: " Card ",
      best_contact_time: "EVENING",
      language: "fr-ca",
    });
    expect(set).toMatchObject({ customer_id: c.id, do_not_contact: true, preferred_payment: "card", best_contact_time: "evening", language: "fr-CA" });
    expect(await preferencesOf(c.id)).toEqual({ do_not_contact: true, preferred_payment: "card", best_contact_time: "evening", language: "fr-CA" });

    // Only what is given changes.
    await setPreferences(shop.owner, c.id, { preferred_payment: "cash", best_contact_time: "morning" });
    expect(await preferencesOf(c.id)).toEqual({ do_not_contact: true, preferred_payment: "cash", best_contact_time: "morning", language: "fr-CA" });
    await setPreferences(shop.manager, c.id, { do_not_contact: false, preferred_payment: "", best_contact_time: "", language: "" });
    expect(await preferencesOf(c.id)).toEqual({ do_not_contact: false, preferred_payment: null, best_contact_time: null, language: null });

    expect((await customerTrail(c.id)).map((e) => [e.action, e.by, e.changes])).toEqual([
      [
        "update",
        shop.manager.userId,
        {
          do_not_contact: { old: false, new: true },
          preferred_payment: { old: null, new: "card" },
          best_contact_time: { old: null, new: "evening" },
          language: { old: null, new: "fr-CA" },
        },
      ],
      ["update", shop.owner.userId, { preferred_payment: { old: "card", new: "cash" }, best_contact_time: { old: "evening", new: "morning" } }],
      [
        "update",
        shop.manager.userId,
        {
          do_not_contact: { old: true, new: false },
          preferred_payment: { old: "cash", new: null },
          best_contact_time: { old: "morning", new: null },
          language: { old: "fr-CA", new: null },
        },
      ],
    ]);
  });

  it.each([
    ["a payment not offered", { preferred_payment: "cheque" }, "preferred_payment"],
    ["a payment in words", { preferred_payment: "credit card" }, "preferred_payment"],
    ["a contact time not offered", { best_contact_time: "night" }, "best_contact_time"],
    ["a language that is not a tag", { language: "english!" }, "language"],
    ["a one-letter language", { language: "e" }, "language"],
    ["a good value beside a bad one", { do_not_contact: true, language: "fr", best_contact_time: "noon" }, "best_contact_time"],
  ] as [string, Preferences, string][])("refuses %s with BADIN under its field and writes nothing", async (_label, prefs, field) => {
    const c = await createCustomer(shop.manager, { first_name: "Bad" });
    const before = await snapshot(shop.tenantId);
    expect(await failure(setPreferences(shop.manager, c.id, prefs))).toMatchObject({ code: "BADIN", field });
    expect(await snapshot(shop.tenantId)).toEqual(before);
    expect(await preferencesOf(c.id)).toBeUndefined();
  });

  it("a change that changes nothing writes no audit entry", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Same" });
    // The defaults, said out loud, are no change.
    await setPreferences(shop.manager, c.id, { do_not_contact: false });
    expect(await customerTrail(c.id)).toEqual([]);
    await setPreferences(shop.manager, c.id, { do_not_contact: true, preferred_payment: "cash", language: "de" });
    expect(await customerTrail(c.id)).toHaveLength(1);
    // The same values, as typed differently, or nothing at all.
    const before = await snapshot(shop.tenantId);
    await setPreferences(shop.manager, c.id, { do_not_contact: true, preferred_payment: " CASH", language: "DE" });
    await setPreferences(shop.owner, c.id, {});
    // Nothing written at all: the row's updated_at stays.
    expect(await snapshot(shop.tenantId)).toEqual(before);
    expect(await customerTrail(c.id)).toHaveLength(1);
    expect(await preferencesOf(c.id)).toEqual({ do_not_contact: true, preferred_payment: "cash", best_contact_time: null, language: "de" });
  });
});

describe("contact channels", () => {
  it("records the channel, the consent, its source (admin unless given), when and by whom; audited on the customer", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Cora", email: "cora@example.com", phone: "+33612345678" });
    const email = await setChannel(shop.manager, c.id, "email", true);
    expect(email).toMatchObject({ customer_id: c.id, channel: "email", allowed: true, source: "admin", recorded_by: shop.manager.userId });
    const sms = await setChannel(shop.owner, c.id, "sms", false, " POS ");
    expect(sms).toMatchObject({ customer_id: c.id, channel: "sms", allowed: false, source: "pos", recorded_by: shop.owner.userId });

    const entries = await customerTrail(c.id);
    expect(entries.map((e) => [e.action, e.by, e.changes])).toEqual([
      ["update", shop.manager.userId, { contact_email: { old: null, new: true }, contact_email_source: { old: null, new: "admin" } }],
      ["update", shop.owner.userId, { contact_sms: { old: null, new: false }, contact_sms_source: { old: null, new: "pos" } }],
    ]);
    // Recorded at the time of the change: the transaction's time, which its audit entry carries too.
    expect(email.recorded_at).toEqual(entries[0].created_at);
    expect(sms.recorded_at).toEqual(entries[1].created_at);

    // Changing one's mind is recorded anew, by whoever records it.
    const changed = await setChannel(shop.owner, c.id, "email", false, "online");
    expect(changed).toMatchObject({ channel: "email", allowed: false, source: "online", recorded_by: shop.owner.userId });
    const last = (await customerTrail(c.id)).at(-1)!;
    expect([last.by, last.changes]).toEqual([shop.owner.userId, { contact_email: { old: true, new: false }, contact_email_source: { old: "admin", new: "online" } }]);
    expect(changed.recorded_at).toEqual(last.created_at);
    const { rows } = await shop.manager.query(
      "select channel, allowed, source, recorded_by from app_public.customer_contact_channels where customer_id = $1 order by channel",
      [c.id],
    );
    expect(rows).toEqual([
      { channel: "email", allowed: false, source: "online", recorded_by: shop.owner.userId },
      { channel: "sms", allowed: false, source: "pos", recorded_by: shop.owner.userId },
    ]);
  });

  it.each([
    ["an unknown channel", "fax", true, "admin", "channel"],
    ["no channel", null, true, "admin", "channel"],
    ["no answer", "email", null, "admin", "allowed"],
    ["an unknown source", "email", true, "shop window", "source"],
    ["merge as a source (merges only)", "sms", true, "merge", "source"],
  ] as [string, string | null, boolean | null, string, string][])("refuses %s with BADIN under its field and writes nothing", async (_label, channel, allowed, source, field) => {
    const c = await createCustomer(shop.manager, { first_name: "Nope" });
    const before = await snapshot(shop.tenantId);
    expect(await failure(setChannel(shop.manager, c.id, channel, allowed, source))).toMatchObject({ code: "BADIN", field });
    expect(await snapshot(shop.tenantId)).toEqual(before);
  });

  it("a channel is named in any case; a change of source alone is audited as that channel's source, and nothing else", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Sol", phone: "+33612345602" });
    expect(await setChannel(shop.manager, c.id, " SMS ", true, "pos")).toMatchObject({ channel: "sms", allowed: true, source: "pos" });
    await setChannel(shop.manager, c.id, "sms", true, "online");
    expect((await customerTrail(c.id)).map((e) => e.changes)).toEqual([
      { contact_sms: { old: null, new: true }, contact_sms_source: { old: null, new: "pos" } },
      { contact_sms_source: { old: "pos", new: "online" } },
    ]);
    const { rows } = await shop.manager.query(
      "select t.summary from app_public.customers x, app_public.customers_timeline(x) t where x.id = $1 and t.kind = 'updated' order by t.occurred_at",
      [c.id],
    );
    expect(rows.map((r) => r.summary)).toEqual(["Changed SMS consent, SMS consent source", "Changed SMS consent source"]);
  });

  it("the same consent again (from the same source) writes nothing: the first record, its time and author stay", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Redo", phone: "+33612345679" });
    const first = await setChannel(shop.manager, c.id, "sms", true, "pos");
    const before = await snapshot(shop.tenantId);
    const again = await setChannel(shop.owner, c.id, "sms", true, "POS");
    expect(again).toEqual(first);
    expect(await snapshot(shop.tenantId)).toEqual(before);
    // The default source is the same as saying admin.
    await setChannel(shop.manager, c.id, "phone", true);
    const withDefault = await snapshot(shop.tenantId);
    await setChannel(shop.owner, c.id, "phone", true, "admin");
    expect(await snapshot(shop.tenantId)).toEqual(withDefault);
    expect(await customerTrail(c.id)).toHaveLength(2);
  });
});

describe("who may be contacted", () => {
  it("the rule: never with do-not-contact; else only a channel agreed to, with the detail it needs, for an active customer", async () => {
    const values = [null, false, true];
    const cases: [boolean | null, boolean | null, boolean | null, string][] = [];
    for (const dnc of values)
      for (const allowed of values)
        for (const detail of values) for (const status of ["active", "archived", "merged"]) cases.push([dnc, allowed, detail, status]);
    const { rows } = await db.owner.query(
      `select app_hidden.contact_allowed(x.dnc, x.allowed, x.detail, x.status) as may
       from rows from (jsonb_to_recordset($1::jsonb) as (dnc boolean, allowed boolean, detail boolean, status text))
         with ordinality as x(dnc, allowed, detail, status, n)
       order by n`,
      [JSON.stringify(cases.map(([dnc, allowed, detail, status]) => ({ dnc, allowed, detail, status })))],
    );
    const expected = cases.map(([dnc, allowed, detail, status]) => dnc !== true && allowed === true && detail === true && status === "active");
    expect(rows.map((r) => r.may)).toEqual(expected);
    // Spelled out, the cases a shop meets.
    const ask = async (dnc: boolean | null, allowed: boolean | null, detail: boolean, status = "active") =>
      (await db.owner.query("select app_hidden.contact_allowed($1, $2, $3, $4) as may", [dnc, allowed, detail, status])).rows[0].may;
    expect(await ask(null, true, true)).toBe(true); // no preferences recorded: not do-not-contact
    expect(await ask(false, null, true)).toBe(false); // consent never asked is not consent
    expect(await ask(false, false, true)).toBe(false); // refused
    expect(await ask(false, true, false)).toBe(false); // no email (or phone) to use
    expect(await ask(true, true, true)).toBe(false); // do-not-contact above all
    expect(await ask(false, true, true, "archived")).toBe(false);
  });

  it("do-not-contact turns every channel off, even those agreed to, and leaves the channels as recorded", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Dina", email: "dina@example.com", phone: "+33612345670" });
    expect(await mayContact(c.id)).toEqual({ email: false, sms: false, phone: false });
    for (const channel of CHANNELS) await setChannel(shop.manager, c.id, channel, true);
    expect(await mayContact(c.id)).toEqual({ email: true, sms: true, phone: true });

    await setPreferences(shop.manager, c.id, { do_not_contact: true });
    expect(await mayContact(c.id)).toEqual({ email: false, sms: false, phone: false });
    const { rows } = await shop.manager.query("select channel, allowed from app_public.customer_contact_channels where customer_id = $1 order by channel", [c.id]);
    expect(rows).toEqual([
      { channel: "email", allowed: true },
      { channel: "phone", allowed: true },
      { channel: "sms", allowed: true },
    ]);
    // Agreeing again to a channel does not lift it.
    await setChannel(shop.owner, c.id, "email", true, "pos");
    expect((await mayContact(c.id)).email).toBe(false);

    await setPreferences(shop.manager, c.id, { do_not_contact: false });
    expect(await mayContact(c.id)).toEqual({ email: true, sms: true, phone: true });
  });

  it("a channel needs its detail (an email for email, a phone for sms and phone), consent, and an active customer", async () => {
    const phoneOnly = await createCustomer(shop.manager, { first_name: "Phil", phone: "+33612345671" });
    for (const channel of CHANNELS) await setChannel(shop.manager, phoneOnly.id, channel, true);
    expect(await mayContact(phoneOnly.id)).toEqual({ email: false, sms: true, phone: true });

    const emailOnly = await createCustomer(shop.manager, { first_name: "Em", email: "em@example.com" });
    for (const channel of CHANNELS) await setChannel(shop.manager, emailOnly.id, channel, true);
    expect(await mayContact(emailOnly.id)).toEqual({ email: true, sms: false, phone: false });
    // Refused stays refused.
    await setChannel(shop.manager, emailOnly.id, "email", false);
    expect((await mayContact(emailOnly.id)).email).toBe(false);

    // Archived: nobody to contact; restored, the consent holds again.
    await shop.manager.query("select app_public.archive_customer($1)", [phoneOnly.id]);
    expect(await mayContact(phoneOnly.id)).toEqual({ email: false, sms: false, phone: false });
    await shop.manager.query("select app_public.restore_customer($1)", [phoneOnly.id]);
    expect(await mayContact(phoneOnly.id)).toEqual({ email: false, sms: true, phone: true });
  });
});

describe("favourite items", () => {
  it("adds and removes a catalog item; adding it twice keeps one and writes nothing; each change audited on the customer", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Fay" });
    const added = await addFavourite(shop.manager, c.id, shop.itemId);
    expect(added).toMatchObject({ customer_id: c.id, catalog_item_id: shop.itemId });
    expect(await favouritesOf(c.id)).toEqual(["Coffee"]);

    const before = await snapshot(shop.tenantId);
    expect(await addFavourite(shop.owner, c.id, shop.itemId)).toEqual(added);
    expect(await snapshot(shop.tenantId)).toEqual(before);

    expect(await removeFavourite(shop.owner, c.id, shop.itemId)).toMatchObject({ customer_id: c.id, catalog_item_id: shop.itemId });
    expect(await favouritesOf(c.id)).toEqual([]);
    expect((await customerTrail(c.id)).map((e) => [e.action, e.by, e.changes])).toEqual([
      ["update", shop.manager.userId, { favourite_items: { old: null, new: "+Coffee" } }],
      ["update", shop.owner.userId, { favourite_items: { old: "−Coffee", new: null } }],
    ]);

    // Removing what is not a favourite: NOTFD, nothing written.
    const after = await snapshot(shop.tenantId);
    expect(await failure(removeFavourite(shop.manager, c.id, shop.itemId))).toMatchObject({ code: "NOTFD", field: "catalog_item_id" });
    expect(await snapshot(shop.tenantId)).toEqual(after);
  });

  it("another business's item, or an unknown one, is not found (NOTFD, field catalog_item_id) and nothing is written", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Ivo" });
    const theirCustomer = await createCustomer(other.manager, { first_name: "Theirs too" });
    const [ours, their] = [await snapshot(shop.tenantId), await snapshot(other.tenantId)];
    expect(await failure(addFavourite(shop.manager, c.id, other.itemId))).toMatchObject({ code: "NOTFD", field: "catalog_item_id" });
    expect(await failure(addFavourite(shop.manager, c.id, "01NOSUCHITEM"))).toMatchObject({ code: "NOTFD", field: "catalog_item_id" });
    expect(await failure(addFavourite(shop.manager, c.id, null))).toMatchObject({ code: "NOTFD", field: "catalog_item_id" });
    // Nor does our item become a favourite of their customer.
    expect((await failure(addFavourite(shop.manager, theirCustomer.id, shop.itemId))).code).toBe("NOTFD");
    expect(await snapshot(shop.tenantId)).toEqual(ours);
    expect(await snapshot(other.tenantId)).toEqual(their);
  });

  it("at most 20 favourites: the 21st is refused (BADIN, field catalog_item_id) and written nowhere; one already there is still fine", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Many" });
    const { rows: items } = await shop.owner.query(
      "insert into app_public.catalog_items (name, sku, price) select 'Fav ' || lpad(g::text, 2, '0'), 'FAV-' || g, 100 from generate_series(1, 21) g returning id, name",
    );
    for (const item of items.slice(0, 20)) await addFavourite(shop.manager, c.id, item.id);
    expect(await favouritesOf(c.id)).toHaveLength(20);

    const before = await snapshot(shop.tenantId);
    expect(await failure(addFavourite(shop.manager, c.id, items[20].id))).toMatchObject({ code: "BADIN", field: "catalog_item_id" });
    expect(await snapshot(shop.tenantId)).toEqual(before);
    await addFavourite(shop.manager, c.id, items[3].id);
    expect(await snapshot(shop.tenantId)).toEqual(before);

    // Making room lets it in.
    await removeFavourite(shop.manager, c.id, items[0].id);
    await addFavourite(shop.manager, c.id, items[20].id);
    const names = await favouritesOf(c.id);
    expect(names).toHaveLength(20);
    expect(names).toContain("Fav 21");
    expect(names).not.toContain("Fav 01");
  });
});

describe("who may change them", () => {
  it("a cashier (no customers.update) can set none of them (DNIED) and nothing is written", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Kit", email: "kit@example.com" });
    await addFavourite(shop.manager, c.id, shop.itemId);
    const before = await snapshot(shop.tenantId);
    expect((await failure(setPreferences(shop.cashier, c.id, { do_not_contact: true }))).code).toBe("DNIED");
    expect((await failure(setChannel(shop.cashier, c.id, "email", true, "pos"))).code).toBe("DNIED");
    expect((await failure(addFavourite(shop.cashier, c.id, shop.itemId))).code).toBe("DNIED");
    expect((await failure(removeFavourite(shop.cashier, c.id, shop.itemId))).code).toBe("DNIED");
    expect(await snapshot(shop.tenantId)).toEqual(before);
  });

  it("another business's customer is not found (NOTFD) by any of the commands, and nothing is written", async () => {
    const theirs = await createCustomer(other.manager, { first_name: "Far", email: "far@example.com" });
    const their = await snapshot(other.tenantId);
    expect((await failure(setPreferences(shop.manager, theirs.id, { do_not_contact: true }))).code).toBe("NOTFD");
    expect((await failure(setChannel(shop.manager, theirs.id, "email", true))).code).toBe("NOTFD");
    expect((await failure(addFavourite(shop.manager, theirs.id, other.itemId))).code).toBe("NOTFD");
    expect(await snapshot(other.tenantId)).toEqual(their);
  });

  it("a merged customer cannot be changed (CMRGD, the customer it went into as ref), by any of the commands; nothing is written and it may not be contacted", async () => {
    const keep = await createCustomer(shop.manager, { first_name: "Keep", email: "keep@example.com" });
    const dup = await createCustomer(shop.manager, { first_name: "Dup", email: "dup@example.com" });
    await setChannel(shop.manager, dup.id, "email", true);
    await addFavourite(shop.manager, dup.id, shop.itemId);
    expect((await mayContact(dup.id)).email).toBe(true);
    await mergeCustomers(shop.manager, keep.id, dup.id);
    expect((await mayContact(dup.id)).email).toBe(false);

    const regular = await typeId(shop.manager, "regular");
    const before = await snapshot(shop.tenantId);
    const attempts: [string, () => Promise<unknown>][] = [
      ["set_customer_type", () => setType(shop.manager, dup.id, regular)],
      ["set_customer_preferences", () => setPreferences(shop.manager, dup.id, { do_not_contact: true })],
      ["set_customer_contact_channel", () => setChannel(shop.manager, dup.id, "sms", true)],
      ["add_customer_favourite_item", () => addFavourite(shop.manager, dup.id, shop.itemId)],
      ["remove_customer_favourite_item", () => removeFavourite(shop.manager, dup.id, shop.itemId)],
    ];
    for (const [name, attempt] of attempts) {
      const refused = await failure(attempt());
      expect([name, refused.code, refused.ref]).toEqual([name, "CMRGD", keep.id]);
    }
    expect(await snapshot(shop.tenantId)).toEqual(before);
  });
});

describe("the customer's audit trail", () => {
  it("tells each change in order: what changed, from what to what, and who made it", async () => {
    const vip = await typeId(shop.owner, "vip");
    const c = await createCustomer(shop.manager, { first_name: "Audra", email: "audra@example.com" });
    await setType(shop.manager, c.id, vip);
    await setPreferences(shop.owner, c.id, { preferred_payment: "card", language: "it" });
    await setChannel(shop.manager, c.id, "email", true, "online");
    await addFavourite(shop.owner, c.id, shop.itemId);
    await setPreferences(shop.manager, c.id, { do_not_contact: true });
    await removeFavourite(shop.manager, c.id, shop.itemId);
    await setType(shop.owner, c.id, null);

    const entries = await trail("customers", c.id);
    expect(entries[0]).toMatchObject({ action: "insert", by: shop.manager.userId });
    expect(entries.slice(1).map((e) => [e.action, e.by, e.changes])).toEqual([
      ["update", shop.manager.userId, { customer_type_id: { old: null, new: vip } }],
      ["update", shop.owner.userId, { preferred_payment: { old: null, new: "card" }, language: { old: null, new: "it" } }],
      ["update", shop.manager.userId, { contact_email: { old: null, new: true }, contact_email_source: { old: null, new: "online" } }],
      ["update", shop.owner.userId, { favourite_items: { old: null, new: "+Coffee" } }],
      ["update", shop.manager.userId, { do_not_contact: { old: false, new: true } }],
      ["update", shop.manager.userId, { favourite_items: { old: "−Coffee", new: null } }],
      ["update", shop.owner.userId, { customer_type_id: { old: vip, new: null } }],
    ]);
    // The business sees them as the owner reads the audit log.
    const { rows } = await shop.owner.query("select count(*)::int as n from app_public.audit_entries where entity = 'customers' and entity_id = $1", [c.id]);
    expect(rows[0].n).toBe(entries.length);
  });
});
