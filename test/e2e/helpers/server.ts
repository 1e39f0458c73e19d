// The whole product on a random port for one test file: its own database (cloned from the
// migrated template), the HTTP app, and Vite in middleware mode serving the admin.
import { createHttpServer } from "../../../web/server/http.ts";
import type { AddressInfo } from "node:net";
import { adminHandler } from "../../../web/server/admin.ts";
import { createApp } from "../../../web/server/app.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { acceptStripeTestClock } from "../../helpers/stripe-clock.ts";

export interface RunningApp {
  baseUrl: string;
  db: TestDatabase;
  close(): Promise<void>;
}

export async function startApp(opts: { stripeTestClock?: boolean } = {}): Promise<RunningApp> {
  const db = await createTestDatabase();
  if (opts.stripeTestClock) await acceptStripeTestClock(db.name);
  const admin = await adminHandler(true);
  const app = await createApp({ authUrl: db.authUrl, development: true, fallback: admin.fallback });
  const server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    db,
    async close() {
      server.closeAllConnections();
      // The app closes its WebSockets (live updates), which the server's close() would wait for.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([admin.close(), app.close()]);
      await closed;
      await db.drop();
    },
  };
}
