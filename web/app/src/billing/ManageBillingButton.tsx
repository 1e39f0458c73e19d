// "Manage billing": asks for a Stripe billing portal session, waits for the worker to open it
// (spinner), then goes there. The portal sends the person back to /settings/billing. A failure
// is shown under the button in Stripe's (or our) words.
import { Alert, Button, Stack, Typography, type ButtonProps } from "@mui/material";
import { CardIcon } from "../ui/icons.tsx";
import { useBillingRequest } from "./useBillingRequest.ts";

export function ManageBillingButton({ size, variant = "contained" }: { size?: ButtonProps["size"]; variant?: ButtonProps["variant"] }) {
  const { state, busy, openPortal } = useBillingRequest();
  return (
    <Stack spacing={1} sx={{ alignItems: "flex-start", flexShrink: 0 }}>
      <Button
        variant={variant}
        size={size}
        startIcon={<CardIcon />}
        loading={busy}
        loadingPosition="start"
        onClick={() => void openPortal()}
        sx={{ whiteSpace: "nowrap", flexShrink: 0 }}
      >
        Manage billing
      </Button>
      {busy && (
        <Typography role="status" variant="body2" color="text.secondary">
          {state.phase === "redirecting" ? "Opening the billing portal…" : "Preparing your billing portal with Stripe…"}
        </Typography>
      )}
      {state.phase === "failed" && (
        <Alert severity="error" sx={{ maxWidth: 520 }}>
          {state.error.message}
        </Alert>
      )}
    </Stack>
  );
}
