-- Order events of a customer are applied to the per-customer consumers at commit, customers
-- locked in one order (app_private.apply_customer_orders says why: deadlocks between
-- transactions placing orders for customers in opposite orders).
create table if not exists app_private.customer_order_queue (
  tenant_id text not null references app_public.tenants on delete cascade,
  consumer text not null check (consumer in ('customer_counters', 'reporting_customers')),
  event_id text not null,
  seq bigint not null,
  primary key (tenant_id, consumer, event_id)
);
do $$
begin
  if not exists (select 1 from pg_policy where polrelid = 'app_private.customer_order_queue'::regclass) then
    perform app_private.secure_table('app_private.customer_order_queue');
  end if;
end;
$$;
comment on table app_private.customer_order_queue is 'Order events with a customer that this transaction''s per-customer consumers will apply at its commit (app_private.apply_customer_orders); empty outside a writing transaction.';
