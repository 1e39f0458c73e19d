// Row 1 — type-ahead search (app_public.search_customers) in the 200,000-customer tenant, with
// queries of 1, 2, 3 and 5 characters cut from real customers' first names, last names, emails
// and phone numbers (as typed: national digits). Each query waits for the previous answer (one
// person typing), first in SQL as the API role with the owner's session, then through GraphQL
// over HTTP with the query the admin sends (SearchCustomers). Reference: a primary-key read of
// one customer on the same connection (SQL), and the smallest GraphQL query (HTTP). In rounds:
// the percentiles pool them, each ratio shows its spread over them.
import { fmt, inRounds, type BenchCase } from "../context.ts";
import { benchData, sequential, startApi, visitorClient } from "../data.ts";
import { overRounds, percentile } from "../stats.ts";

const LENGTHS = [1, 2, 3, 5];

// web/app/src/customers/queries.ts: SearchCustomersQuery with CustomerRowFields.
const SEARCH_QUERY = `query SearchCustomers($q: String!) {
  searchCustomers(q: $q) { ...CustomerRowFields }
}
fragment CustomerRowFields on Customer {
  id rowId customerNumber displayName email phone tags status totalVisits totalSpend lastVisitAt
}`;

export const search: BenchCase = {
  name: "search",
  async run(ctx) {
    const data = await benchData(ctx);
    const perLength = ctx.quick ? 60 : 400;
    const sql = await visitorClient(data);
    try {
      // Real strings of the tenant, in a fixed pseudo-random order.
      const { rows: people } = await sql.query(
        `select c.id, c.first_name, c.last_name, c.email, c.phone, t.default_country
         from app_public.customers c join app_public.tenants t on t.id = c.tenant_id
         order by md5(c.id) limit $1`,
        [perLength * 2],
      );
      const sources = people.map((p, i) => {
        const national = p.phone ? nationalDigits(p.phone, p.default_country) : null;
        const options = [p.first_name, p.last_name, p.email, national];
        return options[i % 4] ?? options.find((o) => o) ?? "";
      });
      const queries = (len: number) =>
        sources.filter((s) => s.length >= len).slice(0, perLength).map((s) => s.slice(0, len));
      const ids = people.map((p) => p.id as string).slice(0, perLength);

      // In rounds (each one every length after its reference), pooled for the percentiles; each
      // ratio's spread is the same ratio taken in each round.
      await sequential(queries(3).slice(0, 20), (q) => sql.query("select * from app_public.search_customers($1)", [q]));
      const hits: Record<number, number> = {};
      const sqlRounds = await inRounds(ctx, "SQL", async () => {
        const pk = await sequential(ids, (id) => sql.query("select * from app_public.customers where id = $1", [id]));
        const byLength: Record<number, number[]> = {};
        for (const len of LENGTHS) {
          let found = 0;
          byLength[len] = await sequential(queries(len), async (q) => {
            const r = await sql.query("select * from app_public.search_customers($1)", [q]);
            found += r.rowCount ?? 0;
          });
          hits[len] = found / queries(len).length;
        }
        return { reference: pk, byLength };
      });

      const api = await startApi(data);
      let httpRounds: typeof sqlRounds;
      try {
        await sequential(queries(3).slice(0, 20), (q) => api.graphql(SEARCH_QUERY, { q }));
        httpRounds = await inRounds(ctx, "GraphQL over HTTP", async () => {
          const tiny = await sequential(ids, () => api.graphql("query { currentTenant { name } }"));
          const byLength: Record<number, number[]> = {};
          for (const len of LENGTHS) byLength[len] = await sequential(queries(len), (q) => api.graphql(SEARCH_QUERY, { q }));
          return { reference: tiny, byLength };
        });
      } finally {
        await api.close();
      }

      const pooled = (xs: number[][]) => xs.flat().sort((a, b) => a - b);
      const pk = pooled(sqlRounds.map((r) => r.reference));
      const tiny = pooled(httpRounds.map((r) => r.reference));
      const pk95 = percentile(pk, 95);
      const tiny95 = percentile(tiny, 95);
      const perRound = (rounds: typeof sqlRounds, len: number) =>
        rounds.map((r) => percentile(r.byLength[len], 95) / percentile(r.reference, 95));
      ctx.record("reference", { pk_read: summary(pk), graphql_current_tenant: summary(tiny), queries_per_length: perLength, rounds: ctx.rounds });
      for (const len of LENGTHS) {
        const s = summary(pooled(sqlRounds.map((r) => r.byLength[len])));
        const h = summary(pooled(httpRounds.map((r) => r.byLength[len])));
        const sqlRatios = perRound(sqlRounds, len);
        const httpRatios = perRound(httpRounds, len);
        ctx.record(`length_${len}`, { sql: s, http: h, avg_hits: hits[len], examples: queries(len).slice(0, 8), sql_ratio_per_round: sqlRatios, http_ratio_per_round: httpRatios });
        const ok = s.p95_ms <= 20 && h.p95_ms <= 30;
        ctx.row({
          figure: `1. search, ${len} char${len > 1 ? "s" : ""}: SQL · GraphQL p95`,
          value: `${fmt(s.p95_ms, "ms")} · ${fmt(h.p95_ms, "ms")}${ok ? "" : " (missed)"}`,
          target: "≤ 20 ms · ≤ 30 ms",
          reference: `pk read ${fmt(pk95, "ms")} · tiny query ${fmt(tiny95, "ms")}`,
          ratio: `${overRounds(sqlRatios, { digits: 1, suffix: "×", overall: s.p95_ms / pk95 })} · ${overRounds(httpRatios, { digits: 1, suffix: "×", overall: h.p95_ms / tiny95 })}`,
        });
      }
    } finally {
      await sql.end();
    }
  },
};

function summary(sorted: number[]) {
  return {
    n: sorted.length,
    p50_ms: round(percentile(sorted, 50)),
    p95_ms: round(percentile(sorted, 95)),
    p99_ms: round(percentile(sorted, 99)),
    max_ms: round(sorted.at(-1) ?? NaN),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The digits a person types for a stored E.164 number: the national form (trunk 0 included where the country uses one). */
function nationalDigits(e164: string, country: string): string {
  const code = { US: "1", CA: "1", GB: "44", FR: "33", DE: "49", AU: "61", JP: "81" }[country] ?? "";
  const rest = e164.slice(1 + code.length);
  return country === "US" || country === "CA" ? rest : "0" + rest;
}
