// GET /dev/sms-messages — development only, while SMS go to the local Twilio stand-in (sms-local/):
// the messages of its outbox sent to customers of the signed-in member's business (the database
// decides which phones those are, under row-level security: customers.view), newest first. The
// admin's "Messages sent" page lists them, so that `npm start` shows the whole verification flow
// offline. Not mounted in production nor with a real Twilio account.
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import { asVisitor } from "./db.ts";
import { HttpError, sendJson } from "./http.ts";
import { readSessionId } from "./session.ts";

interface OutboxMessage {
  sid: string;
  to: string;
  from: string | null;
  body: string;
  status: string;
  date_created: string;
}

export async function handleSmsOutbox(pool: pg.Pool, smsLocalUrl: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET") throw new HttpError("NOTFD", "Not found.");
  const response = await fetch(new URL("/_outbox", smsLocalUrl));
  if (!response.ok) throw new Error(`the local SMS outbox answered ${response.status}`);
  const { messages } = (await response.json()) as { messages: OutboxMessage[] };
  const phones = [...new Set(messages.map((m) => m.to))];
  const customers = await asVisitor(pool, readSessionId(req), async (client) => {
    const { rows } = await client.query<{ tenant: string | null }>("select app_hidden.current_tenant_id() as tenant");
    if (!rows[0]?.tenant) throw new HttpError("LOGIN", "Please sign in to continue.");
    const found = await client.query<{ id: string; phone: string; display_name: string }>(
      "select c.id, c.phone, c.display_name from app_public.customers c where c.phone = any($1::text[])",
      [phones],
    );
    return new Map(found.rows.map((c) => [c.phone, c]));
  });
  sendJson(res, 200, {
    messages: messages
      .filter((m) => customers.has(m.to))
      .map((m) => ({
        sid: m.sid,
        to: m.to,
        from: m.from,
        body: m.body,
        status: m.status,
        sentAt: new Date(m.date_created).toISOString(),
        customerId: customers.get(m.to)!.id,
        customerName: customers.get(m.to)!.display_name,
      })),
  });
}
