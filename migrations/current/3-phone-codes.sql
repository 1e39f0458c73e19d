-- Phone verification by one-time code (issue 17, items 2 and 3): the codes (hashed) and the SMS
-- outbox the worker sends from. Both are app_private: the API role can neither read nor write
-- them (no grant, and row-level security forced all the same). The rules are in
-- migrations/fixtures/customers/426-phone-verification.sql.
create table if not exists app_private.phone_codes (
  tenant_id text not null references app_public.tenants (id) on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  phone text not null,
  code_hash text not null,
  attempts int not null default 0 check (attempts between 0 and 3),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  verified_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete cascade
);
create index if not exists phone_codes_customer_idx on app_private.phone_codes (tenant_id, customer_id, created_at desc);
create index if not exists phone_codes_phone_idx on app_private.phone_codes (tenant_id, phone, created_at desc);
create index if not exists phone_codes_tenant_created_idx on app_private.phone_codes (tenant_id, created_at);
create index if not exists phone_codes_expires_idx on app_private.phone_codes (expires_at);
do $$
begin
  if not exists (select 1 from pg_policy where polrelid = 'app_private.phone_codes'::regclass) then
    perform app_private.secure_table('app_private.phone_codes');
  end if;
end;
$$;
comment on table app_private.phone_codes is 'One-time codes sent to verify a customer''s phone: only a bcrypt hash of each code, its expiry (5 minutes) and the wrong attempts (3 kill it). Deleted an hour after expiry (cron delete_expired_phone_codes).';

create table if not exists app_private.sms_messages (
  tenant_id text not null references app_public.tenants (id) on delete cascade,
  id text not null default public.gen_ulid(),
  phone_code_id text not null,
  to_phone text not null,
  body text,
  status text not null default 'queued' check (status in ('queued', 'sending', 'sent', 'failed')),
  provider_sid text,
  error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, phone_code_id),
  foreign key (tenant_id, phone_code_id) references app_private.phone_codes (tenant_id, id) on delete cascade,
  -- The text (which holds the code) is kept only while the message waits to be sent.
  constraint sms_messages_body_while_queued check (status in ('queued', 'sending') or body is null)
);
do $$
begin
  if not exists (select 1 from pg_policy where polrelid = 'app_private.sms_messages'::regclass) then
    perform app_private.secure_table('app_private.sms_messages');
  end if;
end;
$$;
comment on table app_private.sms_messages is 'The SMS outbox the send_sms task sends from: one message per code; its text is blanked once it is sent or given up.';

--!include customers/426-phone-verification.sql
