// `npm start`: the whole product on one port. Database (embedded when DATABASE_URL is not set),
// migrations, demo data on a new database, the worker, the API and the admin.
import { randomBytes } from "node:crypto";
import { createHttpServer } from "./http.ts";
import { bootstrapDatabase, bootstrapRoles, databaseExists } from "../../db/bootstrap.ts";
import { resolveDatabase } from "../../db/env.ts";
import { migrateAll, migrateSettings, resetDatabase } from "../../db/migrate.ts";
import { DEMO_LOGIN, isEmpty, seedDemo } from "../../db/seed-demo.ts";
import { startSmsLocal, type SmsLocalServer } from "../../sms-local/server.ts";
import { startStripeLocal, type StripeLocalServer } from "../../stripe-local/server.ts";
import { superviseWorker } from "../../worker/supervisor.ts";
import { adminHandler } from "./admin.ts";
import { logger } from "./logger.ts";

const development = process.env.NODE_ENV !== "production";
// Grafast reads GRAPHILE_ENV once, when it is first imported (by app.ts, imported below): the
// development checks while developing, and no warning on the console either way.
process.env.GRAPHILE_ENV ??= development ? "development" : "production";
const { createApp } = await import("./app.ts");
const port = Number(process.env.PORT ?? 3000);
const say = (m: string) => logger.info(m);

const target = await resolveDatabase(say);
let isNew = false;
if (target.rootUrl) {
  await bootstrapRoles(target.rootUrl);
  isNew = !(await databaseExists(target.rootUrl, target.database));
}
const settings = await migrateSettings({ ownerUrl: target.ownerUrl, rootUrl: target.rootUrl ?? target.ownerUrl, skipDump: true, newDatabase: isNew });
const gm = await import("graphile-migrate");
if (isNew) {
  // graphile-migrate creates the database and runs afterReset (extensions, worker schema).
  say(`Creating database ${target.database}`);
  if (development) await resetDatabase(settings);
  else await gm.reset(settings);
} else if (development) {
  // Committed migrations, then the current ones while developing.
  await migrateAll(settings);
} else {
  await gm.migrate(settings);
}
// A database made before the superuser part changed gets it now (reset made it for a new one).
if (target.rootUrl && !isNew) await bootstrapDatabase(target.rootUrl, target.database);

const seeded = process.env.SEED_DEMO !== "0" && (await isEmpty(target.ownerUrl));
if (seeded) await seedDemo(target.authUrl, target.ownerUrl);

// Without a Stripe key, billing runs against the local Stripe-compatible server (no internet
// needed): it sends its signed webhooks to this server once it listens.
let stripeLocal: StripeLocalServer | null = null;
if (!process.env.STRIPE_SECRET_KEY && !process.env.STRIPE_LOCAL_URL) {
  process.env.STRIPE_WEBHOOK_SECRET ??= `whsec_${randomBytes(24).toString("hex")}`;
  stripeLocal = await startStripeLocal({
    port: Number(process.env.STRIPE_LOCAL_PORT ?? 0),
    webhookUrl: `http://127.0.0.1:${port}/webhooks/stripe`,
    webhookSecret: process.env.STRIPE_WEBHOOK_SECRET,
    tickMs: 1000,
  });
  stripeLocal.control.holdWebhooks();
  process.env.STRIPE_LOCAL_URL = stripeLocal.url;
  say(`Local Stripe-compatible server at ${stripeLocal.url}`);
}

// Without a Twilio account, SMS (phone verification codes) go to the local Twilio stand-in, whose
// outbox the admin's "Messages sent" page lists in development.
let smsLocal: SmsLocalServer | null = null;
if (!(process.env.TWILIO_ACCOUNT_SID && process.env.TWILIO_AUTH_TOKEN && process.env.TWILIO_FROM) && !process.env.SMS_LOCAL_URL) {
  smsLocal = await startSmsLocal({ port: Number(process.env.SMS_LOCAL_PORT ?? 0), log: (line) => logger.info(`[sms-local] ${line}`) });
  process.env.SMS_LOCAL_URL = smsLocal.url;
  say(`Local Twilio stand-in (SMS outbox) at ${smsLocal.url}`);
}

const worker = process.env.START_WORKER === "0" ? null : await superviseWorker({ ownerUrl: target.ownerUrl });
await worker?.addJob("stripe_sync_plans", {}, { jobKey: "stripe_sync_plans" });
const admin = await adminHandler(development);
const app = await createApp({
  authUrl: target.authUrl,
  development,
  fallback: admin.fallback,
  smsLocalUrl: process.env.TWILIO_ACCOUNT_SID ? undefined : process.env.SMS_LOCAL_URL,
});
const server = createHttpServer(app);
server.listen(port, () => {
  void stripeLocal?.control.flushWebhooks();
  setInterval(() => void stripeLocal?.control.retryFailedWebhooks(), 10_000).unref();
  const url = `http://localhost:${port}`;
  say(`Backoffice is running at ${url}${development ? ` (GraphiQL at ${url}/graphiql)` : ""}`);
  say(`Demo sign-in: ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}${seeded ? " (demo data created)" : ""}`);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  say(`${signal}: shutting down`);
  const force = setTimeout(() => process.exit(1), 10_000).unref();
  server.close();
  server.closeIdleConnections();
  await Promise.allSettled([worker?.stop(), admin.close(), app.close(), stripeLocal?.close(), smsLocal?.close()]);
  await target.stop();
  clearTimeout(force);
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
