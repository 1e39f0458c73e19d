// The types an account's commands return or change: a query that shows any of them is asked again
// after any command (urql's document cache invalidates by type, even when a list was empty).
export const ACCOUNT_TYPENAMES = [
  "Customer",
  "CustomerAccount",
  "AccountInvoice",
  "AccountPayment",
  "AccountSuspension",
  "AccountAction",
  "AccountEntry",
];

export const ACCOUNT_CONTEXT = { additionalTypenames: ACCOUNT_TYPENAMES };

/** How often a PDF the worker is writing (an invoice's, a statement) is asked about again. */
export const POLL_MS = 1500;
