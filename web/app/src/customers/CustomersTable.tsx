// The table of customers shared by the list and the search results: name (with loyalty class,
// number and tags), company (for a company customer), email, phone, type, tier, visits, lifetime spend and last visit. A row opens the
// customer.
import { Box, Chip, Link, Stack, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Tooltip, Typography } from "@mui/material";
import type { ReactNode } from "react";
import { Link as RouterLink, useNavigate } from "react-router-dom";
import { formatDateTime, tagList, timeAgo } from "./format.ts";
import { TierChip } from "./CustomerTier.tsx";
import { AltName } from "./AltName.tsx";
import { LoyaltyChip } from "./LoyaltyChip.tsx";
import type { ListedCustomer } from "./queries.ts";
import { useMoney } from "../ui/useMoney.ts";
import { TIGHT_ON_PHONE } from "../ui/narrow.ts";
import { usePhone } from "../ui/usePhone.ts";

/** Columns a phone has no room for (their content moves under the name). */
const WIDE_ONLY = { display: { xs: "none", md: "table-cell" } } as const;
const NARROW_ONLY = { display: { xs: "block", md: "none" } } as const;

export function CustomersTable({ children, label = "Customers" }: { children: ReactNode; label?: string }) {
  return (
    <TableContainer>
      <Table aria-label={label} size="medium" sx={TIGHT_ON_PHONE}>
        <TableHead>
          <TableRow>
            <TableCell>Name</TableCell>
            <TableCell sx={WIDE_ONLY}>Company</TableCell>
            <TableCell sx={WIDE_ONLY}>Email</TableCell>
            <TableCell sx={WIDE_ONLY}>Phone</TableCell>
            <TableCell sx={WIDE_ONLY}>Type</TableCell>
            <TableCell sx={WIDE_ONLY}>Tier</TableCell>
            <TableCell align="right" sx={WIDE_ONLY}>
              Visits
            </TableCell>
            <TableCell align="right">Total spend</TableCell>
            <TableCell>Last visit</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>{children}</TableBody>
      </Table>
    </TableContainer>
  );
}

export function CustomerTableRow({ customer: c, onTag }: { customer: ListedCustomer; onTag?(tag: string): void }) {
  const money = useMoney();
  const phone = usePhone();
  const navigate = useNavigate();
  const tags = tagList(c.tags);
  return (
    <TableRow hover onClick={() => navigate(`/customers/${c.rowId}`)} sx={{ cursor: "pointer" }} data-testid="customer-row">
      <TableCell>
        <Stack spacing={0.25}>
          {/* On a phone the loyalty chip goes under a long name rather than widening the column. */}
          <Box sx={{ display: "flex", alignItems: "center", flexWrap: { xs: "wrap", md: "nowrap" }, columnGap: 1, rowGap: 0.5 }}>
            <Link
              component={RouterLink}
              to={`/customers/${c.rowId}`}
              underline="hover"
              sx={{ fontWeight: 600 }}
              onClick={(e) => e.stopPropagation()}
            >
              {c.displayName}
            </Link>
            <AltName name={c.altName} sx={{ color: "text.secondary" }} />
            {c.status !== "active" && <Chip size="small" variant="outlined" label={c.status === "archived" ? "Archived" : "Merged"} />}
            <LoyaltyChip value={c.loyaltyClass} />
          </Box>
          <Box sx={{ display: "flex", flexWrap: "wrap", alignItems: "center", gap: 0.5 }}>
            <Typography variant="caption" color="text.secondary" sx={{ mr: 0.5 }}>
              {c.customerNumber}
            </Typography>
            {tags.map((t) => (
              <Chip
                key={t}
                size="small"
                label={t}
                sx={{ height: 20, fontSize: 12 }}
                onClick={
                  onTag
                    ? (e) => {
                        e.stopPropagation();
                        onTag(t);
                      }
                    : undefined
                }
                title={onTag ? `Show customers tagged ${t}` : undefined}
              />
            ))}
          </Box>
          <Typography variant="caption" color="text.secondary" sx={{ ...NARROW_ONLY, overflowWrap: "anywhere" }}>
            {[c.customerType?.label, c.tier?.name, c.email, phone(c.phone)].filter(Boolean).join(" · ")}
          </Typography>
        </Stack>
      </TableCell>
      <TableCell sx={{ ...WIDE_ONLY, overflowWrap: "anywhere" }} data-testid="customer-company">
        {c.kind === "company" ? c.companyName : <Muted />}
      </TableCell>
      <TableCell sx={{ ...WIDE_ONLY, overflowWrap: "anywhere" }}>{c.email ?? <Muted />}</TableCell>
      <TableCell sx={{ ...WIDE_ONLY, whiteSpace: "nowrap" }}>{c.phone ? phone(c.phone) : <Muted />}</TableCell>
      <TableCell sx={WIDE_ONLY} data-testid="customer-type">
        {c.customerType?.label ?? <Muted />}
      </TableCell>
      <TableCell sx={WIDE_ONLY} data-testid="customer-tier">
        {c.tier ? <TierChip tier={c.tier} /> : <Muted />}
      </TableCell>
      <TableCell align="right" sx={WIDE_ONLY}>
        {c.totalVisits}
      </TableCell>
      <TableCell align="right" sx={{ fontVariantNumeric: "tabular-nums" }}>
        {money.format(c.totalSpend)}
      </TableCell>
      <TableCell sx={{ whiteSpace: "nowrap" }}>
        {c.lastVisitAt ? (
          <Tooltip title={formatDateTime(c.lastVisitAt)}>
            <span>{timeAgo(c.lastVisitAt)}</span>
          </Tooltip>
        ) : (
          <Muted text="Never" />
        )}
      </TableCell>
    </TableRow>
  );
}

function Muted({ text = "—" }: { text?: string }) {
  return (
    <Typography component="span" color="text.disabled" variant="body2">
      {text}
    </Typography>
  );
}

export function MessageRow({ children }: { children: ReactNode }) {
  return (
    <TableRow>
      <TableCell colSpan={9}>
        <Typography color="text.secondary">{children}</Typography>
      </TableCell>
    </TableRow>
  );
}
