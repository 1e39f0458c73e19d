// The PostGraphile preset: which schemas become the API and how requests reach PostgreSQL.
// Shared by the server, the SDL printer and the tests.
import type {} from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { createWithPgClient, makePgService, type PgSubscriber } from "postgraphile/adaptors/pg";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import type { IncomingMessage } from "node:http";
import type pg from "pg";
import { roles } from "../../db/config.ts";
import { maskError, NOTHING_CHANGED } from "./errors.ts";
import { QUERY_LIMITS, QueryLimitsPlugin } from "./limits.ts";
import { LiveUpdatesPlugin } from "./live.ts";
import { makeOneTripWithPgClient } from "./pg-one-trip.ts";
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
        if (argName !== "orderBy" || !isPgFieldConnection || pgFieldResource?.codec?.name !== "customer_rows" || pgFieldResource.parameters) {
          return arg;
        }
        const value = (build.getTypeByName("CustomerRowOrderBy") as any)?.getValue("LAST_VISIT_AT_DESC");
        return value ? { ...arg, defaultValue: [value.value] } : arg;
      },
    },
  },
};

/**
 * An update or delete mutation that changes no row answers NOTFD instead of an empty payload,
 * and one whose node id is malformed (not base64 JSON, or another type's id) answers BADIN.
 * Row-level security hides rows of other businesses and rows the caller's role may not change
 * (a cashier updating a location), so PostgreSQL reports "0 rows" with no error; and grafast
 * skips ("inhibits") the whole mutation when a node id does not decode, so the field is a silent
 * `null`. Without this the admin would show a success. The NOTFD cases are not told apart, as
 * everywhere.
 */
const NothingChangedPlugin: GraphileConfig.Plugin = {
  name: "NothingChangedPlugin",
  version: "0.0.0",
  schema: {
    hooks: {
      GraphQLObjectType_fields_field(field, build, context) {
        const { isPgUpdateMutation, isPgDeleteMutation, pgFieldResource } = context.scope as {
          isPgUpdateMutation?: boolean;
          isPgDeleteMutation?: boolean;
          pgFieldResource?: { codec: any };
        };
        const plan = field.plan as ((...args: any[]) => any) | undefined;
        if (!(isPgUpdateMutation || isPgDeleteMutation) || !plan || !pgFieldResource) return field;
        const { lambda, object, trap, TRAP_INHIBITED } = build.grafast;
        // By node id when the input has the node id field (updateLocationById), else by key.
        const nodeIdField = build.inflection.nodeIdFieldName();
        const inputType = build.graphql.getNamedType((field.args as any)?.input?.type) as { getFields?: () => Record<string, unknown> } | undefined;
        const byNodeId = !!inputType?.getFields?.()[nodeIdField];
        const handler = byNodeId ? build.getNodeIdHandler?.(build.inflection.tableType(pgFieldResource.codec)) : undefined;
        const decodes = (raw: unknown): boolean => {
          try {
            return typeof raw === "string" && !!handler && handler.match(handler.codec.decode(raw));
          } catch {
            return false;
          }
        };
        return {
          ...field,
          plan(...args: any[]) {
            const $payload = plan(...args);
            const $result = $payload.getStepForKey("result");
            // An inhibited row step (undecodable id) becomes null here instead of skipping the check.
            const $row = trap($result, TRAP_INHIBITED, { valueForInhibited: "NULL" });
            const $rawId = handler ? args[1].getRaw(["input", nodeIdField]) : build.grafast.constant(null);
            // The payload depends on the check, so the mutation field fails when no row was touched;
            // `result` stays the row step, so the payload's fields plan as before.
            const $check = lambda([$rawId, $row], ([rawId, row]: readonly [unknown, unknown]) => {
              if (handler && !decodes(rawId)) {
                throw Object.assign(new Error("That id is not valid here."), { code: "BADIN" });
              }
              if (row == null) {
                throw Object.assign(new Error(NOTHING_CHANGED), { code: "NOTFD" });
              }
              return true;
            });
            return object({ result: $result, check: $check });
          },
        };
      },
    },
  },
};

/**
 * pg-aggregates only where someone sums: the read models (reporting.rm_*), which analysts and
 * reports add up by day and location. Every other table (customers, audit entries, orders…)
 * keeps totalCount but gets no *Aggregates types: less API to secure and to build.
 */
function isReadModel(resource: { parameters?: unknown; codec: { extensions?: unknown } }): boolean {
  const pg = (resource.codec.extensions as { pg?: { schemaName?: string; name?: string } } | undefined)?.pg;
  return !resource.parameters && pg?.schemaName === "reporting" && !!pg.name?.startsWith("rm_");
}

const AggregatesOnReadModelsPlugin: GraphileConfig.Plugin = {
  name: "AggregatesOnReadModelsPlugin",
  version: "0.0.0",
  schema: {
    entityBehavior: {
      pgResource: {
        override: {
          provides: ["AggregatesOnReadModelsPlugin"],
          callback(behavior, resource) {
            return isReadModel(resource) ? behavior : [behavior, "-aggregates" as GraphileBuild.BehaviorString];
          },
        },
      },
      // Nor "order customer types by the variance of their customers' visits": ordering a list by
      // an aggregate of a related table is for read models only too.
      pgCodecRelation: {
        override: {
          provides: ["AggregatesOnReadModelsPlugin"],
          callback(behavior, relation) {
            return isReadModel(relation.remoteResource)
              ? behavior
              : [behavior, "-manyRelation:aggregates:orderBy" as GraphileBuild.BehaviorString];
          },
        },
      },
    },
  },
};

/**
 * Requests reach PostgreSQL through pg-one-trip.ts (settings and statement in one round trip);
 * the superuser variant (introspection tooling) stays the adaptor's own.
 */
function oneTripPgService(service: GraphileConfig.PgServiceConfiguration, pool: pg.Pool): GraphileConfig.PgServiceConfiguration {
  return {
    ...service,
    adaptor: {
      ...service.adaptor,
      createWithPgClient: (settings: any, variant?: string | null) =>
        variant === "SUPERUSER" ? createWithPgClient(settings, variant) : makeOneTripWithPgClient(pool),
    },
  } as GraphileConfig.PgServiceConfiguration;
}

/**
 * `pool` connects as the authenticator; the caller owns it and ends it, and the subscriber of
 * live updates (which holds one of its connections to LISTEN; none, no subscriptions).
 */
export function makePreset(opts: { pool: pg.Pool; development: boolean; pgSubscriber?: PgSubscriber }): GraphileConfig.Preset {
  return {
    extends: [
      PostGraphileAmberPreset,
      PgSimplifyInflectionPreset,
      PgAggregatesPreset,
      PostGraphileConnectionFilterPreset,
    ],
    plugins: [CustomersDefaultOrderPlugin, NothingChangedPlugin, QueryLimitsPlugin, AggregatesOnReadModelsPlugin, LiveUpdatesPlugin],
    pgServices: [oneTripPgService(makePgService({ pool: opts.pool, schemas: apiSchemas, pubsub: !!opts.pgSubscriber, pgSubscriber: opts.pgSubscriber }), opts.pool)],
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
      // grafserv serves Ruru to a browser's GET /graphql even with graphiql off unless told not to.
      graphiqlOnGraphQLGET: opts.development,
      graphiqlPath: "/graphiql",
      watch: false,
      // Subscriptions (live.ts) over graphql-ws at the same /graphql; app.ts refuses other sites.
      websockets: true,
      maxRequestLength: QUERY_LIMITS.maxRequestBytes,
      maskError,
    },
    grafast: {
      // Every request runs as the visitor role; the session secret from the cookie is the only
      // thing the database learns about the caller (DESIGN.md "Tenancy").
      context(requestContext) {
        // A WebSocket's session is its upgrade request's cookie, as for any request.
        const req = (requestContext.node?.req ?? requestContext.ws?.request) as IncomingMessage | undefined;
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
