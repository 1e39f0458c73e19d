// The SMS provider behind send_sms: one small interface, one implementation — Twilio through its
// official SDK. With TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM it talks to Twilio;
// otherwise, with SMS_LOCAL_URL (sms-local/, started by `npm start` in development), the same SDK
// and the same code path talk to the local stand-in: the SDK's HTTP client is ours, sending
// what the SDK addresses to https://api.twilio.com to the local server instead (the SDK takes a
// custom `httpClient`; its `edge`/`region` options only rename twilio.com hosts).
import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient.js";

export interface SmsProvider {
  /** True for the local stand-in (the admin's "Messages sent" page can list its outbox). */
  local: boolean;
  /** Sends one text; resolves with the provider's message id, rejects with an SmsSendError. */
  send(message: { to: string; body: string }): Promise<{ sid: string }>;
}

/**
 * Why a send failed, and what to do: "permanent" (the provider refused the request: a 4xx such as
 * 21211 invalid To — the same request would be refused again), "retry" (5xx, 429, or the
 * connection could not be made: nothing was sent), "unknown" (the connection broke or timed out
 * after the request went: it may have been sent, so it is not sent again).
 */
export class SmsSendError extends Error {
  constructor(
    message: string,
    readonly outcome: "permanent" | "retry" | "unknown",
    readonly status: number | null = null,
    readonly providerCode: number | null = null,
  ) {
    super(message);
    this.name = "SmsSendError";
  }
}

const CONNECT_ERRORS = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** An SDK failure sorted into SmsSendError's outcomes. */
export function classifyTwilioError(err: unknown): SmsSendError {
  const e = err as { status?: unknown; code?: unknown; message?: unknown; cause?: { code?: unknown } };
  const message = typeof e?.message === "string" ? e.message : String(err);
  if (typeof e?.status === "number") {
    const code = typeof e.code === "number" ? e.code : null;
    const permanent = e.status >= 400 && e.status < 500 && e.status !== 429;
    return new SmsSendError(`Twilio ${e.status}${code ? ` (${code})` : ""}: ${message}`, permanent ? "permanent" : "retry", e.status, code);
  }
  const sysCode = typeof e?.code === "string" ? e.code : typeof e?.cause?.code === "string" ? e.cause.code : "";
  return new SmsSendError(`SMS provider unreachable: ${message}`, CONNECT_ERRORS.has(sysCode) ? "retry" : "unknown");
}

export interface TwilioProviderOptions {
  accountSid: string;
  authToken: string;
  from: string;
  /** Send to this server instead of https://api.twilio.com (the local stand-in). */
  baseUrl?: string;
  timeoutMs?: number;
}

/** The SDK's request client, sending Twilio API requests to another base URL. */
class RedirectingRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    opts: ConstructorParameters<typeof twilio.RequestClient>[0],
  ) {
    super(opts);
  }
  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const uri = new URL(opts.uri);
    const target = new URL(this.baseUrl);
    uri.protocol = target.protocol;
    uri.host = target.host;
    return super.request<TData>({ ...opts, uri: uri.href });
  }
}

export function twilioProvider(opts: TwilioProviderOptions): SmsProvider {
  const timeout = opts.timeoutMs ?? 15_000;
  const client = twilio(opts.accountSid, opts.authToken, {
    timeout,
    // Retries are the worker's (graphile-worker's attempts and backoff), after the message is requeued.
    autoRetry: false,
    ...(opts.baseUrl ? { httpClient: new RedirectingRequestClient(opts.baseUrl, { timeout }) } : {}),
  });
  return {
    local: !!opts.baseUrl,
    async send({ to, body }) {
      try {
        const message = await client.messages.create({ to, from: opts.from, body });
        return { sid: message.sid };
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },
  };
}

/** Credentials the SDK accepts, for the local stand-in (it checks that the user is the account in the path). */
export const LOCAL_TWILIO = { accountSid: "AC00000000000000000000000000000000", authToken: "sms_local_token", from: "+15005550006" };

/** The provider the environment configures: Twilio, else the local stand-in; throws when neither is. */
export function smsProviderFromEnv(env: NodeJS.ProcessEnv = process.env): SmsProvider {
  if (env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN && env.TWILIO_FROM) {
    return twilioProvider({ accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, from: env.TWILIO_FROM });
  }
  if (env.SMS_LOCAL_URL) return twilioProvider({ ...LOCAL_TWILIO, baseUrl: env.SMS_LOCAL_URL });
  throw new Error("SMS is not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM, or SMS_LOCAL_URL for the local stand-in (sms-local/).");
}

let cached: SmsProvider | null = null;

/** The provider of this process, made from the environment on first use. */
export function defaultSmsProvider(): SmsProvider {
  cached ??= smsProviderFromEnv();
  return cached;
}
