------------------------------------------------------------------------------------------------
-- Money a shop can reconcile, 1: every business has a currency (ISO 4217) and a locale, and
-- amounts are counted in its minor units (cents; yen; fils). (Tables and data here; the rules in
-- the fixtures included below.)

-- ISO 4217's current currencies with their minor units (the exponent: JPY 0, USD 2, KWD 3).
create table if not exists app_public.currencies (
  code text primary key check (code ~ '^[A-Z]{3}$'),
  name text not null check (length(name) between 1 and 80),
  minor_units int not null check (minor_units between 0 and 4)
);
insert into app_public.currencies (code, name, minor_units) values
  ('AED', 'United Arab Emirates Dirham', 2),
  ('AFN', 'Afghan Afghani', 2),
  ('ALL', 'Albanian Lek', 2),
  ('AMD', 'Armenian Dram', 2),
  ('AOA', 'Angolan Kwanza', 2),
  ('ARS', 'Argentine Peso', 2),
  ('AUD', 'Australian Dollar', 2),
  ('AWG', 'Aruban Florin', 2),
  ('AZN', 'Azerbaijani Manat', 2),
  ('BAM', 'Bosnia-Herzegovina Convertible Mark', 2),
  ('BBD', 'Barbadian Dollar', 2),
  ('BDT', 'Bangladeshi Taka', 2),
  ('BGN', 'Bulgarian Lev', 2),
  ('BHD', 'Bahraini Dinar', 3),
  ('BIF', 'Burundian Franc', 0),
  ('BMD', 'Bermudan Dollar', 2),
  ('BND', 'Brunei Dollar', 2),
  ('BOB', 'Bolivian Boliviano', 2),
  ('BRL', 'Brazilian Real', 2),
  ('BSD', 'Bahamian Dollar', 2),
  ('BTN', 'Bhutanese Ngultrum', 2),
  ('BWP', 'Botswanan Pula', 2),
  ('BYN', 'Belarusian Ruble', 2),
  ('BZD', 'Belize Dollar', 2),
  ('CAD', 'Canadian Dollar', 2),
  ('CDF', 'Congolese Franc', 2),
  ('CHF', 'Swiss Franc', 2),
  ('CLP', 'Chilean Peso', 0),
  ('CNY', 'Chinese Yuan', 2),
  ('COP', 'Colombian Peso', 2),
  ('CRC', 'Costa Rican Colón', 2),
  ('CUP', 'Cuban Peso', 2),
  ('CVE', 'Cape Verdean Escudo', 2),
  ('CZK', 'Czech Koruna', 2),
  ('DJF', 'Djiboutian Franc', 0),
  ('DKK', 'Danish Krone', 2),
  ('DOP', 'Dominican Peso', 2),
  ('DZD', 'Algerian Dinar', 2),
  ('EGP', 'Egyptian Pound', 2),
  ('ERN', 'Eritrean Nakfa', 2),
  ('ETB', 'Ethiopian Birr', 2),
  ('EUR', 'Euro', 2),
  ('FJD', 'Fijian Dollar', 2),
  ('FKP', 'Falkland Islands Pound', 2),
  ('GBP', 'British Pound', 2),
  ('GEL', 'Georgian Lari', 2),
  ('GHS', 'Ghanaian Cedi', 2),
  ('GIP', 'Gibraltar Pound', 2),
  ('GMD', 'Gambian Dalasi', 2),
  ('GNF', 'Guinean Franc', 0),
  ('GTQ', 'Guatemalan Quetzal', 2),
  ('GYD', 'Guyanaese Dollar', 2),
  ('HKD', 'Hong Kong Dollar', 2),
  ('HNL', 'Honduran Lempira', 2),
  ('HTG', 'Haitian Gourde', 2),
  ('HUF', 'Hungarian Forint', 2),
  ('IDR', 'Indonesian Rupiah', 2),
  ('ILS', 'Israeli New Shekel', 2),
  ('INR', 'Indian Rupee', 2),
  ('IQD', 'Iraqi Dinar', 3),
  ('IRR', 'Iranian Rial', 2),
  ('ISK', 'Icelandic Króna', 0),
  ('JMD', 'Jamaican Dollar', 2),
  ('JOD', 'Jordanian Dinar', 3),
  ('JPY', 'Japanese Yen', 0),
  ('KES', 'Kenyan Shilling', 2),
  ('KGS', 'Kyrgyz Som', 2),
  ('KHR', 'Cambodian Riel', 2),
  ('KMF', 'Comorian Franc', 0),
  ('KPW', 'North Korean Won', 2),
  ('KRW', 'South Korean Won', 0),
  ('KWD', 'Kuwaiti Dinar', 3),
  ('KYD', 'Cayman Islands Dollar', 2),
  ('KZT', 'Kazakhstani Tenge', 2),
  ('LAK', 'Laotian Kip', 2),
  ('LBP', 'Lebanese Pound', 2),
  ('LKR', 'Sri Lankan Rupee', 2),
  ('LRD', 'Liberian Dollar', 2),
  ('LSL', 'Lesotho Loti', 2),
  ('LYD', 'Libyan Dinar', 3),
  ('MAD', 'Moroccan Dirham', 2),
  ('MDL', 'Moldovan Leu', 2),
  ('MGA', 'Malagasy Ariary', 2),
  ('MKD', 'Macedonian Denar', 2),
  ('MMK', 'Myanmar Kyat', 2),
  ('MNT', 'Mongolian Tugrik', 2),
  ('MOP', 'Macanese Pataca', 2),
  ('MRU', 'Mauritanian Ouguiya', 2),
  ('MUR', 'Mauritian Rupee', 2),
  ('MVR', 'Maldivian Rufiyaa', 2),
  ('MWK', 'Malawian Kwacha', 2),
  ('MXN', 'Mexican Peso', 2),
  ('MYR', 'Malaysian Ringgit', 2),
  ('MZN', 'Mozambican Metical', 2),
  ('NAD', 'Namibian Dollar', 2),
  ('NGN', 'Nigerian Naira', 2),
  ('NIO', 'Nicaraguan Córdoba', 2),
  ('NOK', 'Norwegian Krone', 2),
  ('NPR', 'Nepalese Rupee', 2),
  ('NZD', 'New Zealand Dollar', 2),
  ('OMR', 'Omani Rial', 3),
  ('PAB', 'Panamanian Balboa', 2),
  ('PEN', 'Peruvian Sol', 2),
  ('PGK', 'Papua New Guinean Kina', 2),
  ('PHP', 'Philippine Peso', 2),
  ('PKR', 'Pakistani Rupee', 2),
  ('PLN', 'Polish Zloty', 2),
  ('PYG', 'Paraguayan Guarani', 0),
  ('QAR', 'Qatari Riyal', 2),
  ('RON', 'Romanian Leu', 2),
  ('RSD', 'Serbian Dinar', 2),
  ('RUB', 'Russian Ruble', 2),
  ('RWF', 'Rwandan Franc', 0),
  ('SAR', 'Saudi Riyal', 2),
  ('SBD', 'Solomon Islands Dollar', 2),
  ('SCR', 'Seychellois Rupee', 2),
  ('SDG', 'Sudanese Pound', 2),
  ('SEK', 'Swedish Krona', 2),
  ('SGD', 'Singapore Dollar', 2),
  ('SHP', 'St. Helena Pound', 2),
  ('SLE', 'Sierra Leonean Leone', 2),
  ('SOS', 'Somali Shilling', 2),
  ('SRD', 'Surinamese Dollar', 2),
  ('SSP', 'South Sudanese Pound', 2),
  ('STN', 'São Tomé & Príncipe Dobra', 2),
  ('SVC', 'Salvadoran Colón', 2),
  ('SYP', 'Syrian Pound', 2),
  ('SZL', 'Swazi Lilangeni', 2),
  ('THB', 'Thai Baht', 2),
  ('TJS', 'Tajikistani Somoni', 2),
  ('TMT', 'Turkmenistani Manat', 2),
  ('TND', 'Tunisian Dinar', 3),
  ('TOP', 'Tongan Paʻanga', 2),
  ('TRY', 'Turkish Lira', 2),
  ('TTD', 'Trinidad & Tobago Dollar', 2),
  ('TWD', 'New Taiwan Dollar', 2),
  ('TZS', 'Tanzanian Shilling', 2),
  ('UAH', 'Ukrainian Hryvnia', 2),
  ('UGX', 'Ugandan Shilling', 0),
  ('USD', 'US Dollar', 2),
  ('UYU', 'Uruguayan Peso', 2),
  ('UZS', 'Uzbekistani Som', 2),
  ('VES', 'Venezuelan Bolívar', 2),
  ('VND', 'Vietnamese Dong', 0),
  ('VUV', 'Vanuatu Vatu', 0),
  ('WST', 'Samoan Tala', 2),
  ('XAF', 'Central African CFA Franc', 0),
  ('XCD', 'East Caribbean Dollar', 2),
  ('XCG', 'Caribbean guilder', 2),
  ('XOF', 'West African CFA Franc', 0),
  ('XPF', 'CFP Franc', 0),
  ('YER', 'Yemeni Rial', 2),
  ('ZAR', 'South African Rand', 2),
  ('ZMW', 'Zambian Kwacha', 2),
  ('ZWG', 'Zimbabwean Gold', 2)
on conflict (code) do update set name = excluded.name, minor_units = excluded.minor_units;
do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.currencies'::regclass) then
    perform app_private.secure_table('app_public.currencies');
  end if;
end $$;
comment on table app_public.currencies is E'@behavior -insert -update -delete\nThe currencies a business may count in (ISO 4217), with their minor units.';
comment on column app_public.currencies.code is 'ISO 4217 code, such as USD, EUR or JPY.';
comment on column app_public.currencies.name is 'English name, such as US Dollar.';
comment on column app_public.currencies.minor_units is 'Digits after the decimal mark: amounts are stored in 1/10^minorUnits of the currency (USD 2: cents; JPY 0; KWD 3).';

-- Existing businesses counted in dollars (the amounts keep their meaning: cents).
alter table app_public.tenants add column if not exists currency text not null default 'USD' references app_public.currencies (code);
create index if not exists tenants_currency_idx on app_public.tenants (currency);
alter table app_public.tenants add column if not exists locale text not null default 'en-US' check (length(locale) between 2 and 35);
comment on column app_public.tenants.currency is E'The currency the business sells in (ISO 4217). Every amount of the business is in its minor units. Changes only while the business has no sale (CURFX).';
comment on column app_public.tenants.locale is 'How numbers, amounts and dates are written for the business (a BCP 47 tag such as en-US, fr-FR or ar-OM).';
comment on constraint tenants_currency_fkey on app_public.tenants is E'@fieldName currencyInfo\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';

drop function if exists app_hidden.onboard(text, text, text, text, text);
drop function if exists app_private.create_tenant_for(text, text, text);
drop function if exists app_public.create_business(text, text);
--!include platform/110-input.sql
--!include sales/301-money.sql
--!include identity/201-tenants-users-locations.sql
--!include identity/220-auth.sql
--!include customers/480-types-and-preferences.sql

------------------------------------------------------------------------------------------------
-- Money a shop can reconcile, 2 and 3: Square's sales definitions (db/REPORTING.md), and a void
-- records the money it hands back, per tender type, on the day it leaves the till.

-- What went back to the customer, per tender type (cash from the drawer, card back to the card):
-- written by void_order (and later partial refunds), never changed.
create table if not exists app_public.refund_tenders (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  order_id text not null,
  type text not null check (type in ('cash', 'card')),
  amount int not null check (amount > 0),
  reason text not null check (length(reason) between 1 and 500),
  -- The refund's date at the order's location (the day the money left the till).
  business_date date not null,
  -- Who refunded; not a foreign key: refund tenders never change.
  refunded_by_user_id text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, order_id) references app_public.orders (tenant_id, id)
);
create index if not exists refund_tenders_order_idx on app_public.refund_tenders (tenant_id, order_id, created_at);
do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.refund_tenders'::regclass) then
    perform app_private.secure_table('app_public.refund_tenders');
  end if;
  -- A suspended business's refunds are out of reach like its orders (TSUSP).
  if not exists (select 1 from pg_policy p where p.polrelid = 'app_public.refund_tenders'::regclass and p.polname = 'active_tenant_only') then
    perform app_private.enforce_active_tenant('app_public.refund_tenders');
  end if;
end $$;
comment on table app_public.refund_tenders is E'@unique id\nMoney handed back for an order, per tender type: cash from the drawer, card back to the card. Written by voidOrder and cancelOrder; never changed.';
comment on column app_public.refund_tenders.tenant_id is '@behavior -*';
comment on constraint refund_tenders_pkey on app_public.refund_tenders is '@behavior -single -update -delete';
comment on constraint refund_tenders_tenant_id_fkey on app_public.refund_tenders is E'@fieldName tenant\n@foreignFieldName refundTenders';
comment on constraint refund_tenders_tenant_id_order_id_fkey on app_public.refund_tenders is E'@fieldName order\n@foreignFieldName refundTenders';
comment on column app_public.refund_tenders.type is 'cash (from the drawer) or card (back to the card).';
comment on column app_public.refund_tenders.amount is 'What was handed back, in minor units of the business''s currency.';
comment on column app_public.refund_tenders.reason is 'Why (the reason of the void or the cancel).';
comment on column app_public.refund_tenders.business_date is 'The day the money left the till, at the order''s location.';
comment on column app_public.refund_tenders.refunded_by_user_id is 'Who refunded (a user id kept as it was).';

-- Daily sales: voids are refunds, counted on the day of the refund (refund_count, refund_total
-- net of tax); net sales exclude tax; total collected = net sales + tax.
do $$ begin
  if exists (select 1 from information_schema.columns
             where table_schema = 'reporting' and table_name = 'rm_daily_sales' and column_name = 'void_count') then
    alter table reporting.rm_daily_sales rename column void_count to refund_count;
    alter table reporting.rm_daily_sales rename column void_total to refund_total;
    alter type reporting.daily_sales_row rename attribute void_count to refund_count;
    alter type reporting.daily_sales_row rename attribute void_total to refund_total;
    alter type reporting.daily_sales_row add attribute total_collected bigint;
  end if;
end $$;
alter table reporting.rm_daily_sales add column if not exists total_collected bigint generated always as (net_sales + tax_total) stored;
comment on column reporting.rm_daily_sales.order_count is 'Sales made that day (a refund of one is counted on the day of the refund).';
comment on column reporting.rm_daily_sales.gross_sales is 'Σ unit price × quantity of the day''s sales, before discounts and tax.';
comment on column reporting.rm_daily_sales.discount_total is 'Discounts of the day''s sales.';
comment on column reporting.rm_daily_sales.tax_total is 'Tax of the day''s sales minus tax refunded that day.';
comment on column reporting.rm_daily_sales.net_sales is 'gross_sales − discount_total − refund_total: tax excluded.';
comment on column reporting.rm_daily_sales.tender_cash is 'Cash taken that day (for the day''s sales) minus cash handed back that day.';
comment on column reporting.rm_daily_sales.tender_card is 'Card payments (for the day''s sales) minus card refunds made that day.';
comment on column reporting.rm_daily_sales.refund_count is 'Refunds made that day (voids included).';
comment on column reporting.rm_daily_sales.refund_total is 'What those refunds took back, after discounts and before tax.';
comment on column reporting.rm_daily_sales.total_collected is 'net_sales + tax_total.';
comment on column reporting.rm_daily_sales.avg_order_value is 'net_sales / order_count, rounded half up; 0 without sales.';
comment on column reporting.daily_sales_row.order_count is E'@notNull\nSales made that day (a refund of one is counted on the day of the refund).';
comment on column reporting.daily_sales_row.gross_sales is E'@notNull\nΣ unit price × quantity of the day''s sales, before discounts and tax.';
comment on column reporting.daily_sales_row.discount_total is E'@notNull\nDiscounts of the day''s sales.';
comment on column reporting.daily_sales_row.tax_total is E'@notNull\nTax of the day''s sales minus tax refunded that day.';
comment on column reporting.daily_sales_row.net_sales is E'@notNull\ngross − discounts − refunds, tax excluded.';
comment on column reporting.daily_sales_row.tender_cash is E'@notNull\nCash taken minus cash handed back that day.';
comment on column reporting.daily_sales_row.tender_card is E'@notNull\nCard payments minus card refunds that day.';
comment on column reporting.daily_sales_row.refund_count is E'@notNull\nRefunds made that day (voids included).';
comment on column reporting.daily_sales_row.refund_total is E'@notNull\nWhat those refunds took back, after discounts and before tax.';
comment on column reporting.daily_sales_row.total_collected is E'@notNull\nnet sales + tax.';
comment on column reporting.daily_sales_row.avg_order_value is E'@notNull\nnet_sales / order_count rounded half up; 0 without sales.';
comment on column reporting.dashboard_metrics.sales_today is E'@notNull\nToday''s net sales (gross − discounts − refunds, tax excluded), each location on its own clock.';
comment on column reporting.dashboard_metrics.orders_today is E'@notNull\nSales made today, each location on its own clock.';

------------------------------------------------------------------------------------------------
-- Money a shop can reconcile, 4: an order is open until it is paid in full; only then is it a
-- sale (placed_at, business_date, order.placed.v1, stock). An open order can be cancelled: it
-- leaves no sale, and what was paid on it goes back.
alter table app_public.orders add column if not exists cancelled_at timestamptz;
alter table app_public.orders add column if not exists cancel_reason text check (length(cancel_reason) <= 500);
alter table app_public.orders add column if not exists cancelled_by_user_id text references app_public.users on delete set null;
create index if not exists orders_cancelled_by_idx on app_public.orders (cancelled_by_user_id);
-- The open orders of a location (the till's "Open" list).
create index if not exists orders_open_idx on app_public.orders (tenant_id, location_id, created_at) where status = 'open';
alter table app_public.orders drop constraint if exists orders_status_check;
alter table app_public.orders add constraint orders_status_check check (status in ('open', 'placed', 'voided', 'cancelled'));
-- A sale has its time and business date; an open or cancelled order has none (it never was a sale).
alter table app_public.orders drop constraint if exists orders_check3;
alter table app_public.orders drop constraint if exists orders_sale_time_check;
alter table app_public.orders add constraint orders_sale_time_check
  check ((status in ('placed', 'voided')) = (placed_at is not null and business_date is not null));
alter table app_public.orders drop constraint if exists orders_cancelled_check;
alter table app_public.orders add constraint orders_cancelled_check
  check ((status = 'cancelled') = (cancelled_at is not null and cancel_reason is not null));
alter table app_public.orders alter column status set default 'open';
comment on table app_public.orders is E'@unique id\nAn order at a location: open until paid in full, then a sale (placed); a sale can be voided, an open order cancelled. Written only by placeOrder, recordTender, voidOrder and cancelOrder; an order keeps its rows.';
comment on column app_public.orders.status is 'open (not paid in full yet: not a sale), placed (a sale: paid in full), voided (a sale taken back), cancelled (an open order given up: never a sale).';
comment on column app_public.orders.placed_at is 'When it became a sale: the payment that completed it (or the time given for an import). Null while open.';
comment on column app_public.orders.business_date is 'The date of the sale at the location (of placedAt). Null while open.';
comment on column app_public.orders.created_at is 'When the order was opened (rung up at the till).';
comment on column app_public.orders.cancelled_at is 'When an open order was cancelled.';
comment on column app_public.orders.cancel_reason is 'Why it was cancelled.';
comment on constraint orders_cancelled_by_user_id_fkey on app_public.orders is E'@fieldName cancelledBy\n@foreignFieldName cancelledOrders';

-- The day a payment was taken, at the order's location (a payment of an imported sale: the sale's
-- date). Tenders written before it existed count on their order's date.
alter table app_public.tenders add column if not exists business_date date;
comment on column app_public.tenders.business_date is 'The day the payment was taken at the order''s location (for a payment on an imported sale, the sale''s date).';

insert into app_private.event_subscriptions (consumer, event_type, handler) values
  ('reporting_sales', 'order.cancelled.v1', 'app_private.reporting_sales__enqueue(app_private.events)')
on conflict do nothing;

------------------------------------------------------------------------------------------------
-- Money a shop can reconcile, 5: the cash drawer. A drawer is opened at a location with a float,
-- takes the cash of the payments and refunds made there while it is open, cash put in or taken
-- out with a reason, and is closed with the amount counted: the expected amount and the
-- difference are kept. (The rules in sales/330-cash-drawers.sql.)
create table if not exists app_public.cash_drawers (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  location_id text not null,
  -- The day it was opened at the location: the day of the Drawer report it belongs to.
  business_date date not null,
  opening_float int not null check (opening_float between 0 and 100000000),
  opened_at timestamptz not null default now(),
  opened_by_user_id text references app_public.users on delete set null,
  closed_at timestamptz,
  closed_by_user_id text references app_public.users on delete set null,
  expected int,
  counted int check (counted between 0 and 100000000),
  difference int generated always as (counted - expected) stored,
  note text check (length(note) between 1 and 500),
  primary key (tenant_id, id),
  foreign key (tenant_id, location_id) references app_public.locations (tenant_id, id),
  -- Closed means counted, with what was expected.
  check ((closed_at is null) = (counted is null) and (closed_at is null) = (expected is null))
);
-- One open drawer per location: the cash taken there goes into it.
create unique index if not exists cash_drawers_one_open_idx on app_public.cash_drawers (tenant_id, location_id) where closed_at is null;
create index if not exists cash_drawers_day_idx on app_public.cash_drawers (tenant_id, business_date, location_id);
create index if not exists cash_drawers_location_idx on app_public.cash_drawers (tenant_id, location_id, opened_at);
create index if not exists cash_drawers_opened_by_idx on app_public.cash_drawers (opened_by_user_id);
create index if not exists cash_drawers_closed_by_idx on app_public.cash_drawers (closed_by_user_id);

create table if not exists app_public.cash_drawer_entries (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  cash_drawer_id text not null,
  kind text not null check (kind in ('in', 'out')),
  amount int not null check (amount between 1 and 100000000),
  reason text not null check (length(reason) between 1 and 500),
  -- Who; not a foreign key: entries never change.
  recorded_by_user_id text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, cash_drawer_id) references app_public.cash_drawers (tenant_id, id)
);
create index if not exists cash_drawer_entries_drawer_idx on app_public.cash_drawer_entries (tenant_id, cash_drawer_id, created_at);

-- The drawer a cash payment or cash refund went into or came out of (null: card, or no drawer open).
alter table app_public.tenders add column if not exists cash_drawer_id text;
alter table app_public.refund_tenders add column if not exists cash_drawer_id text;
do $$ begin
  if not exists (select 1 from pg_constraint where conname = 'tenders_cash_drawer_fkey') then
    alter table app_public.tenders add constraint tenders_cash_drawer_fkey
      foreign key (tenant_id, cash_drawer_id) references app_public.cash_drawers (tenant_id, id);
    alter table app_public.refund_tenders add constraint refund_tenders_cash_drawer_fkey
      foreign key (tenant_id, cash_drawer_id) references app_public.cash_drawers (tenant_id, id);
  end if;
end $$;
create index if not exists tenders_cash_drawer_idx on app_public.tenders (tenant_id, cash_drawer_id) where cash_drawer_id is not null;
create index if not exists refund_tenders_cash_drawer_idx on app_public.refund_tenders (tenant_id, cash_drawer_id) where cash_drawer_id is not null;

do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.cash_drawers'::regclass) then
    perform app_private.secure_table('app_public.cash_drawers');
    perform app_private.secure_table('app_public.cash_drawer_entries');
    perform app_private.enforce_active_tenant('app_public.cash_drawers');
    perform app_private.enforce_active_tenant('app_public.cash_drawer_entries');
  end if;
end $$;

------------------------------------------------------------------------------------------------
-- Money a shop can reconcile, 6: refunding some lines of a sale ("refund one coffee"). A refund
-- takes back units of lines with their share of discount and tax, hands the money back (card
-- first, then cash) and is counted on the day it is made. (The rules in sales/340-refunds.sql.)
create table if not exists app_public.order_refunds (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  order_id text not null,
  reason text not null check (length(reason) between 1 and 500),
  -- The refund's date at the order's location.
  business_date date not null,
  subtotal int not null check (subtotal >= 0),
  discount_total int not null check (discount_total >= 0),
  tax_total int not null check (tax_total >= 0),
  total int not null,
  -- Who refunded; not a foreign key: refunds never change.
  refunded_by_user_id text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, order_id) references app_public.orders (tenant_id, id),
  check (total = subtotal - discount_total + tax_total)
);
create index if not exists order_refunds_order_idx on app_public.order_refunds (tenant_id, order_id, created_at);

create table if not exists app_public.order_refund_lines (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  order_refund_id text not null,
  order_line_id text not null,
  quantity int not null check (quantity between 1 and 10000),
  subtotal int not null check (subtotal >= 0),
  discount int not null check (discount >= 0),
  tax int not null check (tax >= 0),
  total int not null,
  primary key (tenant_id, id),
  foreign key (tenant_id, order_refund_id) references app_public.order_refunds (tenant_id, id),
  foreign key (tenant_id, order_line_id) references app_public.order_lines (tenant_id, id),
  check (total = subtotal - discount + tax)
);
create index if not exists order_refund_lines_refund_idx on app_public.order_refund_lines (tenant_id, order_refund_id);
create index if not exists order_refund_lines_line_idx on app_public.order_refund_lines (tenant_id, order_line_id);

-- The money a refund handed back (null: a void's or a cancel's).
alter table app_public.refund_tenders add column if not exists order_refund_id text;
do $$ begin
  if not exists (select 1 from pg_constraint where conname = 'refund_tenders_order_refund_fkey') then
    alter table app_public.refund_tenders add constraint refund_tenders_order_refund_fkey
      foreign key (tenant_id, order_refund_id) references app_public.order_refunds (tenant_id, id);
  end if;
end $$;
-- Not partial: the API lists a refund's refund tenders (PostGraphile relates through a full index).
create index if not exists refund_tenders_refund_idx on app_public.refund_tenders (tenant_id, order_refund_id);

-- What the sale's refunds took back so far (tax included).
alter table app_public.orders add column if not exists refunded_total int not null default 0 check (refunded_total >= 0);

do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.order_refunds'::regclass) then
    perform app_private.secure_table('app_public.order_refunds');
    perform app_private.secure_table('app_public.order_refund_lines');
    perform app_private.enforce_active_tenant('app_public.order_refunds');
    perform app_private.enforce_active_tenant('app_public.order_refund_lines');
  end if;
end $$;

insert into app_private.event_subscriptions (consumer, event_type, handler) values
  ('reporting_sales', 'order.refunded.v1', 'app_private.reporting_sales__enqueue(app_private.events)'),
  ('customer_counters', 'order.refunded.v1', 'app_private.customer_counters__enqueue(app_private.events)'),
  ('reporting_customers', 'order.refunded.v1', 'app_private.reporting_customers__enqueue(app_private.events)')
on conflict do nothing;

-- The facts views and the functions over them change columns: dropped (with the analysts' views
-- that read them, whose money columns also change type) and made anew by the fixtures below.
drop view if exists reporting.sales_by_day, reporting.item_sales_by_day, reporting.customer_activity, reporting.customer_classes;
drop function if exists app_hidden.analyst_pending_daily();
drop function if exists app_private.reporting_pending_daily(text);
drop view if exists app_private.reporting_daily_facts;
--!include sales/320-orders.sql
--!include sales/330-cash-drawers.sql
--!include sales/340-refunds.sql
--!include customers/450-purchase-history.sql
--!include customers/460-timeline.sql
-- The timeline writes amounts with their currency now (app_hidden.format_money).
drop function if exists app_hidden.format_cents(bigint);
--!include reporting/610-consumers.sql
--!include reporting/620-rebuild.sql
--!include reporting/630-queries.sql
--!include reporting/640-analysts.sql
--!include reporting/650-exports.sql

-- The read models take the new definitions by rebuild, from each business's event log.
select reporting.rebuild(t.id) from app_public.tenants t order by t.id;
