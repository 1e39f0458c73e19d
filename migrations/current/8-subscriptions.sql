-- The per-customer consumers queue order events for the application at commit (after the
-- fixtures: the handlers must exist).
update app_private.event_subscriptions set handler = 'app_private.customer_counters__enqueue(app_private.events)'
where consumer = 'customer_counters' and event_type in ('order.placed.v1', 'order.voided.v1');
update app_private.event_subscriptions set handler = 'app_private.reporting_customers__enqueue(app_private.events)'
where consumer = 'reporting_customers' and event_type in ('order.placed.v1', 'order.voided.v1');
