// The invoice and statement PDFs (worker/documents/*) rendered from plain data and read back as a
// person would read them (pdf-parse): the invoice's number, total and due date as the business
// writes them, its lines, tax per rate and what is due; zero- and three-decimal currencies; a long
// invoice over several pages; VOID on a voided one; a name in a script the built-in font cannot
// write does not break the page; the statement's opening balance, lines and closing balance.
import { describe, expect, it } from "vitest";
import { type InvoiceDocument, renderInvoicePdf } from "../../../worker/documents/invoice-pdf.ts";
import { formatDate, formatMoney } from "../../../worker/documents/layout.ts";
import { renderStatementPdf, type StatementDocument } from "../../../worker/documents/statement-pdf.ts";
import { pdfText } from "./pdf-text.ts";

const shop = { name: "Corner Café", locationName: "Main Street", address: "1 Main Street\nSpringfield, IL 62701" };
const account = { customerName: "Acme Offices Ltd", accountNumber: "CT-2026-00007", address: ["12 Elm Street", "Springfield 62704", "US"] };

function invoice(overrides: Partial<Omit<InvoiceDocument, "invoice">> & { invoice?: Partial<InvoiceDocument["invoice"]> } = {}): InvoiceDocument {
  const { invoice: inv, ...rest } = overrides;
  return {
    shop,
    account,
    money: { currency: "USD", minorUnits: 2, locale: "en-US" },
    invoice: {
      number: "INV-2026-00042",
      issuedOn: "2026-02-01",
      dueOn: "2026-03-03",
      periodStart: "2026-01-01",
      periodEnd: "2026-01-31",
      status: "open",
      netTotal: "114042",
      taxTotal: "9414",
      total: "123456",
      amountPaid: "23456",
      amountDue: "100000",
      ...inv,
    },
    lines: [
      { date: "2026-01-05", description: "Order 01J0ABC — 12 × Coffee", netAmount: 100000, taxRateBps: 825, taxAmount: 8250, amount: 108250 },
      { date: "2026-01-19", description: "Order 01J0XYZ — Croissants", netAmount: 14042, taxRateBps: 825, taxAmount: 1164, amount: 15206 },
    ],
    taxes: [{ taxRateBps: 825, netAmount: 114042, taxAmount: 9414 }],
    paymentTermsDays: 30,
    ...rest,
  };
}

describe("invoice PDF", () => {
  it("is a PDF whose text has the invoice number, the total and the due date as the business writes them", async () => {
    const pdf = await renderInvoicePdf(invoice());
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const { text, pages } = await pdfText(pdf);
    expect(pages).toBe(1);
    expect(text).toContain("INV-2026-00042");
    expect(text).toContain("Total $1,234.56");
    expect(text).toContain("Due Mar 3, 2026");
    // The shop, the account, the lines, the tax per rate, what is paid and due.
    for (const s of ["Corner Café", "Main Street", "Acme Offices Ltd", "CT-2026-00007", "12 Elm Street", "Order 01J0ABC — 12 × Coffee"]) {
      expect(text).toContain(s);
    }
    expect(text).toContain("Jan 5, 2026");
    expect(text).toContain("$1,000.00 8.25% $82.50 $1,082.50");
    expect(text).toContain("Tax total $94.14");
    expect(text).toContain("Amount paid $234.56");
    expect(text).toContain("Amount due $1,000.00");
    expect(text).toContain("Please pay $1,000.00 by Mar 3, 2026");
    expect(text).not.toContain("VOID");
  });

  it("writes zero- and three-decimal currencies with their own digits, in the business's locale", async () => {
    const yen = await pdfText(await renderInvoicePdf(invoice({ money: { currency: "JPY", minorUnits: 0, locale: "ja-JP" } })));
    expect(yen.text).toContain("Total ¥123,456");
    expect(yen.text).toContain("2026/03/03");
    const dinar = await pdfText(await renderInvoicePdf(invoice({ money: { currency: "KWD", minorUnits: 3, locale: "en-US" } })));
    expect(dinar.text).toContain("Total KWD 123.456");
    const euro = await pdfText(await renderInvoicePdf(invoice({ money: { currency: "EUR", minorUnits: 2, locale: "fr-FR" } })));
    expect(euro.text).toContain("Total 1 234,56 €"); // a no-break space, read back as a space
    expect(euro.text).toContain("3 mars 2026");
  });

  it("formats amounts exactly, and falls back to the code or ISO dates where the font has no glyph", () => {
    // (Intl separates with no-break spaces: compared as plain spaces.)
    const money = (amount: number | string, currency: string, minorUnits: number, locale: string) =>
      formatMoney(amount, { currency, minorUnits, locale }).replace(/\u00a0/g, " ");
    expect(money("900719925474099312", "USD", 2, "en-US")).toBe("$9,007,199,254,740,993.12");
    expect(money(-1235, "KWD", 3, "en-US")).toBe("-KWD 1.235");
    expect(money(5, "JPY", 0, "en-US")).toBe("¥5");
    expect(money(123456, "INR", 2, "en-IN")).toBe("INR 1,234.56"); // no ₹ in Helvetica
    expect(money(123456, "RUB", 2, "ru-RU")).toBe("1 234,56 RUB");
    expect(money(1235, "KWD", 3, "ar-KW")).toBe("1.235 KWD"); // Latin digits, no bidi marks
    expect(formatDate("2026-03-03", "ru-RU")).toBe("03.03.2026"); // Cyrillic month names: numeric
    expect(formatDate("2026-03-03", "en-GB")).toBe("3 Mar 2026");
  });

  it("runs over as many pages as its lines take, with the totals after the last line", async () => {
    const lines = Array.from({ length: 80 }, (_, i) => ({
      date: "2026-01-05",
      description: `Order ${String(i + 1).padStart(3, "0")} — coffee and pastries for the office meeting`,
      netAmount: 1000,
      taxRateBps: 825,
      taxAmount: 83,
      amount: 1083,
    }));
    const { text, pages } = await pdfText(await renderInvoicePdf(invoice({ lines, invoice: { total: "86640", netTotal: "80000", taxTotal: "6640" } })));
    expect(pages).toBeGreaterThan(2);
    expect(text).toContain("Page 1 of " + pages);
    expect(text.indexOf("Order 080")).toBeGreaterThan(text.indexOf("Order 001"));
    expect(text.indexOf("Total $866.40")).toBeGreaterThan(text.indexOf("Order 080"));
    // The table's header again on the next page.
    expect(text.split("Date Description Net Tax rate Tax Amount").length - 1).toBeGreaterThanOrEqual(pages);
  });

  it("says VOID, with the reason, on a voided invoice", async () => {
    const { text } = await pdfText(
      await renderInvoicePdf(invoice({ invoice: { status: "void", voidReason: "Billed to the wrong account", amountPaid: "0", amountDue: "0" } })),
    );
    expect(text).toContain("INVOICE (VOID)");
    expect(text).toContain("VOID — this invoice was cancelled: Billed to the wrong account");
    expect(text).not.toContain("Please pay");
  });

  it("writes a name in a script the built-in font lacks as question marks, and the rest of the page as usual", async () => {
    const { text } = await pdfText(await renderInvoicePdf(invoice({ account: { ...account, customerName: "山田商店 Yamada" } })));
    expect(text).toContain("???? Yamada");
    expect(text).toContain("CT-2026-00007");
    expect(text).toContain("Total $1,234.56");
  });
});

describe("statement PDF", () => {
  const statement: StatementDocument = {
    shop,
    account,
    money: { currency: "USD", minorUnits: 2, locale: "en-US" },
    period: { from: "2026-01-01", until: "2026-01-31" },
    issuedOn: "2026-02-02",
    openingBalance: "5000",
    closingBalance: "20206",
    lines: [
      { date: "2026-01-05", kind: "sale", reference: "Order 01J0ABC", debit: "108250", credit: null, balance: "113250" },
      { date: "2026-01-19", kind: "sale", reference: "Order 01J0XYZ", debit: "15206", credit: null, balance: "128456" },
      { date: "2026-01-25", kind: "payment", reference: "Bank ref 7781", description: "Bank transfer", debit: null, credit: "108250", balance: "20206" },
    ],
  };

  it("has the period, the opening balance, each line with its running balance and the closing balance", async () => {
    const { text, pages } = await pdfText(await renderStatementPdf(statement));
    expect(pages).toBe(1);
    expect(text).toContain("STATEMENT");
    expect(text).toContain("From Jan 1, 2026");
    expect(text).toContain("Until Jan 31, 2026");
    expect(text).toContain("Jan 1, 2026 Opening balance $50.00");
    expect(text).toContain("Jan 5, 2026 Sale Order 01J0ABC $1,082.50 $1,132.50");
    expect(text).toContain("Jan 25, 2026 Bank transfer Bank ref 7781 $1,082.50 $202.06");
    expect(text).toContain("Jan 31, 2026 Closing balance $202.06");
    expect(text.indexOf("Opening balance")).toBeLessThan(text.indexOf("Order 01J0ABC"));
    expect(text.indexOf("Order 01J0XYZ")).toBeLessThan(text.indexOf("Bank ref 7781"));
  });

  it("shows a credit balance (the business owes the customer) with its sign", async () => {
    const { text } = await pdfText(await renderStatementPdf({ ...statement, openingBalance: 0, closingBalance: "-1500", lines: [{ date: "2026-01-10", kind: "credit_note", reference: "Order 01J0R", credit: 1500, balance: -1500 }] }));
    expect(text).toContain("Credit note Order 01J0R $15.00 -$15.00");
    expect(text).toContain("Closing balance -$15.00");
  });
});
