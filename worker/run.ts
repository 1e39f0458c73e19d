// `npm run worker`: the worker on its own (the database must be migrated already).
import { resolveDatabase } from "../db/env.ts";
import { startWorker } from "./runner.ts";

const target = await resolveDatabase();
const runner = await startWorker({ ownerUrl: target.ownerUrl, handleSignals: true });
await runner.promise;
await target.stop();
