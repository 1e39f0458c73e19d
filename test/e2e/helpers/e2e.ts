// One call per test file: the app, a browser, and the clean-up of both.
//
//   const e2e = useE2E();
//   it("...", async () => { const page = await e2e.page(); await page.goto("/"); ... });
import pg from "pg";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { testRootUrl } from "../../helpers/env.ts";
import { launchBrowser, newPage } from "./browser.ts";
import { startApp, type RunningApp } from "./server.ts";

/** The first page load waits for Vite to transform the admin; later ones are quick. */
export const FIRST_LOAD_MS = 90_000;

/** How long a browser test file may wait for the one before it (the longest take about two minutes). */
const TURN_MS = 10 * 60_000;

/**
 * One browser test file at a time (the other worker runs database tests meanwhile): two
 * browsers and two dev servers beside the database tests starved a page of a 2-core machine for
 * over 15 seconds. A session advisory lock on the root database, held until the file's end.
 */
async function takeBrowserTurn(): Promise<pg.Client> {
  const client = new pg.Client(testRootUrl);
  await client.connect();
  await client.query("select pg_advisory_lock(hashtext('backoffice:browser-tests'))");
  return client;
}

export interface E2E {
  readonly app: RunningApp;
  /** A page in a fresh browser profile; it is closed after the test. */
  page(): Promise<Page>;
}

/** `smsLocal`: SMS go to a local Twilio stand-in (app.sms) the admin's "Messages sent" page lists. `stripeTestClock`: the test moves the local Stripe's clock ahead (billing), see acceptStripeTestClock. */
export function useE2E(opts: Parameters<typeof startApp>[0] = {}): E2E {
  let app: RunningApp | undefined;
  let browser: Browser | undefined;
  let turn: pg.Client | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    turn = await takeBrowserTurn();
    [app, browser] = await Promise.all([startApp(opts), launchBrowser()]);
    // Warm Vite up (dependency pre-bundling, first transforms) before any test counts time.
    const { context, page } = await newPage(browser, app.baseUrl);
    await page.goto("/login", { timeout: FIRST_LOAD_MS });
    await page.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: FIRST_LOAD_MS });
    await context.close();
  }, TURN_MS + FIRST_LOAD_MS + 60_000);

  afterEach(async () => {
    await Promise.allSettled(contexts.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await turn?.end(); // the next browser test file's turn
  });

  return {
    get app() {
      if (!app) throw new Error("the e2e app is not started yet");
      return app;
    },
    async page() {
      const { context, page } = await newPage(browser!, app!.baseUrl);
      contexts.push(context);
      return page;
    },
  };
}
