// Phone verification on a customer's profile (customers.update): "Verify phone" opens a dialog
// that sends a one-time code by SMS (requestPhoneCode), takes the 6 digits the customer reads
// out (verifyPhoneCode) and offers another code once the 60-second wait is over. Every refusal is
// shown in the server's words (db/ERRORS.md: OTPSN, OTPCP, OTPEX, OTPMX…); a wrong code is not an
// error but an answer (check.errorCode OTPWR with the tries left), so that the try counts.
// A verified phone shows as a chip instead of the button.
import { Alert, Button, Chip, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, Link, TextField } from "@mui/material";
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../graphql.ts";
import { errorMessage } from "../lib/errors.ts";
import { CheckIcon } from "../ui/icons.tsx";
import { usePhone } from "../ui/usePhone.ts";

const PhoneVerificationQuery = graphql(`
  query PhoneVerification($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      id
      rowId
      phone
      phoneVerifiedAt
    }
  }
`);

const RequestPhoneCodeMutation = graphql(`
  mutation RequestPhoneCode($customerId: String!) {
    requestPhoneCode(input: { customerId: $customerId }) {
      request {
        sentTo
        expiresAt
        resendAfter
      }
    }
  }
`);

const VerifyPhoneCodeMutation = graphql(`
  mutation VerifyPhoneCode($customerId: String!, $code: String!) {
    verifyPhoneCode(input: { customerId: $customerId, code: $code }) {
      check {
        verified
        errorCode
        message
        attemptsLeft
      }
    }
  }
`);

// Verifying changes the customer (phoneVerifiedAt, maybe its stage): every query showing one is read again.
const CHANGES_CUSTOMER = { additionalTypenames: ["Customer"] };

/** "Verify phone" (or the "Phone verified" chip) for a customer; nothing when it has no phone. */
export function VerifyPhoneButton({ customerRowId, canWrite }: { customerRowId: string; canWrite: boolean }) {
  const [{ data }] = useQuery({ query: PhoneVerificationQuery, variables: { rowId: customerRowId }, context: CHANGES_CUSTOMER });
  const [open, setOpen] = useState(false);
  const c = data?.customerByRowId;
  if (!c?.phone) return null;
  // The dialog stays open once the phone is verified (the chip replaces the button behind it), to say so.
  return (
    <>
      {c.phoneVerifiedAt ? (
        <Chip icon={<CheckIcon />} color="success" variant="outlined" label="Phone verified" data-testid="phone-verified" />
      ) : (
        canWrite && (
          <Button variant="outlined" onClick={() => setOpen(true)}>
            Verify phone
          </Button>
        )
      )}
      {open && <VerifyPhoneDialog customerRowId={customerRowId} phone={c.phone} onClose={() => setOpen(false)} />}
    </>
  );
}

function useSecondsUntil(at: string | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!at) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [at]);
  return at ? Math.max(0, Math.ceil((new Date(at).getTime() - now) / 1000)) : 0;
}

export function VerifyPhoneDialog({ customerRowId, phone, onClose }: { customerRowId: string; phone: string; onClose: () => void }) {
  const formatPhone = usePhone();
  const [sent, setSent] = useState<{ sentTo: string | null; expiresAt: string | null; resendAfter: string | null } | null>(null);
  const [code, setCode] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [requesting, request] = useMutation(RequestPhoneCodeMutation);
  const [verifying, verify] = useMutation(VerifyPhoneCodeMutation);
  const wait = useSecondsUntil(sent?.resendAfter ?? null);
  // In development without Twilio the text stays in the local outbox (MessagesSentPage): say where.
  const [localOutbox, setLocalOutbox] = useState(false);
  useEffect(() => {
    if (!sent) return;
    fetch("/dev/sms-messages", { credentials: "same-origin" }).then((r) => setLocalOutbox(r.ok), () => {});
  }, [sent]);

  async function sendCode() {
    setProblem(null);
    const result = await request({ customerId: customerRowId });
    const r = result.data?.requestPhoneCode?.request;
    if (result.error || !r) return setProblem(errorMessage(result.error));
    setSent(r);
    setCode("");
  }

  async function check(e: React.FormEvent) {
    e.preventDefault();
    setProblem(null);
    const result = await verify({ customerId: customerRowId, code }, CHANGES_CUSTOMER);
    const r = result.data?.verifyPhoneCode?.check;
    if (result.error || !r) return setProblem(errorMessage(result.error));
    if (r.verified) return setDone(r.message ?? "Phone verified.");
    setProblem(r.message ?? "Wrong code.");
    if (r.errorCode === "OTPMX") setCode("");
  }

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs" aria-labelledby="verify-phone-title">
      <DialogTitle id="verify-phone-title">Verify phone</DialogTitle>
      <form onSubmit={check} noValidate>
        <DialogContent>
          {done ? (
            <Alert severity="success" data-testid="verify-phone-done">
              {done}
            </Alert>
          ) : (
            <>
              <DialogContentText sx={{ mb: 2 }}>
                {sent
                  ? `A 6-digit code was sent to ${formatPhone(sent.sentTo ?? phone)}. It works for 5 minutes and 3 tries: ask the customer to read it out.`
                  : `We send a 6-digit code by text message to ${formatPhone(phone)}; the customer reads it out to you.`}
              </DialogContentText>
              {sent && localOutbox && (
                <DialogContentText variant="body2" sx={{ mb: 2 }}>
                  In development, text messages stay in the local outbox:{" "}
                  <Link href="/dev/messages" target="_blank" rel="noopener">
                    Messages sent
                  </Link>
                  .
                </DialogContentText>
              )}
              {problem && (
                <Alert severity="error" sx={{ mb: 2 }} role="alert">
                  {problem}
                </Alert>
              )}
              {sent && (
                <TextField
                  label="Code"
                  value={code}
                  onChange={(e) => setCode(e.target.value.replace(/[^0-9]/g, "").slice(0, 6))}
                  autoFocus
                  fullWidth
                  slotProps={{ htmlInput: { inputMode: "numeric", autoComplete: "one-time-code", maxLength: 6 } }}
                />
              )}
            </>
          )}
        </DialogContent>
        <DialogActions>
          {done ? (
            <Button onClick={onClose} variant="contained">
              Done
            </Button>
          ) : (
            <>
              <Button onClick={onClose}>Cancel</Button>
              {sent ? (
                <>
                  <Button onClick={sendCode} disabled={wait > 0 || requesting.fetching}>
                    {wait > 0 ? `Resend in ${wait} s` : "Send a new code"}
                  </Button>
                  <Button type="submit" variant="contained" disabled={code.length !== 6 || verifying.fetching}>
                    Verify
                  </Button>
                </>
              ) : (
                <Button onClick={sendCode} variant="contained" disabled={requesting.fetching}>
                  Send code
                </Button>
              )}
            </>
          )}
        </DialogActions>
      </form>
    </Dialog>
  );
}
