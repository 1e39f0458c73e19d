-- Staging of one batch of tenants (:tenants, their indexes in the plan): every value of their
-- orders, customers and deliveries, computed once here and read by write.sql, events.sql and
-- read-models.sql. Each value is a hash of (row number, salt), so the data set is the same at
-- every run of the same scale. Parameters: :tenants, :void_reasons, :first_names, :last_names,
-- :email_domains (lists in data.ts).

-- name: stage orders
-- Every order of the batch's locations, priced as place_order prices a cart (320: tax per line on
-- the discounted amount, rounded half up), with its tender and, for 0.5%, its void.
insert into g_orders
select l.tix, l.lix, l.tenant_id, l.location_id, l.tz, o.n, bench_gen.id(bench_gen.tp(a.ms), 9, o.n), bench_gen.tp(a.ms), a.ms,
       a.placed_at, (a.placed_at at time zone l.tz)::date, c.ck,
       case when c.ck is not null then bench_gen.id(bench_gen.tp(t.t0_ms + floor((c.ck - 1)::float8 * t.span_ms / t.n_cust)::bigint), 8, t.cust_off + c.ck) end,
       t.cashier_ids[1 + (o.n % cardinality(t.cashier_ids))::int], t.owner_id, t.tax, x.nl,
       x.it1, x.it2, x.it3, x.q1, x.q2, x.q3, p.p1, p.p2, p.p3, p.ld1, p.ld2, p.ld3, p.od,
       m.net1, m.net2, m.net3, m.tax1, m.tax2, m.tax3,
       s.subtotal, s.disc_total, s.tax_total, s.total, s.item_count,
       v.voided, case when v.voided then v.void_at end,
       case when v.voided then (:void_reasons::text[])[1 + (o.n % cardinality(:void_reasons::text[]))::int] end,
       y.card, y.amount, y.amount - s.total, y.tender_at,
       case when v.voided then bench_gen.ms(v.void_at) end, case when v.voided then bench_gen.tp(bench_gen.ms(v.void_at)) end,
       bench_gen.ms(y.tender_at), bench_gen.tp(bench_gen.ms(y.tender_at))
from bench_gen.g_locations l
join bench_gen.g_tenants t on t.tix = l.tix
cross join bench_gen.anchor an
cross join lateral generate_series(l.order_off + 1, l.order_off + l.n_orders) as o(n)
-- Business hours (8:00 to 20:00 on the shop's clock) on one of the last 365 days; not after now.
cross join lateral (select (l.today - floor(bench_gen.u(o.n, 1) * 365)::int)::timestamp
                           + make_interval(secs => 28800 + floor(bench_gen.u(o.n, 2) * 43200000) / 1000.0) as lt offset 0) lt
cross join lateral (select p.placed_at, bench_gen.ms(p.placed_at) as ms
                    from (select (case when lt.lt > l.now_local then lt.lt - interval '365 days' else lt.lt end) at time zone l.tz as placed_at offset 0) p offset 0) a
-- 60% of the orders name a customer who existed by then, the older (regular) ones more often.
cross join lateral (select case when bench_gen.u(o.n, 3) < 0.6 then
                      1 + floor(greatest(1, least(t.n_cust, floor(t.n_cust * (a.ms - t.t0_ms)::float8 / t.span_ms)))
                                * power(bench_gen.u(o.n, 4), 1.7))::int end as ck offset 0) c
-- 1 to 3 lines, popular items more often, mostly one of each; 5% of lines get 10% off; 3% of
-- one-line orders get 1.00 off the order.
cross join lateral (select 1 + (bench_gen.u(o.n, 5) > 0.5)::int + (bench_gen.u(o.n, 5) > 0.85)::int as nl,
                           1 + floor(cardinality(t.item_prices) * power(bench_gen.u(o.n, 11), 2))::int as it1,
                           1 + floor(cardinality(t.item_prices) * power(bench_gen.u(o.n, 12), 2))::int as it2,
                           1 + floor(cardinality(t.item_prices) * power(bench_gen.u(o.n, 13), 2))::int as it3,
                           1 + (bench_gen.u(o.n, 14) > 0.8)::int + (bench_gen.u(o.n, 14) > 0.95)::int as q1,
                           1 + (bench_gen.u(o.n, 15) > 0.8)::int + (bench_gen.u(o.n, 15) > 0.95)::int as q2,
                           1 + (bench_gen.u(o.n, 16) > 0.8)::int + (bench_gen.u(o.n, 16) > 0.95)::int as q3 offset 0) x
cross join lateral (select q.*, case when x.nl = 1 and bench_gen.u(o.n, 6) < 0.03 and q.p1 * x.q1 - q.ld1 >= 300 then 100 else 0 end as od
                    from (select t.item_prices[x.it1] as p1, case when bench_gen.u(o.n, 17) < 0.05 then t.item_prices[x.it1] * x.q1 / 10 else 0 end as ld1,
                                 t.item_prices[x.it2] as p2, case when bench_gen.u(o.n, 18) < 0.05 then t.item_prices[x.it2] * x.q2 / 10 else 0 end as ld2,
                                 t.item_prices[x.it3] as p3, case when bench_gen.u(o.n, 19) < 0.05 then t.item_prices[x.it3] * x.q3 / 10 else 0 end as ld3
                          offset 0) q offset 0) p
cross join lateral (select n.*, (n.net1 * t.tax + 5000) / 10000 as tax1, (n.net2 * t.tax + 5000) / 10000 as tax2, (n.net3 * t.tax + 5000) / 10000 as tax3
                    from (select p.p1 * x.q1 - p.ld1 - p.od as net1, p.p2 * x.q2 - p.ld2 as net2, p.p3 * x.q3 - p.ld3 as net3 offset 0) n offset 0) m
-- The order's totals: the sums over its nl lines.
cross join lateral (select p.p1 * x.q1 + case when x.nl >= 2 then p.p2 * x.q2 else 0 end + case when x.nl >= 3 then p.p3 * x.q3 else 0 end as subtotal,
                           p.ld1 + case when x.nl >= 2 then p.ld2 else 0 end + case when x.nl >= 3 then p.ld3 else 0 end + p.od as disc_total,
                           m.tax1 + case when x.nl >= 2 then m.tax2 else 0 end + case when x.nl >= 3 then m.tax3 else 0 end as tax_total,
                           m.net1 + m.tax1 + case when x.nl >= 2 then m.net2 + m.tax2 else 0 end
                             + case when x.nl >= 3 then m.net3 + m.tax3 else 0 end as total,
                           x.q1 + case when x.nl >= 2 then x.q2 else 0 end + case when x.nl >= 3 then x.q3 else 0 end as item_count offset 0) s
-- 0.5% voided 2 to 30 minutes later (by the owner); paid at once: 70% card, else cash rounded up to 5.00.
cross join lateral (select bench_gen.u(o.n, 7) < 0.005 and a.placed_at + make_interval(secs => 120 + bench_gen.u(o.n, 8) * 1680) <= an.at as voided,
                           a.placed_at + make_interval(secs => 120 + floor(bench_gen.u(o.n, 8) * 1680000) / 1000.0) as void_at offset 0) v
cross join lateral (select bench_gen.u(o.n, 9) < 0.7 as card,
                           case when bench_gen.u(o.n, 9) < 0.7 then s.total else (s.total + 499) / 500 * 500 end as amount,
                           least(a.placed_at + make_interval(secs => 15 + floor(bench_gen.u(o.n, 21) * 60000) / 1000.0), an.at) as tender_at offset 0) y
where l.tix = any(:tenants::int[])
-- In id order, so that every table's primary key (the tenant, then a time-ordered id) is appended to
-- rather than written all over: the statements below read g_orders in this order.
order by l.tenant_id, a.ms, o.n;

-- name: stage customers
-- Every customer of the batch's tenants, created evenly from two years ago to yesterday, with
-- names, emails and phones of the tenant's country; unique per tenant (the national number is a
-- bijection of the customer number: gcd(7919, 10) = 1).
insert into g_customers
select c.tix, c.tenant_id, c.k, c.n, bench_gen.id(bench_gen.tp(c.ms), 8, c.n), c.created_at, c.ms, app_hidden.format_customer_number(c.k),
       c.first_name, c.last_name,
       case when c.has_email then
         lower(regexp_replace(case (c.n % 4)
           when 0 then coalesce(c.first_name || '.', '') || coalesce(c.last_name, 'customer')
           when 1 then coalesce(c.first_name, '') || coalesce(c.last_name, 'customer')
           when 2 then coalesce(left(c.first_name, 1), '') || coalesce(c.last_name, 'customer')
           else coalesce(c.last_name || '.', '') || coalesce(c.first_name, 'customer') end, '[^A-Za-z.]', '', 'g'))
         || c.k || '@' || (:email_domains::text[])[1 + floor(bench_gen.u(c.n, 34) * cardinality(:email_domains::text[]))::int] end,
       case when c.has_phone then case t.country
         when 'US' then '+1' || (array['212','646','718','917','312','773','213','310','415','512','602','206','303','808','617'])[1 + (c.n % 15)::int]
                         || (2000000 + (c.k::bigint * 7919) % 8000000)::text
         when 'CA' then '+1' || (array['416','647','437','905'])[1 + (c.n % 4)::int] || (2000000 + (c.k::bigint * 7919) % 8000000)::text
         when 'GB' then '+447' || lpad(((c.k::bigint * 7919) % 1000000000)::text, 9, '0')
         when 'FR' then '+33' || (6 + (c.n % 2)::int)::text || lpad(((c.k::bigint * 7919) % 100000000)::text, 8, '0')
         when 'DE' then '+4915' || (1 + (c.n % 9)::int)::text || lpad(((c.k::bigint * 7919) % 100000000)::text, 8, '0')
         when 'AU' then '+614' || lpad(((c.k::bigint * 7919) % 100000000)::text, 8, '0')
         when 'JP' then '+81' || (array['90','80','70'])[1 + (c.n % 3)::int] || lpad(((c.k::bigint * 7919) % 100000000)::text, 8, '0')
       end end,
       case when bench_gen.u(c.n, 35) < 0.08 then '["VIP"]'::jsonb when bench_gen.u(c.n, 35) < 0.12 then '["Wholesale"]'::jsonb
            when bench_gen.u(c.n, 35) < 0.15 then '["Staff"]'::jsonb else '[]'::jsonb end,
       case when bench_gen.u(c.n, 36) < 0.3 then true when bench_gen.u(c.n, 36) < 0.45 then false end,
       t.cashier_ids[1 + (c.n % cardinality(t.cashier_ids))::int]
from (
  select t.tix, t.tenant_id, k.k, t.cust_off + k.k as n, to_timestamp(cm.ms / 1000.0) as created_at, cm.ms,
         case when bench_gen.u(t.cust_off + k.k, 30) >= 0.03
           then (:first_names::text[])[1 + floor(cardinality(:first_names::text[]) * power(bench_gen.u(t.cust_off + k.k, 31), 1.6))::int] end as first_name,
         case when bench_gen.u(t.cust_off + k.k, 30) >= 0.03
           then (:last_names::text[])[1 + floor(cardinality(:last_names::text[]) * power(bench_gen.u(t.cust_off + k.k, 32), 1.6))::int] end as last_name,
         bench_gen.u(t.cust_off + k.k, 30) < 0.03 or bench_gen.u(t.cust_off + k.k, 33) < 0.75 as has_email,
         bench_gen.u(t.cust_off + k.k, 33) >= 0.75 or bench_gen.u(t.cust_off + k.k, 37) < 0.8 as has_phone
  from bench_gen.g_tenants t
  cross join lateral generate_series(1, t.n_cust) as k(k)
  cross join lateral (select t.t0_ms + floor((k.k - 1)::float8 * t.span_ms / t.n_cust)::bigint as ms) cm
  where t.tix = any(:tenants::int[])
) c
join bench_gen.g_tenants t on t.tix = c.tix
order by c.tenant_id, c.k;

-- name: stage deliveries
-- Every stocked item that sold at a location is received there weekly over the year, enough to
-- end at 0.3 to 2.8 times its low-stock threshold (so some are low, most are not).
insert into g_receipts
select s.tenant_id, s.location_id, s.tz, s.inv_id, s.inv_name, s.catalog_item_id, s.owner_id, s.thr, s.sold, w.w,
       ((s.sold + floor(s.thr * (0.3 + 2.5 * bench_gen.u(s.h, 40)))::int + s.deliveries - 1) / s.deliveries) as qty,
       (((select at from bench_gen.anchor) at time zone s.tz)::date - 3 - (w.w * 364 / s.deliveries) + time '07:00') at time zone s.tz as at,
       s.h * 64 + w.w as n
from (
  select s.*, least(52, greatest(1, s.sold / 20))::int as deliveries
  from (
    select l.tenant_id, l.location_id, l.tz, l.inv_id, l.inv_name, l.item_id as catalog_item_id, l.thr, l.owner_id,
           coalesce(sum(l.q) filter (where not l.voided), 0) as sold, min(l.lix) * 1000 + l.it as h
    from g_lines l
    where l.inv_id is not null
    group by l.tenant_id, l.location_id, l.tz, l.inv_id, l.inv_name, l.item_id, l.thr, l.owner_id, l.it
  ) s
) s
cross join lateral generate_series(0, s.deliveries - 1) as w(w);

-- name: analyze
analyze g_orders, g_customers, g_receipts;
