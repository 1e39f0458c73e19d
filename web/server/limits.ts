// Limits that stop an abusive GraphQL request before it reaches PostgreSQL: how deep a query
// nests, how many fields it selects (fragments counted every time they are spread), how many
// aliases it uses (the cheap way to ask for the same expensive field many times) and how large a
// page (`first`/`last`) it asks for. The admin's own queries stay far below every limit.
// Violations answer a GraphQL error with extensions.code QLIMT (db/ERRORS.md).
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from "postgraphile/graphql";

export const QUERY_LIMITS = {
  /** Nesting of selection sets (introspection fields such as __schema not counted). */
  maxDepth: 12,
  /** Fields selected by one operation, with fragments expanded. */
  maxFields: 1000,
  /** Aliased fields in one operation. */
  maxAliases: 30,
  /** Largest `first` or `last` of a connection. */
  maxPageSize: 1000,
  /** Bytes of a request body (grafserv's maxRequestLength). */
  maxRequestBytes: 100_000,
  /** Nesting of a variable's value (JSON arguments such as metadata or order lines). */
  maxVariableDepth: 100,
};

/** How deeply a JSON value nests, measured without recursion (a hostile value may be 30,000 deep). */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") {
      deepest = Math.max(deepest, d);
      continue;
    }
    deepest = Math.max(deepest, d + 1);
    if (deepest > QUERY_LIMITS.maxVariableDepth) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
}

const PAGE_ARGS = new Set(["first", "last"]);

function limitError(message: string, node?: import("postgraphile/graphql").ASTNode): GraphQLError {
  return new GraphQLError(message, { nodes: node ? [node] : undefined, extensions: { code: "QLIMT" } });
}

interface Stats {
  depth: number;
  fields: number;
  aliases: number;
}

/** Depth, field count and alias count of a selection set, fragments expanded (memoised, cycle-safe). */
function measure(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  memo: Map<string, Stats>,
  visiting: Set<string>,
): Stats {
  const total: Stats = { depth: 0, fields: 0, aliases: 0 };
  for (const sel of set.selections) {
    let inner: Stats = { depth: 0, fields: 0, aliases: 0 };
    if (sel.kind === Kind.FIELD) {
      // Introspection is read by tools (and the isolation tests) and is bounded by the schema.
      if (sel.name.value.startsWith("__")) continue;
      const child = sel.selectionSet ? measure(sel.selectionSet, fragments, memo, visiting) : inner;
      inner = {
        depth: child.depth + (sel.selectionSet ? 1 : 0),
        fields: child.fields + 1,
        aliases: child.aliases + (sel.alias && sel.alias.value !== sel.name.value ? 1 : 0),
      };
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      inner = measure(sel.selectionSet, fragments, memo, visiting);
    } else {
      const name = sel.name.value;
      const cached = memo.get(name);
      const fragment = fragments.get(name);
      if (cached) inner = cached;
      else if (fragment && !visiting.has(name)) {
        // A cycle is reported by graphql's own NoFragmentCyclesRule; here it just stops.
        visiting.add(name);
        inner = measure(fragment.selectionSet, fragments, memo, visiting);
        visiting.delete(name);
        memo.set(name, inner);
      }
    }
    total.depth = Math.max(total.depth, inner.depth);
    total.fields += inner.fields;
    total.aliases += inner.aliases;
  }
  return total;
}

function checkOperation(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): GraphQLError | null {
  const stats = measure(operation.selectionSet, fragments, new Map(), new Set());
  // The operation's own selection set is level 1.
  const depth = stats.depth + 1;
  if (depth > QUERY_LIMITS.maxDepth) {
    return limitError(`The query is nested ${depth} levels deep; at most ${QUERY_LIMITS.maxDepth} are allowed.`, operation);
  }
  if (stats.fields > QUERY_LIMITS.maxFields) {
    return limitError(`The query selects ${stats.fields} fields; at most ${QUERY_LIMITS.maxFields} are allowed.`, operation);
  }
  if (stats.aliases > QUERY_LIMITS.maxAliases) {
    return limitError(`The query uses ${stats.aliases} aliases; at most ${QUERY_LIMITS.maxAliases} are allowed.`, operation);
  }
  return null;
}

function pageTooLarge(value: unknown): boolean {
  return typeof value === "number" && value > QUERY_LIMITS.maxPageSize;
}
const pageMessage = (name: string) => `${name} may be at most ${QUERY_LIMITS.maxPageSize}; ask for the next page instead.`;

/** A GraphQL validation rule: depth, fields, aliases, and literal `first`/`last`. */
export function QueryLimitsRule(context: ValidationContext): ASTVisitor {
  return {
    Document(doc: DocumentNode) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const def of doc.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
      for (const def of doc.definitions) {
        if (def.kind !== Kind.OPERATION_DEFINITION) continue;
        const error = checkOperation(def, fragments);
        if (error) context.reportError(error);
      }
    },
    Argument(arg) {
      if (!PAGE_ARGS.has(arg.name.value)) return;
      const v: ValueNode = arg.value;
      if (v.kind === Kind.INT && pageTooLarge(Number(v.value))) context.reportError(limitError(pageMessage(arg.name.value), arg));
    },
  };
}

/** Variables that feed a `first`/`last` argument somewhere in the document (cached per document). */
const pageVariables = new WeakMap<DocumentNode, Set<string>>();
function pageVariablesOf(doc: DocumentNode): Set<string> {
  let names = pageVariables.get(doc);
  if (names) return names;
  names = new Set();
  const found = names;
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as { kind?: string; name?: { value: string }; value?: { kind?: string; name?: { value: string } } };
    if (n.kind === Kind.ARGUMENT && PAGE_ARGS.has(n.name!.value) && n.value?.kind === Kind.VARIABLE) found.add(n.value.name!.value);
    for (const [key, child] of Object.entries(node)) if (key !== "loc") visit(child);
  };
  visit(doc);
  pageVariables.set(doc, names);
  return names;
}

/** The page-size limit for `first`/`last` given through variables (known only at execution). */
export function pageVariableError(doc: DocumentNode, variables: Record<string, unknown> | null | undefined): GraphQLError | null {
  if (!variables) return null;
  for (const name of pageVariablesOf(doc)) {
    if (pageTooLarge(variables[name])) return limitError(pageMessage(`$${name}`));
  }
  return null;
}

/** Adds the limits to PostGraphile: the validation rule (grafserv) and the variable check (grafast). */
export const QueryLimitsPlugin: GraphileConfig.Plugin = {
  name: "QueryLimitsPlugin",
  version: "0.0.0",
  grafserv: {
    middleware: {
      setPreset(next, event) {
        event.validationRules.push(QueryLimitsRule);
        return next();
      },
    },
  },
  grafast: {
    middleware: {
      execute(next, event) {
        const variables = event.args.variableValues as Record<string, unknown> | undefined;
        const error = pageVariableError(event.args.document, variables);
        if (error) return { errors: [error] };
        if (variables && jsonDepth(variables) > QUERY_LIMITS.maxVariableDepth + 1) {
          return { errors: [limitError(`A variable's value is nested more than ${QUERY_LIMITS.maxVariableDepth} levels deep.`)] };
        }
        return next();
      },
    },
  },
};
