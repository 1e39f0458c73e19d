// Who the customer is: name and number, status, contact details, tags, marketing consent and
// the free notes kept on the profile. Editing happens in CustomerFormDialog.
import { Box, Card, CardContent, Chip, Typography } from "@mui/material";
import { useId, type ReactNode } from "react";
import { formatDate, STATUS_LABEL, tagList } from "./format.ts";
import type { CustomerDetail } from "./queries.ts";

export function StatusChip({ status }: { status: string }) {
  return (
    <Chip
      size="small"
      variant="outlined"
      label={STATUS_LABEL[status] ?? status}
      color={status === "active" ? "success" : status === "archived" ? "default" : "warning"}
      data-testid="customer-status"
    />
  );
}

function consentText(c: CustomerDetail): string {
  if (c.marketingConsent == null) return "Not asked yet";
  const since = c.marketingConsentUpdatedAt ? ` since ${formatDate(c.marketingConsentUpdatedAt)}` : "";
  const via = c.marketingConsentSource ? ` (${c.marketingConsentSource === "pos" ? "at the till" : `via ${c.marketingConsentSource}`})` : "";
  return c.marketingConsent ? `Agrees to receive marketing${since}${via}` : `Declined marketing${since}${via}`;
}

export function ProfileCard({ customer: c }: { customer: CustomerDetail }) {
  const tags = tagList(c.tags);
  return (
    <Card data-testid="profile-card">
      <CardContent>
        <Typography variant="h6" component="h2" sx={{ mb: 1.5 }}>
          Profile
        </Typography>
        <Box component="dl" sx={{ display: "grid", gridTemplateColumns: "max-content 1fr", columnGap: 3, rowGap: 1.25, m: 0 }}>
          <Field label="First name">{c.firstName}</Field>
          <Field label="Last name">{c.lastName}</Field>
          <Field label="Email">{c.email}</Field>
          <Field label="Phone">{c.phone}</Field>
          <Field label="Tags">
            {tags.length ? (
              <Box sx={{ display: "flex", gap: 0.5, flexWrap: "wrap" }}>
                {tags.map((t) => (
                  <Chip key={t} size="small" label={t} />
                ))}
              </Box>
            ) : null}
          </Field>
          <Field label="Marketing">{consentText(c)}</Field>
          <Field label="Customer since">{formatDate(c.createdAt)}</Field>
          {c.notes && (
            <Field label="Notes">
              <Box component="span" sx={{ whiteSpace: "pre-wrap" }}>
                {c.notes}
              </Box>
            </Field>
          )}
        </Box>
      </CardContent>
    </Card>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  const id = useId();
  return (
    <>
      <Typography component="dt" variant="body2" color="text.secondary" id={id}>
        {label}
      </Typography>
      <Typography component="dd" variant="body2" sx={{ m: 0, wordBreak: "break-word" }} aria-labelledby={id}>
        {children ?? (
          <Box component="span" sx={{ color: "text.disabled" }}>
            —
          </Box>
        )}
      </Typography>
    </>
  );
}
