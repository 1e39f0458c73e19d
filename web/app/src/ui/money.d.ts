/** How a business counts and writes money: its currency (ISO 4217), minor units and locale. */
export interface MoneyFormat {
    currency: string;
    /** Digits after the decimal mark (USD 2, JPY 0, KWD 3), from app_public.currencies. */
    minorUnits: number;
    /** BCP 47 locale (en-US, fr-FR); undefined for the browser's. */
    locale?: string;
}
/** Until the business is known (and for businesses created before currencies): US dollars. */
export declare const DOLLARS: MoneyFormat;
/** A currency that is not the business's (a Stripe price): its usual minor units per Intl. */
export declare function moneyIn(currency: string, locale?: string): MoneyFormat;
/** 123456 (cents) → "$1,234.56"; "–" for no amount. Exact for BigInt totals. */
export declare function formatMoney(amount: number | string | bigint | null | undefined, money: MoneyFormat): string;
/** The amount without its currency sign, for fields that show the currency beside them: 1250 → "12.50". */
export declare function moneyInput(amount: number, money: MoneyFormat): string;
/**
 * What a person types → minor units: "12.5", "12,50", "12" → 1250, 1250, 1200 (USD); "" → 0;
 * anything else (more decimals than the currency has, thousands separators, signs) → null.
 */
export declare function parseMoney(text: string, money: MoneyFormat): number | null;
/** 1,234.56 of the currency in its minor units (rounded where it has fewer decimals): what a preview shows. */
export declare const sampleAmount: (money: Pick<MoneyFormat, "minorUnits">) => number;
/** An amount to show as an example in a field's hint: "3.50" (USD), "3.500" (KWD), "350" (JPY). */
export declare const exampleAmount: (money: MoneyFormat) => string;
/** The currency's symbol as the business writes it ("$", "€", "¥"), for a field's adornment. */
export declare function currencySymbol(money: MoneyFormat): string;
/**
 * Quick cash amounts for a bill: the exact amount, then the next round amounts above it (1, 5,
 * 10, 20, 50 and 100 of the currency, or of 100 yen where it has no minor unit), at most four.
 */
export declare function cashSuggestions(due: number, money: MoneyFormat): number[];
