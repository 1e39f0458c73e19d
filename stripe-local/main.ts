// CLI: `npm run stripe:local` (tsx stripe-local/main.ts).
//   STRIPE_LOCAL_PORT        port to listen on (default 12111)
//   STRIPE_LOCAL_HOST        interface (default 127.0.0.1)
//   STRIPE_LOCAL_PUBLIC_URL  base URL for portal / hosted invoice links (default http://host:port)
//   STRIPE_LOCAL_API_KEY     accept only this key (default: any sk_test_… / rk_test_… key)
//   STRIPE_WEBHOOK_URL       where to POST webhooks (none: events are only recorded)
//   STRIPE_WEBHOOK_SECRET    signing secret (default: generated and printed)
import { startStripeLocal } from './server.js';

const env = process.env;
const port = Number(env.STRIPE_LOCAL_PORT ?? 12111);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`STRIPE_LOCAL_PORT must be a port number, got '${env.STRIPE_LOCAL_PORT}'`);
  process.exit(1);
}

const server = await startStripeLocal({
  port,
  host: env.STRIPE_LOCAL_HOST ?? '127.0.0.1',
  publicUrl: env.STRIPE_LOCAL_PUBLIC_URL || undefined,
  apiKey: env.STRIPE_LOCAL_API_KEY || undefined,
  webhookUrl: env.STRIPE_WEBHOOK_URL || null,
  webhookSecret: env.STRIPE_WEBHOOK_SECRET || undefined,
  tickMs: 1000,
  log: (line) => console.log(`[stripe-local] ${line}`),
});

const webhook = server.control.webhook();
console.log(`stripe-local listening on ${server.url}`);
console.log(`  SDK:      new Stripe('sk_test_…', { host: '${server.host}', port: ${server.port}, protocol: 'http' })`);
console.log(`  control:  ${server.url}/_control`);
console.log(webhook ? `  webhooks: ${webhook.url} (secret ${env.STRIPE_WEBHOOK_SECRET ? 'from STRIPE_WEBHOOK_SECRET' : webhook.secret})` : '  webhooks: off (set STRIPE_WEBHOOK_URL)');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
