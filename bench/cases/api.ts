// Row 6 — the GraphQL API: the first page (50) of the Customers list sorted by last visit in the
// 200,000-customer tenant, with the query the admin sends for each page (CustomersQuery over the
// customer_rows view: pageInfo and the row fields, loyalty class and type included — the count is
// CustomersCountQuery, sent once per filter; filter active customers who came, LAST_VISIT_AT_DESC),
// over HTTP to the real server with the owner's session cookie. Latency one request at a time;
// requests per second at 8 connections; and the same at 8 connections reading the same rows
// directly with pg as the API role, so the ratio is what the API layer costs (over rounds).
// The server runs in the bench's own process (its event loop shared with the HTTP clients);
// BENCH_API_PROCESS=1 runs it in a process of its own, as in production (bench/api-process.ts),
// and BENCH_API_CPU_PROF=dir then also writes that process's CPU profile.
import { fmt, inRounds, type BenchCase } from "../context.ts";
import { startApiProcess } from "../api-process.ts";
import { benchData, sequential, startApi, visitorClient } from "../data.ts";
import { load, median, overRounds, percentile } from "../stats.ts";

// web/app/src/customers/queries.ts: CustomersQuery with ListedCustomerFields; CustomersPage.tsx
// sends filter { status: active, lastVisitAt: not null } and orderBy LAST_VISIT_AT_DESC for "Last visit".
export const CUSTOMERS_QUERY = `query Customers($first: Int!, $after: Cursor, $filter: CustomerRowFilter, $orderBy: [CustomerRowOrderBy!]) {
  customerRows(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    pageInfo { hasNextPage endCursor }
    nodes { ...ListedCustomerFields }
  }
}
fragment ListedCustomerFields on CustomerRow {
  id rowId customerNumber displayName email phone tags status totalVisits totalSpend lastVisitAt loyaltyClass
  customerType { id label }
}`;
const VARIABLES = {
  first: 50,
  after: null,
  filter: { status: { equalTo: "active" }, lastVisitAt: { isNull: false } },
  orderBy: ["LAST_VISIT_AT_DESC"],
};

const DIRECT_PAGE = `select r.id, r.customer_number, r.display_name, r.email, r.phone, r.tags, r.status, r.total_visits, r.total_spend,
    r.last_visit_at, r.loyalty_class, t.id as type_id, t.label as type_label
  from app_public.customer_rows r
  left join app_public.customer_types t on t.tenant_id = r.tenant_id and t.id = r.customer_type_id
  where r.status = 'active' and r.last_visit_at is not null
  order by r.last_visit_at desc, r.id limit 51`;

export const api: BenchCase = {
  name: "api",
  async run(ctx) {
    const data = await benchData(ctx);
    const n = ctx.quick ? 100 : 400;
    const ms = ctx.seconds * 1000;

    // The same rows with pg: 8 connections as the API role, the page per "request". The two loads
    // alternate in rounds (pg, then GraphQL), so the ratio's spread shows how much the load moved it.
    const direct = await Promise.all(Array.from({ length: ctx.clients }, () => visitorClient(data)));
    const ownProcess = process.env.BENCH_API_PROCESS === "1" || !!process.env.BENCH_API_CPU_PROF;
    let server: Awaited<ReturnType<typeof startApi>> | null = null;
    try {
      const pgRows = (await direct[0].query(DIRECT_PAGE)).rows.slice(0, 50).map((r) => r.id);
      server = ownProcess ? await startApiProcess(data) : await startApi(data);
      const api = server;
      const first = (await api.graphql(CUSTOMERS_QUERY, VARIABLES)) as {
        customerRows: { nodes: { rowId: string }[] };
      };
      const same = JSON.stringify(first.customerRows.nodes.map((x) => x.rowId)) === JSON.stringify(pgRows);
      if (!same) throw new Error("the GraphQL page and the pg page differ");
      await sequential(Array(20).fill(0), () => api.graphql(CUSTOMERS_QUERY, VARIABLES));
      ctx.log("GraphQL, one request at a time");
      const single = await sequential(Array(n).fill(0), () => api.graphql(CUSTOMERS_QUERY, VARIABLES));
      const rounds = await inRounds(ctx, `pg direct then GraphQL, ${ctx.clients} connections`, async () => {
        const pgLoad = await load(ctx.clients, ms, (i) => direct[i].query(DIRECT_PAGE));
        const loaded = await load(ctx.clients, ms, () => api.graphql(CUSTOMERS_QUERY, VARIABLES));
        return { pgLoad, loaded, rps: loaded.length / ctx.seconds, pgRps: pgLoad.length / ctx.seconds };
      });

      const p95 = percentile(single, 95);
      const rps = median(rounds.map((r) => r.rps));
      const pgRps = median(rounds.map((r) => r.pgRps));
      const loadedP95 = median(rounds.map((r) => percentile(r.loaded, 95)));
      ctx.record("customers_first_page", {
        single: { n, p50_ms: percentile(single, 50), p95_ms: p95, p99_ms: percentile(single, 99) },
        rounds: rounds.map((r) => ({
          graphql_8: { rps: r.rps, p50_ms: percentile(r.loaded, 50), p95_ms: percentile(r.loaded, 95) },
          pg_8: { rps: r.pgRps, p50_ms: percentile(r.pgLoad, 50), p95_ms: percentile(r.pgLoad, 95) },
        })),
      });
      ctx.row({
        figure: "6. GraphQL customers page 1 (50, last visit) p95",
        value: fmt(p95, "ms"),
        target: "p95 ≤ 30 ms",
        reference: "—",
        ratio: "—",
      });
      ctx.row({
        figure: `6. same, ${ctx.clients} connections`,
        value: `${fmt(rps, "req/s")} (p95 ${fmt(loadedP95, "ms")})`,
        target: "ratio ≥ 0.5",
        reference: `pg direct ${fmt(pgRps, "req/s")}`,
        ratio: overRounds(rounds.map((r) => r.rps / r.pgRps)),
      });
    } finally {
      await Promise.all(direct.map((c) => c.end()));
      await server?.close();
    }
  },
};
