-- Review of issue 17: a cashier without customers.view_contact no longer reads a phone in full
-- through the phone code's answers and messages, nor in the display name of a customer known by a
-- phone alone ("Phone •••• 4567"); a merge carries the verification of the phone it takes.
--!include customers/401-display-name.sql
--!include customers/426-phone-verification.sql
--!include customers/432-upgrade.sql

-- The stored display names of customers known by a phone alone, computed again (a stored
-- generated column is recomputed when its row is updated). Only the column changes: the triggers
-- of the table are off for this statement, so no audit entry or event claims a change of details.
alter table app_public.customers disable trigger user;
update app_public.customers c set phone = c.phone
 where c.phone is not null and c.company_name is null and c.email is null
   and nullif(btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), '') is null
   and c.display_name = c.phone;
alter table app_public.customers enable trigger user;

--!include customers/430-merge.sql

-- The loyalty points consumer records facts (whether a sale earned was decided by the stage and
-- the program at the time): it is never reset, and the sales from before it existed count as
-- applied, so that no replay ever earns points for them.
alter table app_private.event_subscriptions add column if not exists records_facts boolean not null default false;
comment on column app_private.event_subscriptions.records_facts is 'The consumer writes facts as they happened (not a read model): reset_consumer refuses it.';
update app_private.event_subscriptions set records_facts = true where consumer = 'loyalty_points';
--!include sales/300-events.sql
--!include customers/477-loyalty-points.sql
insert into app_private.processed_events (tenant_id, event_id, consumer)
select e.tenant_id, e.id, 'loyalty_points'
from app_private.events e
where e.type in (select s.event_type from app_private.event_subscriptions s where s.consumer = 'loyalty_points')
  and not exists (select 1 from app_private.processed_events pe
                  where pe.tenant_id = e.tenant_id and pe.event_id = e.id and pe.consumer = 'loyalty_points');
