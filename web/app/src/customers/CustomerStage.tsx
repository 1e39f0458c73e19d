// A customer's profile stage (issue 17) — guest, stub or full — as a chip on the list and the
// profile, and the profile's Upgrade action: a dialog asking for what the next stage needs (a
// guest: first name and phone; a stub: an email, with the phone verified). When the phone or email
// already belongs to another customer, the server writes nothing and names them: the dialog says
// so ("This phone belongs to CUST-00012 Ann Lee") and offers the merge, which opens the merge
// review with that customer kept.
import {
  Alert,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Stack,
  TextField,
  ToggleButton,
  ToggleButtonGroup,
  Typography,
  type ChipProps,
} from "@mui/material";
import { useState } from "react";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { MergeDialog } from "./MergeDialog.tsx";
import { UpgradeCustomerMutation, type CustomerUpgrade } from "./stageQueries.ts";

export type Stage = "guest" | "stub" | "full";

export const STAGES: { value: Stage; label: string; hint: string }[] = [
  { value: "guest", label: "Guest", hint: "Not reachable yet: no name with a phone." },
  { value: "stub", label: "Stub", hint: "A name and a phone." },
  { value: "full", label: "Full", hint: "A name, an email and a verified phone." },
];

const COLOR: Record<Stage, ChipProps["color"]> = { guest: "default", stub: "info", full: "success" };

export function StageChip({ stage, size = "small" }: { stage: string; size?: ChipProps["size"] }) {
  const s = STAGES.find((x) => x.value === stage);
  if (!s) return null;
  return (
    <Chip
      size={size}
      color={COLOR[s.value]}
      variant={s.value === "full" ? "filled" : "outlined"}
      label={s.label}
      title={`Profile stage: ${s.label} — ${s.hint}`}
      data-testid="customer-stage"
    />
  );
}

interface StageCustomer {
  rowId: string;
  displayName: string;
  customerNumber: string;
  stage: string;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  email?: string | null;
  phoneVerifiedAt?: string | null;
}

/** The stage chip, and for a guest or stub the Upgrade button (with customers.update). */
export function CustomerStage({
  customer,
  canWrite,
  onMerged,
  onUseOther,
}: {
  customer: StageCustomer;
  canWrite: boolean;
  /** After a merge offered by the upgrade: the customer that remains. */
  onMerged(result: { keptRowId: string; mergedNumber: string; keptNumber: string }): void;
  /** At the till: take the customer who already has the phone or email instead (offered beside the merge). */
  onUseOther?(otherRowId: string): void;
}) {
  const [open, setOpen] = useState(false);
  const [merging, setMerging] = useState<string | null>(null);
  return (
    <>
      <StageChip stage={customer.stage} size="medium" />
      {canWrite && customer.stage !== "full" && (
        <Button size="small" variant="outlined" onClick={() => setOpen(true)}>
          Upgrade
        </Button>
      )}
      {open && (
        <UpgradeDialog
          customer={customer}
          onClose={() => setOpen(false)}
          onMerge={(otherRowId) => {
            setOpen(false);
            setMerging(otherRowId);
          }}
          onUseOther={
            onUseOther &&
            ((otherRowId) => {
              setOpen(false);
              onUseOther(otherRowId);
            })
          }
        />
      )}
      {merging && (
        <MergeDialog
          customer={customer}
          otherRowId={merging}
          keepOther
          onClose={() => setMerging(null)}
          onMerged={(r) => {
            setMerging(null);
            onMerged(r);
          }}
        />
      )}
    </>
  );
}

function UpgradeDialog({
  customer,
  onClose,
  onMerge,
  onUseOther,
}: {
  customer: StageCustomer;
  onClose(): void;
  onMerge(otherRowId: string): void;
  onUseOther?(otherRowId: string): void;
}) {
  const canMerge = useCan("customers.merge");
  const toFull = customer.stage === "stub";
  const form = useForm(
    () => ({
      firstName: customer.firstName ?? "",
      lastName: customer.lastName ?? "",
      phone: customer.phone ?? "",
      email: customer.email ?? "",
    }),
    toFull ? ["email", "phone"] : ["firstName", "lastName", "phone", "email"],
  );
  const [, upgrade] = useMutation(UpgradeCustomerMutation);
  const [duplicate, setDuplicate] = useState<CustomerUpgrade | null>(null);
  const { values } = form;
  const changed = (now: string, before: string | null | undefined) => (now.trim() !== (before ?? "") ? now.trim() : null);

  const submit = form.submit(async () => {
    setDuplicate(null);
    const result = await upgrade(
      {
        customerId: customer.rowId,
        firstName: changed(values.firstName, customer.firstName),
        lastName: changed(values.lastName, customer.lastName),
        phone: changed(values.phone, customer.phone),
        email: changed(values.email, customer.email),
      },
      { additionalTypenames: ["Customer", "CustomerRow"] },
    );
    if (result.error) return void form.fail(result.error);
    const answer = result.data?.upgradeCustomer?.result;
    if (answer?.duplicateOfId) return void setDuplicate(answer);
    onClose();
  });

  const verified = Boolean(customer.phoneVerifiedAt) && values.phone.trim() === (customer.phone ?? "");
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs" aria-labelledby="upgrade-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="upgrade-title">{toFull ? "Upgrade to a full profile" : "Upgrade to a stub"}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            <Typography variant="body2" color="text.secondary">
              {toFull
                ? "A full profile has an email and a phone verified by a one-time code."
                : "A stub has a first name and a phone: enough to find them at the till."}
            </Typography>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            {duplicate && (
              <Alert
                severity="warning"
                data-testid="upgrade-duplicate"
                action={
                  duplicate.duplicateOfId && (canMerge || onUseOther) ? (
                    <Stack direction="row" spacing={1}>
                      {onUseOther && (
                        <Button color="inherit" size="small" onClick={() => onUseOther(duplicate.duplicateOfId!)}>
                          Use them
                        </Button>
                      )}
                      {canMerge && (
                        <Button color="inherit" size="small" onClick={() => onMerge(duplicate.duplicateOfId!)}>
                          Merge
                        </Button>
                      )}
                    </Stack>
                  ) : undefined
                }
              >
                This {duplicate.duplicateField === "email" ? "email" : "phone"} belongs to {duplicate.duplicateOfNumber} {duplicate.duplicateOfName}
                {canMerge ? " — merge this customer into them?" : "."}
              </Alert>
            )}
            {!toFull && (
              <>
                <TextField label="First name" autoFocus {...form.text("firstName")} slotProps={{ htmlInput: { maxLength: 100 } }} />
                <TextField label="Last name" {...form.text("lastName")} slotProps={{ htmlInput: { maxLength: 100 } }} />
              </>
            )}
            <TextField
              label="Phone"
              type="tel"
              {...form.text("phone", toFull ? (verified ? "Verified." : "Not verified yet: a full profile needs it verified.") : undefined)}
            />
            <TextField label="Email" type="email" autoFocus={toFull} {...form.text("email")} />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Upgrade
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

/** The Customers list's stage filter: all, guests, stubs or full profiles. */
export function StageFilter({ value, disabled, onChange }: { value: string; disabled?: boolean; onChange(value: string): void }) {
  return (
    <ToggleButtonGroup
      size="small"
      exclusive
      value={STAGES.some((s) => s.value === value) ? value : ""}
      disabled={disabled}
      aria-label="Stage"
      onChange={(_e, v: string | null) => v !== null && onChange(v)}
    >
      <ToggleButton value="">Any stage</ToggleButton>
      {STAGES.map((s) => (
        <ToggleButton key={s.value} value={s.value} title={s.hint}>
          {s.label}
        </ToggleButton>
      ))}
    </ToggleButtonGroup>
  );
}
