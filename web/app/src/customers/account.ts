// A company account's terms as the profile and the POS show them (the account itself is
// web/app/src/accounts/): the credit limit in the account's currency — the business's
// format from useMoney(), or that currency's when the account has another — and the payment terms.
import { useCallback } from "react";
import { formatMoney, moneyIn, parseMoney, type MoneyFormat } from "../ui/money.ts";
import { useMoney } from "../ui/useMoney.ts";

/** The money format of an account's currency (the business's when it is the same or not set). */
export function useAccountMoney(): (currency: string | null | undefined) => MoneyFormat {
  const money = useMoney();
  return useCallback(
    (currency) => (currency && currency !== money.currency ? moneyIn(currency, money.locale) : money),
    [money],
  );
}

/** "$5,000.00" for a credit limit in cents of the account's currency; null when there is none. */
export function useCreditLimit(): (cents: string | number | null | undefined, currency: string | null | undefined) => string | null {
  const formatOf = useAccountMoney();
  return useCallback((cents, currency) => (cents == null ? null : formatMoney(cents, formatOf(currency))), [formatOf]);
}

/** "Net 30 days", "Due on receipt"; null when no terms are set. */
export function paymentTerms(days: number | null | undefined): string | null {
  if (days == null) return null;
  return days === 0 ? "Due on receipt" : `Net ${days} day${days === 1 ? "" : "s"}`;
}

/** An amount typed in the account's currency as cents; null for blank, undefined when it does not read as money. */
export function parseLimit(text: string, money: MoneyFormat): number | null | undefined {
  if (!text.trim()) return null;
  return parseMoney(text, money) ?? undefined;
}

export const ACCOUNT_STATUSES = [
  { value: "active", label: "Active" },
  { value: "inactive", label: "Inactive" },
  { value: "suspended", label: "Suspended" },
] as const;
