-- The generator's own schema, bench_gen (dropped at the end): deterministic numbers and ids,
-- the run's anchor time, and what the TypeScript plan says about each tenant and location.

create schema bench_gen;

-- A uniform number in [0, 1) from a row number and a salt (deterministic, order-independent).
create function bench_gen.u(n bigint, salt int) returns float8 language sql immutable parallel safe as
$$ select ((hashint8extended(n, salt) >> 11) & 9007199254740991)::float8 / 9007199254740992.0 $$;

-- Milliseconds since the epoch of an instant.
create function bench_gen.ms(ts timestamptz) returns bigint language sql immutable parallel safe as
$$ select floor(date_part('epoch', ts) * 1000)::bigint $$;

-- The 10 time characters of a ULID (Crockford base32 of the milliseconds), written out so that
-- the function is one expression PostgreSQL inlines. Give it a column or a constant: the argument
-- is evaluated once per character.
create function bench_gen.tp(ms bigint) returns text language sql immutable parallel safe as $$ select
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> 45) & 31)::int + 1, 1) || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> 40) & 31)::int + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> 35) & 31)::int + 1, 1) || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> 30) & 31)::int + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> 25) & 31)::int + 1, 1) || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> 20) & 31)::int + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> 15) & 31)::int + 1, 1) || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> 10) & 31)::int + 1, 1) ||
  substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> 5) & 31)::int + 1, 1) || substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (ms & 31)::int + 1, 1) $$;

-- A ULID-shaped id: the time characters, then a kind (which table) and a counter in hexadecimal.
create function bench_gen.id(tp text, kind int, n bigint) returns text language sql immutable parallel safe as
$$ select tp || upper(lpad(to_hex((kind::bigint << 52) | n), 16, '0')) $$;

-- seq of an event: its time first (the log is in time order), then the row and the step.
create function bench_gen.seq(ms bigint, n bigint, sub int) returns bigint language sql immutable parallel safe as
$$ select (ms - 1500000000000) * 16777216 + (n & 262143) * 64 + sub $$;

-- The time of the run: dates end today, so the dashboard has a "today".
create table bench_gen.anchor as select now() as at;

create table bench_gen.g_tenants (
  tix int primary key, tenant_id text, name text, country text, tax int, n_cust int, cust_off bigint,
  owner_id text, cashier_ids text[], t0_ms bigint, span_ms bigint,
  item_prices int[]
);

-- The catalog of each tenant by position (1 to the catalog's size), and its stocked items.
create table bench_gen.g_items (
  tix int, it int, id text, sku text, name text, price int, inv_id text, inv_name text, thr int, primary key (tix, it)
);

create table bench_gen.g_locations (
  lix int primary key, tix int, tenant_id text, location_id text, name text, tz text, n_orders int, order_off bigint,
  today date, now_local timestamp
);

-- Templates of the staging tables: each worker stages a batch into temporary copies (session.sql).
create unlogged table bench_gen.g_orders (
  tix int, lix int, tenant_id text, location_id text, tz text, n bigint, order_id text, tp text, ms bigint,
  placed_at timestamptz, bd date, ck int, cust_id text, cashier text, owner_id text, tax int, nl int,
  it1 int, it2 int, it3 int, q1 int, q2 int, q3 int, p1 int, p2 int, p3 int, ld1 int, ld2 int, ld3 int, od int,
  net1 int, net2 int, net3 int, tax1 int, tax2 int, tax3 int,
  subtotal int, disc_total int, tax_total int, total int, item_count int,
  voided boolean, void_at timestamptz, void_reason text, card boolean, amount int, change int, tender_at timestamptz,
  void_ms bigint, void_tp text, tender_ms bigint, tender_tp text
);
create unlogged table bench_gen.g_customers (
  tix int, tenant_id text, k int, n bigint, id text, created_at timestamptz, ms bigint, number text,
  first_name text, last_name text, email text, phone text, tags jsonb, consent boolean, created_by text
);
create unlogged table bench_gen.g_receipts (
  tenant_id text, location_id text, tz text, inv_id text, inv_name text, catalog_item_id text, owner_id text, thr int,
  sold bigint, w int, qty bigint, at timestamptz, n bigint
);
