// The PostGraphile preset: which schemas become the API and how requests reach PostgreSQL.
// Shared by the server, the SDL printer and the tests.
import type {} from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import type { IncomingMessage } from "node:http";
import type pg from "pg";
import { roles } from "../../db/config.ts";
import { maskError } from "./errors.ts";
import { readSessionId } from "./session.ts";

export const apiSchemas = ["app_public", "reporting"];

/** The customers list is ordered by last visit unless the client asks otherwise. */
const CustomersDefaultOrderPlugin: GraphileConfig.Plugin = {
  name: "CustomersDefaultOrderPlugin",
  version: "0.0.0",
  after: ["PgConnectionArgOrderByDefaultValuePlugin"],
  schema: {
    hooks: {
      GraphQLObjectType_fields_field_args_arg(arg, build, context) {
        const { argName, isPgFieldConnection, pgFieldResource } = context.scope as any;
        if (argName !== "orderBy" || !isPgFieldConnection || pgFieldResource?.codec?.name !== "customers" || pgFieldResource.parameters) {
          return arg;
        }
        const value = (build.getTypeByName("CustomerOrderBy") as any)?.getValue("LAST_VISIT_AT_DESC");
        return value ? { ...arg, defaultValue: [value.value] } : arg;
      },
    },
  },
};

/** `pool` connects as the authenticator; the caller owns it and ends it. */
export function makePreset(opts: { pool: pg.Pool; development: boolean }): GraphileConfig.Preset {
  return {
    extends: [
      PostGraphileAmberPreset,
      PgSimplifyInflectionPreset,
      PgAggregatesPreset,
      PostGraphileConnectionFilterPreset,
    ],
    plugins: [CustomersDefaultOrderPlugin],
    pgServices: [makePgService({ pool: opts.pool, schemas: apiSchemas, pubsub: false })],
    schema: {
      // Only filter operators that use indexes well; no free-form regex filters.
      connectionFilterAllowedOperators: [
        "isNull", "equalTo", "notEqualTo", "distinctFrom", "notDistinctFrom",
        "lessThan", "lessThanOrEqualTo", "greaterThan", "greaterThanOrEqualTo",
        "in", "notIn", "contains", "containedBy", "overlaps", "includesInsensitive", "startsWithInsensitive",
      ],
      connectionFilterRelations: false,
      connectionFilterComputedColumns: false,
      connectionFilterSetofFunctions: false,
      pgForbidSetofFunctionsToReturnNull: true,
    },
    grafserv: {
      graphqlPath: "/graphql",
      graphiql: opts.development,
      graphiqlPath: "/graphiql",
      watch: false,
      maskError,
    },
    grafast: {
      // Every request runs as the visitor role; the session secret from the cookie is the only
      // thing the database learns about the caller (DESIGN.md "Tenancy").
      context(requestContext) {
        const req = requestContext.node?.req as IncomingMessage | undefined;
        const sessionId = req ? readSessionId(req) : null;
        return {
          pgSettings: {
            role: roles.visitor,
            ...(sessionId ? { "app.session_id": sessionId } : {}),
          },
        };
      },
    },
  };
}
