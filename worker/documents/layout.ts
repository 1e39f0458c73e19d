// What the account documents (invoice-pdf.ts, statement-pdf.ts) share: the business's money and
// dates written as its locale writes them, the page (A4, margins, the shop and the account at the
// top, a footer with page numbers) and a table that breaks across pages with its header repeated.
//
// Fonts: pdfkit's built-in Helvetica and Helvetica-Bold only (no font file to ship or license, and
// the PDF stays small). They are the 14 standard PDF fonts, encoded as WinAnsi (Latin-1 and a few
// more: € „ … – — ™ Š Ž œ Ÿ): they do NOT cover non-Latin scripts (Cyrillic, Greek, Arabic,
// Hebrew, CJK, Thai…), and pdfkit would print wrong glyphs for those. So every text goes through
// `pdfText`, which writes what the font cannot as "?" (a name in Japanese shows as question
// marks, the account number beside it stays readable), and money and dates are written with
// Latin digits, falling back to the currency code and ISO dates where the locale's words or
// symbols are outside the font. A business writing in such a script needs an embedded Unicode
// font (e.g. Noto Sans) registered here with doc.registerFont: that is the one place to change.
import PDFDocument from "pdfkit";

/** How the business writes money: its currency (ISO 4217), digits after the decimal mark (USD 2, JPY 0, KWD 3), locale (BCP 47). */
export interface MoneyFormat {
  currency: string;
  minorUnits: number;
  locale: string;
}

/** An amount in minor units: a number (JSON) or a string (bigint from the database). */
export type Amount = number | string;

/** The shop at the top of a document: the business's name, its first location and the address on its receipts. */
export interface ShopHeader {
  name: string;
  locationName?: string | null;
  /** The address printed on receipts (tenants.receipt_address), one or more lines. */
  address?: string | null;
}

/** Who the document is for. */
export interface AccountHeader {
  customerName: string;
  accountNumber: string;
  /** The billing address (else the default address), as lines; null when the customer has none. */
  address?: string[] | null;
  taxId?: string | null;
}

// ---------------------------------------------------------------------------------------------
// Text the built-in fonts can write

// WinAnsiEncoding's characters beyond Latin-1 (0x80–0x9F).
const WIN_ANSI_EXTRA = new Set("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ");

function encodable(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  return (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || WIN_ANSI_EXTRA.has(ch) || ch === "\n";
}

/** Whether every character of the text is in the built-in fonts (after pdfText's space mapping). */
export function fitsFont(text: string): boolean {
  for (const ch of normalizeSpaces(text)) if (!encodable(ch)) return false;
  return true;
}

// Intl writes narrow and thin no-break spaces (fr-FR "1 234,56 €"), the font has the plain one;
// tabs and other line breaks are spaces on paper; invisible marks (bidi marks Intl puts around
// amounts in ar-KW, zero-width spaces) go; ja-JP's full-width yen sign is the yen sign.
function normalizeSpaces(text: string): string {
  return text
    .replace(/[\u202f\u2007\u2009\u200a]/g, "\u00a0")
    .replace(/[\t\r\v\f\u2028\u2029]/g, " ")
    .replace(/[\u200b-\u200f\u061c\u2060\u2066-\u2069\ufeff]/g, "")
    .replace(/\uffe5/g, "\u00a5");
}

/** The text as the built-in fonts can write it: unknown characters (non-Latin scripts, emoji) become "?". */
export function pdfText(text: string | null | undefined): string {
  if (!text) return "";
  let out = "";
  for (const ch of normalizeSpaces(text.normalize("NFC"))) out += encodable(ch) ? ch : "?";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Money and dates

/** Minor units as an exact decimal string: 123456 with 2 minor units → "1234.56"; 1235 with 0 → "1235"; 1235 with 3 → "1.235". */
export function decimalOf(amount: Amount, minorUnits: number): string {
  const value = BigInt(typeof amount === "number" ? Math.round(amount) : amount.trim());
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(minorUnits + 1, "0");
  const units = minorUnits ? `${digits.slice(0, -minorUnits)}.${digits.slice(-minorUnits)}` : digits;
  return `${negative ? "-" : ""}${units}`;
}

const moneyFormatters = new Map<string, Intl.NumberFormat>();

function moneyFormatter(money: MoneyFormat, display: "narrowSymbol" | "code"): Intl.NumberFormat {
  const key = `${money.locale}|${money.currency}|${money.minorUnits}|${display}`;
  let f = moneyFormatters.get(key);
  if (!f) {
    const options: Intl.NumberFormatOptions = {
      style: "currency",
      currency: money.currency,
      currencyDisplay: display,
      minimumFractionDigits: money.minorUnits,
      maximumFractionDigits: money.minorUnits,
      numberingSystem: "latn",
    };
    try {
      f = new Intl.NumberFormat(money.locale, options);
    } catch {
      f = new Intl.NumberFormat("en-US", options); // a locale this Node does not know
    }
    moneyFormatters.set(key, f);
  }
  return f;
}

/**
 * An amount in minor units written with its currency in the business's locale: 123456 USD en-US →
 * "$1,234.56", 1235 JPY → "¥1,235", 1235 KWD → "KWD 1.235", fr-FR EUR → "1 234,56 €". Exact (the
 * decimal string goes to Intl, never a float). Where the currency's symbol is not in the built-in
 * fonts (₹, ₩, ₺…) the code is written instead.
 */
export function formatMoney(amount: Amount, money: MoneyFormat): string {
  const decimal = decimalOf(amount, money.minorUnits) as unknown as number; // Intl reads decimal strings exactly
  const text = moneyFormatter(money, "narrowSymbol").format(decimal);
  return fitsFont(text) ? pdfText(text) : pdfText(moneyFormatter(money, "code").format(decimal));
}

/** A tax rate in basis points as a percentage: 2000 → "20%", 825 → "8.25%", null → "–". */
export function formatRate(bps: number | null | undefined, locale: string): string {
  if (bps == null) return "–";
  let f: Intl.NumberFormat;
  try {
    f = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 3, numberingSystem: "latn" });
  } catch {
    f = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 3 });
  }
  return pdfText(f.format(bps / 10000));
}

/**
 * A calendar date (YYYY-MM-DD) as the locale writes it: "Jan 31, 2026" (en-US), "31 janv. 2026"
 * (fr-FR), "31.01.2026" (de-DE medium). Month names the font cannot write (ru, el, ja…) fall
 * back to the locale's numeric form, then to the ISO date.
 */
export function formatDate(date: string, locale: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!m) return pdfText(date);
  const at = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  for (const dateStyle of ["medium", "short"] as const) {
    try {
      const text = new Intl.DateTimeFormat(locale, { dateStyle, timeZone: "UTC", numberingSystem: "latn" }).format(at);
      if (fitsFont(text)) return pdfText(text);
    } catch {
      break;
    }
  }
  return `${m[1]}-${m[2]}-${m[3]}`;
}

// ---------------------------------------------------------------------------------------------
// The page

export const PAGE = { size: "A4" as const, margin: 50, width: 595.28, height: 841.89 };
export const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
const BOTTOM = PAGE.height - PAGE.margin - 20; // room for the footer
export const GREY = "#555555";
export const RULE = "#bbbbbb";

export type Doc = PDFKit.PDFDocument;

/** A new A4 document with its title, and its bytes once ended. */
export function newDocument(title: string): { doc: Doc; done: Promise<Buffer> } {
  const doc = new PDFDocument({
    size: PAGE.size,
    margin: PAGE.margin,
    bufferPages: true, // the footer writes "Page n of m" once every page exists
    info: { Title: pdfText(title), Producer: "Backoffice", Creator: "Backoffice" },
    font: "Helvetica",
  });
  const parts: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("data", (part: Buffer) => parts.push(part));
    doc.on("end", () => resolve(Buffer.concat(parts)));
    doc.on("error", reject);
  });
  return { doc, done };
}

/** Ends the document: a footer on every page (the document's name and "Page n of m"). */
export function finish(doc: Doc, footer: string): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Written below the bottom margin: without this pdfkit would open a new page for it.
    const margin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font("Helvetica").fontSize(8).fillColor(GREY);
    doc.text(pdfText(footer), PAGE.margin, PAGE.height - PAGE.margin + 10, { width: CONTENT_WIDTH / 2, lineBreak: false });
    doc.text(`Page ${i - range.start + 1} of ${range.count}`, PAGE.margin + CONTENT_WIDTH / 2, PAGE.height - PAGE.margin + 10, {
      width: CONTENT_WIDTH / 2,
      align: "right",
      lineBreak: false,
    });
    doc.page.margins.bottom = margin;
  }
  doc.fillColor("black");
  doc.end();
}

/**
 * The top of the first page: the shop on the left, the document's title and its facts (label,
 * value) on the right, then who it is for. Returns the y below it.
 */
export function drawHeader(doc: Doc, shop: ShopHeader, title: string, facts: [string, string][], account: AccountHeader): number {
  const left = PAGE.margin;
  const top = PAGE.margin;
  const half = CONTENT_WIDTH / 2;

  doc.font("Helvetica-Bold").fontSize(16).fillColor("black").text(pdfText(shop.name), left, top, { width: half - 10 });
  doc.font("Helvetica").fontSize(9).fillColor(GREY);
  if (shop.locationName) doc.text(pdfText(shop.locationName), { width: half - 10 });
  if (shop.address) doc.text(pdfText(shop.address), { width: half - 10 });
  const leftBottom = doc.y;

  const right = left + half;
  doc.font("Helvetica-Bold").fontSize(20).fillColor("black").text(pdfText(title), right, top, { width: half, align: "right" });
  doc.moveDown(0.3);
  doc.fontSize(9);
  for (const [label, value] of facts) {
    const y = doc.y;
    doc.font("Helvetica").fillColor(GREY).text(pdfText(label), right, y, { width: half * 0.45 });
    doc.font("Helvetica-Bold").fillColor("black").text(pdfText(value), right + half * 0.45, y, { width: half * 0.55, align: "right" });
  }
  const rightBottom = doc.y;

  let y = Math.max(leftBottom, rightBottom) + 20;
  doc.font("Helvetica").fontSize(8).fillColor(GREY).text("BILL TO", left, y);
  doc.font("Helvetica-Bold").fontSize(11).fillColor("black").text(pdfText(account.customerName), left, doc.y + 2, { width: half });
  doc.font("Helvetica").fontSize(9);
  doc.text(`Account ${pdfText(account.accountNumber)}`, { width: half });
  for (const line of account.address ?? []) doc.text(pdfText(line), { width: half });
  if (account.taxId) doc.text(`Tax ID ${pdfText(account.taxId)}`, { width: half });
  y = doc.y + 18;
  doc.fillColor("black");
  return y;
}

// ---------------------------------------------------------------------------------------------
// Tables

export interface Column<Row> {
  header: string;
  /** Share of the content width. */
  width: number;
  align?: "left" | "right";
  value: (row: Row) => string;
}

const CELL_PAD = 4;

/** Draws rows as a table from y, on as many pages as it takes (the header repeated on each). Returns the y below it. */
export function drawTable<Row>(doc: Doc, y: number, columns: Column<Row>[], rows: Row[], options: { bold?: (row: Row) => boolean } = {}): number {
  const widths = columns.map((c) => c.width * CONTENT_WIDTH);
  const xs = widths.map((_, i) => PAGE.margin + widths.slice(0, i).reduce((a, b) => a + b, 0));

  const header = (at: number) => {
    doc.font("Helvetica-Bold").fontSize(8).fillColor(GREY);
    const h = Math.max(...columns.map((c, i) => doc.heightOfString(pdfText(c.header), { width: widths[i] - 2 * CELL_PAD })));
    columns.forEach((c, i) => doc.text(pdfText(c.header), xs[i] + CELL_PAD, at, { width: widths[i] - 2 * CELL_PAD, align: c.align ?? "left" }));
    const below = at + h + 4;
    doc.moveTo(PAGE.margin, below).lineTo(PAGE.margin + CONTENT_WIDTH, below).lineWidth(0.8).strokeColor(RULE).stroke();
    return below + 5;
  };

  y = header(y);
  for (const row of rows) {
    const bold = options.bold?.(row) ?? false;
    doc.font(bold ? "Helvetica-Bold" : "Helvetica").fontSize(9).fillColor("black");
    const cells = columns.map((c) => pdfText(c.value(row)));
    const h = Math.max(...cells.map((text, i) => doc.heightOfString(text || " ", { width: widths[i] - 2 * CELL_PAD })));
    if (y + h > BOTTOM) {
      doc.addPage();
      y = header(PAGE.margin);
      doc.font(bold ? "Helvetica-Bold" : "Helvetica").fontSize(9).fillColor("black");
    }
    cells.forEach((text, i) => doc.text(text, xs[i] + CELL_PAD, y, { width: widths[i] - 2 * CELL_PAD, align: columns[i].align ?? "left" }));
    y += h + 5;
  }
  doc.moveTo(PAGE.margin, y - 2).lineTo(PAGE.margin + CONTENT_WIDTH, y - 2).lineWidth(0.5).strokeColor(RULE).stroke();
  return y + 6;
}

/** Label and value pairs right-aligned under a table (totals). The emphasised ones in bold. Returns the y below. */
export function drawTotals(doc: Doc, y: number, rows: { label: string; value: string; strong?: boolean }[]): number {
  const width = CONTENT_WIDTH * 0.6;
  const x = PAGE.margin + CONTENT_WIDTH - width;
  const labelWidth = width * 0.6 - 8;
  const valueWidth = width * 0.4;
  for (const row of rows) {
    doc.font(row.strong ? "Helvetica-Bold" : "Helvetica").fontSize(row.strong ? 11 : 9).fillColor("black");
    const label = pdfText(row.label);
    const value = pdfText(row.value);
    const h = Math.max(doc.heightOfString(label, { width: labelWidth }), doc.heightOfString(value, { width: valueWidth }));
    if (y + h > BOTTOM) {
      doc.addPage();
      y = PAGE.margin;
      doc.font(row.strong ? "Helvetica-Bold" : "Helvetica").fontSize(row.strong ? 11 : 9).fillColor("black");
    }
    doc.text(label, x, y, { width: labelWidth });
    doc.text(value, x + width - valueWidth, y, { width: valueWidth, align: "right" });
    y += h + 4;
  }
  return y;
}

/** A heading of a section, on a new page when too little room is left. Returns the y below it. */
export function drawHeading(doc: Doc, y: number, text: string): number {
  if (y + 60 > BOTTOM) {
    doc.addPage();
    y = PAGE.margin;
  }
  doc.font("Helvetica-Bold").fontSize(10).fillColor("black").text(pdfText(text), PAGE.margin, y);
  return doc.y + 6;
}

/** Room for `height` points at y, else a new page. Returns where to write. */
export function ensureRoom(doc: Doc, y: number, height: number): number {
  if (y + height <= BOTTOM) return y;
  doc.addPage();
  return PAGE.margin;
}

/** A large diagonal "VOID" across every page so far (a voided invoice re-rendered). */
export function stampVoid(doc: Doc): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    doc.save();
    doc.rotate(-35, { origin: [PAGE.width / 2, PAGE.height / 2] });
    doc.font("Helvetica-Bold").fontSize(120).fillColor("#cc0000").fillOpacity(0.18);
    const margin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.text("VOID", 0, PAGE.height / 2 - 60, { width: PAGE.width, align: "center", lineBreak: false });
    doc.page.margins.bottom = margin;
    doc.restore();
  }
  doc.fillOpacity(1).fillColor("black");
}
