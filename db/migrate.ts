// graphile-migrate driven from code (start-up, tests): the settings of .gmrc with connection
// strings filled in.
import path from "node:path";
import * as gm from "graphile-migrate";
import { Logger } from "@graphile/logger";
import { getSettingsFromJSON } from "graphile-migrate/dist/commands/_common.js";
import { databaseName, placeholders, roles } from "./config.ts";

const projectRoot = path.resolve(import.meta.dirname, "..");

export async function migrateSettings(opts: {
  ownerUrl: string;
  rootUrl: string;
  /** Skip the schema dump hooks (tests build many databases). */
  skipDump?: boolean;
  /** Only errors are printed (tests). */
  quiet?: boolean;
  /** The database does not exist yet: reset creates it, and says nothing of dropping it. */
  newDatabase?: boolean;
}): Promise<gm.Settings> {
  const settings = await getSettingsFromJSON(path.join(projectRoot, ".gmrc"));
  const result: gm.Settings = {
    ...settings,
    connectionString: opts.ownerUrl,
    rootConnectionString: opts.rootUrl,
    databaseOwner: roles.owner,
    migrationsFolder: path.join(projectRoot, "migrations"),
    placeholders: placeholders(),
  };
  if (opts.quiet) {
    result.logger = new Logger(() => (level, message) => {
      if (level === "error") console.error(message);
    });
  } else if (opts.newDatabase) {
    // graphile-migrate's reset drops the database before creating it; for one that never existed,
    // "dropped database" only alarms a newcomer.
    result.logger = new Logger(() => (level, message) => {
      if (/dropped database/.test(message)) return;
      const text = message.replace("recreated database", "created database");
      if (level === "error") console.error(text);
      else if (level === "warning") console.warn(text);
      else console.log(text);
    });
  }
  if (opts.skipDump) {
    delete result.afterAllMigrations;
    delete result.afterCurrent;
  }
  return result;
}

/** Applies committed migrations, then the current ones (development). */
export async function migrateAll(settings: gm.Settings): Promise<void> {
  await gm.migrate(settings);
  await gm.watch(settings, true);
}

/** Drops and recreates the database, then applies every migration. */
export async function resetDatabase(settings: gm.Settings): Promise<void> {
  await gm.reset(settings);
  await gm.watch(settings, true);
}

export { databaseName };
