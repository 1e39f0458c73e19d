// The worker logs JSON lines through pino like the server, and graphile-worker's own messages go
// through the same logger: its levels mapped to pino's, its scope as fields, errors with their
// stack, a job by its id and task — never its payload.
import { Writable } from "node:stream";
import pino from "pino";
import { expect, it } from "vitest";
import { graphileLogger, logger } from "../../worker/logger.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, base: pino({ level: "debug", base: { service: "worker" } }, stream) };
}

it("graphile-worker's messages become pino lines with their scope, level, error and job", () => {
  const { lines, base } = capture();
  const log = graphileLogger(base).scope({ label: "worker", workerId: "worker-1" });
  const job = { id: "42", task_identifier: "export_csv", attempts: 2, max_attempts: 25, payload: { secret: "do not log" } };
  log.error("Failed task 42 (export_csv) with error 'boom'", { failure: true, job, error: new Error("boom"), duration: 12.5 });
  log.warn("Runner stopping");
  log.info("Completed task 42 (export_csv) with success", { job, success: true });
  log.scope({ taskIdentifier: "export_csv", jobId: "42" }).debug("from the task");

  expect(lines).toHaveLength(4);
  expect(lines[0]).toMatchObject({
    level: 50,
    service: "worker",
    label: "worker",
    workerId: "worker-1",
    msg: "Failed task 42 (export_csv) with error 'boom'",
    failure: true,
    duration: 12.5,
    job: { id: "42", task: "export_csv", attempt: 2, maxAttempts: 25 },
    err: { type: "Error", message: "boom", stack: expect.stringContaining("Error: boom") },
  });
  expect(JSON.stringify(lines)).not.toContain("do not log");
  expect(lines.map((l) => l.level)).toEqual([50, 40, 30, 20]);
  expect(lines[3]).toMatchObject({ label: "worker", workerId: "worker-1", taskIdentifier: "export_csv", jobId: "42", msg: "from the task" });
});

it("the worker's own logger is the server's configuration with service: worker", () => {
  expect(logger.bindings()).toEqual({ service: "worker" });
  expect(logger.level).toBe(process.env.LOG_LEVEL ?? "warn");
});
