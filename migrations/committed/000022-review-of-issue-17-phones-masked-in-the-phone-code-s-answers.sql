--! Previous: sha1:b9c5edc957c31df3e8a204aece86faf89166af69
--! Hash: sha1:3682c2ee48b29c7dfa17e2b787dca886fabe32eb
--! Message: Review of issue 17: phones masked in the phone code's answers and in phone-only names, a merge keeps the phone's verification, the loyalty points consumer records facts and is never reset

--! split: 1-current.sql
-- Review of issue 17: a cashier without customers.view_contact no longer reads a phone in full
-- through the phone code's answers and messages, nor in the display name of a customer known by a
-- phone alone ("Phone •••• 4567"); a merge carries the verification of the phone it takes.
--! Included customers/401-display-name.sql
-- The name a customer is shown by, everywhere (lists, search, receipts, events, the merge
-- preview): a company's name, else first and last name, else the email, else the phone's last
-- four digits ("Phone •••• 4567": the name is shown to everyone, and members without
-- customers.view_contact must not read the number in it), else
-- "Walk-in" (a guest kept for one sale at the till, who has none of these yet: the
-- customers_identifiable check lets only such a walk-in have none; its number tells it apart). One
-- function: the generated column customers.display_name is computed with it, and the merge
-- computes the name a merged customer will have with it, so the preview cannot disagree with
-- the result. company_name is set for companies only (the customers_company_named check), so
-- the kind need not be passed.
--
-- Immutable and without a SET clause so that PostgreSQL can inline it; it names nothing a
-- search_path could redirect. Changing it does not change stored names by itself: the
-- migration that changes it must rewrite the column (update every customer row, which
-- recomputes a stored generated column) and rebuild the indexes on it.

/* The display name of a customer with these details. */
create or replace function app_hidden.customer_display_name(company_name text, first_name text, last_name text, email text, phone text)
returns text
language sql immutable parallel safe
as $$
  select coalesce(company_name, nullif(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''), email,
                  'Phone •••• ' || right(phone, 4), 'Walk-in');
$$;
comment on function app_hidden.customer_display_name(text, text, text, text, text) is
  'The name a customer is shown by: a company''s name, else first and last name, else the email, else the phone''s last four digits (Phone •••• 4567), else Walk-in (customers.display_name).';
--! EndIncluded customers/401-display-name.sql
--! Included customers/426-phone-verification.sql
-- Phone verification by one-time code (issue 17). A member with customers.update asks for a code
-- (request_phone_code); the customer reads it from an SMS and the member types it in
-- (verify_phone_code), which sets customers.phone_verified_at — a stub with an email then becomes
-- a full profile by itself (403-stages.sql), and changing the phone clears the verification.
--
-- The rules:
--   * 6 digits from pgcrypto's CSPRNG (gen_random_bytes), uniform: a 32-bit draw is rejected when
--     it falls in the last, incomplete block of a million, so every code is equally likely;
--   * stored as a bcrypt hash (crypt/gen_salt('bf')) in app_private.phone_codes, which the API
--     role cannot read (no grant; RLS forced all the same);
--   * a code lives 5 minutes (OTPEX after), 3 wrong tries kill it (OTPMX), a new one for the same
--     phone may be asked 60 seconds after the last (OTPSN), and a business sends at most
--     app_hidden.phone_codes_hourly_cap() = 200 codes in any hour (OTPCP: SMS cost money, and a
--     runaway script must not spend a business's budget); no phone OTPNP, already verified OTPVD,
--     no code sent (or it was deleted) OTPNC;
--   * a wrong code must be counted although it is an error, and an error rolls the transaction
--     back (PostGraphile runs each mutation in one): so verify_phone_code does not raise for a
--     wrong code. It records the attempt and RETURNS the refusal (verified false, error_code
--     OTPWR, or OTPMX when that was the last try, a message, the tries left), which commits with
--     the attempt. Refusals that change nothing (expired, dead, no code...) are raised as usual.
--   * every request and every attempt is audited (the phone_codes rows' audit entries, without
--     the hash; command request_phone_code / verify_phone_code), the verification too (the
--     customer's own audit entry of phone_verified_at);
--   * expired codes are deleted an hour after their expiry (cron task delete_expired_phone_codes),
--     an erased or merged customer's at once (they hold the phone number).
--
-- The SMS: request_phone_code writes one app_private.sms_messages row per code and queues a
-- send_sms job for it (job_key send_sms:<message id>: queued once). The worker needs the code in
-- clear to send it, so the message text holds it — in that app_private outbox row, readable by
-- the owner role only, and blanked (a check constraint holds it) the moment the message is sent or
-- given up, and deleted with its code. Not in the job payload: graphile-worker keeps the payload
-- of a job that failed for good, and the payload goes into logs; the payload carries only ids. A
-- message is sent at most once: the task claims it (queued → sending) in its own committed
-- statement before calling the provider, marks it sent with the provider's id after; a retry finds
-- it sent (nothing to do) or still "sending" — a worker died during the call, the outcome is
-- unknown, and it is given up rather than risk a second SMS (the member can ask a new code).

/* How many codes a business may send in any hour. */
create or replace function app_hidden.phone_codes_hourly_cap() returns int
language sql immutable parallel safe
as $$
  select 200;
$$;
comment on function app_hidden.phone_codes_hourly_cap() is 'How many phone verification codes one business may send within any hour (OTPCP beyond).';

/* A uniform 6-digit code from the CSPRNG: 32-bit draws at or above 4294000000 (= 4294 × 10^6) are drawn again. */
create or replace function app_private.new_phone_code() returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  draw bigint;
begin
  loop
    draw := ('x' || encode(public.gen_random_bytes(4), 'hex'))::bit(32)::bigint & 4294967295;
    exit when draw < 4294000000;
  end loop;
  return lpad((draw % 1000000)::text, 6, '0');
end;
$$;
comment on function app_private.new_phone_code() is 'A new one-time code: 6 digits, each of the 10^6 equally likely (pgcrypto gen_random_bytes, rejection sampling).';

-- What request_phone_code answers: where the code went and when.
do $$
begin
  if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'app_public' and t.typname = 'phone_code_request') then
    create type app_public.phone_code_request as (customer_id text, sent_to text, expires_at timestamptz, resend_after timestamptz);
  end if;
  if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'app_public' and t.typname = 'phone_code_check') then
    create type app_public.phone_code_check as (customer_id text, verified boolean, error_code text, message text, attempts_left int);
  end if;
end;
$$;
comment on type app_public.phone_code_request is 'A one-time code on its way by SMS.';
comment on column app_public.phone_code_request.sent_to is 'The phone number the code is sent to (masked for members without customers.view_contact).';
comment on column app_public.phone_code_request.expires_at is 'When the code stops working (5 minutes).';
comment on column app_public.phone_code_request.resend_after is 'When another code may be asked for this phone (60 seconds).';
comment on type app_public.phone_code_check is 'The outcome of checking a one-time code. A wrong code is answered here rather than raised, so that the attempt counts.';
comment on column app_public.phone_code_check.verified is 'True when the code was right: the phone is verified.';
comment on column app_public.phone_code_check.error_code is 'OTPWR (wrong code, tries left) or OTPMX (wrong, and that was the last try: ask a new code); null when verified.';
comment on column app_public.phone_code_check.message is 'What to tell the person.';
comment on column app_public.phone_code_check.attempts_left is 'How many more tries the code takes (after a wrong code).';

/* A refusal returned rather than raised (db/ERRORS.md lists its code like any other). */
create or replace function app_private.phone_code_refusal(code text, message text, customer_id text, attempts_left int)
returns app_public.phone_code_check
language sql immutable
set search_path to pg_catalog, public, pg_temp
as $$
  select row(customer_id, false, code, message, attempts_left)::app_public.phone_code_check;
$$;
comment on function app_private.phone_code_refusal(text, text, text, int) is 'A phone_code_check that refuses with a coded error, returned so that what the call wrote (the attempt) commits.';

/* The live customer a code command is for, locked; raises NOTFD, CMRGD, ERASD, OTPNP, OTPVD. */
create or replace function app_private.customer_for_phone_code(tenant text, customer_id text) returns app_public.customers
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = tenant and c.id = customer_for_phone_code.customer_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(customer_for_phone_code.customer_id, 40), '(none given)')));
  elsif cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one; verify that customer''s phone instead.', cur.merged_into_id);
  elsif cur.status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was erased: there is no phone to verify.', cur.id);
  elsif cur.phone is null then
    perform app_hidden.raise_error('OTPNP', format('Customer %s has no phone number to verify: add one first.', cur.customer_number), field => 'phone');
  elsif cur.phone_verified_at is not null then
    perform app_hidden.raise_error('OTPVD', format('The phone %s of customer %s is already verified.', app_hidden.visible_phone(cur.phone), cur.customer_number), field => 'phone');
  end if;
  return cur;
end;
$$;
comment on function app_private.customer_for_phone_code(text, text) is 'The customer a phone code is asked or checked for, locked; refuses one whose phone is missing or already verified.';

create or replace function app_public.request_phone_code(customer_id text) returns app_public.phone_code_request
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customer_profile_permission();
  cur app_public.customers;
  last_sent timestamptz;
  sent_last_hour int;
  code text := app_private.new_phone_code();
  pc app_private.phone_codes;
  msg_id text;
  business text;
begin
  cur := app_private.customer_for_phone_code(tenant, request_phone_code.customer_id);
  -- One request at a time per business: the hourly count below is then exact.
  perform pg_advisory_xact_lock(hashtextextended('phone_codes:' || tenant, 0));
  select max(p.created_at) into last_sent from app_private.phone_codes p
  where p.tenant_id = tenant and p.phone = cur.phone;
  if last_sent > now() - interval '60 seconds' then
    perform app_hidden.raise_error('OTPSN',
      format('A code was sent to %s less than a minute ago: wait %s seconds before asking another.',
             app_hidden.visible_phone(cur.phone), ceil(extract(epoch from last_sent + interval '60 seconds' - now()))::int),
      field => 'phone');
  end if;
  select count(*) into sent_last_hour from app_private.phone_codes p
  where p.tenant_id = tenant and p.created_at > now() - interval '1 hour';
  if sent_last_hour >= app_hidden.phone_codes_hourly_cap() then
    perform app_hidden.raise_error('OTPCP',
      format('Your business has sent %s verification codes within the last hour, the most it may: try again later.', app_hidden.phone_codes_hourly_cap()));
  end if;
  perform app_private.begin_change('request_phone_code', null);
  insert into app_private.phone_codes (tenant_id, customer_id, phone, code_hash, expires_at)
  values (tenant, cur.id, cur.phone, public.crypt(code, public.gen_salt('bf')), now() + interval '5 minutes')
  returning * into pc;
  perform app_private.end_change();
  select t.name into business from app_public.tenants t where t.id = tenant;
  insert into app_private.sms_messages (tenant_id, phone_code_id, to_phone, body)
  values (tenant, pc.id, cur.phone, format('%s: your verification code is %s. It expires in 5 minutes.', left(business, 40), code))
  returning id into msg_id;
  perform graphile_worker.add_job('send_sms', json_build_object('tenantId', tenant, 'messageId', msg_id),
    max_attempts := 5, job_key := 'send_sms:' || msg_id);
  return row(cur.id, app_hidden.visible_phone(cur.phone), pc.expires_at, pc.created_at + interval '60 seconds')::app_public.phone_code_request;
end;
$$;
comment on function app_public.request_phone_code(text) is
  E'@resultFieldName request\nSends a one-time code by SMS to the customer''s phone, to verify it (needs customers.update, or customers.create at the till). The code works for 5 minutes and 3 tries. Refused: no phone (OTPNP), already verified (OTPVD), another code to this phone less than 60 seconds ago (OTPSN), the business''s hourly cap reached (OTPCP).';

create or replace function app_public.verify_phone_code(customer_id text, code text) returns app_public.phone_code_check
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customer_profile_permission();
  cur app_public.customers;
  given text := regexp_replace(coalesce(verify_phone_code.code, ''), '\s', '', 'g');
  pc app_private.phone_codes;
  result app_public.customers;
begin
  cur := app_private.customer_for_phone_code(tenant, verify_phone_code.customer_id);
  if given !~ '^[0-9]{6}$' then
    perform app_hidden.raise_error('BADIN', 'The code is the 6 digits of the text message.', field => 'code');
  end if;
  -- The latest code sent to the customer's current phone (a code sent to an earlier phone, or
  -- superseded by a newer one, no longer counts).
  select p.* into pc from app_private.phone_codes p
  where p.tenant_id = tenant and p.customer_id = cur.id and p.phone = cur.phone
  order by p.created_at desc, p.id desc limit 1
  for update;
  if not found or pc.verified_at is not null then
    perform app_hidden.raise_error('OTPNC', format('No code was sent to %s: send one first.', app_hidden.visible_phone(cur.phone)), field => 'code');
  elsif pc.attempts >= 3 then
    perform app_hidden.raise_error('OTPMX', 'This code was tried 3 times without success: send a new one.', field => 'code');
  elsif pc.expires_at <= now() then
    perform app_hidden.raise_error('OTPEX', 'This code has expired (codes work for 5 minutes): send a new one.', field => 'code');
  end if;
  perform app_private.begin_change('verify_phone_code', null);
  if public.crypt(given, pc.code_hash) <> pc.code_hash then
    update app_private.phone_codes p set attempts = p.attempts + 1
    where p.tenant_id = pc.tenant_id and p.id = pc.id
    returning * into pc;
    perform app_private.end_change();
    if pc.attempts >= 3 then
      return app_private.phone_code_refusal('OTPMX', 'Wrong code, and that was the last try: send a new code.', cur.id, 0);
    end if;
    return app_private.phone_code_refusal('OTPWR',
      format('Wrong code: %s %s left.', 3 - pc.attempts, case when 3 - pc.attempts = 1 then 'try' else 'tries' end), cur.id, 3 - pc.attempts);
  end if;
  update app_private.phone_codes p set verified_at = now()
  where p.tenant_id = pc.tenant_id and p.id = pc.id;
  update app_public.customers c set phone_verified_at = now()
  where c.tenant_id = cur.tenant_id and c.id = cur.id
  returning * into result;
  perform app_private.end_change();
  perform app_private.emit_event(tenant, 'customer.updated.v1', 'customer', result.id,
    jsonb_build_object('customer_id', result.id, 'customer_number', result.customer_number,
                       'display_name', result.display_name, 'status', result.status,
                       'changes', jsonb_build_object('phone_verified_at', jsonb_build_object('old', null, 'new', result.phone_verified_at))
                                  || case when result.stage <> cur.stage
                                          then jsonb_build_object('stage', jsonb_build_object('old', cur.stage, 'new', result.stage))
                                          else '{}'::jsonb end));
  return row(cur.id, true, null, format('Phone %s verified.', app_hidden.visible_phone(cur.phone)), null)::app_public.phone_code_check;
end;
$$;
comment on function app_public.verify_phone_code(text, text) is
  E'@resultFieldName check\nChecks the one-time code sent to the customer''s phone (needs customers.update, or customers.create at the till); right, the phone is verified (phoneVerifiedAt). A wrong code is not raised but answered (verified false, errorCode OTPWR, or OTPMX on the third wrong try) so that the try counts. Raised: no code sent (OTPNC), expired (OTPEX), tried 3 times already (OTPMX), no phone (OTPNP), already verified (OTPVD), not 6 digits (BADIN).';

-- The codes' audit trail: each request (insert) and each wrong try (update of attempts); never the hash.
create or replace trigger _500_audit after insert or update on app_private.phone_codes
  for each row execute function app_private.tg__audit('created_at', 'code_hash');

/*
 * The worker claims a message to send (status queued → sending, committed before it calls the
 * provider) and gets its number and text; null when there is nothing to send: gone, already sent
 * or given up, its code expired (given up), or found "sending" — a previous try died during the
 * provider call, so whether it went out is unknown: given up, never sent twice.
 */
create or replace function app_private.claim_sms(tenant text, message_id text) returns jsonb
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  m app_private.sms_messages;
  expires timestamptz;
begin
  select s.* into m from app_private.sms_messages s where s.tenant_id = tenant and s.id = message_id for update;
  if not found or m.status in ('sent', 'failed') then
    return null;
  end if;
  if m.status = 'sending' then
    update app_private.sms_messages s set status = 'failed', body = null,
      error = 'A previous attempt stopped while sending: it may have gone out, so it is not sent again.'
    where s.tenant_id = m.tenant_id and s.id = m.id;
    return null;
  end if;
  select p.expires_at into expires from app_private.phone_codes p where p.tenant_id = m.tenant_id and p.id = m.phone_code_id;
  if expires <= now() then
    update app_private.sms_messages s set status = 'failed', body = null, error = 'The code expired before it could be sent.'
    where s.tenant_id = m.tenant_id and s.id = m.id;
    return null;
  end if;
  update app_private.sms_messages s set status = 'sending' where s.tenant_id = m.tenant_id and s.id = m.id;
  return jsonb_build_object('id', m.id, 'to', m.to_phone, 'body', m.body);
end;
$$;
comment on function app_private.claim_sms(text, text) is 'Claims a queued SMS for sending (worker): its number and text, or null when there is nothing to send.';

/* After the provider call: sent (with the provider's id), failed for good, or back in the queue for a retry. */
create or replace function app_private.finish_sms(tenant text, message_id text, outcome text, provider_sid text default null, error text default null)
returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if outcome not in ('sent', 'failed', 'retry') then
    perform app_hidden.raise_error('BADIN', format('Unknown SMS outcome %s.', outcome));
  end if;
  update app_private.sms_messages s set
    status = case outcome when 'retry' then 'queued' else outcome end,
    body = case when outcome = 'retry' then s.body end,
    provider_sid = coalesce(finish_sms.provider_sid, s.provider_sid),
    error = left(finish_sms.error, 500),
    sent_at = case when outcome = 'sent' then now() end
  where s.tenant_id = tenant and s.id = message_id and s.status = 'sending';
end;
$$;
comment on function app_private.finish_sms(text, text, text, text, text) is 'Records how sending an SMS ended (worker): sent, failed (the text is blanked) or retry (queued again).';

/* Cron: codes expired more than an hour ago go, with their messages. */
create or replace function app_private.delete_expired_phone_codes() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (
    delete from app_private.phone_codes p where p.expires_at < now() - interval '1 hour' returning 1
  )
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_phone_codes() is 'Deletes the phone codes (and their SMS rows) that expired more than an hour ago; returns how many (cron).';

/*
 * An erased customer's codes and messages go at once (they hold the phone number), and so do a
 * merged customer's (a code of a profile that no longer exists verifies nothing).
 */
create or replace function app_private.tg_customers__forget_phone_codes() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  delete from app_private.phone_codes p where p.tenant_id = new.tenant_id and p.customer_id = new.id;
  return null;
end;
$$;
comment on function app_private.tg_customers__forget_phone_codes() is 'Trigger: deletes the phone codes (and SMS rows) of a customer erased or merged away.';

drop trigger if exists _450_forget_phone_codes on app_public.customers;
create trigger _450_forget_phone_codes after update of status on app_public.customers
  for each row when (new.status in ('erased', 'merged') and old.status is distinct from new.status)
  execute function app_private.tg_customers__forget_phone_codes();

revoke all on function app_public.request_phone_code(text) from public;
revoke all on function app_public.verify_phone_code(text, text) from public;
grant execute on function app_public.request_phone_code(text) to :DATABASE_VISITOR;
grant execute on function app_public.verify_phone_code(text, text) to :DATABASE_VISITOR;
--! EndIncluded customers/426-phone-verification.sql
--! Included customers/432-upgrade.sql
-- Moving a profile up (issue 17): a guest walk-in kept for one sale, then a stub (name and
-- phone), then a full profile (an email and the phone verified). The stage itself rises by itself
-- (customers/403-stages.sql); upgrade_customer fills what the next stage needs and never makes a
-- second record of a person: a phone or email that already belongs to another live customer is
-- answered with that customer and the merge preview to offer, and nothing is written.

/* The answer of upgrade_customer: the upgraded customer, or the customer who already has the phone or email (and the merge to offer). */
do $$
begin
  if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'app_public' and t.typname = 'customer_upgrade') then
    create type app_public.customer_upgrade as (
      customer_id text,
      stage text,
      duplicate_of_id text,
      duplicate_of_number text,
      duplicate_of_name text,
      duplicate_field text,
      merge_preview app_public.customer_merge_preview
    );
  end if;
end $$;
comment on type app_public.customer_upgrade is
  'What upgradeCustomer did: the customer and its stage now; or, when the phone or email given is already another live customer''s, that customer (duplicateOf…, the field) and the merge preview to offer (that customer kept, this one merged into it; null without customers.merge). Nothing is written then.';
comment on column app_public.customer_upgrade.customer_id is 'The upgraded customer (null when the details belong to another customer).';
comment on column app_public.customer_upgrade.stage is 'The customer''s stage now: guest, stub or full.';
comment on column app_public.customer_upgrade.duplicate_of_id is 'The live customer who already has the phone or email given.';
comment on column app_public.customer_upgrade.duplicate_of_number is 'Their number (CUST-00012).';
comment on column app_public.customer_upgrade.duplicate_of_name is 'Their display name.';
comment on column app_public.customer_upgrade.duplicate_field is 'phone or email: which detail they already have.';
comment on column app_public.customer_upgrade.merge_preview is 'What merging this customer into them would make (previewCustomerMerge), when the caller may merge.';

/*
 * Keeps a walk-in for one sale (needs customers.create): a guest with no identifier, shown as
 * "Walk-in", that the till attaches to the order so the sale is in its history when the person is
 * upgraded later (add a name and a phone: upgrade_customer).
 */
create or replace function app_public.create_walk_in_customer() returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.create');
  result app_public.customers;
begin
  insert into app_public.customers as c (tenant_id, customer_number, walk_in, created_by)
  values (tenant, app_hidden.format_customer_number(app_private.next_tenant_number(tenant, 'customer_number')), true,
          app_hidden.current_user_id())
  returning * into result;
  perform app_private.emit_event(tenant, 'customer.created.v1', 'customer', result.id,
    app_private.customer_event_payload(result));
  return result;
end;
$$;
comment on function app_public.create_walk_in_customer() is
  'Keeps a walk-in (needs customers.create): a guest customer with no name, phone or email, shown as "Walk-in", to attach to a sale and upgrade later (upgradeCustomer).';

/*
 * Fills what the customer's next stage needs (needs customers.update; customers.create may add only what is missing): guest → stub needs a name
 * and a phone, stub → full an email and the phone verified by a one-time code. Fields left out
 * (null or blank) stay as they are. A phone or email that is already another live customer's is
 * not an error: the answer names that customer and the merge to offer, and nothing is written.
 * Refused: a merged or erased customer (CMRGD, ERASD), a full profile (BADIN), details still
 * missing for the next stage (UPGMS, naming the field), and full with a phone not verified yet
 * (PHUNV, field phone: verify it first).
 */
create or replace function app_public.upgrade_customer(
  customer_id text,
  first_name text default null,
  last_name text default null,
  phone text default null,
  email text default null
) returns app_public.customer_upgrade
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customer_profile_permission();
  country text;
  cur app_public.customers;
  nxt app_public.customers;
  other app_public.customers;
  other_field text;
  target text;
  patch app_public.customer_changes;
  result app_public.customer_upgrade;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = tenant and c.id = upgrade_customer.customer_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(upgrade_customer.customer_id, 40), '(none given)')));
  end if;
  if cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one; upgrade that customer instead.', cur.merged_into_id);
  elsif cur.status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was erased: it cannot be changed.', cur.id);
  elsif cur.stage = 'full' then
    perform app_hidden.raise_error('BADIN', format('Customer %s is already a full profile.', cur.customer_number));
  end if;
  target := case cur.stage when 'guest' then 'stub' else 'full' end;
  select t.default_country into country from app_public.tenants t where t.id = tenant;

  -- The details as they would be (cleaned as update_customer cleans them).
  nxt := cur;
  if nullif(btrim(upgrade_customer.first_name), '') is not null then
    nxt.first_name := app_hidden.optional_name('First name', upgrade_customer.first_name, 100, 'first_name');
  end if;
  if nullif(btrim(upgrade_customer.last_name), '') is not null then
    nxt.last_name := app_hidden.optional_name('Last name', upgrade_customer.last_name, 100, 'last_name');
  end if;
  if nullif(btrim(upgrade_customer.phone), '') is not null then
    nxt.phone := app_hidden.normalize_phone(upgrade_customer.phone, country);
  end if;
  if nullif(btrim(upgrade_customer.email), '') is not null then
    nxt.email := app_hidden.optional_email(upgrade_customer.email);
  end if;

  -- Somebody else already has this phone or email: offer the merge instead of a second record.
  if nxt.phone is distinct from cur.phone then
    select c.* into other from app_public.customers c
    where c.tenant_id = tenant and c.phone = nxt.phone and c.status <> 'merged' and c.id <> cur.id;
    other_field := 'phone';
  end if;
  if other.id is null and nxt.email is distinct from cur.email then
    select c.* into other from app_public.customers c
    where c.tenant_id = tenant and c.email = nxt.email and c.status <> 'merged' and c.id <> cur.id;
    other_field := 'email';
  end if;
  if other.id is not null then
    result.customer_id := cur.id;
    result.stage := cur.stage;
    result.duplicate_of_id := other.id;
    result.duplicate_of_number := other.customer_number;
    result.duplicate_of_name := other.display_name;
    result.duplicate_field := other_field;
    if other.status <> 'erased' and app_hidden.has_permission('customers.merge') then
      result.merge_preview := app_public.preview_customer_merge(other.id, cur.id);
    end if;
    return result;
  end if;

  -- At the till (customers.create without customers.update) a profile is completed, not changed.
  if not app_hidden.has_permission('customers.update') then
    if cur.first_name is not null and nxt.first_name is distinct from cur.first_name
       or cur.last_name is not null and nxt.last_name is distinct from cur.last_name
       or cur.phone is not null and nxt.phone is distinct from cur.phone
       or cur.email is not null and nxt.email is distinct from cur.email then
      perform app_hidden.raise_error('DNIED', 'Changing details a customer already has needs customers.update: at the till, add only what is missing.');
    end if;
  end if;

  -- What the next stage still needs.
  if coalesce(nxt.first_name, nxt.company_name) is null then
    perform app_hidden.raise_error('UPGMS', format('A %s profile needs a first name.', target), field => 'first_name');
  elsif nxt.phone is null then
    perform app_hidden.raise_error('UPGMS', format('A %s profile needs a phone number.', target), field => 'phone');
  elsif target = 'full' and nxt.email is null then
    perform app_hidden.raise_error('UPGMS', 'A full profile needs an email.', field => 'email');
  elsif target = 'full' and (nxt.phone is distinct from cur.phone or cur.phone_verified_at is null) then
    perform app_hidden.raise_error('PHUNV',
      format('Verify the phone %s with a one-time code first: a full profile needs a verified phone.', app_hidden.visible_phone(nxt.phone)), field => 'phone');
  end if;

  patch.first_name := nullif(btrim(upgrade_customer.first_name), '');
  patch.last_name := nullif(btrim(upgrade_customer.last_name), '');
  patch.phone := nullif(btrim(upgrade_customer.phone), '');
  patch.email := nullif(btrim(upgrade_customer.email), '');
  nxt := app_private.apply_customer_changes(tenant, cur.id, patch);
  result.customer_id := nxt.id;
  result.stage := nxt.stage;
  return result;
end;
$$;
comment on function app_public.upgrade_customer(text, text, text, text, text) is
  E'Moves a customer to its next stage (needs customers.update, or customers.create to add only what is missing, as at the till): a guest becomes a stub with a first name and a phone, a stub becomes full with an email and its phone verified (PHUNV: verify it first). Fields left out stay. When the phone or email is already another live customer''s, nothing is written and the answer names that customer with the merge preview to offer. UPGMS names what is still missing; a full profile is not upgraded (BADIN).';
--! EndIncluded customers/432-upgrade.sql

-- The stored display names of customers known by a phone alone, computed again (a stored
-- generated column is recomputed when its row is updated). Only the column changes: the triggers
-- of the table are off for this statement, so no audit entry or event claims a change of details.
alter table app_public.customers disable trigger user;
update app_public.customers c set phone = c.phone
 where c.phone is not null and c.company_name is null and c.email is null
   and nullif(btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), '') is null
   and c.display_name = c.phone;
alter table app_public.customers enable trigger user;

--! Included customers/430-merge.sql
-- Two records of the same person become one. The duplicate's orders, notes
-- and addresses move to the primary, its purchase history joins the primary's, and it stays as
-- status = merged with merged_into_id (never deleted, so old references still resolve). A
-- customer_merges row keeps both snapshots and the moved ids so that a merge can be explained
-- later; customer.merged.v1 tells the consumers. Both customer rows are locked in id order (and
-- the duplicate's orders before them, in the order sales lock orders then customers), so two
-- merges that cross, or a merge and a void, wait for each other instead of deadlocking.

create or replace trigger _500_audit after insert on app_public.customer_merges
  for each row execute function app_private.tg__audit('created_at', 'primary_snapshot', 'duplicate_snapshot', 'result_snapshot');

drop policy if exists select_with_permission on app_public.customer_merges;
create policy select_with_permission on app_public.customer_merges for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));

revoke all on app_public.customer_merges from :DATABASE_VISITOR;
grant select on app_public.customer_merges to :DATABASE_VISITOR;

/*
 * The primary as it will be after absorbing the duplicate (nothing is written): each field is
 * the primary's unless null, then the duplicate's (marketing consent with its time and source);
 * tags are the primary's then the duplicate's others (ignoring case, at most 50); notes are
 * joined when both fit in 2000 characters (else the primary's stay and the merge turns the
 * duplicate's into a note); metadata keys of the primary win; the type is the primary's, else
 * the duplicate's. (The purchase history is combined by app_private.merge_customer_history.)
 */
create or replace function app_hidden.merged_customer(p app_public.customers, d app_public.customers) returns app_public.customers
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  result app_public.customers := p;
  combined_notes text;
  merged_metadata jsonb;
begin
  result.email := coalesce(p.email, d.email);
  result.phone := coalesce(p.phone, d.phone);
  -- The phone keeps its verification: the primary's own, or the duplicate's with its phone.
  result.phone_verified_at := case when p.phone is not null then p.phone_verified_at else d.phone_verified_at end;
  result.first_name := coalesce(p.first_name, d.first_name);
  result.last_name := coalesce(p.last_name, d.last_name);
  result.alt_name := coalesce(p.alt_name, d.alt_name);
  result.display_name := app_hidden.customer_display_name(result.company_name, result.first_name, result.last_name, result.email, result.phone);
  if p.marketing_consent is null and d.marketing_consent is not null then
    result.marketing_consent := d.marketing_consent;
    result.marketing_consent_updated_at := d.marketing_consent_updated_at;
    result.marketing_consent_source := d.marketing_consent_source;
  end if;
  select coalesce(jsonb_agg(t.tag order by t.ord), '[]'::jsonb) into result.tags
  from (
    select distinct on (lower(x.tag)) x.tag, x.ord
    from (
      select e.tag, e.ord from jsonb_array_elements_text(p.tags) with ordinality as e(tag, ord)
      union all
      select e.tag, 1000 + e.ord from jsonb_array_elements_text(d.tags) with ordinality as e(tag, ord)
    ) x
    order by lower(x.tag), x.ord
  ) t;
  if jsonb_array_length(result.tags) > 50 then
    select jsonb_agg(e.tag order by e.ord) into result.tags
    from jsonb_array_elements(result.tags) with ordinality as e(tag, ord) where e.ord <= 50;
  end if;
  combined_notes := case
    when p.notes is null then d.notes
    when d.notes is null then p.notes
    else p.notes || E'\n\n' || d.notes end;
  result.notes := case when length(combined_notes) <= 2000 then combined_notes else p.notes end;
  merged_metadata := d.metadata || p.metadata;
  result.metadata := case when octet_length(merged_metadata::text) <= 65536 then merged_metadata else p.metadata end;
  result.customer_type_id := coalesce(p.customer_type_id, d.customer_type_id);
  return result;
end;
$$;
comment on function app_hidden.merged_customer(app_public.customers, app_public.customers) is 'The primary customer as a merge with the duplicate would leave it (computes, writes nothing).';

/* Locks two customers of a tenant in id order; raises BADIN, MRGSM, NOTFD, CMRGD or ERASD (an erased customer is nobody to merge). */
create or replace function app_private.lock_customers_for_merge(tenant_id text, primary_id text, duplicate_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  locked_id text;
  row_found app_public.customers;
begin
  if primary_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the customer to keep and the duplicate to merge into it.');
  end if;
  if primary_id = duplicate_id then
    perform app_hidden.raise_error('MRGSM', 'A customer cannot be merged with itself; choose two different customers.');
  end if;
  for locked_id in select x from unnest(array[primary_id, duplicate_id]) as x order by x collate "C" loop
    select c.* into row_found from app_public.customers c
    where c.tenant_id = lock_customers_for_merge.tenant_id and c.id = locked_id
    for update;
    if not found then
      perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', left(locked_id, 40)));
    end if;
    if row_found.status = 'merged' then
      perform app_hidden.raise_error('CMRGD', format('Customer %s (%s) was already merged into another customer.',
        row_found.customer_number, row_found.display_name), row_found.merged_into_id);
    elsif row_found.status = 'erased' then
      perform app_hidden.raise_error('ERASD', format('Customer %s was erased: it cannot be merged.', row_found.customer_number), row_found.id);
    end if;
  end loop;
end;
$$;

/*
 * Moves a duplicate's purchase history to the primary: visits and spend added up, the earlier
 * first visit, the later last visit, the latest 20 of both, units per item added up (so the
 * most bought items are recomputed over both); the duplicate's counted orders now count for
 * the primary (a later void finds them there) and its own history is zero. Preferences, contact
 * channels and favourite items: the primary's stand, the duplicate's fill what the primary lacks.
 */
create or replace function app_private.merge_customer_history(tenant_id text, primary_id text, duplicate_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  tenant constant text := merge_customer_history.tenant_id;
  d app_public.customer_stats;
begin
  select s.* into d from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id = duplicate_id;
  update app_public.customer_stats s set
    visits = s.visits + d.visits,
    spend = s.spend + d.spend,
    items_bought = s.items_bought + d.items_bought,
    first_visit_at = least(s.first_visit_at, d.first_visit_at),
    last_visit_at = greatest(s.last_visit_at, d.last_visit_at),
    recent_visits = app_hidden.latest_visits(s.recent_visits || d.recent_visits),
    updated_at = now()
  where s.tenant_id = tenant and s.customer_id = primary_id;
  update app_public.customer_stats s set
    visits = 0, spend = 0, items_bought = 0, first_visit_at = null, last_visit_at = null, recent_visits = '{}', updated_at = now()
  where s.tenant_id = tenant and s.customer_id = duplicate_id;
  update app_private.customer_visits v set customer_id = primary_id
  where v.tenant_id = tenant and v.customer_id = duplicate_id;

  insert into app_public.customer_item_stats as i (tenant_id, customer_id, catalog_item_id, quantity)
  select tenant, primary_id, x.catalog_item_id, x.quantity
  from app_public.customer_item_stats x where x.tenant_id = tenant and x.customer_id = duplicate_id
  order by x.catalog_item_id
  on conflict (tenant_id, customer_id, catalog_item_id) do update set quantity = i.quantity + excluded.quantity;
  delete from app_public.customer_item_stats x where x.tenant_id = tenant and x.customer_id = duplicate_id;

  insert into app_public.customer_preferences as p (tenant_id, customer_id, do_not_contact, preferred_payment, best_contact_time, language)
  select tenant, primary_id, x.do_not_contact, x.preferred_payment, x.best_contact_time, x.language
  from app_public.customer_preferences x where x.tenant_id = tenant and x.customer_id = duplicate_id
  on conflict (tenant_id, customer_id) do update set
    -- Either one asking not to be contacted is the person asking.
    do_not_contact = p.do_not_contact or excluded.do_not_contact,
    preferred_payment = coalesce(p.preferred_payment, excluded.preferred_payment),
    best_contact_time = coalesce(p.best_contact_time, excluded.best_contact_time),
    language = coalesce(p.language, excluded.language);
  insert into app_public.customer_contact_channels (tenant_id, customer_id, channel, allowed, source, recorded_at, recorded_by)
  select tenant, primary_id, x.channel, x.allowed, x.source, x.recorded_at, x.recorded_by
  from app_public.customer_contact_channels x where x.tenant_id = tenant and x.customer_id = duplicate_id
  on conflict do nothing;
  insert into app_public.customer_favourite_items (tenant_id, customer_id, catalog_item_id, created_at)
  select tenant, primary_id, x.catalog_item_id, x.created_at
  from app_public.customer_favourite_items x where x.tenant_id = tenant and x.customer_id = duplicate_id
  on conflict do nothing;
end;
$$;

create or replace function app_public.merge_customers(primary_id text, duplicate_id text, reason text default null) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  me text := app_hidden.current_user_id();
  p app_public.customers;
  d app_public.customers;
  m app_public.customers;
  result app_public.customers;
  order_ids text[];
  note_ids text[];
  address_ids text[];
  notes_note text;
  merge_row app_public.customer_merges;
  p_stats app_public.customer_stats;
  d_stats app_public.customer_stats;
begin
  perform app_private.begin_change('merge_customers', reason);
  -- Sales lock an order, then its customer: take the duplicate's orders first, then the customers.
  perform 1 from app_public.orders o
  where o.tenant_id = tenant and o.customer_id = merge_customers.duplicate_id
  order by o.id
  for update;
  perform app_private.lock_customers_for_merge(tenant, merge_customers.primary_id, merge_customers.duplicate_id);
  -- An account stays with its customer: its ledger and invoices do not move (ACMRG, accounts/700).
  perform app_private.assert_no_account_to_merge(tenant, merge_customers.duplicate_id);
  select c.* into p from app_public.customers c where c.tenant_id = tenant and c.id = merge_customers.primary_id;
  select c.* into d from app_public.customers c where c.tenant_id = tenant and c.id = merge_customers.duplicate_id;
  m := app_hidden.merged_customer(p, d);
  select s.* into d_stats from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id = d.id;

  with moved as (
    update app_public.orders o set customer_id = p.id
    where o.tenant_id = tenant and o.customer_id = d.id
    returning o.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into order_ids from moved;

  with moved as (
    update app_public.customer_notes n set customer_id = p.id
    where n.tenant_id = tenant and n.customer_id = d.id
    returning n.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into note_ids from moved;

  with moved as (
    update app_public.customer_addresses a
      set customer_id = p.id,
          is_default = a.is_default and not exists (
            select 1 from app_public.customer_addresses pa
            where pa.tenant_id = tenant and pa.customer_id = p.id and pa.is_default)
    where a.tenant_id = tenant and a.customer_id = d.id
    returning a.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into address_ids from moved;

  -- Notes that do not fit together: the duplicate's become a note on the primary.
  if d.notes is not null and m.notes is not distinct from p.notes and p.notes is not null then
    insert into app_public.customer_notes (tenant_id, customer_id, category, body)
    values (tenant, p.id, 'general', d.notes)
    returning id into notes_note;
  end if;

  -- Customers merged earlier into the duplicate now point at the primary.
  update app_public.customers c set merged_into_id = p.id
  where c.tenant_id = tenant and c.merged_into_id = d.id;

  -- The duplicate first, so that its email and phone leave the uniqueness of live customers.
  -- Its type went to the primary (a merged customer has none: customers_merged_without_type).
  update app_public.customers c
    set status = 'merged', merged_into_id = p.id, customer_type_id = null
  where c.tenant_id = tenant and c.id = d.id;

  update app_public.customers c set
    email = m.email, phone = m.phone, first_name = m.first_name, last_name = m.last_name, notes = m.notes,
    tags = m.tags, metadata = m.metadata, marketing_consent = m.marketing_consent,
    marketing_consent_updated_at = m.marketing_consent_updated_at, marketing_consent_source = m.marketing_consent_source,
    customer_type_id = m.customer_type_id, alt_name = m.alt_name, phone_verified_at = m.phone_verified_at
  where c.tenant_id = tenant and c.id = p.id
  returning * into result;

  perform app_private.merge_customer_history(tenant, p.id, d.id);
  select s.* into p_stats from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id = p.id;

  insert into app_public.customer_merges (tenant_id, primary_id, duplicate_id, primary_snapshot, duplicate_snapshot,
    result_snapshot, moved_order_ids, moved_note_ids, moved_address_ids, notes_note_id, merged_by_user_id)
  values (tenant, p.id, d.id, to_jsonb(p), to_jsonb(d), to_jsonb(result), order_ids, note_ids, address_ids, notes_note, me)
  returning * into merge_row;

  perform app_private.emit_event(tenant, 'customer.merged.v1', 'customer', p.id, jsonb_build_object(
    'merge_id', merge_row.id,
    'primary_id', p.id,
    'duplicate_id', d.id,
    'primary_customer_number', p.customer_number,
    'duplicate_customer_number', d.customer_number,
    'display_name', result.display_name,
    'moved_order_ids', to_jsonb(order_ids),
    'moved_note_ids', to_jsonb(note_ids),
    'moved_address_ids', to_jsonb(address_ids),
    'added_visits', d_stats.visits,
    'added_spend', d_stats.spend,
    'total_visits', p_stats.visits,
    'total_spend', p_stats.spend,
    'last_visit_at', app_hidden.iso_utc(p_stats.last_visit_at)));
  perform app_private.end_change();
  return result;
end;
$$;
comment on function app_public.merge_customers(text, text, text) is
  E'Merges a duplicate customer into a primary one (needs customers.merge). The primary keeps its values and takes the duplicate''s where it has none; tags and notes are combined; visits and spend are added up; orders, notes and addresses move to the primary. The duplicate stays with status merged. Both must be live and different (NOTFD, CMRGD, MRGSM); a duplicate with an account is not merged (ACMRG: merge the other way). The reason, if given, is kept in the audit log.';

create or replace function app_public.preview_customer_merge(primary_id text, duplicate_id text) returns app_public.customer_merge_preview
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  p app_public.customers;
  d app_public.customers;
  m app_public.customers;
  result app_public.customer_merge_preview;
begin
  if primary_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the customer to keep and the duplicate to merge into it.');
  end if;
  if primary_id = duplicate_id then
    perform app_hidden.raise_error('MRGSM', 'A customer cannot be merged with itself; choose two different customers.');
  end if;
  select c.* into p from app_public.customers c where c.tenant_id = tenant and c.id = preview_customer_merge.primary_id;
  select c.* into d from app_public.customers c where c.tenant_id = tenant and c.id = preview_customer_merge.duplicate_id;
  if p.id is null or d.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.',
      left(case when p.id is null then primary_id else duplicate_id end, 40)));
  end if;
  if p.status = 'merged' or d.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'One of these customers was already merged into another customer.');
  elsif p.status = 'erased' or d.status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'One of these customers was erased: it cannot be merged.');
  end if;
  m := app_hidden.merged_customer(p, d);
  -- (The phone as the caller may see it: masked without customers.view_contact, 404-phones.sql.)
  result := row(m.display_name, m.email, app_hidden.visible_phone(m.phone), m.first_name, m.last_name, m.notes, m.tags, m.marketing_consent,
                (select sum(s.visits) from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id in (p.id, d.id)),
                (select sum(s.spend) from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id in (p.id, d.id)),
                (select max(s.last_visit_at) from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id in (p.id, d.id)),
                (select count(*) from app_public.orders o where o.tenant_id = tenant and o.customer_id = d.id),
                (select count(*) from app_public.customer_notes n where n.tenant_id = tenant and n.customer_id = d.id),
                (select count(*) from app_public.customer_addresses a where a.tenant_id = tenant and a.customer_id = d.id));
  return result;
end;
$$;
comment on function app_public.preview_customer_merge(text, text) is
  'Shows what mergeCustomers would make of the two customers, without changing anything (needs customers.merge).';
--! EndIncluded customers/430-merge.sql

-- The loyalty points consumer records facts (whether a sale earned was decided by the stage and
-- the program at the time): it is never reset, and the sales from before it existed count as
-- applied, so that no replay ever earns points for them.
alter table app_private.event_subscriptions add column if not exists records_facts boolean not null default false;
comment on column app_private.event_subscriptions.records_facts is 'The consumer writes facts as they happened (not a read model): reset_consumer refuses it.';
update app_private.event_subscriptions set records_facts = true where consumer = 'loyalty_points';
--! Included sales/300-events.sql
-- The event log and its delivery. Writes that matter (orders, voids, tenders, stock
-- movements, later customers) append a versioned event in the same transaction as the change;
-- consumers are SQL functions subscribed to event types by one row in a registry, and each
-- applies an event at most once (processed_events), so dispatching twice or replaying the log
-- never double-counts. db/EVENTS.md documents the event types, their payloads and these rules.

------------------------------------------------------------------------------------------------
-- Helpers shared by the sales files

/*
 * The business date of an instant at a location: the calendar date on the shop's clock in its
 * IANA time zone (DST included), never the UTC date (DESIGN.md "Business dates").
 * This and iso_utc are one built-in expression each and carry no SET clause on purpose, so that
 * PostgreSQL inlines them into the calling query (a SET clause forbids inlining and costs a plan
 * per call on the order path); they name nothing a search_path could redirect.
 */
create or replace function app_hidden.business_date(instant timestamptz, timezone text) returns date
language sql immutable parallel safe
as $$
  select (instant at time zone timezone)::date;
$$;
comment on function app_hidden.business_date(timestamptz, text) is 'The date on the clock of a shop in this IANA time zone at this instant.';

/* An instant as ISO 8601 text in UTC, so event payloads do not depend on the session time zone. */
create or replace function app_hidden.iso_utc(instant timestamptz) returns text
language sql immutable parallel safe
as $$
  select to_char(instant at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
$$;
comment on function app_hidden.iso_utc(timestamptz) is 'An instant as ISO 8601 text in UTC (2025-03-10T07:30:00.000000Z).';

/*
 * Trigger: rows of ledgers (events, stock movements, order lines, tenders) are never changed or
 * deleted; corrections are new rows. The exceptions: deleting the tenant itself, whose ON DELETE
 * CASCADE removes its rows after the tenant row is gone; and erasing a customer's personal data
 * (app_public.erase_customer), which rewrites the payloads of that customer's customer.* events
 * and nothing else of them: an erase that left the email in the log would be a lie. It says so
 * for its own transaction (app.erasing_customer_events = the tenant); only the owner can write
 * the log at all, so this guards against mistakes, not against the API.
 */
create or replace function app_private.tg__append_only() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from app_public.tenants t where t.id = old.tenant_id) then
    return old;
  end if;
  if tg_op = 'UPDATE' and tg_table_name = 'events' then
    if current_setting('app.erasing_customer_events', true) = old.tenant_id and old.aggregate_type = 'customer'
       and (to_jsonb(new) - 'payload') = (to_jsonb(old) - 'payload') then
      return new;
    end if;
  end if;
  -- Erasing a customer (customers/495) blanks the reasons in its account's log and ledger, and of its loyalty points
  -- adjustments; nothing else of them changes.
  if tg_op = 'UPDATE' and tg_table_name in ('account_actions', 'account_entries', 'loyalty_point_entries') then
    if current_setting('app.erasing_customer_account', true) = old.tenant_id
       and (to_jsonb(new) - array['reason', 'before', 'after', 'memo']) = (to_jsonb(old) - array['reason', 'before', 'after', 'memo']) then
      return new;
    end if;
  end if;
  perform app_hidden.raise_error('IMMUT', format(
    'Rows of %s are never changed or deleted; record a correcting entry instead.', tg_table_name));
  return null;
end;
$$;
comment on function app_private.tg__append_only() is 'Trigger: refuses updates and deletes of ledger rows (IMMUT), except when their tenant is deleted, and the erasure of a customer''s personal data (event payloads, the reasons of its account''s log and ledger and of its loyalty points adjustments).';

create or replace trigger _010_append_only before update or delete on app_private.events
  for each row execute function app_private.tg__append_only();

create or replace function app_private.tg_event_subscriptions__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not exists (select 1 from pg_catalog.pg_proc p
                 where p.oid = new.handler and p.pronargs = 1
                   and p.proargtypes[0] = 'app_private.events'::regtype and p.prokind = 'f') then
    perform app_hidden.raise_error('BADEV', format(
      'The handler %s of consumer %s must be a function taking one app_private.events row.', new.handler, new.consumer));
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_private.event_subscriptions
  for each row execute function app_private.tg_event_subscriptions__validate();

------------------------------------------------------------------------------------------------
-- Delivery

/*
 * Runs every consumer subscribed to the event's type (or only `only_consumer`, or only those of
 * one `delivery`), each at most once: the (event, consumer) row is inserted first and the handler
 * runs only when that insert happened. Both commit or roll back together, and a concurrent
 * dispatch of the same event waits on the first one's row and then skips. Returns how many
 * consumers applied the event.
 */
create or replace function app_private.dispatch(evt app_private.events, only_consumer text default null, delivery text default null) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  sub record;
  applied int := 0;
  inserted int;
begin
  for sub in
    select s.consumer, format('%I.%I', n.nspname, p.proname) as fn
    from app_private.event_subscriptions s
    join pg_catalog.pg_proc p on p.oid = s.handler
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    where s.event_type = evt.type
      and (dispatch.only_consumer is null or s.consumer = dispatch.only_consumer)
      and (dispatch.delivery is null or s.delivery = dispatch.delivery)
    order by s.consumer
  loop
    insert into app_private.processed_events (tenant_id, event_id, consumer)
      values (evt.tenant_id, evt.id, sub.consumer)
      on conflict do nothing;
    get diagnostics inserted = row_count;
    if inserted = 1 then
      execute format('select %s($1)', sub.fn) using evt;
      applied := applied + 1;
    end if;
  end loop;
  return applied;
end;
$$;
comment on function app_private.dispatch(app_private.events, text, text) is 'Applies an event to its subscribed consumers, each at most once; returns how many applied it.';

/*
 * Appends an event and delivers it to the inline subscribers in the same transaction. The one
 * place events are written one at a time (many at once: append them in one statement, then
 * dispatch_events below): switching a consumer to after-commit delivery is a change of its
 * subscription row (delivery = async), not of this function or of the consumer. The actor
 * defaults to the signed-in user; callers that already know it pass it (one lookup less).
 */
create or replace function app_private.emit_event(
  tenant_id text, type text, aggregate_type text, aggregate_id text, payload jsonb,
  actor_user_id text default app_hidden.current_user_id(), occurred_at timestamptz default now()
) returns app_private.events
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  evt app_private.events;
begin
  insert into app_private.events (tenant_id, type, aggregate_type, aggregate_id, payload, actor_user_id, occurred_at)
    values (emit_event.tenant_id, emit_event.type, emit_event.aggregate_type, emit_event.aggregate_id,
            emit_event.payload, emit_event.actor_user_id, coalesce(emit_event.occurred_at, now()))
    returning * into evt;
  perform app_private.dispatch(evt, null, 'inline');
  return evt;
end;
$$;
comment on function app_private.emit_event(text, text, text, text, jsonb, text, timestamptz) is 'Appends an event to the log and applies it to the inline consumers, in the caller''s transaction.';

/*
 * Delivers events already appended (emitted set-based, e.g. by a customer import: one INSERT …
 * RETURNING of many events) to their subscribers of one delivery, as dispatch would one by one:
 * each consumer at most once per event (its processed_events rows inserted in one statement), the
 * events in log order. A consumer whose handler has an overload taking app_private.events[] gets
 * the events it has not applied yet in one call per tenant (the same read model as one call per
 * event: such handlers apply a batch in log order); any other handler is called per event.
 * Consumers are taken in name order, each over all the events (dispatch takes all consumers of
 * one event, then the next event: the same result, consumers being independent). Returns how many
 * (event, consumer) pairs applied.
 */
create or replace function app_private.dispatch_events(evts app_private.events[], delivery text default 'inline') returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  sub record;
  todo app_private.events[];
  evt app_private.events;
  tenant text;
  applied int := 0;
begin
  for sub in
    select s.consumer, s.handler, format('%I.%I', n.nspname, p.proname) as fn, array_agg(s.event_type) as types,
           to_regprocedure(format('%I.%I(app_private.events[])', n.nspname, p.proname)) as batch_fn
    from app_private.event_subscriptions s
    join pg_catalog.pg_proc p on p.oid = s.handler
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    where s.event_type in (select e.type from unnest(evts) e)
      and (dispatch_events.delivery is null or s.delivery = dispatch_events.delivery)
    group by s.consumer, s.handler, n.nspname, p.proname
    order by s.consumer
  loop
    with done as (
      insert into app_private.processed_events (tenant_id, event_id, consumer)
      select e.tenant_id, e.id, sub.consumer from unnest(evts) e where e.type = any(sub.types) order by e.seq
      on conflict do nothing
      returning tenant_id, event_id)
    select array_agg(e order by e.seq) into todo
    from unnest(evts) e where (e.tenant_id, e.id) in (select d.tenant_id, d.event_id from done d);
    if todo is null then
      continue;
    end if;
    if sub.batch_fn is not null then
      for tenant in select distinct e.tenant_id from unnest(todo) e loop
        execute format('select %s($1)', sub.fn) using array(select e from unnest(todo) e where e.tenant_id = tenant order by e.seq);
      end loop;
    else
      foreach evt in array todo loop
        execute format('select %s($1)', sub.fn) using evt;
      end loop;
    end if;
    applied := applied + cardinality(todo);
  end loop;
  return applied;
end;
$$;
comment on function app_private.dispatch_events(app_private.events[], text) is 'Applies events appended set-based to their consumers of one delivery (inline by default), each at most once, a batch at a time where the handler takes one; returns how many (event, consumer) pairs applied.';

/*
 * Re-feeds stored events to one consumer, oldest first (by seq), for every tenant or one; events
 * the consumer already applied are skipped, so a replay re-applies nothing. Also the catch-up
 * loop of async consumers. Returns how many events were applied.
 */
create or replace function app_private.replay(consumer text, tenant_id text default null) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  evt app_private.events;
  applied int := 0;
begin
  if not exists (select 1 from app_private.event_subscriptions s where s.consumer = replay.consumer) then
    perform app_hidden.raise_error('BADEV', format('No consumer named %s is subscribed to any event.', replay.consumer));
  end if;
  for evt in
    select e.* from app_private.events e
    where e.type in (select s.event_type from app_private.event_subscriptions s where s.consumer = replay.consumer)
      and (replay.tenant_id is null or e.tenant_id = replay.tenant_id)
      and not exists (select 1 from app_private.processed_events pe
                      where pe.tenant_id = e.tenant_id and pe.event_id = e.id and pe.consumer = replay.consumer)
    order by e.seq
  loop
    applied := applied + app_private.dispatch(evt, replay.consumer);
  end loop;
  return applied;
end;
$$;
comment on function app_private.replay(text, text) is 'Applies to one consumer every stored event of its types it has not applied yet, in log order.';

/*
 * Forgets what a consumer applied (for every tenant or one), so that the next replay feeds it
 * every event again: the way to rebuild a read model after clearing it. Returns rows forgotten.
 * A consumer that records facts (event_subscriptions.records_facts: the loyalty points ledger)
 * is never reset: what it decided at the time (a sale of a guest earns nothing, a program turned
 * off earns nothing) would be decided again by today's state, so BADEV.
 */
create or replace function app_private.reset_consumer(consumer text, tenant_id text default null) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  forgotten int;
begin
  if exists (select 1 from app_private.event_subscriptions s where s.consumer = reset_consumer.consumer and s.records_facts) then
    perform app_hidden.raise_error('BADEV', format(
      'The consumer %s records facts as they happened (a ledger, not a read model): it is never reset.', reset_consumer.consumer));
  end if;
  with gone as (
    delete from app_private.processed_events pe
    where pe.consumer = reset_consumer.consumer
      and (reset_consumer.tenant_id is null or pe.tenant_id = reset_consumer.tenant_id)
    returning 1)
  select count(*)::int into forgotten from gone;
  return forgotten;
end;
$$;
comment on function app_private.reset_consumer(text, text) is 'Forgets which events a consumer applied, so that a replay rebuilds it from the log.';
--! EndIncluded sales/300-events.sql
--! Included customers/477-loyalty-points.sql
-- Loyalty points (Square Loyalty is the anchor). Not the loyalty classes of 470 (derived from
-- visits): points are facts, written to an append-only ledger (app_public.loyalty_point_entries)
-- whose sum is a customer's balance. The rules:
--
--   * The program (loyalty_point_programs, one row per business, off by default) earns either
--     per amount — points_per_unit points for every whole unit_amount cents of what the customer
--     paid before tax, after every discount (line, order, tier and the reward itself):
--     floor((subtotal − discount_total) / unit_amount) × points_per_unit — or per visit —
--     points_per_visit points for every sale.
--   * Only customers at stage stub or full earn and redeem (a guest has nobody to give points to).
--   * Earning is the consumer loyalty_points on order.placed.v1, applied in the sale's
--     transaction. A void (order.voided.v1) or the cancellation of an open order
--     (order.cancelled.v1) writes one reversal: minus what the order earned, plus what it
--     redeemed. A refund of some lines takes no points back (documented choice: only voids do).
--   * Once per order and kind: a unique index on (order, kind) and ON CONFLICT DO NOTHING, on
--     top of processed_events, so a replay earns nothing twice. The ledger is not a read model:
--     reporting.rebuild neither clears it nor feeds it, and the consumer is never reset
--     (event_subscriptions.records_facts: reset_consumer refuses it), since whether a sale earns
--     is decided by the customer's stage and the program as they are when it is applied; a
--     replay would decide again by today's. Sales from before points existed were marked applied
--     when the consumer was added, so they earn nothing.
--   * Redemption: place_order(loyalty_reward_id => …) locks the customer's row, checks the
--     balance (PTSLO when short; PTSNE when the customer may not redeem: none, a guest, the
--     program off), adds the reward's amount to the order discount (spread over the lines like
--     it) and writes −N points. Two sales redeeming at once for one customer wait for each other
--     on that row, so they cannot overdraw. Earning takes no lock (an insert), so concurrent
--     sales never queue on points.
--   * A balance can only go below zero when a void takes back points already spent.
--   * A merge moves the duplicate's balance to the primary (two merge entries, and
--     customer_merges.moved_points), in the merge's transaction (a trigger on customer_merges).

------------------------------------------------------------------------------------------------
-- Who reads what

-- Everyone of the business reads the program and its rewards (the till offers them); the ledger
-- needs customers.view. Nobody writes them but the functions.
drop policy if exists select_own_tenant on app_public.loyalty_point_programs;
create policy select_own_tenant on app_public.loyalty_point_programs for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
drop policy if exists select_own_tenant on app_public.loyalty_point_rewards;
create policy select_own_tenant on app_public.loyalty_point_rewards for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
drop policy if exists select_with_permission on app_public.loyalty_point_entries;
create policy select_with_permission on app_public.loyalty_point_entries for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.loyalty_point_programs, app_public.loyalty_point_rewards, app_public.loyalty_point_entries from :DATABASE_VISITOR;
grant select on app_public.loyalty_point_programs, app_public.loyalty_point_rewards, app_public.loyalty_point_entries to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- The program

/* The program of a business: its row, or the defaults (off) when it has none. */
create or replace function app_hidden.loyalty_points_program_of(tenant_id text) returns app_public.loyalty_point_programs
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select (p.program).* from (
    select p as program, 1 as rank from app_public.loyalty_point_programs p where p.tenant_id = loyalty_points_program_of.tenant_id
    union all
    select row(loyalty_points_program_of.tenant_id, false, 'amount', 1, 100, 1, null::timestamptz, null::timestamptz)::app_public.loyalty_point_programs, 2
  ) p order by p.rank limit 1;
$$;

/* The current business's loyalty points program (the defaults, off, until an owner sets it). */
create or replace function app_public.current_loyalty_points_program() returns app_public.loyalty_point_programs
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select p.* from app_hidden.loyalty_points_program_of(app_hidden.current_tenant_id()) p
  where app_hidden.current_tenant_id() is not null;
$$;
comment on function app_public.current_loyalty_points_program() is 'The loyalty points program of the current business (off, 1 point per 1.00, until an owner changes it).';

/*
 * Changes the program (needs settings.update); fields left out stay. BADIN with the field for a
 * value out of range. Audited.
 */
create or replace function app_public.update_loyalty_points_program(
  enabled boolean default null, earn_mode text default null, points_per_unit int default null, unit_amount int default null,
  points_per_visit int default null)
returns app_public.loyalty_point_programs
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  cur app_public.loyalty_point_programs;
  result app_public.loyalty_point_programs;
begin
  if earn_mode is not null and earn_mode not in ('amount', 'visit') then
    perform app_hidden.raise_error('BADIN', 'Points are earned per amount or per visit.', field => 'earn_mode');
  elsif points_per_unit is not null and points_per_unit not between 1 and 1000 then
    perform app_hidden.raise_error('BADIN', 'Points per amount: between 1 and 1000.', field => 'points_per_unit');
  elsif unit_amount is not null and unit_amount not between 1 and 10000000 then
    perform app_hidden.raise_error('BADIN', 'The amount that earns them: between 1 cent and 100000.00.', field => 'unit_amount');
  elsif points_per_visit is not null and points_per_visit not between 1 and 100000 then
    perform app_hidden.raise_error('BADIN', 'Points per visit: between 1 and 100000.', field => 'points_per_visit');
  end if;
  insert into app_public.loyalty_point_programs (tenant_id) values (tenant) on conflict do nothing;
  select p.* into cur from app_public.loyalty_point_programs p where p.tenant_id = tenant for update;
  update app_public.loyalty_point_programs p set
    enabled = coalesce(update_loyalty_points_program.enabled, p.enabled),
    earn_mode = coalesce(update_loyalty_points_program.earn_mode, p.earn_mode),
    points_per_unit = coalesce(update_loyalty_points_program.points_per_unit, p.points_per_unit),
    unit_amount = coalesce(update_loyalty_points_program.unit_amount, p.unit_amount),
    points_per_visit = coalesce(update_loyalty_points_program.points_per_visit, p.points_per_visit),
    updated_at = now()
  where p.tenant_id = tenant
  returning * into result;
  insert into app_public.audit_entries (tenant_id, entity, entity_id, action, actor_user_id, changes)
  select tenant, 'loyalty_point_programs', tenant, 'update', app_hidden.current_user_id(), d.diff
  from (select app_hidden.jsonb_diff(to_jsonb(cur), to_jsonb(result), array['tenant_id', 'created_at', 'updated_at']) as diff) d
  where d.diff <> '{}'::jsonb;
  return result;
end;
$$;
comment on function app_public.update_loyalty_points_program(boolean, text, int, int, int) is
  'Changes the loyalty points program (needs settings.update): on or off, and how points are earned — pointsPerUnit for every whole unitAmount cents paid after discounts and before tax (earnMode amount), or pointsPerVisit per sale (earnMode visit). Applies to sales from now on.';

/* Checks and trims a reward's values (BADIN with the field). */
create or replace function app_private.loyalty_reward_values(name text, points int, amount int) returns app_public.loyalty_point_rewards
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  result app_public.loyalty_point_rewards;
begin
  result.name := app_hidden.assert_name('The reward''s name', loyalty_reward_values.name, 60, 'name');
  if points is null or points not between 1 and 10000000 then
    perform app_hidden.raise_error('BADIN', 'A reward costs between 1 and 10000000 points.', field => 'points');
  end if;
  if amount is null or amount not between 1 and 100000000 then
    perform app_hidden.raise_error('BADIN', 'A reward takes between 1 cent and 1000000.00 off.', field => 'amount');
  end if;
  result.points := points;
  result.amount := amount;
  return result;
end;
$$;

create or replace function app_public.create_loyalty_point_reward(name text, points int, amount int) returns app_public.loyalty_point_rewards
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  v app_public.loyalty_point_rewards := app_private.loyalty_reward_values(name, points, amount);
  result app_public.loyalty_point_rewards;
begin
  insert into app_public.loyalty_point_rewards (tenant_id, name, points, amount)
  values (tenant, v.name, v.points, v.amount)
  returning * into result;
  return result;
end;
$$;
comment on function app_public.create_loyalty_point_reward(text, int, int) is
  'Adds a reward to the loyalty points program (needs settings.update): so many points for amount cents off a sale.';

create or replace function app_public.update_loyalty_point_reward(id text, name text, points int, amount int, active boolean default true)
returns app_public.loyalty_point_rewards
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  v app_public.loyalty_point_rewards;
  result app_public.loyalty_point_rewards;
begin
  if not exists (select 1 from app_public.loyalty_point_rewards r where r.tenant_id = tenant and r.id = update_loyalty_point_reward.id) then
    perform app_hidden.raise_error('NOTFD', format('There is no reward %s.', left(update_loyalty_point_reward.id, 40)));
  end if;
  v := app_private.loyalty_reward_values(name, points, amount);
  update app_public.loyalty_point_rewards r set
    name = v.name, points = v.points, amount = v.amount, active = coalesce(update_loyalty_point_reward.active, true), updated_at = now()
  where r.tenant_id = tenant and r.id = update_loyalty_point_reward.id
  returning * into result;
  return result;
end;
$$;
comment on function app_public.update_loyalty_point_reward(text, text, int, int, boolean) is
  'Changes a reward (needs settings.update); active false stops offering it (a reward is never deleted: the history names it). Orders already placed keep what they took.';

------------------------------------------------------------------------------------------------
-- Balances

/* A customer's balance: the sum of its ledger entries (the owner's view: no row-level filter). */
create or replace function app_private.loyalty_points_balance(tenant_id text, customer_id text) returns bigint
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(e.points), 0)::bigint from app_public.loyalty_point_entries e
  where e.tenant_id = loyalty_points_balance.tenant_id and e.customer_id = loyalty_points_balance.customer_id;
$$;

/* The customer's points balance, the sum of its ledger entries (readers with customers.view). */
create or replace function app_public.customers_loyalty_points(c app_public.customers) returns bigint
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(e.points), 0)::bigint from app_public.loyalty_point_entries e
  where e.tenant_id = c.tenant_id and e.customer_id = c.id;
$$;
comment on function app_public.customers_loyalty_points(app_public.customers) is
  E'@notNull\nThe customer''s loyalty points balance: the sum of its ledger entries (loyaltyPointEntries).';

------------------------------------------------------------------------------------------------
-- Redemption at the till

/*
 * The reward an order of `customer` redeems, checked: the program on, a customer at stage stub or
 * full (PTSNE otherwise), an active reward of the business (NOTFD, INACT), a balance that covers
 * it (PTSLO). With `lock`, the customer's row is locked first (place_order), so two sales
 * redeeming for one customer check the balance one after the other; quote_order checks without.
 */
create or replace function app_private.loyalty_reward_for_order(tenant_id text, customer_id text, reward_id text, lock boolean)
returns app_public.loyalty_point_rewards
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant constant text := loyalty_reward_for_order.tenant_id;
  c app_public.customers;
  reward app_public.loyalty_point_rewards;
  balance bigint;
begin
  if reward_id is null then
    return null;
  end if;
  if not (app_hidden.loyalty_points_program_of(tenant)).enabled then
    perform app_hidden.raise_error('PTSNE', 'The loyalty points program is off: turn it on in Settings → Loyalty points.', field => 'loyalty_reward_id');
  end if;
  if customer_id is null then
    perform app_hidden.raise_error('PTSNE', 'Attach the customer to redeem their points.', field => 'loyalty_reward_id');
  end if;
  if lock then
    select x.* into c from app_public.customers x where x.tenant_id = tenant and x.id = loyalty_reward_for_order.customer_id for no key update;
  else
    select x.* into c from app_public.customers x where x.tenant_id = tenant and x.id = loyalty_reward_for_order.customer_id;
  end if;
  if c.stage not in ('stub', 'full') then
    perform app_hidden.raise_error('PTSNE', 'A guest has no points: add a name and phone to the customer first.', c.id, 'loyalty_reward_id');
  end if;
  select r.* into reward from app_public.loyalty_point_rewards r where r.tenant_id = tenant and r.id = loyalty_reward_for_order.reward_id;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no reward %s.', left(reward_id, 40)));
  end if;
  if not reward.active then
    perform app_hidden.raise_error('INACT', format('The reward %s is no longer offered.', reward.name));
  end if;
  balance := app_private.loyalty_points_balance(tenant, c.id);
  if balance < reward.points then
    perform app_hidden.raise_error('PTSLO', format('%s needs %s points; %s has %s.', reward.name, reward.points, c.display_name, balance),
      c.id, 'loyalty_reward_id');
  end if;
  return reward;
end;
$$;

/* Writes the redemption of an order just placed: minus the reward's points, by the staff member. */
create or replace function app_private.record_points_redemption(o app_public.orders, reward app_public.loyalty_point_rewards, actor text)
returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_public.loyalty_point_entries (tenant_id, customer_id, kind, points, reason, order_id, reward_id, staff_user_id)
  select o.tenant_id, o.customer_id, 'redeem', -reward.points, 'Redeemed ' || reward.name, o.id, reward.id, actor
  where reward.id is not null;
$$;

------------------------------------------------------------------------------------------------
-- Earning and taking back: the consumer loyalty_points

/* Points a sale earns under a program (0 when it is off). */
create or replace function app_hidden.loyalty_points_for_sale(p app_public.loyalty_point_programs, net bigint) returns int
language sql immutable
as $$
  select case when not p.enabled or net <= 0 then 0
              when p.earn_mode = 'visit' then p.points_per_visit
              else least((net / p.unit_amount) * p.points_per_unit, 2000000000)::int end;
$$;

/*
 * Consumer loyalty_points: a sale (order.placed.v1) of a stub or full customer earns points; a
 * void (order.voided.v1) or a cancelled open order (order.cancelled.v1) writes one reversal of
 * what the order earned and redeemed. Each at most once per order (unique (order, kind)).
 * Points go to the customer the order's customer was merged into, if it was.
 */
create or replace function app_private.loyalty_points__apply(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant constant text := evt.tenant_id;
  the_order constant text := evt.payload ->> 'order_id';
  customer text;
  stage text;
  earned int;
  back bigint;
begin
  if evt.payload ->> 'customer_id' is null then
    return;
  end if;
  customer := app_private.live_customer_id(tenant, evt.payload ->> 'customer_id');
  if customer is null then
    return;
  end if;
  if evt.type = 'order.placed.v1' then
    select c.stage into stage from app_public.customers c where c.tenant_id = tenant and c.id = customer;
    if stage not in ('stub', 'full') then
      return;
    end if;
    earned := app_hidden.loyalty_points_for_sale(app_hidden.loyalty_points_program_of(tenant),
      (evt.payload ->> 'subtotal')::bigint - (evt.payload ->> 'discount_total')::bigint);
    if earned > 0 then
      insert into app_public.loyalty_point_entries (tenant_id, customer_id, kind, points, reason, order_id, staff_user_id)
      values (tenant, customer, 'earn', earned, 'Sale', the_order, evt.payload ->> 'placed_by_user_id')
      on conflict do nothing;
    end if;
  else
    -- Whatever the order earned and redeemed, whoever holds the points now.
    select -coalesce(sum(e.points), 0) into back from app_public.loyalty_point_entries e
    where e.tenant_id = tenant and e.order_id = the_order and e.kind in ('earn', 'redeem');
    if back <> 0 then
      insert into app_public.loyalty_point_entries (tenant_id, customer_id, kind, points, reason, order_id, staff_user_id)
      values (tenant, customer, 'reversal', back,
              case when evt.type = 'order.voided.v1' then 'Void' else 'Cancelled' end
                || coalesce(': ' || left(coalesce(evt.payload ->> 'void_reason', evt.payload ->> 'cancel_reason'), 480), ''),
              the_order, evt.actor_user_id)
      on conflict do nothing;
    end if;
  end if;
end;
$$;
comment on function app_private.loyalty_points__apply(app_private.events) is 'Consumer loyalty_points: a sale of a stub or full customer earns points; a void or cancellation takes back what the order earned and gives back what it redeemed; once per order.';

------------------------------------------------------------------------------------------------
-- Adjustments and merges

/* An owner's correction of a balance (needs settings.update), with its reason. Cannot take the balance below zero (PTSLO). */
create or replace function app_public.adjust_loyalty_points(customer_id text, points int, reason text) returns app_public.loyalty_point_entries
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  why text := app_hidden.assert_name('The reason for the adjustment', reason, 500, 'reason');
  c app_public.customers;
  balance bigint;
  result app_public.loyalty_point_entries;
begin
  if points is null or points = 0 or abs(points) > 10000000 then
    perform app_hidden.raise_error('BADIN', 'An adjustment adds or takes off between 1 and 10000000 points.', field => 'points');
  end if;
  select x.* into c from app_public.customers x where x.tenant_id = tenant and x.id = adjust_loyalty_points.customer_id for no key update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', left(adjust_loyalty_points.customer_id, 40)));
  end if;
  if c.status in ('merged', 'erased') then
    perform app_hidden.raise_error('BADIN', 'This customer was merged or erased: adjust the points of the customer that holds them.');
  end if;
  balance := app_private.loyalty_points_balance(tenant, c.id);
  if balance + points < 0 then
    perform app_hidden.raise_error('PTSLO', format('%s has %s points: taking off %s would go below zero.', c.display_name, balance, -points), c.id, 'points');
  end if;
  insert into app_public.loyalty_point_entries (tenant_id, customer_id, kind, points, reason, staff_user_id)
  values (tenant, c.id, 'adjustment', points, why, app_hidden.current_user_id())
  returning * into result;
  return result;
end;
$$;
comment on function app_public.adjust_loyalty_points(text, int, text) is
  E'@resultFieldName entry\nAdds (positive) or takes off (negative) loyalty points by hand, with a reason (needs settings.update). The balance cannot go below zero (PTSLO).';

/*
 * Trigger before a merge is recorded (merge_customers has locked both customers): the duplicate's
 * balance moves to the primary (minus on one, plus on the other) and the merge records it.
 */
create or replace function app_private.tg_customer_merges__move_points() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  moved bigint := app_private.loyalty_points_balance(new.tenant_id, new.duplicate_id);
  d_number text;
begin
  new.moved_points := moved;
  if moved <> 0 then
    select c.customer_number into d_number from app_public.customers c where c.tenant_id = new.tenant_id and c.id = new.duplicate_id;
    insert into app_public.loyalty_point_entries (tenant_id, customer_id, kind, points, reason, merge_id, staff_user_id)
    values (new.tenant_id, new.duplicate_id, 'merge', -moved, 'Merged into another customer', new.id, new.merged_by_user_id),
           (new.tenant_id, new.primary_id, 'merge', moved, 'Merged from ' || coalesce(d_number, 'a duplicate'), new.id, new.merged_by_user_id);
  end if;
  return new;
end;
$$;

create or replace trigger _200_move_points before insert on app_public.customer_merges
  for each row execute function app_private.tg_customer_merges__move_points();

create or replace trigger _010_append_only before update or delete on app_public.loyalty_point_entries
  for each row execute function app_private.tg__append_only();
create or replace trigger _100_timestamps before insert or update on app_public.loyalty_point_rewards
  for each row execute function app_private.tg__timestamps();
create or replace trigger _100_timestamps before insert or update on app_public.loyalty_point_programs
  for each row execute function app_private.tg__timestamps();
-- A reward added or changed is in the audit log (the program's changes are written by update_loyalty_points_program).
create or replace trigger _500_audit after insert or update on app_public.loyalty_point_rewards
  for each row execute function app_private.tg__audit('created_at', 'updated_at');
--! EndIncluded customers/477-loyalty-points.sql
insert into app_private.processed_events (tenant_id, event_id, consumer)
select e.tenant_id, e.id, 'loyalty_points'
from app_private.events e
where e.type in (select s.event_type from app_private.event_subscriptions s where s.consumer = 'loyalty_points')
  and not exists (select 1 from app_private.processed_events pe
                  where pe.tenant_id = e.tenant_id and pe.event_id = e.id and pe.consumer = 'loyalty_points');
