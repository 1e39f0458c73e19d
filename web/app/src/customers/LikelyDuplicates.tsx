// "Possibly the same as: Zelda Quimby (Same name) — Open": while a customer is being added (the
// Add customer dialog, the POS quick add), the customers already there that this one would
// likely duplicate (likelyDuplicates: same phone digits in another format, the same email name at
// another domain, a similar name; the rule is customers/490-possible-duplicates.sql). Asked once
// the typing pauses; it never blocks adding (a second Zelda Quimby may be another person), and
// an email or phone that is already someone's is refused by the server anyway (DUPEM, DUPPH).
import { Alert, Box, Link } from "@mui/material";
import { Link as RouterLink } from "react-router-dom";
import { useQuery } from "urql";
import { LikelyDuplicatesQuery, reasonsText } from "./duplicates.ts";
import { useDebounced } from "./useDebounced.ts";

export interface TypedCustomer {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
}

/** What is worth asking about: a name of 2 letters, an email from its @, a phone of 7 digits. */
function askable(v: TypedCustomer): TypedCustomer | null {
  const firstName = v.firstName.trim();
  const lastName = v.lastName.trim();
  const email = v.email.trim().includes("@") ? v.email.trim() : "";
  const phone = v.phone.replace(/\D/g, "").length >= 7 ? v.phone.trim() : "";
  if (firstName.length < 2 && lastName.length < 2 && !email && !phone) return null;
  return { firstName, lastName, email, phone };
}

export function LikelyDuplicates({ values, openInNewTab }: { values: TypedCustomer; openInNewTab?: boolean }) {
  // Debounced as text: a new object every render would restart the wait for ever.
  const settled = useDebounced(JSON.stringify(askable(values)), 400);
  const asked = JSON.parse(settled) as TypedCustomer | null;
  const [{ data }] = useQuery({
    query: LikelyDuplicatesQuery,
    variables: {
      firstName: asked?.firstName || null,
      lastName: asked?.lastName || null,
      email: asked?.email || null,
      phone: asked?.phone || null,
    },
    pause: !asked,
    requestPolicy: "network-only",
  });
  // An error (no customers.view, say) shows nothing: the warning is a help, not a step.
  const matches = asked ? (data?.likelyDuplicates ?? []) : [];
  if (!matches.length) return null;
  return (
    // A status (polite), not an alert: it follows the typing and must not interrupt it.
    <Alert severity="warning" role="status" data-testid="likely-duplicates">
      {matches.length > 1 && <Box sx={{ mb: 0.5 }}>Possibly the same as one of these customers:</Box>}
      {matches.map((m) => (
        <Box key={m.customerId}>
          {matches.length === 1 && "Possibly the same as: "}
          <strong>{m.displayName}</strong> ({m.customerNumber}
          {m.status === "archived" ? ", archived" : ""}; {reasonsText(m.reasons)}) —{" "}
          <Link
            component={RouterLink}
            to={`/customers/${m.customerId}`}
            {...(openInNewTab ? { target: "_blank", rel: "noopener" } : {})}
          >
            Open
          </Link>
        </Box>
      ))}
    </Alert>
  );
}
