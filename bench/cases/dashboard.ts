// Row 3 — the dashboard and the Sales tab of the largest tenant at 5,000,000 orders, in SQL as
// the API role with the owner's session (what the GraphQL fields dashboardMetrics and dailySales
// call): the four dashboard figures (reporting.dashboard_metrics), and the 30-day daily-sales
// series (reporting.daily_sales, every location) against computing the same series from the
// sales tables directly (orders and tenders, which is what the read models exist to avoid). The
// two series must be equal, row for row: a fast wrong number does not count.
import { fmt, inRounds, type BenchCase } from "../context.ts";
import { benchData, sequential, visitorClient } from "../data.ts";
import { overRounds, percentile } from "../stats.ts";

/**
 * The daily-sales series straight from orders, tenders and refund tenders (same columns and rules
 * as reporting.daily_sales, db/REPORTING.md): sales on their business date, voids as refunds on
 * the day of the void at their location, money handed back on the refund's date.
 */
const DIRECT_SERIES = `
with days as (
  select g::date as business_date from generate_series($1::date::timestamp, $2::date::timestamp, interval '1 day') g
), sales as (
  select o.business_date, count(*) as order_count, sum(o.subtotal) as gross_sales, sum(o.discount_total) as discount_total,
         sum(o.tax_total) as tax_total, sum(o.subtotal - o.discount_total) as net_sales
  from app_public.orders o
  where o.business_date between $1 and $2 and o.status in ('placed', 'voided')
  group by o.business_date
), refunds as (
  select r.refund_date as business_date, count(*) as refund_count, sum(r.subtotal - r.discount_total) as refund_total,
         sum(r.tax_total) as refund_tax
  from (select o.subtotal, o.discount_total, o.tax_total, app_hidden.business_date(o.voided_at, l.timezone) as refund_date
        from app_public.orders o join app_public.locations l on l.tenant_id = o.tenant_id and l.id = o.location_id
        where o.status = 'voided' and o.voided_at >= $1::date - interval '1 day') r
  where r.refund_date between $1 and $2
  group by r.refund_date
), paid as (
  select o.business_date,
         coalesce(sum(t.applied_amount) filter (where t.type = 'cash'), 0) as tender_cash,
         coalesce(sum(t.applied_amount) filter (where t.type = 'card'), 0) as tender_card
  from app_public.orders o
  join app_public.tenders t on t.tenant_id = o.tenant_id and t.order_id = o.id
  where o.business_date between $1 and $2
  group by o.business_date
), handed_back as (
  select r.business_date,
         coalesce(sum(r.amount) filter (where r.type = 'cash'), 0) as cash_back,
         coalesce(sum(r.amount) filter (where r.type = 'card'), 0) as card_back
  from app_public.refund_tenders r
  where r.business_date between $1 and $2
  group by r.business_date
), figures as (
  select d.business_date, coalesce(s.order_count, 0) as order_count, coalesce(s.gross_sales, 0) as gross_sales,
         coalesce(s.discount_total, 0) as discount_total, coalesce(s.tax_total, 0) - coalesce(f.refund_tax, 0) as tax_total,
         coalesce(s.net_sales, 0) - coalesce(f.refund_total, 0) as net_sales,
         coalesce(p.tender_cash, 0) - coalesce(h.cash_back, 0) as tender_cash, coalesce(p.tender_card, 0) - coalesce(h.card_back, 0) as tender_card,
         coalesce(f.refund_count, 0) as refund_count, coalesce(f.refund_total, 0) as refund_total
  from days d
  left join sales s on s.business_date = d.business_date
  left join refunds f on f.business_date = d.business_date
  left join paid p on p.business_date = d.business_date
  left join handed_back h on h.business_date = d.business_date
)
select business_date, null::text as location_id, order_count::bigint, gross_sales::bigint, discount_total::bigint, tax_total::bigint,
       net_sales::bigint, tender_cash::bigint, tender_card::bigint, refund_count::bigint, refund_total::bigint,
       case when order_count > 0 then round(net_sales::numeric / order_count)::bigint else 0 end as avg_order_value,
       (net_sales + tax_total)::bigint as total_collected
from figures
order by business_date`;

export const dashboard: BenchCase = {
  name: "dashboard",
  async run(ctx) {
    const data = await benchData(ctx);
    const n = ctx.quick ? 200 : 1000;
    const c = await visitorClient(data);
    try {
      // The last 30 days as the admin's Sales tab asks (dates of the tenant's main store).
      const { rows: r } = await c.query(
        `select (now() at time zone l.timezone)::date::text as today from app_public.locations l where l.name = 'Main store'`,
      );
      const to = r[0].today as string;
      const { rows: f } = await c.query("select ($1::date - 29)::text as d", [to]);
      const from = f[0].d as string;

      // Warm both, then measure in rounds (metrics, the series, the sales tables), so each
      // ratio prints its spread over the rounds.
      const series = "select * from reporting.daily_sales($1, $2, null)";
      await sequential(Array(20).fill(0), () => c.query("select * from reporting.dashboard_metrics()"));
      await sequential(Array(20).fill(0), () => c.query(series, [from, to]));
      await c.query(DIRECT_SERIES, [from, to]);
      const rounds = await inRounds(ctx, "dashboard metrics, the 30-day series, the same from the sales tables", async () => ({
        metrics: await sequential(Array(n).fill(0), () => c.query("select * from reporting.dashboard_metrics()")),
        fast: await sequential(Array(n).fill(0), () => c.query(series, [from, to])),
        slow: await sequential(Array(ctx.quick ? 5 : 10).fill(0), () => c.query(DIRECT_SERIES, [from, to])),
      }));
      const metrics = rounds.flatMap((r) => r.metrics).sort((x, y) => x - y);
      const fast = rounds.flatMap((r) => r.fast).sort((x, y) => x - y);
      const slow = rounds.flatMap((r) => r.slow).sort((x, y) => x - y);
      const { rows: m } = await c.query("select * from reporting.dashboard_metrics()");
      const { rows: a } = await c.query(series, [from, to]);
      const { rows: b } = await c.query(DIRECT_SERIES, [from, to]);
      const same = JSON.stringify(a) === JSON.stringify(b);
      if (!same) throw new Error(`the read model's series differs from the sales tables: ${JSON.stringify(a[a.length - 1])} vs ${JSON.stringify(b[b.length - 1])}`);

      const { rows: plan } = await c.query(`explain (analyze, buffers) ${DIRECT_SERIES}`, [from, to]);
      const mp95 = percentile(metrics, 95);
      const fast50 = percentile(fast, 50);
      const slow50 = percentile(slow, 50);
      const ceiling = ctx.shared.get("select_tps");
      const selectMs = ceiling ? 8000 / ceiling : null;
      ctx.record("dashboard_metrics", {
        n: metrics.length,
        p50_ms: percentile(metrics, 50),
        p95_ms: mp95,
        p99_ms: percentile(metrics, 99),
        rounds_p95_ms: rounds.map((r) => percentile(r.metrics, 95)),
        figures: m[0],
      });
      ctx.record("daily_sales_30d", {
        from,
        to,
        read_model: { n: fast.length, p50_ms: fast50, p95_ms: percentile(fast, 95) },
        sales_tables: { n: slow.length, p50_ms: slow50, p95_ms: percentile(slow, 95) },
        orders_in_period: a.reduce((s, x) => s + Number(x.order_count), 0),
        identical: same,
        direct_plan: plan.map((p) => p["QUERY PLAN"]),
      });
      ctx.row({
        figure: "3. dashboard metrics p95 (SQL, 5M orders)",
        value: overRounds(rounds.map((r) => percentile(r.metrics, 95)), { digits: 2, suffix: " ms", overall: mp95 }),
        target: "p95 ≤ 5 ms",
        reference: selectMs ? `pgbench select ${fmt(selectMs, "ms")}/query` : "—",
        ratio: selectMs
          ? overRounds(rounds.map((r) => percentile(r.metrics, 95) / selectMs), { digits: 1, suffix: "×", overall: mp95 / selectMs })
          : "—",
      });
      ctx.row({
        figure: "3. 30-day daily sales, largest tenant (median)",
        value: `${fmt(fast50, "ms")} (p95 ${fmt(percentile(fast, 95), "ms")})`,
        target: "≥ 100× faster",
        reference: `sales tables ${fmt(slow50, "ms")}`,
        ratio: overRounds(rounds.map((r) => percentile(r.slow, 50) / percentile(r.fast, 50)), { digits: 0, suffix: "×", overall: slow50 / fast50 }),
      });
    } finally {
      await c.end();
    }
  },
};
