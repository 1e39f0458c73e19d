// Two tenants with rows of every kind, for the security suite (test/security/*).
//
// `buildTenant` onboards a business and gives it staff, locations, devices, catalog and stock,
// customers (with notes, an address, an archived one, a merged pair, a dismissed possible duplicate, a company with two contacts
// and an account — a sale on account invoiced and paid in part, one not invoiced, a suspension lifted —, Ann's account
// suspended, a pricing tier), orders (paid, open and
// partly paid, voided, cancelled with cash handed back), cash drawers (one closed with an entry, one open), folded
// read models, a finished CSV export and customer data bundle, the PDFs of the company's invoice and of a statement, billing
// requests, invoices and notices and, on request, an
// analyst login. Every name and email a tenant gets carries its
// label ("Alpha", "Bravo"…), so a response that leaks another tenant's data is easy to spot.
//
// `tenantRows` lists a tenant's rows by table, discovered from the catalog (every table with
// tenant_id and id in app_public, app_private and reporting), so a table added later is covered
// without editing this file. `fingerprint` hashes every row a tenant owns (plus its users and
// their sessions), to prove that nothing of it changed; `sensitiveStrings` is what must never
// reach another tenant: its row ids and every stored string carrying its label.
import pg from "pg";
import type { Member, TestDatabase } from "../helpers/db.ts";
import { testRootUrl } from "../helpers/env.ts";

export interface TenantFixture {
  label: string;
  tenantId: string;
  owner: Member;
  manager: Member;
  cashier: Member;
  /** Named rows, for tests that need one of a kind in a known state. */
  named: {
    mainLocationId: string;
    annexLocationId: string;
    deviceId: string;
    teaItemId: string;
    cakeItemId: string;
    teaStockId: string;
    annId: string;
    bobId: string;
    /** Merged into Bob. */
    cyId: string;
    /** Archived. */
    deeId: string;
    noteId: string;
    addressId: string;
    /** A company customer, with two contacts. */
    companyId: string;
    /** Its primary contact. */
    contactId: string;
    /** Ann's tier (level 1). */
    goldTierId: string;
    /** A tier nobody has (level 2). */
    spareTierId: string;
    /** A loyalty points reward (50 points = 3.00 off); Ann has 120 points. */
    rewardId: string;
    /** The company's invoice (open, paid in part). */
    accountInvoiceId: string;
    paidOrderId: string;
    /** A tea of the paid sale (2 teas and a cake, no refund). */
    paidTeaLineId: string;
    partOrderId: string;
    /** A sale with one of its two teas refunded. */
    refundedOrderId: string;
    voidedOrderId: string;
    cancelledOrderId: string;
    /** The annex's cash drawer, open. */
    openDrawerId: string;
    /** A third location, open, with no drawer or order open: it can be closed. */
    kioskLocationId: string;
    /** The kiosk's own tax rate. */
    taxRateId: string;
    /** A custom role nobody has. */
    customRoleId: string;
    /** A pending invitation (as cashier). */
    invitationId: string;
    cashierMembershipId: string;
    exportId: string;
    uploadingImportId: string;
    readyImportId: string;
    billingNoticeId: string;
    billingInvoiceId: string;
    billingRequestId: string;
    /** The stored PDFs of the company's invoice and of a statement of its account. */
    invoiceDocumentId: string;
    statementDocumentId: string;
    analystUsername: string | null;
  };
  /** Row ids by qualified table name ("app_public.customers"), as the owner role sees them. */
  rows: Record<string, string[]>;
  /** Drops what outlives the database (analyst login roles). */
  dispose(): Promise<void>;
}

/** The qualified names of every table that has both tenant_id and id columns. */
export async function tenantTables(db: TestDatabase): Promise<string[]> {
  const { rows } = await db.owner.query(
    `select format('%I.%I', c.table_schema, c.table_name) as t
     from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
     where c.table_schema in ('app_public', 'app_private', 'reporting') and t.table_type = 'BASE TABLE'
       and c.column_name = 'tenant_id'
       and exists (select 1 from information_schema.columns i
                   where i.table_schema = c.table_schema and i.table_name = c.table_name and i.column_name = 'id')
     order by 1`,
  );
  return rows.map((r) => r.t);
}

/** A tenant's row ids in every table with tenant_id and id (plus its tenant row, users and roles). */
export async function tenantRows(db: TestDatabase, tenantId: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of await tenantTables(db)) {
    const { rows } = await db.owner.query(`select id::text from ${t} where tenant_id = $1 order by id`, [tenantId]);
    out[t] = rows.map((r) => r.id);
  }
  out["app_public.tenants"] = [tenantId];
  const users = await db.owner.query("select user_id from app_public.memberships where tenant_id = $1 order by 1", [tenantId]);
  out["app_public.users"] = users.rows.map((r) => r.user_id);
  return out;
}

/**
 * A hash per table of every row the tenant owns: each table with a tenant_id column in
 * app_public, app_private and reporting, the tenant row, its members' users and sessions and
 * the worker jobs that name it. Compare two fingerprints with toEqual to see which table moved.
 */
export async function fingerprint(db: TestDatabase, tenantId: string): Promise<Record<string, string>> {
  const { rows: tables } = await db.owner.query(
    `select format('%I.%I', table_schema, table_name) as t from information_schema.columns c
     join information_schema.tables using (table_schema, table_name)
     where table_schema in ('app_public', 'app_private', 'reporting') and column_name = 'tenant_id' and table_type = 'BASE TABLE'
     order by 1`,
  );
  const sources: Record<string, string> = {};
  for (const { t } of tables) sources[t] = `select * from ${t} x where x.tenant_id = $1`;
  sources["app_public.tenants"] = "select * from app_public.tenants x where x.id = $1";
  sources["app_public.users"] =
    "select * from app_public.users x where x.id in (select user_id from app_public.memberships where tenant_id = $1)";
  sources["app_private.user_secrets"] =
    "select * from app_private.user_secrets x where x.user_id in (select user_id from app_public.memberships where tenant_id = $1)";
  sources["app_private.sessions"] =
    "select * from app_private.sessions x where x.user_id in (select user_id from app_public.memberships where tenant_id = $1)";
  const out: Record<string, string> = {};
  // One connection, one snapshot (repeatable read), read as the superuser so that no policy of
  // any role hides a row that the attack might have touched.
  const root = new pg.Client(rootUrlOf(db));
  await root.connect();
  try {
    await root.query("begin isolation level repeatable read read only");
    for (const [name, sql] of Object.entries(sources)) {
      const { rows } = await root.query(
        `select count(*)::int as n, md5(coalesce(string_agg(j, '|' order by j), '')) as h
         from (select to_jsonb(x)::text as j from (${sql}) x) s`,
        [tenantId],
      );
      out[name] = `${rows[0].n}:${rows[0].h}`;
    }
    const jobs = await root.query(
      `select count(*)::int as n from graphile_worker._private_jobs where payload::text like '%' || $1 || '%'`,
      [tenantId],
    ).catch(() => null);
    if (jobs) out["graphile_worker.jobs"] = String(jobs.rows[0].n);
    await root.query("commit");
  } finally {
    await root.end();
  }
  return out;
}

/**
 * What must never reach another tenant: its row ids and user ids (26-character ULIDs), its
 * members' emails, and every stored string (at any depth of any row) that carries its label.
 */
export async function sensitiveStrings(db: TestDatabase, fx: TenantFixture): Promise<Set<string>> {
  const out = new Set<string>();
  for (const ids of Object.values(fx.rows)) for (const id of ids) out.add(id);
  for (const m of [fx.owner, fx.manager, fx.cashier]) out.add(m.email);
  const root = new pg.Client(rootUrlOf(db));
  await root.connect();
  try {
    for (const t of Object.keys(fx.rows)) {
      const where = t === "app_public.tenants" ? "x.id = $1::text" : t === "app_public.users" ? "x.id = any($2::text[])" : "x.tenant_id = $1::text";
      const { rows } = await root.query(
        `with recursive v(j) as (select to_jsonb(x) from ${t} x where ${where}
           union all select e.value from v, lateral (
             select value from jsonb_each(case when jsonb_typeof(v.j) = 'object' then v.j end)
             union all select value from jsonb_array_elements(case when jsonb_typeof(v.j) = 'array' then v.j end)) e)
         select distinct j #>> '{}' as s from v
         where jsonb_typeof(j) = 'string' and (j #>> '{}') ilike '%' || $3::text || '%' and $1::text is not null and $2::text[] is not null`,
        [fx.tenantId, fx.rows["app_public.users"], fx.label],
      );
      for (const r of rows) out.add(r.s);
    }
  } finally {
    await root.end();
  }
  return out;
}

/** The (superuser) connection string of the test database. */
export function rootUrlOf(db: TestDatabase): string {
  const url = new URL(testRootUrl);
  url.pathname = `/${db.name}`;
  return url.toString();
}

const one = async (actor: Member, sql: string, params: unknown[] = []) => (await actor.query(sql, params)).rows[0];

/**
 * A business named `label` with rows of every kind (see the top of this file). Give it a label
 * that appears in no other tenant's data: every name and email made here contains it.
 */
export async function buildTenant(db: TestDatabase, label: string, opts: { analystLogin?: boolean } = {}): Promise<TenantFixture> {
  const lower = label.toLowerCase();
  const owner = await db.onboard({ company: `${label} Trading` });
  const tenantId = owner.tenantId;
  const manager = await db.asUser(tenantId, "manager");
  const cashier = await db.asUser(tenantId, "cashier");
  // Growth: room for a second location, devices and every module.
  await db.owner.query("update app_public.billing_subscriptions set plan_key = 'growth' where tenant_id = $1", [tenantId]);
  await db.owner.query("update app_public.users set name = $2 where id = any($1)", [[owner.userId, manager.userId, cashier.userId], `${label} Staff`]);
  await owner.query("update app_public.tenants set tax_rate_bps = 1000, name = $1", [`${label} Trading`]);

  const mainLocationId = (await one(owner, "update app_public.locations set name = $1 returning id", [`${label} Main`])).id;
  const annexLocationId = (await one(owner, "insert into app_public.locations (name, timezone) values ($1, 'America/New_York') returning id", [`${label} Annex`])).id;
  const device = (name: string) => one(owner, "insert into app_public.devices (location_id, name) values ($1, $2) returning id", [mainLocationId, name]);
  const deviceId = (await device(`${label} Till`)).id;
  await device(`${label} Spare till`);

  const item = (name: string, sku: string, price: number) =>
    one(manager, "insert into app_public.catalog_items (name, sku, price) values ($1, $2, $3) returning id", [name, sku, price]);
  const teaItemId = (await item(`${label} Tea`, `${label}-TEA`, 300)).id;
  const cakeItemId = (await item(`${label} Cake`, `${label}-CAKE`, 450)).id;
  const teaStockId = (
    await one(manager, "insert into app_public.inventory_items (name, catalog_item_id, low_stock_threshold) values ($1, $2, 2) returning id", [
      `${label} Tea stock`,
      teaItemId,
    ])
  ).id;
  await one(manager, "select * from app_public.record_inventory_movement($1, $2, 10, 'receive', $3)", [mainLocationId, teaStockId, `${label} delivery`]);

  const customer = (first: string, email: string | null, phone: string | null) =>
    one(
      cashier,
      "select * from app_public.create_customer(email => $1, phone => $2, first_name => $3, last_name => $4, notes => $5, tags => $6)",
      [email, phone, first, `${label}son`, `${label} private notes`, [`${lower}-vip`]],
    );
  const annId = (await customer(`${label}-Ann`, `${lower}-ann@example.com`, "+33 6 12 34 56 78")).id;
  const bobId = (await customer(`${label}-Bob`, `${lower}-bob@example.com`, null)).id;
  const cyId = (await customer(`${label}-Cy`, `${lower}-cy@example.com`, null)).id;
  const deeId = (await customer(`${label}-Dee`, null, null)).id;
  await one(owner, "select * from app_public.merge_customers($1, $2)", [bobId, cyId]);
  await one(owner, "select * from app_public.archive_customer($1)", [deeId]);
  // A verification code on its way to Ann's phone (app_private.phone_codes and sms_messages).
  await one(manager, "select * from app_public.request_phone_code($1)", [annId]);
  // Ann and Dee are not the same person (a dismissed possible duplicate).
  await one(manager, "select app_public.dismiss_possible_duplicate($1, $2)", [annId, deeId]);
  // Two notes and two addresses (and two devices above): a test may delete one and still have one.
  const note = (body: string) =>
    one(manager, "insert into app_public.customer_notes (customer_id, category, body) values ($1, 'preference', $2) returning id", [annId, body]);
  const noteId = (await note(`${label} likes oolong`)).id;
  await note(`${label} pays by card`);
  const address = (line1: string, type: string) =>
    one(manager, "insert into app_public.customer_addresses (customer_id, type, line1, city, country) values ($1, $2, $3, $4, 'FR') returning id", [
      annId,
      type,
      line1,
      `${label}ville`,
    ]);
  const addressId = (await address(`1 rue ${label}`, "home")).id;
  await address(`2 avenue ${label}`, "work");
  // A company customer with two contacts (the first primary): a test may remove one and still have one.
  const companyId = (
    await one(manager, "select * from app_public.create_customer(kind => 'company', company_name => $1, tax_id => $2, internal_notes => $3, phone => $4)", [
      `${label} Holdings`,
      `DE${String(label.length).padStart(9, "0")}`,
      `${label} account notes`,
      // A phone no code was sent to yet (the sweeps ask one for it; Ann has hers on its way).
      "+33 6 98 76 54 32",
    ])
  ).id;
  const contact = (first: string) =>
    one(manager, "select * from app_public.add_customer_contact($1, first_name => $2, last_name => $3, email => $4)", [
      companyId,
      `${label}-${first}`,
      `${label}son`,
      `${lower}-${first.toLowerCase()}@example.com`,
    ]);
  const contactId = (await contact("Eve")).id;
  await contact("Fay");
  // A call and a meeting logged with Ann (the timeline's staff-entered activities).
  for (const [kind, note] of [["call", `${label} asked about oolong`], ["meeting", `${label} tasting`]]) {
    await one(manager, "insert into app_public.customer_interactions (customer_id, kind, note) values ($1, $2, $3) returning id", [annId, kind, note]);
  }

  // A cash drawer of the main location, with cash taken out.
  const drawer = await one(cashier, "select * from app_public.open_cash_drawer($1, 5000)", [mainLocationId]);
  await one(cashier, "select * from app_public.record_cash_drawer_entry($1, 'out', 200, $2)", [drawer.id, `${label} milk`]);
  // Closed, so the sweeps can open one at the main location with A's ids; the annex's stays open,
  // so they can close it with A's ids.
  await one(cashier, "select * from app_public.close_cash_drawer($1, 4800)", [drawer.id]);
  const openDrawer = await one(cashier, "select * from app_public.open_cash_drawer($1, 1000)", [annexLocationId]);

  const order = (customerId: string | null, lines: unknown) =>
    one(cashier, "select * from app_public.place_order($1, $2::jsonb, $3)", [mainLocationId, JSON.stringify(lines), customerId]);
  const paid = await order(annId, [{ catalog_item_id: teaItemId, quantity: 2 }, { catalog_item_id: cakeItemId, quantity: 1 }]);
  await one(cashier, "select * from app_public.record_tender($1, 'card', $2)", [paid.id, paid.total]);
  const part = await order(bobId, [{ catalog_item_id: cakeItemId, quantity: 1 }]);
  await one(cashier, "select * from app_public.record_tender($1, 'cash', 100)", [part.id]);
  const voided = await order(null, [{ catalog_item_id: teaItemId, quantity: 1 }]);
  await one(cashier, "select * from app_public.record_tender($1, 'cash', $2)", [voided.id, voided.total]);
  await one(manager, "select * from app_public.void_order($1, $2)", [voided.id, `${label} wrong till`]);
  // A sale with one of its two teas refunded (cash back); the paid sale above has no refund, so it can be voided.
  const refunded = await order(null, [{ catalog_item_id: teaItemId, quantity: 2 }]);
  await one(cashier, "select * from app_public.record_tender($1, 'cash', $2)", [refunded.id, refunded.total]);
  const refundedLine = await one(manager, "select id from app_public.order_lines where order_id = $1", [refunded.id]);
  await one(manager, "select * from app_public.refund_order_lines($1, $2::jsonb, $3)", [
    refunded.id, JSON.stringify([{ order_line_id: refundedLine.id, quantity: 1 }]), `${label} cold tea`,
  ]);
  const paidTeaLine = await one(manager, "select id from app_public.order_lines where order_id = $1 and catalog_item_id = $2", [paid.id, teaItemId]);
  // One of Ann's favourites.
  await one(manager, "select * from app_public.add_customer_favourite_item($1, $2)", [annId, teaItemId]);
  // A pricing tier named with the label, given to Ann (after her sales, so their amounts stay as
  // they were), and one nobody has (it can be deleted).
  const goldTierId = (
    await one(owner, "select * from app_public.create_customer_tier($1, 1, 1000, $2, '#c9a227', 100000, 12)", [`${label} Gold`, `${label} free refills`])
  ).id;
  await one(manager, "select * from app_public.set_customer_tier($1, $2)", [annId, goldTierId]);
  const spareTierId = (await one(owner, "select * from app_public.create_customer_tier($1, 2, 500)", [`${label} Silver`])).id;
  // Loyalty points: the program on, a reward, and points given to Ann by hand (her sales came before).
  await one(owner, "select * from app_public.update_loyalty_points_program(enabled => true)");
  const rewardId = (await one(owner, "select * from app_public.create_loyalty_point_reward($1, 50, 300)", [`${label} free tea`])).id;
  await one(owner, "select * from app_public.adjust_loyalty_points($1, 120, $2)", [annId, `${label} welcome points`]);
  // The company's account: a sale on account, invoiced, paid in part; suspended then reactivated.
  await one(manager, "select * from app_public.open_customer_account($1, 1000000, 30, $2)", [companyId, `${label} supply contract`]);
  const onAccount = await order(companyId, [{ catalog_item_id: cakeItemId, quantity: 2 }]);
  await one(cashier, "select * from app_public.record_tender($1, 'account', $2)", [onAccount.id, onAccount.total]);
  const accountInvoiceId = (await one(manager, "select * from app_public.invoice_customer_account($1)", [companyId])).id;
  await one(manager, "select * from app_public.record_account_payment($1, 100, 'bank_transfer', $2)", [companyId, `${label}-TRX`]);
  await one(manager, "select * from app_public.suspend_customer_account($1, 'technical', $2)", [companyId, `${label} reader broken`]);
  await one(manager, "select * from app_public.reactivate_customer_account($1, $2)", [companyId, `${label} reader fixed`]);
  // A second sale on account, not invoiced yet; and Ann's account, suspended.
  const onAccountToo = await order(companyId, [{ catalog_item_id: teaItemId, quantity: 1 }]);
  await one(cashier, "select * from app_public.record_tender($1, 'account', $2)", [onAccountToo.id, onAccountToo.total]);
  await one(manager, "select * from app_public.open_customer_account($1, 50000, 14, $2)", [annId, `${label} regular`]);
  await one(manager, "select * from app_public.suspend_customer_account($1, 'customer_request', $2)", [annId, `${label} on holiday`]);
  // Ann paid ahead: credit no invoice has used, which can be paid back.
  await one(manager, "select * from app_public.record_account_payment($1, 500, 'cash', $2)", [annId, `${label}-ahead`]);
  // An order given up after part of it was paid: cancelled, the cash handed back.
  const cancelled = await order(null, [{ catalog_item_id: cakeItemId, quantity: 1 }]);
  await one(cashier, "select * from app_public.record_tender($1, 'cash', 50)", [cancelled.id]);
  await one(cashier, "select * from app_public.cancel_order($1, $2)", [cancelled.id, `${label} walked away`]);

  // The PDFs of the company's invoice and of a statement of its account, stored as the worker writes them.
  const statementDocumentId = (await one(manager, "select * from app_public.request_account_statement($1, current_date - 30, current_date)", [companyId])).id;
  const invoiceDocumentId = (await db.owner.query("select id from app_public.account_documents where invoice_id = $1", [accountInvoiceId])).rows[0].id;
  for (const documentId of [invoiceDocumentId, statementDocumentId]) {
    const job = (await db.owner.query("select app_private.start_account_document($1, $2) as job", [tenantId, documentId])).rows[0].job;
    const pdf = Buffer.from(`%PDF-1.7 ${label} Holdings ${label}-TRX`);
    await db.owner.query("select app_private.write_account_document_chunk($1, $2, 0, $3)", [tenantId, documentId, pdf]);
    await db.owner.query("select app_private.finish_account_document($1, $2, $3, 1, $4)", [tenantId, documentId, job.revision, pdf.length]);
  }

  // Read models, as the worker's fold would make them.
  await db.owner.query("select app_private.reporting_fold($1)", [tenantId]);

  // A finished CSV export whose stored file names the tenant's customer, as the worker writes it.
  const exportId = (await one(owner, "select * from reporting.request_export('customers', '{}')")).id;
  await db.owner.query("select app_private.start_export($1, $2)", [tenantId, exportId]);
  const csv = Buffer.from(`name,email\n${label}-Ann ${label}son,${lower}-ann@example.com\n`);
  await db.owner.query("select app_private.write_export_chunk($1, $2, 0, $3, 1, $4)", [tenantId, exportId, csv, csv.length]);
  await db.owner.query("select app_private.finish_export($1, $2, 1, 1, $3)", [tenantId, exportId, csv.length]);

  // Customer imports: one being uploaded, and one ready for preview with a row refused, as the
  // upload route and the worker's parse task leave them.
  const importFile = Buffer.from(`Email,First Name\n${lower}-import@example.com,${label}-Imported\nnot-an-email,${label}-Refused\n`);
  const uploadingImportId = (await one(manager, "select app_hidden.begin_customer_import($1) as id", [`${lower}-uploading.csv`])).id;
  await manager.query("select app_hidden.write_customer_import_chunk($1, $2)", [uploadingImportId, importFile]);
  const importId = (await one(manager, "select app_hidden.begin_customer_import($1) as id", [`${lower}-customers.csv`])).id;
  await manager.query("select app_hidden.write_customer_import_chunk($1, $2)", [importId, importFile]);
  await manager.query("select app_hidden.finish_customer_import_upload($1)", [importId]);
  await db.owner.query("select app_private.start_customer_import_parse($1, $2)", [tenantId, importId]);
  await db.owner.query("select app_private.stage_customer_import_rows($1, $2, 2, $3::jsonb)", [
    tenantId,
    importId,
    JSON.stringify([[`${lower}-import@example.com`, `${label}-Imported`], ["not-an-email", `${label}-Refused`]]),
  ]);
  await db.owner.query("select app_private.finish_customer_import_parse($1, $2, array['Email', 'First Name'], 'utf-8', ',')", [tenantId, importId]);
  // A finished bundle of Ann's data (her own request), as the worker writes it.
  const dataExportId = (await one(owner, "select * from app_public.request_customer_data($1, $2)", [annId, `${label} asked at the counter`])).id;
  await db.owner.query("select app_private.start_customer_data_export($1, $2)", [tenantId, dataExportId]);
  const zip = Buffer.from(`PK customer.json ${label}-Ann ${lower}-ann@example.com`);
  await db.owner.query("select app_private.write_customer_data_chunk($1, $2, 0, $3, 4, $4)", [tenantId, dataExportId, zip, zip.length]);
  await db.owner.query("select app_private.finish_customer_data_export($1, $2, 1, $3)", [tenantId, dataExportId, zip.length]);

  // Billing: a portal request through the API; an invoice and a notice as the Stripe jobs store them.
  const billingRequestId = (await one(owner, "select * from app_public.request_billing_portal()")).id;
  const inv = await db.owner.query(
    `insert into app_public.billing_invoices (tenant_id, stripe_invoice_id, number, status, currency, amount_due, amount_paid,
       hosted_invoice_url, invoiced_at, last_stripe_event_at)
     values ($1, $2, $3, 'open', 'eur', 2900, 0, $4, now(), now()) returning id`,
    [tenantId, `in_${lower}_${tenantId}`, `${label}-0001`, `https://invoice.example.com/${lower}`],
  );
  const notice = await db.owner.query(
    `insert into app_public.billing_notices (tenant_id, kind, message, stripe_event_id)
     values ($1, 'payment_failed', $2, $3) returning id`,
    [tenantId, `${label}: your card was declined`, `evt_${lower}_${tenantId}`],
  );

  let analystUsername: string | null = null;
  if (opts.analystLogin) {
    analystUsername = (await one(owner, "select * from reporting.create_analyst_login($1)", [`${label} notebook`])).username;
  }

  // Staff settings: a third location with nothing open (it can be closed) charging a tax rate of
  // its own, a custom role, a pending invitation.
  const kioskLocationId = (await one(owner, "insert into app_public.locations (name, timezone) values ($1, 'Europe/Paris') returning id", [`${label} Kiosk`])).id;
  const taxRateId = (await one(owner, "select * from app_public.create_tax_rate($1, 500)", [`${label} City tax`])).id;
  await owner.query("select app_public.set_location_tax_rate($1, $2)", [kioskLocationId, taxRateId]);
  const customRoleId = (await one(owner, "select * from app_public.create_role($1, array['reports.view', 'inventory.manage'])", [`${label} Stock keeper`])).id;
  const cashierRoleId = (await one(owner, "select id from app_public.roles where key = 'cashier'")).id;
  const invitationId = (await one(owner, "select * from app_public.invite_member($1, $2)", [`${lower}-new-hire@example.com`, cashierRoleId])).invitation_id;
  const cashierMembershipId = (await one(owner, "select id from app_public.memberships where user_id = $1", [cashier.userId])).id;

  const rows = await tenantRows(db, tenantId);
  // Analyst logins are keyed by their role name (no id column).
  if (analystUsername) rows["app_private.analyst_logins"] = [analystUsername];
  const fx: TenantFixture = {
    label,
    tenantId,
    owner,
    manager,
    cashier,
    named: {
      mainLocationId,
      annexLocationId,
      deviceId,
      teaItemId,
      cakeItemId,
      teaStockId,
      annId,
      bobId,
      cyId,
      deeId,
      noteId,
      addressId,
      companyId,
      contactId,
      goldTierId,
      spareTierId,
      rewardId,
      accountInvoiceId,
      paidOrderId: paid.id,
      paidTeaLineId: paidTeaLine.id,
      partOrderId: part.id,
      refundedOrderId: refunded.id,
      voidedOrderId: voided.id,
      cancelledOrderId: cancelled.id,
      openDrawerId: openDrawer.id,
      kioskLocationId,
      taxRateId,
      customRoleId,
      invitationId,
      cashierMembershipId,
      exportId,
      uploadingImportId,
      readyImportId: importId,
      billingNoticeId: notice.rows[0].id,
      billingInvoiceId: inv.rows[0].id,
      billingRequestId,
      invoiceDocumentId,
      statementDocumentId,
      analystUsername,
    },
    rows,
    async dispose() {
      if (!analystUsername) return;
      // Roles outlive the test database.
      const root = new pg.Client(testRootUrl);
      await root.connect();
      try {
        await root.query(`drop role if exists "${analystUsername.replace(/"/g, '""')}"`);
      } finally {
        await root.end();
      }
    },
  };
  return fx;
}

/** Names that say which kind of row an id points at without saying it in the usual `<table>_id` way. */
const ID_ALIASES: Record<string, string> = {
  primary: "customers",
  duplicate: "customers",
  survivor: "customers",
  merged_into: "customers",
  author_user: "users",
  actor_user: "users",
  requested_by: "users",
  user: "users",
  username: "analyst_logins",
  import: "customer_imports",
  contact: "customer_contacts",
  billing_address: "customer_addresses",
  shipping_address: "customer_addresses",
  tier: "customer_tiers",
  loyalty_reward: "loyalty_point_rewards",
};

/** snake_case of a GraphQL or SQL name ("inventoryItemId" → "inventory_item_id"). */
export const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

/**
 * Whether an argument or input field name designates a tenant-owned row (`id`, `row_id`,
 * `customer_id`, `customerIds`, `primaryId`, `username`…).
 */
export function isIdName(name: string): boolean {
  const s = snake(name);
  // A company's tax ID is a number of the tax office, not a row's id.
  if (s === "tax_id") return false;
  return s === "id" || s === "row_id" || s === "node_id" || /_ids?$/.test(s) || s in ID_ALIASES;
}

/**
 * The table (a key of `TenantFixture.rows`) an id-named argument points at, from its name:
 * `customer_id`/`customerId` → app_public.customers, `duplicate_id` → customers, `export_id` →
 * reporting.exports. Null when the name does not say (bare `id`, unknown words): callers then use
 * the operation's own table, or try every kind.
 */
export function tableForIdName(name: string, tables: string[]): string | null {
  let s = snake(name).replace(/^(row_|node_)/, "");
  if (s === "id" || s === "ids" || s === "row_id") return null;
  s = s.replace(/_ids?$/, "");
  s = ID_ALIASES[s] ?? s;
  const plural = [s, `${s}s`, `${s}es`, s.replace(/y$/, "ies")];
  for (const schema of ["app_public", "reporting", "app_private"]) {
    for (const p of plural) {
      const t = `${schema}.${p}`;
      if (tables.includes(t)) return t;
    }
  }
  return null;
}

/** A well-formed ULID that no row has (Crockford base 32, time part of now). */
export function randomUlid(): string {
  const abc = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  let t = Date.now();
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = abc[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rand = "";
  for (let i = 0; i < 16; i++) rand += abc[Math.floor(Math.random() * 32)];
  return time + rand;
}

/** Every string in a value, at any depth (the strings inside JSON text included). */
export function strings(v: unknown): string[] {
  if (typeof v === "string") {
    if (/^[[{]/.test(v)) {
      try {
        return [v, ...strings(JSON.parse(v))];
      } catch {}
    }
    return [v];
  }
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === "object") return Object.values(v).flatMap(strings);
  return [];
}

/**
 * The secrets (see `sensitiveStrings`) found in a result. In each string, what the caller sent
 * itself is blanked out first: an answer may echo or combine its own arguments (an id in an
 * error message, the fields of a row passed in), which leaks nothing.
 */
export function leaked(result: unknown, sent: Set<string>, secrets: Set<string>): string[] {
  const echo = [...sent].filter((x) => x.length >= 3).sort((x, y) => y.length - x.length);
  const out = new Set<string>();
  for (let text of strings(result)) {
    for (const x of echo) text = text.split(x).join("\u0000");
    for (const s of secrets) if (text.includes(s)) out.add(s);
  }
  return [...out];
}
