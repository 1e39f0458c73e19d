// A local, in-memory stand-in for Twilio's Messages API at the HTTP boundary, for development, the
// offline demo and tests: the real `twilio` SDK is pointed at it (worker/sms/provider.ts) and it
// answers like Twilio — form-encoded To/From/Body, basic auth with the account SID, the message
// resource's JSON (sid SM…, status queued) with 201, and Twilio's error shape (code, message,
// more_info, status) with Twilio's error codes. Accepted messages go into an outbox, which the
// admin's "Messages sent" page lists in development (GET /_outbox here, relayed by the web server).
import { randomBytes } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const API_VERSION = "2010-04-01";

/** A message as Twilio's API returns it (the fields our code and the SDK read, with Twilio's names). */
export interface LocalMessage {
  sid: string;
  account_sid: string;
  api_version: string;
  to: string;
  from: string | null;
  messaging_service_sid: string | null;
  body: string;
  status: "queued";
  direction: "outbound-api";
  num_segments: string;
  num_media: string;
  price: null;
  price_unit: string;
  error_code: null;
  error_message: null;
  date_created: string;
  date_updated: string;
  date_sent: null;
  uri: string;
  subresource_uris: { media: string };
}

export interface FailureRule {
  /** An HTTP status to answer with (500, 503, 429…), or "drop" to close the connection without an answer. */
  kind: number | "drop";
  /** How many requests to fail (default 1). */
  count?: number;
}

export interface SmsLocalOptions {
  port?: number;
  host?: string;
  /** Accept only this auth token (default: any non-empty token). */
  authToken?: string;
  log?: (line: string) => void;
}

export interface SmsLocalServer {
  url: string;
  /** Messages accepted, oldest first. */
  outbox(): LocalMessage[];
  /** The next requests to the Messages endpoint fail this way (a 5xx, a 429, a dropped connection). */
  failNext(rule: FailureRule): void;
  /** How many POSTs to the Messages endpoint were received (accepted or not). */
  requests(): number;
  reset(): void;
  close(): Promise<void>;
}

const MESSAGES = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MESSAGE = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/(SM[0-9a-f]{32})\.json$/;

interface TwilioError {
  status: number;
  code: number;
  message: string;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, e: TwilioError): void {
  sendJson(res, e.status, { code: e.code, message: e.message, more_info: `https://www.twilio.com/docs/errors/${e.code}`, status: e.status });
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw Object.assign(new Error("too large"), { twilio: { status: 413, code: 20001, message: "Request entity too large" } });
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** The account SID and token of a Basic Authorization header, or null. */
function basicAuth(req: IncomingMessage): { user: string; password: string } | null {
  const m = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? "");
  if (!m) return null;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

// Twilio's checks on a new message, with its error codes.
function validate(form: URLSearchParams): TwilioError | null {
  const known = new Set(["To", "From", "Body", "MessagingServiceSid", "StatusCallback"]);
  for (const key of form.keys()) {
    if (!known.has(key)) return { status: 400, code: 20001, message: `Parameter ${key} is not implemented by sms-local` };
  }
  const to = form.get("To");
  if (!to) return { status: 400, code: 21604, message: "A 'To' phone number is required." };
  if (!/^\+[1-9][0-9]{6,14}$/.test(to)) return { status: 400, code: 21211, message: `The 'To' number ${to} is not a valid phone number.` };
  const from = form.get("From");
  if (!from && !form.get("MessagingServiceSid")) return { status: 400, code: 21603, message: "A 'From' phone number is required." };
  if (from && !/^\+[1-9][0-9]{6,14}$/.test(from) && !/^[A-Za-z0-9 ]{1,11}$/.test(from)) {
    return { status: 400, code: 21212, message: `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.` };
  }
  const body = form.get("Body");
  if (!body) return { status: 400, code: 21602, message: "Message body is required." };
  if ([...body].length > 1600) return { status: 400, code: 21617, message: "The concatenated message body exceeds the 1600 character limit." };
  return null;
}

export async function startSmsLocal(options: SmsLocalOptions = {}): Promise<SmsLocalServer> {
  let outbox: LocalMessage[] = [];
  let failures: { kind: number | "drop"; left: number }[] = [];
  let received = 0;
  const log = options.log ?? (() => {});

  function authenticate(req: IncomingMessage, accountSid: string): TwilioError | null {
    const auth = basicAuth(req);
    if (!auth || !auth.user || !auth.password) return { status: 401, code: 20003, message: "Authenticate" };
    if (auth.user !== accountSid || (options.authToken !== undefined && auth.password !== options.authToken)) {
      return { status: 401, code: 20003, message: "Authenticate" };
    }
    return null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(`http://localhost${req.url ?? "/"}`).pathname;
    if (path === "/_outbox" && req.method === "GET") return sendJson(res, 200, { messages: [...outbox].reverse() });
    let m = MESSAGES.exec(path);
    if (m && req.method === "POST") {
      received++;
      const failure = failures[0];
      if (failure) {
        if (--failure.left <= 0) failures.shift();
        if (failure.kind === "drop") {
          req.socket.destroy();
          return;
        }
        return sendError(res, { status: failure.kind, code: failure.kind === 429 ? 20429 : 20500, message: failure.kind === 429 ? "Too Many Requests" : "Internal Server Error" });
      }
      const denied = authenticate(req, m[1]);
      if (denied) return sendError(res, denied);
      const form = await readForm(req);
      const invalid = validate(form);
      if (invalid) return sendError(res, invalid);
      const now = new Date().toUTCString().replace("GMT", "+0000");
      const sid = `SM${randomBytes(16).toString("hex")}`;
      const uri = `/${API_VERSION}/Accounts/${m[1]}/Messages/${sid}.json`;
      const message: LocalMessage = {
        sid,
        account_sid: m[1],
        api_version: API_VERSION,
        to: form.get("To")!,
        from: form.get("From"),
        messaging_service_sid: form.get("MessagingServiceSid"),
        body: form.get("Body")!,
        status: "queued",
        direction: "outbound-api",
        num_segments: String(Math.max(1, Math.ceil([...form.get("Body")!].length / 160))),
        num_media: "0",
        price: null,
        price_unit: "USD",
        error_code: null,
        error_message: null,
        date_created: now,
        date_updated: now,
        date_sent: null,
        uri,
        subresource_uris: { media: uri.replace(/\.json$/, "/Media.json") },
      };
      outbox.push(message);
      log(`SMS to ${message.to}: ${message.body}`);
      return sendJson(res, 201, message);
    }
    if (m && req.method === "GET") {
      const denied = authenticate(req, m[1]);
      if (denied) return sendError(res, denied);
      const to = new URL(`http://localhost${req.url ?? "/"}`).searchParams.get("To");
      const messages = [...outbox].reverse().filter((x) => x.account_sid === m![1] && (!to || x.to === to));
      const base = `/${API_VERSION}/Accounts/${m[1]}/Messages.json`;
      return sendJson(res, 200, {
        messages,
        page: 0,
        page_size: 50,
        start: 0,
        end: Math.max(0, messages.length - 1),
        uri: `${base}?PageSize=50&Page=0`,
        first_page_uri: `${base}?PageSize=50&Page=0`,
        next_page_uri: null,
        previous_page_uri: null,
      });
    }
    m = MESSAGE.exec(path);
    if (m && req.method === "GET") {
      const denied = authenticate(req, m[1]);
      if (denied) return sendError(res, denied);
      const found = outbox.find((x) => x.sid === m![2] && x.account_sid === m![1]);
      if (!found) return sendError(res, { status: 404, code: 20404, message: `The requested resource ${path} was not found` });
      return sendJson(res, 200, found);
    }
    return sendError(res, { status: 404, code: 20404, message: `The requested resource ${path} was not found` });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const twilio = (err as { twilio?: TwilioError }).twilio;
      if (twilio) return sendError(res, twilio);
      log(`internal error: ${String(err)}`);
      if (!res.headersSent) sendError(res, { status: 500, code: 20500, message: "Internal Server Error" });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;
  return {
    url,
    outbox: () => [...outbox],
    failNext: (rule) => failures.push({ kind: rule.kind, left: rule.count ?? 1 }),
    requests: () => received,
    reset() {
      outbox = [];
      failures = [];
      received = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
