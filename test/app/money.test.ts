// The admin's one money helper (web/app/src/ui/money.ts): amounts in a currency's minor units
// written in the business's locale and currency, exactly, and what people type read back.
import { describe, expect, it } from "vitest";
import { cashSuggestions, currencySymbol, exampleAmount, formatMoney, moneyIn, parseMoney } from "../../web/app/src/ui/money.ts";

const usd = { currency: "USD", minorUnits: 2, locale: "en-US" };
const eur = { currency: "EUR", minorUnits: 2, locale: "fr-FR" };
const jpy = { currency: "JPY", minorUnits: 0, locale: "en-US" };
const kwd = { currency: "KWD", minorUnits: 3, locale: "en-US" };
/** Intl separates with narrow no-break spaces in French; the test reads them as spaces. */
const spaced = (s: string) => s.replace(/[\u202f\u00a0]/g, " ");

describe("formatMoney", () => {
  it("writes minor units in the currency and locale: dollars, euros in French, yen without decimals, dinars with three", () => {
    expect(formatMoney(123456, usd)).toBe("$1,234.56");
    expect(spaced(formatMoney(123456, eur))).toBe("1 234,56 €");
    expect(formatMoney(1235, jpy)).toBe("¥1,235");
    expect(spaced(formatMoney(1235, kwd))).toBe("KWD 1.235");
    expect(formatMoney(5, usd)).toBe("$0.05");
    expect(formatMoney("-918", usd)).toBe("-$9.18");
  });

  it("is exact for BigInt totals beyond a float's 15 digits, and says – for no amount", () => {
    expect(formatMoney("123456789012345678", usd)).toBe("$1,234,567,890,123,456.78");
    expect(formatMoney(123456789012345678n, jpy)).toBe("¥123,456,789,012,345,678");
    expect([formatMoney(null, usd), formatMoney(undefined, usd), formatMoney("", usd), formatMoney("twelve", usd)]).toEqual(["–", "–", "–", "–"]);
  });

  it("falls back to the browser's locale for a locale it does not know, keeping the currency", () => {
    expect(formatMoney(1235, { currency: "USD", minorUnits: 2, locale: "not a locale!" })).toMatch(/^(US)?\$12\.35$|12,35/);
  });

  it("writes a Stripe price in its own currency with that currency's usual decimals", () => {
    expect(formatMoney(7900, moneyIn("usd", "en-US"))).toBe("$79.00");
    expect(formatMoney(7900, moneyIn("jpy", "en-US"))).toBe("¥7,900");
  });
});

describe("parseMoney", () => {
  it("reads what people type into minor units, with a dot or a comma, up to the currency's decimals", () => {
    expect([parseMoney("12.5", usd), parseMoney("12,50", usd), parseMoney(" 12 ", usd), parseMoney(".5", usd), parseMoney("", usd)]).toEqual([1250, 1250, 1200, 50, 0]);
    expect([parseMoney("350", jpy), parseMoney("1.235", kwd), parseMoney("1.2", kwd)]).toEqual([350, 1235, 1200]);
  });

  it("refuses more decimals than the currency has, thousands separators, signs and words", () => {
    expect([parseMoney("12.505", usd), parseMoney("12.5", jpy), parseMoney("1,234.56", usd), parseMoney("-3", usd), parseMoney("ten", usd), parseMoney(".", usd)]).toEqual([
      null, null, null, null, null, null,
    ]);
  });
});

describe("around the amount fields", () => {
  it("gives the currency's sign and an example amount in its decimals", () => {
    expect([currencySymbol(usd), currencySymbol(eur), currencySymbol(jpy)]).toEqual(["$", "€", "¥"]);
    expect([exampleAmount(usd), exampleAmount(jpy), exampleAmount(kwd)]).toEqual(["3.50", "350", "3.500"]);
  });

  it("suggests the exact amount then round cash amounts above it: whole dollars, hundreds of yen", () => {
    expect(cashSuggestions(918, usd)).toEqual([918, 1000, 2000, 5000, 10000]);
    expect(cashSuggestions(2000, usd)).toEqual([2000, 5000, 10000]);
    expect(cashSuggestions(1230, jpy)).toEqual([1230, 1300, 1500, 2000, 5000]);
    expect(cashSuggestions(7250, kwd)).toEqual([7250, 8000, 10000, 20000, 50000]);
  });
});
