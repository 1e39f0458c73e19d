// Selling on account at the till (issue 18): a customer with an open account may take the whole
// amount due "on account", to pay later against their invoice. The database decides (recordTender
// with type "account" refuses over the credit limit, CRLIM; a suspended or inactive account,
// ACSUS; no account, NOACC); the till only offers the method when the customer has an active
// account (accountAvailableCredit, readable with sales.sell, is null for no account or one that
// is not active), and says how a sale on account reads on the receipt and when it is given back.

/** The customer fields the till reads to offer "On account". */
export interface TillAccount {
  accountStatus: string;
  accountAvailableCredit: string | null;
}

/** Whether the till offers "On account" for this customer (null: a walk-in). */
export const offersAccount = (customer: TillAccount | null | undefined): boolean =>
  customer != null && customer.accountAvailableCredit != null;

/** How a tender on account reads on a receipt: with the account's number (null only if it could not be read). */
export const accountTenderLabel = (accountNumber: string | null | undefined): string =>
  accountNumber ? `Charged to account ${accountNumber}` : "On account";

/** The codes of the database's refusals of a sale on account (db/ERRORS.md). */
export const ACCOUNT_REFUSALS = ["CRLIM", "ACSUS", "NOACC"];
