// The whole product on a random port for one test file: its own database (cloned from the
// migrated template), the HTTP app, and Vite in middleware mode serving the admin.
import { createHttpServer } from "../../../web/server/http.ts";
import type { AddressInfo } from "node:net";
import { adminHandler } from "../../../web/server/admin.ts";
import { createApp } from "../../../web/server/app.ts";
import { startSmsLocal, type SmsLocalServer } from "../../../sms-local/server.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { acceptStripeTestClock } from "../../helpers/stripe-clock.ts";

export interface RunningApp {
  baseUrl: string;
  db: TestDatabase;
  /** The local Twilio stand-in the app's "Messages sent" page lists (with `smsLocal`). */
  sms: SmsLocalServer | null;
  close(): Promise<void>;
}

export async function startApp(opts: { stripeTestClock?: boolean; smsLocal?: boolean } = {}): Promise<RunningApp> {
  const db = await createTestDatabase();
  const sms = opts.smsLocal ? await startSmsLocal() : null;
  if (opts.stripeTestClock) await acceptStripeTestClock(db.name);
  const admin = await adminHandler(true);
  const app = await createApp({ authUrl: db.authUrl, development: true, fallback: admin.fallback, smsLocalUrl: sms?.url });
  const server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    db,
    sms,
    async close() {
      server.closeAllConnections();
      // The app closes its WebSockets (live updates), which the server's close() would wait for.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([admin.close(), app.close()]);
      await closed;
      await sms?.close();
      await db.drop();
    },
  };
}
