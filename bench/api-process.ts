// The API server of the GraphQL figures in a process of its own (bench/api-server.ts), as in
// production, when BENCH_API_PROCESS=1: in the bench's process it shares one event loop with the
// load generator's HTTP clients, so the clients' work counts as the API's. BENCH_API_CPU_PROF=dir
// writes the server's CPU profile there (node --cpu-prof) when it stops.
import { spawn } from "node:child_process";
import path from "node:path";
import { graphqlAt, type Api, type BenchData } from "./data.ts";

export async function startApiProcess(data: Pick<BenchData, "db" | "sessionId">): Promise<Api> {
  const prof = process.env.BENCH_API_CPU_PROF;
  const child = spawn(
    process.execPath,
    [...(prof ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(prof)}`] : []), "--import", "tsx", path.join(import.meta.dirname, "api-server.ts")],
    { env: { ...process.env, API_AUTH_URL: data.db.authUrl }, stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`the API server exited (${code}) before listening`)));
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  return {
    url,
    graphql: graphqlAt(url, data.sessionId),
    async close() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
