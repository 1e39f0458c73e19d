// The admin's one table: a labelled MUI table from a list of columns, scrolling inside its own box
// on a narrow screen (the page never scrolls sideways), with minor columns hidden on phones, a
// row of words when there is nothing to show, and an optional screen-reader-only header for the
// column of row actions. A column may style its cells (`sx`: a width, how long words break,
// tabular figures) and may sort the list (`sort`: its header becomes a sort button; the API
// sorts, the table only says which column it is sorted by).
//
// Ours rather than @mui/x-data-grid: the admin's lists are short or paged by the server ("Load
// more", usePagedQuery), sorted and filtered by the API, and read by the browser tests as plain
// table rows; the grid's virtualised rows, client-side sorting and ~300 kB would serve none of
// that, and its own row markup would hide rows from `getByRole("row")` once scrolled away.
//
//   <DataTable label="Tax rates" rows={rates} rowKey={(r) => r.id} empty="No tax rates yet."
//     columns={[{ header: "Name", cell: (r) => r.name }, { header: "Rate", cell: (r) => …, hideBelow: "sm" }]} />
import {
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  TableSortLabel,
  Typography,
  type SxProps,
  type Theme,
} from "@mui/material";
import type { ReactNode } from "react";
import { HiddenHeaderCell } from "./HiddenHeaderCell.tsx";
import { TIGHT_ON_PHONE } from "./narrow.ts";

export interface Column<R> {
  /** The column's title; for a column of row actions, the words a screen reader says (see `actions`). */
  header: string;
  cell(row: R): ReactNode;
  align?: "left" | "right";
  /** A minor column, hidden below this width (phones: "sm"; phones and tablets: "md"). */
  hideBelow?: "sm" | "md";
  /** The column of row actions: right-aligned, its title for screen readers only. */
  actions?: boolean;
  /** Keeps the column on one line, its title too (amounts, dates, buttons). */
  nowrap?: boolean;
  /** Styles of the column's body cells: a maximum width, how long words break, tabular figures. */
  sx?: SxProps<Theme>;
  /** A column the list can be sorted by: its title is a button that asks for that order. */
  sort?: { active: boolean; direction: "asc" | "desc"; onSort(): void };
}

interface Props<R> {
  /** The table's accessible name ("Tax rates"). */
  label: string;
  columns: (Column<R> | false | null | undefined)[];
  rows: readonly R[];
  rowKey(row: R): string;
  /** Shown in one row when there are no rows; nothing when omitted. */
  empty?: ReactNode;
  size?: "small" | "medium";
  /** Rows light up under the pointer (true) — not in read-only figures such as reports. */
  hover?: boolean;
  /** A test id every body row carries. */
  rowTestId?: string;
  sx?: SxProps<Theme>;
}

const hidden = (below?: "sm" | "md") =>
  below ? { display: { xs: "none", [below]: "table-cell" } } : undefined;

export function DataTable<R>({ label, columns, rows, rowKey, empty, size = "small", hover = true, rowTestId, sx }: Props<R>) {
  const shown = columns.filter((c): c is Column<R> => Boolean(c));
  return (
    <TableContainer sx={{ overflowX: "auto", ...sx }}>
      <Table size={size} aria-label={label} sx={TIGHT_ON_PHONE}>
        <TableHead>
          <TableRow>
            {shown.map((c) =>
              c.actions ? (
                <HiddenHeaderCell key={c.header}>{c.header}</HiddenHeaderCell>
              ) : (
                <TableCell
                  key={c.header}
                  align={c.align}
                  sx={[hidden(c.hideBelow) ?? false, Boolean(c.nowrap) && { whiteSpace: "nowrap" }]}
                  sortDirection={c.sort?.active ? c.sort.direction : false}
                >
                  {c.sort ? (
                    <TableSortLabel active={c.sort.active} direction={c.sort.direction} onClick={c.sort.onSort}>
                      {c.header}
                    </TableSortLabel>
                  ) : (
                    c.header
                  )}
                </TableCell>
              ),
            )}
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((row) => (
            <TableRow key={rowKey(row)} hover={hover} data-testid={rowTestId}>
              {shown.map((c) => (
                <TableCell
                  key={c.header}
                  align={c.actions ? "right" : c.align}
                  sx={[
                    hidden(c.hideBelow) ?? false,
                    Boolean(c.nowrap) && { whiteSpace: "nowrap" },
                    // Row actions stay on one line, except on a phone, where they stack (each on one line).
                    Boolean(c.actions) && { whiteSpace: { sm: "nowrap" }, "& .MuiButton-root": { whiteSpace: "nowrap" } },
                    ...(Array.isArray(c.sx) ? c.sx : [c.sx ?? false]),
                  ]}
                >
                  {c.cell(row)}
                </TableCell>
              ))}
            </TableRow>
          ))}
          {rows.length === 0 && empty && (
            <TableRow>
              <TableCell colSpan={shown.length}>
                <Typography color="text.secondary">{empty}</Typography>
              </TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
