// Once per test run: the roles, and a template database with every migration applied. Each test
// file clones it (CREATE DATABASE … TEMPLATE) and drops its clone; the template is dropped at
// the end, so no run depends on state left behind by another.
import pg from "pg";
import type { TestProject } from "vitest/node";
import { bootstrapRoles } from "../../db/bootstrap.ts";
import { passwords, roles, withCredentials } from "../../db/config.ts";
import { migrateSettings, resetDatabase } from "../../db/migrate.ts";
import { adminHandler } from "../../web/server/admin.ts";
import { testRootUrl } from "./env.ts";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  const template = `bo_test_tpl_${process.pid}_${Date.now().toString(36)}`;
  await bootstrapRoles(testRootUrl);
  const settings = await migrateSettings({
    ownerUrl: withCredentials(testRootUrl, roles.owner, passwords.owner, template),
    rootUrl: testRootUrl,
    skipDump: true,
    quiet: true,
  });
  await resetDatabase(settings);
  // The admin compiled once, so Vite's cache of pre-bundled libraries is ready before the browser
  // test files start their servers two at a time (else each bundles them at the same moment, on
  // a new machine every run).
  const admin = await adminHandler(true);
  await admin.close();
  project.provide("templateDatabase", template);
  return async () => {
    const client = new pg.Client(testRootUrl);
    await client.connect();
    await client.query(`drop database if exists "${template}" with (force)`);
    await client.end();
  };
}
