-- Account documents (issue 18): the PDF of each account invoice and of statements members ask
-- for, rendered by the worker (worker/tasks/render-account-document.ts) and stored in the database
-- as chunks like the CSV exports and customer data bundles (reporting/650-exports.sql says why).
-- The rules are in migrations/fixtures/accounts/750-documents.sql.

create table if not exists app_public.account_documents (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  kind text not null check (kind in ('invoice', 'statement')),
  -- An invoice's PDF: one per invoice (re-rendered in place when it is voided).
  invoice_id text,
  -- A statement's period (its first and last day).
  period_from date,
  period_until date,
  status text not null default 'pending' check (status in ('pending', 'done', 'failed')),
  file_name text not null check (file_name ~ '^[a-z0-9][a-z0-9._-]{0,120}\.pdf$'),
  byte_size bigint not null default 0 check (byte_size >= 0),
  chunk_count int not null default 0 check (chunk_count >= 0),
  error text check (length(error) <= 500),
  -- Counts the times it was asked to be written (an invoice voided asks again): a run that started
  -- before the last ask cannot mark it done (app_private.finish_account_document).
  revision int not null default 0,
  requested_by_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  -- Statements go after 7 days (they can be asked for again); an invoice's PDF is kept with it.
  expires_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customer_accounts (tenant_id, customer_id),
  foreign key (tenant_id, invoice_id) references app_public.account_invoices (tenant_id, id),
  check ((kind = 'invoice') = (invoice_id is not null)),
  check ((kind = 'statement') = (period_from is not null and period_until is not null)),
  check (period_until >= period_from),
  check (kind = 'statement' or expires_at is null)
);
create unique index if not exists account_documents_invoice_idx on app_public.account_documents (tenant_id, invoice_id) where invoice_id is not null;
create index if not exists account_documents_customer_idx on app_public.account_documents (tenant_id, customer_id, created_at desc, id desc);
create index if not exists account_documents_requested_by_idx on app_public.account_documents (requested_by_user_id);
create index if not exists account_documents_expires_idx on app_public.account_documents (expires_at) where expires_at is not null;
-- The download route finds a document by its id alone (within the caller's tenant).
create index if not exists account_documents_id_idx on app_public.account_documents (id);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.account_documents'::regclass) then
    perform app_private.secure_table('app_public.account_documents');
    perform app_private.enforce_active_tenant('app_public.account_documents');
  end if;
end $$;
comment on table app_public.account_documents is E'@unique id\n@behavior -insert -update -delete\nA PDF of an account: an invoice''s (made when the invoice is, re-rendered saying VOID when it is voided) or a statement of a period (requestAccountStatement; kept 7 days). Written by the worker; poll status, then download it from downloadUrl (needs accounts.view).';
comment on column app_public.account_documents.tenant_id is '@behavior -*';
comment on constraint account_documents_pkey on app_public.account_documents is '@behavior -single -update -delete';
comment on constraint account_documents_tenant_id_fkey on app_public.account_documents is '@behavior -*';
comment on constraint account_documents_tenant_id_customer_id_fkey on app_public.account_documents is E'@fieldName account\n@foreignFieldName documents';
comment on constraint account_documents_tenant_id_invoice_id_fkey on app_public.account_documents is E'@fieldName invoice\n@foreignFieldName documents\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on constraint account_documents_requested_by_user_id_fkey on app_public.account_documents is E'@fieldName requestedBy\n@foreignFieldName accountDocumentsRequested\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on column app_public.account_documents.kind is 'invoice or statement.';
comment on column app_public.account_documents.invoice_id is 'The invoice it is the PDF of (kind invoice).';
comment on column app_public.account_documents.period_from is 'A statement''s first day.';
comment on column app_public.account_documents.period_until is 'A statement''s last day.';
comment on column app_public.account_documents.status is 'pending (queued or being written), done (downloadable) or failed (see error).';
comment on column app_public.account_documents.file_name is 'The name the PDF downloads under.';
comment on column app_public.account_documents.byte_size is 'The size of the PDF in bytes, once done.';
comment on column app_public.account_documents.chunk_count is '@behavior -*';
comment on column app_public.account_documents.revision is '@behavior -*';
comment on column app_public.account_documents.error is 'Why it failed.';
comment on column app_public.account_documents.requested_by_user_id is 'Who asked for it; for an invoice, who made the invoice (null: the monthly run).';
comment on column app_public.account_documents.finished_at is 'When it was last written (done) or gave up (failed).';
comment on column app_public.account_documents.expires_at is 'When it is deleted (statements, 7 days); null: kept (an invoice''s).';

create table if not exists app_private.account_document_chunks (
  tenant_id text not null,
  document_id text not null,
  chunk_no int not null check (chunk_no >= 0),
  data bytea not null,
  primary key (tenant_id, document_id, chunk_no),
  foreign key (tenant_id, document_id) references app_public.account_documents (tenant_id, id) on delete cascade
);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_private.account_document_chunks'::regclass) then
    perform app_private.secure_table('app_private.account_document_chunks');
  end if;
end $$;
comment on table app_private.account_document_chunks is 'The bytes of account documents (PDF), in order, about 1 MB each.';

--!include accounts/750-documents.sql
