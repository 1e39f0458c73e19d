// The business's money format for the screen that asks: its currency, minor units and locale,
// from the signed-in viewer (one query for the whole admin), and a formatter bound to it.
import { useMemo } from "react";
import { useViewer } from "../shell/ViewerContext.tsx";
import { DOLLARS, formatMoney, type MoneyFormat } from "./money.ts";

export interface Money extends MoneyFormat {
  /** 1250 → "$12.50" in the business's currency and locale. */
  format(amount: number | string | bigint | null | undefined): string;
}

export function useMoney(): Money {
  const tenant = useViewer().tenant;
  const currency = tenant?.currency ?? DOLLARS.currency;
  const minorUnits = tenant?.currencyInfo?.minorUnits ?? DOLLARS.minorUnits;
  const locale = tenant?.locale ?? DOLLARS.locale;
  return useMemo(() => {
    const money: MoneyFormat = { currency, minorUnits, locale };
    return { ...money, format: (amount) => formatMoney(amount, money) };
  }, [currency, minorUnits, locale]);
}
