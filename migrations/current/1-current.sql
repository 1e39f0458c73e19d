-- Progressive profiles (issue 17): a customer's stage (guest → stub → full) and when its phone
-- was verified. The rules are in migrations/fixtures/customers/403-stages.sql.
alter table app_public.customers add column if not exists phone_verified_at timestamptz;
alter table app_public.customers add column if not exists stage text;
comment on column app_public.customers.phone_verified_at is 'When the current phone was verified by a one-time code; cleared when the phone changes.';
comment on column app_public.customers.stage is 'Profile stage: guest (no name with a phone), stub (name and phone), full (name, email and a verified phone). Only goes up.';

--!include customers/403-stages.sql

-- Existing customers take the stage their details support (nobody's phone is verified yet). The
-- stage trigger would do the same on update, but a plain update of 1M rows would fire every
-- customer trigger; this sets the column alone, with the triggers of this table off.
alter table app_public.customers disable trigger user;
update app_public.customers c
   set stage = case when c.status = 'erased' then 'guest'
                    else app_hidden.customer_stage_supported(c.first_name, c.company_name, c.email, c.phone, c.phone_verified_at) end
 where c.stage is null;
alter table app_public.customers enable trigger user;

alter table app_public.customers alter column stage set default 'guest';
alter table app_public.customers alter column stage set not null;
alter table app_public.customers drop constraint if exists customers_stage_check;
alter table app_public.customers add constraint customers_stage_check check (stage in ('guest', 'stub', 'full'));
-- A stub or full profile has a name and a phone, a full one an email too; merged and erased rows are out of the way.
alter table app_public.customers drop constraint if exists customers_stage_details;
alter table app_public.customers add constraint customers_stage_details check (
  status in ('merged', 'erased') or stage = 'guest'
  or (coalesce(first_name, company_name) is not null and phone is not null and (stage = 'stub' or email is not null)));
alter table app_public.customers drop constraint if exists customers_verified_phone;
alter table app_public.customers add constraint customers_verified_phone check (phone_verified_at is null or phone is not null);

-- The timeline says a stage change ("profile guest → stub") and a verification ("phone verified").
--!include customers/460-timeline.sql
