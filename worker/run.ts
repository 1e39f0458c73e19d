// `npm run worker`: the worker on its own (the database must be migrated already).
import { resolveDatabase } from "../db/env.ts";
import { superviseWorker } from "./supervisor.ts";

const target = await resolveDatabase();
const worker = await superviseWorker({ ownerUrl: target.ownerUrl, handleSignals: true });
await worker.promise;
await target.stop();
