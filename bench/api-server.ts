// The API server as its own process, as `npm start` runs it (bench/api-process.ts starts it):
// createApp over API_AUTH_URL on a free loopback port, printed on stdout; SIGTERM closes it.
// Run with `node --cpu-prof` (BENCH_API_CPU_PROF) to profile the server alone under load.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { logger } from "../web/server/logger.ts";
import { createApp } from "../web/server/app.ts";

// One log line per request is production behaviour, but it would flood the bench's output.
logger.level = process.env.LOG_LEVEL ?? "warn";
const app = await createApp({ authUrl: process.env.API_AUTH_URL!, development: false });
const server = http.createServer(app.handler);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`);
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close();
  // A normal exit, so that --cpu-prof writes its profile.
  app.close().finally(() => process.exit(0));
});
