------------------------------------------------------------------------------------------------
-- A customer's own data request (GDPR/CCPA, issue 20 item 10): "send me everything you hold about
-- me" (a zip written by the worker, downloadable by members with customers.erase, kept 7 days) and
-- "erase me" (the profile anonymised, orders and read models kept and detached from a person).
-- Tables and data changes here; the rules in customers/495-data-requests.sql and the fixtures
-- included below.

-- An erased customer keeps its row (orders and counters point at it) as "Erased customer".
alter table app_public.customers drop constraint if exists customers_status_check;
alter table app_public.customers add constraint customers_status_check
  check (status in ('active', 'archived', 'merged', 'erased'));
comment on column app_public.customers.status is E'@behavior +filterBy\nactive, archived (kept for history, hidden from the till), merged (into mergedInto) or erased (its personal data was erased on request: eraseCustomer; it stays as "Erased customer" for its orders).';

-- A bundle of everything held about one customer (customer.json and CSV files, zipped).
create table if not exists app_public.customer_data_exports (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  reason text not null check (length(reason) between 1 and 500),
  status text not null default 'pending' check (status in ('pending', 'running', 'done', 'failed')),
  file_name text not null check (file_name ~ '^[a-z0-9][a-z0-9._-]{0,120}\.zip$'),
  files_written int not null default 0 check (files_written >= 0),
  files_total int not null default 4 check (files_total > 0),
  bytes_written bigint not null default 0,
  chunk_count int not null default 0,
  error_message text,
  requested_by text references app_public.users on delete set null,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete cascade
);
create index if not exists customer_data_exports_id_idx on app_public.customer_data_exports (id);
create index if not exists customer_data_exports_customer_idx on app_public.customer_data_exports (tenant_id, customer_id, created_at);
create index if not exists customer_data_exports_requested_by_idx on app_public.customer_data_exports (requested_by);
create index if not exists customer_data_exports_created_at_idx on app_public.customer_data_exports (created_at);
do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.customer_data_exports'::regclass) then
    perform app_private.secure_table('app_public.customer_data_exports');
    perform app_private.enforce_active_tenant('app_public.customer_data_exports');
  end if;
end $$;
comment on table app_public.customer_data_exports is E'@unique id\n@behavior -insert -update -delete\nEverything the business holds about one customer, asked for by the customer (requestCustomerData, needs customers.erase): a zip written by the worker; poll status and filesWritten, then download it from downloadUrl. Kept 7 days.';
comment on column app_public.customer_data_exports.tenant_id is '@behavior -*';
comment on constraint customer_data_exports_pkey on app_public.customer_data_exports is '@behavior -single -update -delete';
comment on constraint customer_data_exports_tenant_id_fkey on app_public.customer_data_exports is '@behavior -*';
comment on constraint customer_data_exports_tenant_id_customer_id_fkey on app_public.customer_data_exports is E'@fieldName customer\n@foreignFieldName dataExports';
comment on constraint customer_data_exports_requested_by_fkey on app_public.customer_data_exports is E'@fieldName requester\n@foreignFieldName customerDataExports';
comment on column app_public.customer_data_exports.reason is 'Why it was asked for (kept in the audit log too).';
comment on column app_public.customer_data_exports.status is 'pending (queued), running, done (downloadable) or failed (see errorMessage).';
comment on column app_public.customer_data_exports.file_name is 'The name the zip downloads under.';
comment on column app_public.customer_data_exports.files_written is 'Files of the zip written so far.';
comment on column app_public.customer_data_exports.files_total is 'Files the zip holds: customer.json, orders.csv, order-lines.csv, timeline.csv.';
comment on column app_public.customer_data_exports.bytes_written is 'Bytes of the zip written so far.';
comment on column app_public.customer_data_exports.chunk_count is '@behavior -*';
comment on column app_public.customer_data_exports.error_message is 'Why it failed.';
comment on column app_public.customer_data_exports.started_at is 'When the worker started it (last attempt).';
comment on column app_public.customer_data_exports.finished_at is 'When it became done or failed.';

create table if not exists app_private.customer_data_export_chunks (
  tenant_id text not null,
  export_id text not null,
  chunk_no int not null check (chunk_no >= 0),
  data bytea not null,
  primary key (tenant_id, export_id, chunk_no),
  foreign key (tenant_id, export_id) references app_public.customer_data_exports (tenant_id, id) on delete cascade
);
do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_private.customer_data_export_chunks'::regclass) then
    perform app_private.secure_table('app_private.customer_data_export_chunks');
  end if;
end $$;
comment on table app_private.customer_data_export_chunks is 'The bytes of customer data bundles (zip), in order, about 1 MB each.';

comment on column app_public.customer_activity.kind is 'created, updated, archived, restored, merged, merged_into, erased, data_requested, order_placed, order_voided, order_refunded or note.';

--!include platform/150-worker-recovery.sql
--!include identity/200-current-session.sql
--!include identity/220-auth.sql

-- Owners of existing businesses get the new permission (a new business's owner has every one).
update app_public.roles r set permissions = r.permissions || array['customers.erase']
where r.key = 'owner' and not 'customers.erase' = any(r.permissions);

--!include sales/300-events.sql
--!include sales/320-orders.sql
--!include customers/410-notes-and-addresses.sql
--!include customers/420-commands.sql
--!include customers/430-merge.sql
--!include customers/440-search.sql
--!include customers/460-timeline.sql
--!include customers/480-types-and-preferences.sql
--!include customers/495-data-requests.sql
