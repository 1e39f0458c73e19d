// An account invoice as a PDF (issue 18): a pure function from the invoice's data (what
// app_private.invoice_document_data returns, migrations/fixtures/accounts/750-documents.sql) to the
// bytes, rendered with pdfkit in the worker (worker/tasks/render-account-document.ts).
//
// Why pdfkit: a maintained, plain-JavaScript PDF writer with no browser or native code (React-PDF
// brings React and a layout engine; a headless Chromium is hundreds of MB for one table); it
// writes text as text, so the PDF is searchable and a test can read it back (pdf-parse).
//
// The page: the shop (name, first location, receipt address) and the invoice's number, issue and
// due dates and period at the top; the account (customer, account number, billing address); one
// line per sale or credit note (date, description, net, tax rate, tax, amount); the tax per rate;
// the totals, what payments cover and what is due. A voided invoice says VOID across every page,
// with the reason. Amounts arrive in minor units and are written in the business's locale and
// currency (layout.ts: zero- and three-decimal currencies too). Fonts: see layout.ts (built-in
// Helvetica; no non-Latin scripts).
import {
  type AccountHeader,
  type Amount,
  type Column,
  CONTENT_WIDTH,
  type MoneyFormat,
  PAGE,
  type ShopHeader,
  GREY,
  drawHeader,
  drawHeading,
  drawTable,
  drawTotals,
  ensureRoom,
  finish,
  formatDate,
  formatMoney,
  formatRate,
  newDocument,
  pdfText,
  stampVoid,
} from "./layout.ts";

export interface InvoiceLine {
  /** The business date of the sale or credit note (YYYY-MM-DD). */
  date: string;
  description: string;
  netAmount: Amount;
  taxRateBps: number | null;
  taxAmount: Amount;
  amount: Amount;
}

export interface InvoiceTax {
  taxRateBps: number | null;
  netAmount: Amount;
  taxAmount: Amount;
}

export interface InvoiceDocument {
  shop: ShopHeader;
  money: MoneyFormat;
  account: AccountHeader;
  invoice: {
    number: string;
    issuedOn: string;
    dueOn: string;
    periodStart: string;
    periodEnd: string;
    /** open, paid or void. */
    status: string;
    voidReason?: string | null;
    netTotal: Amount;
    taxTotal: Amount;
    total: Amount;
    amountPaid: Amount;
    /** What is still owed: total − amount paid (0 when void). */
    amountDue: Amount;
  };
  lines: InvoiceLine[];
  taxes: InvoiceTax[];
  /** The payment terms in days, said under the totals. */
  paymentTermsDays?: number | null;
}

/** The invoice as PDF bytes (A4). */
export async function renderInvoicePdf(data: InvoiceDocument): Promise<Buffer> {
  const { money, invoice } = data;
  const locale = money.locale;
  const m = (a: Amount) => formatMoney(a, money);
  const d = (date: string) => formatDate(date, locale);
  const isVoid = invoice.status === "void";

  const { doc, done } = newDocument(`Invoice ${invoice.number}`);
  let y = drawHeader(
    doc,
    data.shop,
    isVoid ? "INVOICE (VOID)" : "INVOICE",
    [
      ["Invoice number", invoice.number],
      ["Issued", d(invoice.issuedOn)],
      ["Due", d(invoice.dueOn)],
      ["Period", invoice.periodStart === invoice.periodEnd ? d(invoice.periodStart) : `${d(invoice.periodStart)} – ${d(invoice.periodEnd)}`],
    ],
    data.account,
  );

  if (isVoid) {
    doc.font("Helvetica-Bold").fontSize(11).fillColor("#cc0000");
    doc.text(`VOID — this invoice was cancelled${invoice.voidReason ? `: ${pdfText(invoice.voidReason)}` : "."}`, PAGE.margin, y, {
      width: CONTENT_WIDTH,
    });
    doc.font("Helvetica").fontSize(9).fillColor(GREY).text("Nothing is owed on it; its sales appear on a later invoice.", { width: CONTENT_WIDTH });
    doc.fillColor("black");
    y = doc.y + 14;
  }

  const columns: Column<InvoiceLine>[] = [
    { header: "Date", width: 0.14, value: (l) => d(l.date) },
    { header: "Description", width: 0.34, value: (l) => l.description },
    { header: "Net", width: 0.14, align: "right", value: (l) => m(l.netAmount) },
    { header: "Tax rate", width: 0.1, align: "right", value: (l) => formatRate(l.taxRateBps, locale) },
    { header: "Tax", width: 0.13, align: "right", value: (l) => m(l.taxAmount) },
    { header: "Amount", width: 0.15, align: "right", value: (l) => m(l.amount) },
  ];
  y = drawTable(doc, y, columns, data.lines);

  if (data.taxes.length > 0) {
    y = drawHeading(doc, y + 4, "Tax by rate");
    y = drawTable(
      doc,
      y,
      [
        { header: "Rate", width: 0.2, value: (t: InvoiceTax) => formatRate(t.taxRateBps, locale) },
        { header: "Net", width: 0.4, align: "right", value: (t: InvoiceTax) => m(t.netAmount) },
        { header: "Tax", width: 0.4, align: "right", value: (t: InvoiceTax) => m(t.taxAmount) },
      ],
      data.taxes,
    );
  }

  y = ensureRoom(doc, y + 4, 110);
  y = drawTotals(doc, y, [
    { label: "Net total", value: m(invoice.netTotal) },
    { label: "Tax total", value: m(invoice.taxTotal) },
    { label: "Total", value: m(invoice.total), strong: true },
    { label: "Amount paid", value: m(invoice.amountPaid) },
    { label: isVoid ? "Amount due (void)" : "Amount due", value: m(invoice.amountDue), strong: true },
  ]);

  if (!isVoid) {
    y = ensureRoom(doc, y + 10, 30);
    const terms = data.paymentTermsDays != null ? ` (payment terms: ${data.paymentTermsDays} days)` : "";
    doc.font("Helvetica").fontSize(9).fillColor(GREY);
    doc.text(
      invoice.status === "paid" ? "Paid in full. Thank you." : `Please pay ${m(invoice.amountDue)} by ${d(invoice.dueOn)}${terms}, quoting ${invoice.number}.`,
      PAGE.margin,
      y,
      { width: CONTENT_WIDTH },
    );
    doc.fillColor("black");
  }

  if (isVoid) stampVoid(doc);
  finish(doc, `${data.shop.name} · Invoice ${invoice.number}`);
  return done;
}
