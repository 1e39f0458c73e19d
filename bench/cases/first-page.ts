// Row 9 — the first page in development: `npm start` (web/server/start.ts, as a newcomer runs it,
// on a database of its own with the demo data) answers /healthz only once the admin is compiled;
// from that moment, how long until Chromium (a fresh profile, nothing cached) shows the sign-in
// page, and then the dashboard after signing in with the demo login. The issue's target: the first
// page under 2 s after /healthz. Then the same twice more in fresh profiles (the server warm).
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { chromium } from "playwright-core";
import { DEMO_LOGIN } from "../../db/seed-demo.ts";
import { fmt, type BenchCase } from "../context.ts";

const root = path.resolve(import.meta.dirname, "../..");

async function healthy(url: string, child: ChildProcess, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return performance.now();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no /healthz after ${timeoutMs} ms`);
}

export const firstPage: BenchCase = {
  name: "first-page",
  async run(ctx) {
    const db = await ctx.createDatabase("first_page");
    const port = 3900 + Math.floor(Math.random() * 90);
    const url = `http://127.0.0.1:${port}`;
    const started = performance.now();
    const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["web/server/start.ts"], {
      cwd: root,
      env: { ...process.env, NODE_ENV: "development", DATABASE_URL: db.ownerUrl, ROOT_DATABASE_URL: ctx.rootUrl, PORT: String(port), LOG_LEVEL: "warn" },
      stdio: ["ignore", "ignore", "inherit"],
    });
    // Debian's Chromium, as the browser tests drive it (test/e2e/helpers/browser.ts).
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    try {
      const up = await healthy(url, child, 300_000);
      ctx.log(`first-page: /healthz after ${fmt((up - started) / 1000, "s")} (migrations, demo data, admin compiled)`);
      const loads: { login: number; dashboard: number }[] = [];
      for (let i = 0; i < 3; i++) {
        const context = await browser.newContext({ baseURL: url, viewport: { width: 1440, height: 900 } });
        const page = await context.newPage();
        const t0 = performance.now();
        await page.goto("/login", { timeout: 60_000 });
        await page.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: 60_000 });
        const login = performance.now() - t0;
        await page.getByLabel("Email").fill(DEMO_LOGIN.email);
        await page.getByLabel("Password").fill(DEMO_LOGIN.password);
        const t1 = performance.now();
        await page.getByRole("button", { name: "Sign in" }).click();
        // The dashboard with its figures: the heading, and today's sales as an amount.
        await page.getByRole("heading", { name: /^Welcome/ }).waitFor({ timeout: 60_000 });
        await page.getByTestId("metric-sales-today").filter({ hasText: /\d/ }).waitFor({ timeout: 60_000 });
        loads.push({ login, dashboard: performance.now() - t1 });
        await context.close();
      }
      ctx.record("loads_ms", loads);
      const [first, ...again] = loads;
      const secs = (ms: number) => fmt(ms / 1000, "s");
      ctx.row({
        figure: "9. first page after /healthz (npm start, dev, fresh profile)",
        value: secs(first.login),
        target: "< 2 s",
        reference: `then sign-in → dashboard ${secs(first.dashboard)}; new profiles again: ${again.map((l) => `${secs(l.login)} + ${secs(l.dashboard)}`).join(", ")}`,
        ratio: (first.login / 2000).toFixed(2),
      });
    } finally {
      await browser.close();
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    }
  },
};
