// Money on screen, the one place it is written and read: amounts arrive as integers in the
// currency's minor units (cents for USD, yen for JPY, fils for KWD; Int or BigInt-as-string) and
// are shown with Intl.NumberFormat in the business's locale and currency ("$1,234.56",
// "1 234,56 €", "¥1,235"), exactly (no float on the way). Parsing turns what a person types
// into minor units; nothing here adds amounts up (totals come from the database).

/** How a business counts and writes money: its currency (ISO 4217), minor units and locale. */
export interface MoneyFormat {
  currency: string;
  /** Digits after the decimal mark (USD 2, JPY 0, KWD 3), from app_public.currencies. */
  minorUnits: number;
  /** BCP 47 locale (en-US, fr-FR); undefined for the browser's. */
  locale?: string;
}

/** Until the business is known (and for businesses created before currencies): US dollars. */
export const DOLLARS: MoneyFormat = { currency: "USD", minorUnits: 2, locale: "en-US" };

/** A currency that is not the business's (a Stripe price): its usual minor units per Intl. */
export function moneyIn(currency: string, locale?: string): MoneyFormat {
  const code = currency.toUpperCase();
  try {
    const minorUnits = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
    return { currency: code, minorUnits, locale };
  } catch {
    return { currency: code, minorUnits: 2, locale };
  }
}

const formatters = new Map<string, Intl.NumberFormat>();
function formatterFor(money: MoneyFormat): Intl.NumberFormat {
  const key = `${money.locale ?? ""}|${money.currency}|${money.minorUnits}`;
  let f = formatters.get(key);
  if (!f) {
    const options: Intl.NumberFormatOptions = {
      style: "currency",
      currency: money.currency,
      currencyDisplay: "narrowSymbol",
      minimumFractionDigits: money.minorUnits,
      maximumFractionDigits: money.minorUnits,
    };
    try {
      f = new Intl.NumberFormat(money.locale, options);
    } catch {
      f = new Intl.NumberFormat(undefined, options); // a locale the browser does not know
    }
    formatters.set(key, f);
  }
  return f;
}

function toBigInt(amount: number | string | bigint): bigint | null {
  try {
    return typeof amount === "bigint" ? amount : BigInt(typeof amount === "number" ? Math.round(amount) : amount.trim());
  } catch {
    return null;
  }
}

/** Minor units as an exact decimal string: 123456 with 2 minor units → "1234.56". */
function decimal(value: bigint, minorUnits: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(minorUnits + 1, "0");
  const units = minorUnits ? `${digits.slice(0, -minorUnits)}.${digits.slice(-minorUnits)}` : digits;
  return `${negative ? "-" : ""}${units}`;
}

/** 123456 (cents) → "$1,234.56"; "–" for no amount. Exact for BigInt totals. */
export function formatMoney(amount: number | string | bigint | null | undefined, money: MoneyFormat): string {
  if (amount == null || amount === "") return "–";
  const value = toBigInt(amount);
  if (value === null) return "–";
  // A decimal string keeps every digit (Intl.NumberFormat reads it exactly).
  return formatterFor(money).format(decimal(value, money.minorUnits) as unknown as number);
}

/** The amount without its currency sign, for fields that show the currency beside them: 1250 → "12.50". */
export function moneyInput(amount: number, money: MoneyFormat): string {
  if (!amount) return "";
  return decimal(BigInt(Math.round(amount)), money.minorUnits);
}

/**
 * What a person types → minor units: "12.5", "12,50", "12" → 1250, 1250, 1200 (USD); "" → 0;
 * anything else (more decimals than the currency has, thousands separators, signs) → null.
 */
export function parseMoney(text: string, money: MoneyFormat): number | null {
  const t = text.trim().replace(",", ".");
  if (t === "") return 0;
  const m = money.minorUnits;
  const pattern = m ? new RegExp(`^(\\d{0,9})(?:\\.(\\d{0,${m}}))?$`) : /^(\d{1,9})$/;
  const match = pattern.exec(t);
  if (!match || (!match[1] && !match[2])) return null;
  const whole = match[1] ? Number(match[1]) : 0;
  const fraction = Number((match[2] ?? "").padEnd(m, "0") || "0");
  return whole * 10 ** m + fraction;
}

/** 1,234.56 of the currency in its minor units (rounded where it has fewer decimals): what a preview shows. */
export const sampleAmount = (money: Pick<MoneyFormat, "minorUnits">) => Math.round(1234.56 * 10 ** money.minorUnits);

/** An amount to show as an example in a field's hint: "3.50" (USD), "3.500" (KWD), "350" (JPY). */
export const exampleAmount = (money: MoneyFormat) => (money.minorUnits ? (3.5).toFixed(money.minorUnits) : "350");

/** The currency's symbol as the business writes it ("$", "€", "¥"), for a field's adornment. */
export function currencySymbol(money: MoneyFormat): string {
  return formatterFor(money).formatToParts(0).find((p) => p.type === "currency")?.value ?? money.currency;
}

/**
 * Quick cash amounts for a bill: the exact amount, then the next round amounts above it (1, 5,
 * 10, 20, 50 and 100 of the currency, or of 100 yen where it has no minor unit), at most four.
 */
export function cashSuggestions(due: number, money: MoneyFormat): number[] {
  const unit = 10 ** Math.max(money.minorUnits, 2);
  const out: number[] = [due];
  for (const step of [1, 5, 10, 20, 50, 100]) {
    const next = Math.ceil(due / (step * unit)) * step * unit;
    if (next > due && !out.includes(next) && out.length < 5) out.push(next);
  }
  return out.sort((a, b) => a - b);
}
