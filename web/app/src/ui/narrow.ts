// Tables on a phone: a minor column is left out (DataTable's `hideBelow: "sm"`) and what it said
// moves under the row's name (ONLY_ON_PHONE), and the cells are tighter (TIGHT_ON_PHONE, which
// DataTable applies itself), so the columns that matter fit the screen instead of scrolling out
// of sight inside the table's box.
export const ONLY_ON_PHONE = { display: { xs: "block", sm: "none" } } as const;
export const TIGHT_ON_PHONE = { "& .MuiTableCell-root": { px: { xs: 1, sm: 2 } } } as const;
