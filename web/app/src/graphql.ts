// gql.tada over the committed schema: every GraphQL document of the admin is written with
// `graphql(...)` from here, so its result and variables are typed from web/schema.graphql
// (through graphql-env.d.ts, written by `npm run schema:types`) and `npm run typecheck` fails
// when a document no longer matches the schema. Types of results are derived with
// ResultOf / VariablesOf; shared field sets are fragments passed as graphql(`...`, [Fragment]).
import { initGraphQLTada } from "gql.tada";
import type { introspection } from "./graphql-env.d.ts";

export const graphql = initGraphQLTada<{
  introspection: introspection;
  // PostGraphile's scalars as they arrive in JSON: BigInt, BigFloat (beyond a double's
  // precision) and the cursors are strings; dates and times ISO 8601 strings; JSON any value.
  scalars: {
    BigInt: string;
    BigFloat: string;
    Cursor: string;
    Date: string;
    Datetime: string;
    JSON: unknown;
  };
  // Fragments here share field sets between documents (what string interpolation did): their
  // fields are read straight from the result, with no readFragment() to unmask them.
  disableMasking: true;
}>();

export type { FragmentOf, ResultOf, VariablesOf } from "gql.tada";
export { readFragment } from "gql.tada";

/**
 * A row of a set-returning SQL function (RETURNS TABLE): PostGraphile types each of its columns
 * nullable, where the function never returns null. The type of such a row as the admin reads it.
 */
export type NonNullFields<T> = { [K in keyof T]: NonNullable<T[K]> };
