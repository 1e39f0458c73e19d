// The business's suspensions, newest first, shown on the billing page once there has been one:
// what for, the reason given, from when until when (or "Still suspended"), who suspended it and
// who reactivated it and why. Billing's own (non-payment, an ended subscription) are started and
// ended by Stripe's events; the others by Backoffice support. Readable while suspended.
import {
  Alert,
  Card,
  CardContent,
  Chip,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  Typography,
} from "@mui/material";
import { useQuery } from "urql";
import { formatDateTime } from "../customers/format.ts";
import { errorMessage } from "../lib/errors.ts";
import { BILLING_SUSPENSION_TYPES, SUSPENSION_TYPE_LABEL } from "./format.ts";
import { SuspensionsQuery, type Suspension } from "./queries.ts";

/** Who did it: the member's name, or billing / support when no member did. */
function actor(type: string, userId: string | null, user: { name: string } | null): string {
  if (user) return user.name;
  if (userId) return "A former member";
  return BILLING_SUSPENSION_TYPES.includes(type) ? "Billing (automatic)" : "Backoffice support";
}

export function SuspensionHistoryCard() {
  const [{ data, error }] = useQuery({ query: SuspensionsQuery, requestPolicy: "cache-and-network" });
  const suspensions = data?.tenantSuspensions?.nodes ?? [];
  if (error && !data) return <Alert severity="error">{errorMessage(error)}</Alert>;
  if (!suspensions.length) return null;
  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2">
          Suspension history
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
          Each time this business was suspended, why, and how it was lifted.
        </Typography>
        <TableContainer>
          <Table aria-label="Suspension history" size="small" sx={{ minWidth: 720 }}>
            <TableHead>
              <TableRow>
                <TableCell>Suspension</TableCell>
                <TableCell>Reason</TableCell>
                <TableCell>From</TableCell>
                <TableCell>Until</TableCell>
                <TableCell>By</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {suspensions.map((s) => (
                <SuspensionRow key={s.id} suspension={s} />
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      </CardContent>
    </Card>
  );
}

function SuspensionRow({ suspension: s }: { suspension: Suspension }) {
  return (
    <TableRow hover data-testid="suspension-row" sx={{ verticalAlign: "top" }}>
      <TableCell>{SUSPENSION_TYPE_LABEL[s.type] ?? s.type}</TableCell>
      <TableCell sx={{ maxWidth: 260, wordBreak: "break-word" }}>{s.reason}</TableCell>
      <TableCell sx={{ whiteSpace: "nowrap" }}>{formatDateTime(s.suspendedAt)}</TableCell>
      <TableCell sx={{ maxWidth: 240 }}>
        {s.endedAt ? (
          <>
            <Typography variant="body2" sx={{ whiteSpace: "nowrap" }}>
              {formatDateTime(s.endedAt)}
            </Typography>
            {s.endReason && (
              <Typography variant="caption" color="text.secondary" sx={{ display: "block", wordBreak: "break-word" }}>
                {s.endReason}
              </Typography>
            )}
          </>
        ) : (
          <Chip size="small" color="error" variant="outlined" label="Still suspended" />
        )}
      </TableCell>
      <TableCell>
        <Typography variant="body2">Suspended by {actor(s.type, s.suspendedBy, s.suspendedByUser)}</Typography>
        {s.endedAt && (
          <Typography variant="body2" color="text.secondary">
            Reactivated by {actor(s.type, s.endedBy, s.endedByUser)}
          </Typography>
        )}
      </TableCell>
    </TableRow>
  );
}
