// Development only: the text messages Backoffice sent to the business's customers while SMS go to
// the local Twilio stand-in (sms-local/) instead of Twilio — phone verification codes, for one.
// `npm start` thereby shows the whole verification flow offline: send a code from a customer's
// profile, read it here, type it in. The server lists the stand-in's outbox at /dev/sms-messages
// (web/server/sms-outbox.ts), only the messages to the business's own customers, and answers 404
// when it is not in development or a real Twilio account is configured. Refreshes every 2 seconds.
import { Alert, Card, Link, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography } from "@mui/material";
import { useEffect, useState } from "react";
import { Link as RouterLink } from "react-router-dom";
import { errorMessage, restErrorOf } from "../lib/errors.ts";
import { PageHeader } from "../ui/PageHeader.tsx";
import { usePhone } from "../ui/usePhone.ts";

interface SentMessage {
  sid: string;
  to: string;
  body: string;
  sentAt: string;
  customerId: string;
  customerName: string;
}

const POLL_MS = 2000;

async function fetchMessages(): Promise<SentMessage[] | "unavailable"> {
  const response = await fetch("/dev/sms-messages", { credentials: "same-origin", headers: { accept: "application/json" } });
  if (response.status === 404) return "unavailable";
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) throw restErrorOf(response.status, payload);
  return (payload as { messages: SentMessage[] }).messages;
}

export function MessagesSentPage() {
  const phone = usePhone();
  const [messages, setMessages] = useState<SentMessage[] | "unavailable" | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    const load = () =>
      fetchMessages().then(
        (m) => !stopped && (setMessages(m), setProblem(null)),
        (e) => !stopped && setProblem(errorMessage(e)),
      );
    void load();
    const timer = setInterval(load, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  return (
    <>
      <PageHeader title="Messages sent" subtitle="Development: the text messages sent to your customers, kept by the local SMS stand-in instead of going out." />
      {problem && <Alert severity="error" sx={{ mb: 2 }}>{problem}</Alert>}
      {messages === "unavailable" ? (
        <Alert severity="info">Text messages go out through Twilio here: there is no local outbox to show.</Alert>
      ) : messages && messages.length === 0 ? (
        <Alert severity="info">No text message was sent yet. Verify a customer's phone from their profile to send one.</Alert>
      ) : messages ? (
        <Card variant="outlined">
          <TableContainer>
            <Table size="small" aria-label="Messages sent">
              <TableHead>
                <TableRow>
                  <TableCell>Sent</TableCell>
                  <TableCell>To</TableCell>
                  <TableCell>Message</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {messages.map((m) => (
                  <TableRow key={m.sid} data-testid="sent-message">
                    <TableCell sx={{ whiteSpace: "nowrap" }}>{new Date(m.sentAt).toLocaleString()}</TableCell>
                    <TableCell>
                      <Link component={RouterLink} to={`/customers/${m.customerId}`}>
                        {m.customerName}
                      </Link>
                      <Typography variant="body2" color="text.secondary">
                        {phone(m.to)}
                      </Typography>
                    </TableCell>
                    <TableCell>{m.body}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
        </Card>
      ) : null}
    </>
  );
}
