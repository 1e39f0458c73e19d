// The HTTP application: health, auth routes, GraphQL (PostGraphile) and, last, whatever serves
// the admin (Vite in development, the built files in production). No business rules here.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import pg from "pg";
import { postgraphile } from "postgraphile";
import { PgSubscriber } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { handleAccountDocumentDownload } from "./account-documents.ts";
import { handleAuth } from "./auth-routes.ts";
import { handleCustomerDataDownload } from "./customer-data.ts";
import { publicError } from "./errors.ts";
import { handleExportDownload } from "./exports.ts";
import { HttpError, assertSameOrigin, sendError, sendJson } from "./http.ts";
import { handleImports } from "./imports.ts";
import { handleSmsOutbox } from "./sms-outbox.ts";
import { QUERY_LIMITS } from "./limits.ts";
import { logger } from "./logger.ts";
import { makePreset } from "./preset.ts";
import { handleStripeWebhook } from "./webhooks.ts";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;
export type Fallback = (req: IncomingMessage, res: ServerResponse) => void;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface AppOptions {
  /** Connection string of the authenticator role. */
  authUrl: string;
  development: boolean;
  /** The local Twilio stand-in (sms-local/) SMS go to: in development, GET /dev/sms-messages lists its outbox. */
  smsLocalUrl?: string;
  /** Serves the admin; gets every request no route above took. */
  fallback?: Fallback;
}

export interface App {
  handler: Handler;
  /** The server's "upgrade" listener: GraphQL subscriptions over WebSocket at /graphql (web/server/live.ts). */
  upgrade: UpgradeHandler;
  close(): Promise<void>;
}

export async function createApp(opts: AppOptions): Promise<App> {
  // Connections stay open once made. pg's default closes one idle for 10 s, and the pool hands out
  // its most recently used connection first, so the others idle out between bursts and the next
  // burst opens them again: a new backend authenticates and compiles every PL/pgSQL function and
  // plan it meets, a sale on it ~45 ms slower (8 → 53 ms in SQL). Kept open: 440–640 shops served
  // instead of 320 (the README's benchmark, row 12).
  const pool = new pg.Pool({ connectionString: opts.authUrl, max: 10, idleTimeoutMillis: 0 });
  pool.on("error", (err) => {
    // 57P01: the server was shut down or the database dropped; the pool reconnects on demand.
    if ((err as { code?: string }).code === "57P01") logger.info("idle database connection closed by the server");
    else logger.error({ err }, "idle database connection failed");
  });
  // Live updates (live.ts) LISTEN on one connection of the pool, released with the app.
  const pgSubscriber = new PgSubscriber(pool);
  const pgl = postgraphile(makePreset({ pool, development: opts.development, pgSubscriber }));
  // Build the schema now (a few seconds with every module), not on the first person's request.
  await pgl.getSchema();
  const serv = pgl.createServ(grafserv);
  const graphql = serv.createHandler();
  const graphqlWs = await serv.getUpgradeHandler();
  const notFound: Fallback = (_req, res) => sendError(res, { code: "NOTFD", message: "Not found." });
  const fallback = opts.fallback ?? notFound;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Appended, not resolved: a request path starting with // would otherwise be read as a host.
    const path = new URL(`http://localhost${req.url ?? "/"}`).pathname;
    if (path === "/healthz") {
      await pool.query("select 1");
      return sendJson(res, 200, { ok: true });
    }
    // Raw body, signed by Stripe; no Origin check (Stripe is another site by design).
    if (path === "/webhooks/stripe") return handleStripeWebhook(pool, req, res);
    if (path.startsWith("/exports/")) return handleExportDownload(pool, req, res, path);
    if (path.startsWith("/imports/")) return handleImports(pool, req, res, path);
    if (path.startsWith("/customer-data/")) return handleCustomerDataDownload(pool, req, res, path);
    if (path.startsWith("/account-documents/")) return handleAccountDocumentDownload(pool, req, res, path);
    if (path === "/dev/sms-messages" && opts.development && opts.smsLocalUrl) return handleSmsOutbox(pool, opts.smsLocalUrl, req, res);
    if (path.startsWith("/auth/")) {
      assertSameOrigin(req);
      if (await handleAuth(pool, req, res, path)) return;
      return sendError(res, { code: "NOTFD", message: "Not found." });
    }
    if (path === "/graphql" && req.method !== "GET" && req.method !== "OPTIONS") {
      assertSameOrigin(req);
      // grafserv refuses these too, but with an uncoded message; a declared length is refused here.
      if (Number(req.headers["content-length"] ?? 0) > QUERY_LIMITS.maxRequestBytes) {
        throw new HttpError("TOOBG", "The request body is too large.");
      }
    }
    graphql(req, res, (err?: Error) => {
      if (err) return fail(res, err);
      fallback(req, res);
    });
  }

  function fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof HttpError) {
      // The unread rest of a refused body would be taken for the next request on a kept-alive socket.
      if (err.status === 413) res.setHeader("connection", "close");
      return sendError(res, { code: err.code, message: err.message });
    }
    const known = publicError(err);
    if (known) return sendError(res, known);
    logger.error({ err }, "request failed");
    sendError(res, { code: "INTER", message: "Something went wrong on our side." });
  }

  const handler: Handler = (req, res) => {
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      logger.info(
        { method: req.method, url: req.url, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        "request",
      );
    });
    route(req, res).catch((err) => fail(res, err));
  };

  // A WebSocket is opened with the page's cookies, like any request: the session is the same as
  // over HTTP (preset.ts reads it from the upgrade request), and a page of another site may not
  // open one (XORIG, as for POST /graphql) — it would otherwise listen with the visitor's session.
  const sockets = new Set<Duplex>();
  const upgrade: UpgradeHandler = (req, socket, head) => {
    const path = new URL(`http://localhost${req.url ?? "/"}`).pathname;
    if (path !== "/graphql" || !graphqlWs) {
      socket.destroy();
      return;
    }
    try {
      assertSameOrigin(req);
    } catch (err) {
      const { code, message } = err as HttpError;
      const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      logger.info({ url: req.url, origin: req.headers.origin, status: 403 }, "websocket refused");
      return;
    }
    // Closed with the app: a server's close() would otherwise wait for every open page.
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    graphqlWs(req, socket, head);
  };

  return {
    handler,
    upgrade,
    async close() {
      for (const socket of sockets) socket.destroy();
      await pgl.release();
      pgSubscriber.release();
      await pool.end();
    },
  };
}
