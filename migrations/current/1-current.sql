------------------------------------------------------------------------------------------------
-- The admin a shop owner prefers to Square's, 3: settings that run a shop. Locations are edited
-- and closed; the receipt carries the shop's address and a footer; staff are invited by a link,
-- change role or leave; custom roles carry a chosen set of permissions. (Tables here; the rules
-- in the fixtures included below.)

-- A closed location sells nothing and drops out of the pickers; its history stays.
alter table app_public.locations add column if not exists closed_at timestamptz;
comment on column app_public.locations.closed_at is 'When the location was closed (null: open). A closed location sells nothing and keeps its history; reopenLocation opens it again.';

-- What the receipt says besides the business name.
alter table app_public.tenants add column if not exists receipt_address text check (length(receipt_address) between 1 and 500);
alter table app_public.tenants add column if not exists receipt_footer text check (length(receipt_footer) between 1 and 500);
comment on column app_public.tenants.receipt_address is 'The address printed under the business name on receipts (several lines allowed).';
comment on column app_public.tenants.receipt_footer is 'Printed at the foot of receipts ("Thank you! Returns within 30 days with this receipt.").';

-- An invitation to join the business with a role: a link with a secret token (only its hash is
-- kept), valid 7 days, accepted once.
create table if not exists app_public.invitations (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  email citext not null check (email ~ '^[^\s@]+@[^\s@]+\.[^\s@]+$' and length(email) <= 254),
  role_id text not null,
  token_hash bytea not null,
  invited_by_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  accepted_by_user_id text references app_public.users on delete set null,
  revoked_at timestamptz,
  primary key (tenant_id, id),
  -- Unique within the business like every key; across businesses a collision of 192 random bits
  -- does not happen, and the link is found by its hash alone (invitations_token_idx).
  unique (tenant_id, token_hash),
  foreign key (tenant_id, role_id) references app_public.roles (tenant_id, id),
  check (accepted_at is null or revoked_at is null)
);
-- One pending invitation per email and business.
create unique index if not exists invitations_pending_email_idx on app_public.invitations (tenant_id, email)
  where accepted_at is null and revoked_at is null;
create index if not exists invitations_token_idx on app_public.invitations (token_hash);
create index if not exists invitations_role_idx on app_public.invitations (tenant_id, role_id);
create index if not exists invitations_invited_by_idx on app_public.invitations (invited_by_user_id);
create index if not exists invitations_accepted_by_idx on app_public.invitations (accepted_by_user_id);
do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.invitations'::regclass) then
    perform app_private.secure_table('app_public.invitations');
    perform app_private.enforce_active_tenant('app_public.invitations');
  end if;
end $$;

--!include identity/201-tenants-users-locations.sql
--!include identity/230-staff.sql
--!include sales/320-orders.sql
--!include sales/330-cash-drawers.sql
--!include billing/530-limits.sql
--!include billing/510-subscriptions.sql
--!include reporting/630-queries.sql
--!include reporting/650-exports.sql
--!include customers/460-timeline.sql
