// An account statement as a PDF (issue 18): a pure function from the statement's data (what
// app_private.statement_document_data returns, migrations/fixtures/accounts/750-documents.sql,
// from the same lines as Query.accountStatement) to the bytes, rendered with pdfkit in the worker.
//
// The page: the shop and the account at the top with the period; the opening balance (what was
// owed before the first day); each entry of the period (date, kind, reference, debit, credit, the
// running balance); the closing balance (what is owed at the end of the last day). Debits add to
// what the customer owes (sales), credits take off (credit notes, payments, write-offs). Amounts
// in the business's locale and currency; fonts: see layout.ts (built-in Helvetica; no non-Latin
// scripts).
import {
  type AccountHeader,
  type Amount,
  type Column,
  type MoneyFormat,
  type ShopHeader,
  drawHeader,
  drawTable,
  drawTotals,
  ensureRoom,
  finish,
  formatDate,
  formatMoney,
  newDocument,
} from "./layout.ts";

export interface StatementLine {
  date: string;
  /** sale, credit_note, payment or write_off. */
  kind: string;
  /** The invoice, order or payment reference it is known by. */
  reference?: string | null;
  description?: string | null;
  debit?: Amount | null;
  credit?: Amount | null;
  /** The balance after this line. */
  balance: Amount;
}

export interface StatementDocument {
  shop: ShopHeader;
  money: MoneyFormat;
  account: AccountHeader;
  period: { from: string; until: string };
  /** The day it was written (YYYY-MM-DD). */
  issuedOn: string;
  openingBalance: Amount;
  closingBalance: Amount;
  lines: StatementLine[];
}

const KIND_LABELS: Record<string, string> = {
  sale: "Sale",
  credit_note: "Credit note",
  payment: "Payment",
  write_off: "Write-off",
  invoice: "Invoice",
};

/** The statement as PDF bytes (A4). */
export async function renderStatementPdf(data: StatementDocument): Promise<Buffer> {
  const { money } = data;
  const m = (a: Amount | null | undefined) => (a == null || BigInt(a) === 0n ? "" : formatMoney(a, money));
  const d = (date: string) => formatDate(date, money.locale);

  const { doc, done } = newDocument(`Statement ${data.account.accountNumber} ${data.period.from} – ${data.period.until}`);
  let y = drawHeader(
    doc,
    data.shop,
    "STATEMENT",
    [
      ["Account", data.account.accountNumber],
      ["From", d(data.period.from)],
      ["Until", d(data.period.until)],
      ["Issued", d(data.issuedOn)],
    ],
    data.account,
  );

  type Row = StatementLine & { strong?: boolean };
  const rows: Row[] = [
    { date: data.period.from, kind: "opening", description: "Opening balance", balance: data.openingBalance, strong: true },
    ...data.lines,
    { date: data.period.until, kind: "closing", description: "Closing balance", balance: data.closingBalance, strong: true },
  ];
  const columns: Column<Row>[] = [
    { header: "Date", width: 0.13, value: (l) => d(l.date) },
    // What the entry is: its description (which names its kind: "Sale 2026-01-05 · Main store",
    // "Payment, bank transfer", "Written off: …"), else its kind.
    { header: "Entry", width: 0.27, value: (l) => l.description || (KIND_LABELS[l.kind] ?? l.kind) },
    { header: "Reference", width: 0.18, value: (l) => l.reference ?? "" },
    { header: "Debit", width: 0.14, align: "right", value: (l) => m(l.debit) },
    { header: "Credit", width: 0.14, align: "right", value: (l) => m(l.credit) },
    { header: "Balance", width: 0.14, align: "right", value: (l) => formatMoney(l.balance, money) },
  ];
  y = drawTable(doc, y, columns, rows, { bold: (r) => r.strong === true });

  y = ensureRoom(doc, y + 4, 60);
  drawTotals(doc, y, [
    { label: `Opening balance (${d(data.period.from)})`, value: formatMoney(data.openingBalance, money) },
    { label: `Closing balance (${d(data.period.until)})`, value: formatMoney(data.closingBalance, money), strong: true },
  ]);

  finish(doc, `${data.shop.name} · Statement ${data.account.accountNumber}`);
  return done;
}
