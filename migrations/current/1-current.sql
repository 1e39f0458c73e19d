-- Customer import (issue "Customer import and a complete export"): an uploaded CSV file, its
-- staged rows, and the permission to import. The rules are in customers/485-import.sql.

-- The file and its state, one row per import.
create table if not exists app_public.customer_imports (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  file_name text not null check (length(file_name) between 1 and 255),
  byte_size bigint not null default 0 check (byte_size between 0 and 52428800),
  chunk_count int not null default 0,
  status text not null default 'uploading'
    check (status in ('uploading', 'parsing', 'ready', 'committing', 'done', 'failed')),
  encoding text check (encoding in ('utf-8', 'utf-16le', 'utf-16be', 'windows-1252')),
  delimiter text check (delimiter in (',', ';', E'\t')),
  header text[],
  mapping text[],
  on_duplicate text not null default 'skip' check (on_duplicate in ('skip', 'fill', 'overwrite')),
  rows_read int not null default 0,
  rows_total int,
  new_count int not null default 0,
  duplicate_count int not null default 0,
  file_duplicate_count int not null default 0,
  invalid_count int not null default 0,
  rows_done int not null default 0,
  created_count int not null default 0,
  updated_count int not null default 0,
  skipped_count int not null default 0,
  failed_count int not null default 0,
  error_code text,
  error_message text,
  created_by text references app_public.users on delete set null,
  committed_by text references app_public.users on delete set null,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  check ((mapping is null) or (header is not null and cardinality(mapping) = cardinality(header)))
);
create index if not exists customer_imports_id_idx on app_public.customer_imports (id);
create index if not exists customer_imports_created_at_idx on app_public.customer_imports (tenant_id, created_at);
create index if not exists customer_imports_created_by_idx on app_public.customer_imports (created_by);
create index if not exists customer_imports_committed_by_idx on app_public.customer_imports (committed_by);

-- The bytes of the uploaded file, in order, about 1 MB each (like export files).
create table if not exists app_private.customer_import_chunks (
  tenant_id text not null,
  import_id text not null,
  chunk_no int not null check (chunk_no >= 0),
  data bytea not null,
  primary key (tenant_id, import_id, chunk_no),
  foreign key (tenant_id, import_id) references app_public.customer_imports (tenant_id, id) on delete cascade
);

-- The rows of the file as read (cells), then as they would be imported (the checked values,
-- their state and the reason a row cannot be imported), then what became of them.
create table if not exists app_public.customer_import_rows (
  tenant_id text not null,
  import_id text not null,
  row_no int not null check (row_no >= 2),
  cells text[] not null,
  state text not null default 'read'
    check (state in ('read', 'new', 'duplicate', 'file_duplicate', 'invalid', 'created', 'updated', 'skipped', 'failed')),
  reason text,
  email text,
  phone text,
  first_name text,
  last_name text,
  tags jsonb,
  note text,
  about text,
  company text,
  email_consent boolean,
  sms_consent boolean,
  address_line1 text,
  address_line2 text,
  city text,
  region text,
  postal_code text,
  country text,
  customer_id text,
  primary key (tenant_id, import_id, row_no),
  foreign key (tenant_id, import_id) references app_public.customer_imports (tenant_id, id) on delete cascade,
  -- deferred: a commit names a row's new customer just before inserting it
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete set null (customer_id)
    deferrable initially deferred
);
create index if not exists customer_import_rows_state_idx on app_public.customer_import_rows (tenant_id, import_id, state, row_no);
create index if not exists customer_import_rows_customer_idx on app_public.customer_import_rows (tenant_id, customer_id) where customer_id is not null;

do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.customer_imports'::regclass) then
    perform app_private.secure_table('app_public.customer_imports');
    perform app_private.enforce_active_tenant('app_public.customer_imports');
  end if;
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_private.customer_import_chunks'::regclass) then
    perform app_private.secure_table('app_private.customer_import_chunks');
  end if;
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.customer_import_rows'::regclass) then
    perform app_private.secure_table('app_public.customer_import_rows');
    perform app_private.enforce_active_tenant('app_public.customer_import_rows');
  end if;
end $$;

-- Notes a file brings are kept apart from staff's own, under their own category.
alter table app_public.customer_notes drop constraint if exists customer_notes_category_check;
alter table app_public.customer_notes add constraint customer_notes_category_check
  check (category in ('general', 'preference', 'issue', 'feedback', 'import'));

--!include platform/150-worker-recovery.sql
--!include platform/160-job-runs.sql
--!include identity/200-current-session.sql
--!include identity/210-audit.sql
--!include customers/400-customers.sql
--!include customers/410-notes-and-addresses.sql
--!include customers/485-import.sql

-- Owners and managers of existing businesses may import (new businesses get it from all_permissions).
update app_public.roles r set permissions = r.permissions || array['customers.import']
where r.key in ('owner', 'manager') and not 'customers.import' = any(r.permissions);
