// `npm run db:*`: runs the graphile-migrate CLI with the connection strings and placeholders
// filled in (embedded PostgreSQL when no DATABASE_URL is configured).
import { spawn } from "node:child_process";
import path from "node:path";
import { bootstrapRoles } from "./bootstrap.ts";
import { roles, withCredentials } from "./config.ts";
import { resolveDatabase } from "./env.ts";

const args = process.argv.slice(2);
const target = await resolveDatabase();
if (target.rootUrl) {
  await bootstrapRoles(target.rootUrl);
}
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: target.ownerUrl,
  DATABASE_OWNER: roles.owner,
  DATABASE_AUTHENTICATOR: roles.authenticator,
  DATABASE_VISITOR: roles.visitor,
  DATABASE_ANALYST: roles.analyst,
};
if (target.rootUrl) {
  env.ROOT_DATABASE_URL ??= target.rootUrl;
  env.SHADOW_DATABASE_URL ??= withCredentials(target.ownerUrl, decodeURIComponent(new URL(target.ownerUrl).username),
    decodeURIComponent(new URL(target.ownerUrl).password), `${target.database}_shadow`);
}
const bin = path.resolve(import.meta.dirname, "../node_modules/.bin/graphile-migrate");
const child = spawn(bin, args, { stdio: "inherit", env });
const code: number = await new Promise((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
await target.stop();
process.exit(code);
