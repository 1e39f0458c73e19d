// Sends one SMS of the outbox (app_private.sms_messages, queued by request_phone_code). At most
// once: the message is claimed (queued → sending) in its own committed statement before the
// provider is called and marked sent after, so a retried or doubled job finds it sent, or still
// "sending" after a crash mid-call and gives it up rather than send it twice
// (customers/426-phone-verification.sql). A refusal by the provider (4xx) is final: the message
// is marked failed and the job ends; a 5xx, a 429 or a connection that could not be made puts the
// message back in the queue and fails the job, which graphile-worker retries with its backoff.
import type { SmsProvider } from "../sms/provider.ts";
import { classifyTwilioError, SmsSendError } from "../sms/provider.ts";
import { assertIdFields } from "./payload.ts";
import type { LoggedTask } from "./run-log.ts";

export function makeSendSms(provider: () => SmsProvider): LoggedTask<"send_sms"> {
  return async (payload, helpers) => {
    assertIdFields(payload, "send_sms", "tenantId", "messageId");
    const { tenantId, messageId } = payload;
    const { rows } = await helpers.query<{ m: { id: string; to: string; body: string } | null }>(
      "select app_private.claim_sms($1, $2) as m",
      [tenantId, messageId],
    );
    const message = rows[0]?.m;
    if (!message) return { rows: 0 };
    const finish = (outcome: "sent" | "failed" | "retry", sid: string | null, error: string | null) =>
      helpers.query("select app_private.finish_sms($1, $2, $3, $4, $5)", [tenantId, messageId, outcome, sid, error]);
    let sid: string;
    try {
      ({ sid } = await provider().send({ to: message.to, body: message.body }));
    } catch (err) {
      const e = err instanceof SmsSendError ? err : classifyTwilioError(err);
      if (e.outcome === "retry") {
        await finish("retry", null, e.message);
        throw e;
      }
      await finish("failed", null, e.outcome === "unknown" ? `${e.message} (it may have been sent: not sent again)` : e.message);
      helpers.logger.warn(`SMS ${messageId} not sent: ${e.message}`);
      return { rows: 0 };
    }
    await finish("sent", sid, null);
    return { rows: 1 };
  };
}
