// One call per test file: the app, a browser, and the clean-up of both.
//
//   const e2e = useE2E();
//   it("...", async () => { const page = await e2e.page(); await page.goto("/"); ... });
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { launchBrowser, newPage } from "./browser.ts";
import { startApp, type RunningApp } from "./server.ts";

/** The first page load waits for Vite to transform the admin; later ones are quick. */
export const FIRST_LOAD_MS = 90_000;

export interface E2E {
  readonly app: RunningApp;
  /** A page in a fresh browser profile; it is closed after the test. */
  page(): Promise<Page>;
}

/** `stripeTestClock`: the test moves the local Stripe's clock ahead (billing), see acceptStripeTestClock. */
export function useE2E(opts: { stripeTestClock?: boolean } = {}): E2E {
  let app: RunningApp | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [app, browser] = await Promise.all([startApp(opts), launchBrowser()]);
    // Warm Vite up (dependency pre-bundling, first transforms) before any test counts time.
    const { context, page } = await newPage(browser, app.baseUrl);
    await page.goto("/login", { timeout: FIRST_LOAD_MS });
    await page.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: FIRST_LOAD_MS });
    await context.close();
  }, FIRST_LOAD_MS + 60_000);

  afterEach(async () => {
    await Promise.allSettled(contexts.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
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
