// Every error code we raise on purpose, with the HTTP status the plain routes answer it with
// and what it means: the one source of both. The server takes statuses from here
// (httpStatusFor), and db/ERRORS.md is written from here (`npm run docs:errors`); a test fails
// when the two disagree, or when SQL or the server raises a code that is not listed.

export interface ErrorCode {
  code: string;
  /** HTTP status on the plain routes; a note instead of a number where it depends. */
  http: number | string;
  meaning: string;
}

export interface ErrorSection {
  title: string;
  /** Markdown shown above the section's table (the shared codes it also raises). */
  intro?: string;
  codes: ErrorCode[];
}

export const ERROR_SECTIONS: ErrorSection[] = [
  {
    title: "Platform and identity",
    codes: [
      { code: "BADIN", http: 400, meaning: "Invalid input: a required value is missing, too long, or malformed (the message names the field). Also PostgreSQL check, not-null, format and range errors." },
      { code: "BADEM", http: 400, meaning: "Not a valid email address." },
      { code: "WEAKP", http: 400, meaning: "Password too weak: at least 10 characters, letters plus a digit or symbol, at most 72 bytes, not a well-known password." },
      { code: "BADTZ", http: 400, meaning: "Not an IANA time zone PostgreSQL knows (such as `Europe/Paris`)." },
      { code: "EMTKN", http: 400, meaning: "An account with this email already exists." },
      { code: "CREDS", http: 401, meaning: "Wrong email or password (raised by the server when `app_hidden.login` returns no session, so the failure count commits)." },
      { code: "LOCKD", http: 429, meaning: "Too many failed sign-ins: 5 within 15 minutes lock the account for 15 minutes." },
      { code: "LOGIN", http: 401, meaning: "Not signed in (or the session expired)." },
      { code: "DNIED", http: 403, meaning: "The signed-in user's role lacks the permission; the message names it. Also PostgreSQL's `42501` (a row-level security check refused a write)." },
      { code: "NOTMB", http: 403, meaning: "Not a member of that business (`switch_tenant`)." },
      { code: "BZLIM", http: 429, meaning: "`createBusiness`: one person may create at most 5 businesses within 24 hours (the first, made at sign-up, included) and own at most 10 that are not closed." },
      { code: "DUPNM", http: 400, meaning: "A location with that name already exists in the business." },
      { code: "TZFIX", http: 409, meaning: "A location's time zone cannot change once it has orders: they are dated on its clock. Open a new location for another time zone." },
      { code: "INVEX", http: 410, meaning: "`POST /auth/invitations/accept`: the invitation link was already used, withdrawn (or replaced by a newer invitation to the same email), or is more than 7 days old." },
      { code: "LASTO", http: 400, meaning: "The business would have no owner left: the last owner cannot be given another role or removed." },
      { code: "DUPLI", http: 400, meaning: "Something unique already exists: an invitation to someone who is already a member, a role name or a tax rate name the business already has; also PostgreSQL `23505` not caught by a more specific check." },
      { code: "NOTFD", http: 404, meaning: "Not found, or it belongs to another business (the two are never told apart). Also PostgreSQL `23503`, and a GraphQL update or delete mutation that changed no row (unknown, another business's, or one row-level security does not let the role change, such as a cashier updating a location)." },
    ],
  },
  {
    title: "Server",
    codes: [
      { code: "INTER", http: 500, meaning: "Unexpected failure; the message carries a reference to find it in the logs. (503 from `POST /webhooks/stripe` when the server has no `STRIPE_WEBHOOK_SECRET`.)" },
      { code: "XORIG", http: 403, meaning: "A state-changing request came from another site (its `Origin` is not this host nor in `ALLOWED_ORIGINS`, is `null`, or, with no `Origin`, `Sec-Fetch-Site` is `cross-site` or `same-site`), refused against CSRF." },
      { code: "TOOBG", http: 413, meaning: "Request body too large." },
      { code: "BADCT", http: 415, meaning: "Wrong content type (JSON expected)." },
      { code: "BADJS", http: 400, meaning: "The body is not a JSON object." },
      { code: "RATEL", http: 429, meaning: "`POST /auth/login`: 20 failed sign-ins from the client's address within 15 minutes; refused before any password is checked until the window ends (`Retry-After` header, seconds; a successful sign-in does not count). The address is the socket's, or with `TRUST_PROXY=1` the last `X-Forwarded-For` entry." },
      { code: "QLIMT", http: "200/400", meaning: "A GraphQL query over a limit (`web/server/limits.ts`): nested more than 12 levels, more than 1000 fields (fragments counted each time they are spread), more than 30 aliases, or a `first`/`last` above 1000 (also through variables), or a variable's value nested more than 100 levels. Introspection fields are not counted. Bodies over 100,000 bytes get 413 `TOOBG`." },
    ],
  },
  {
    title: "Sales",
    intro: "Sales also raise the shared codes: `BADIN` (malformed input: lines that are not a list of\nobjects, unknown line fields, an unknown tender type or stock reason, a blank void, refund, cancel or\ncash-drawer reason, an import date in the future, a tax rate (the default or a named one) outside 0–10000 basis points; an\norder in the wrong state: a payment to a cancelled order, a void of an open order — cancel it\ninstead —, a cancel of a sale or of a cancelled order, a refund of lines of an order that is not\na sale, a void of a sale that has refunds — refund its remaining lines instead —; a refund naming\na line twice; a second open drawer at a location, an\nentry in or a close of a closed drawer), `NOTFD` (a location, catalog item, inventory item, order,\norder line, cash drawer or tax rate that is not the business's own — unknown ids and other businesses' ids get the\nsame answer), `LOGIN` and `DNIED` (selling, cancelling open orders and the cash drawer need\n`sales.sell`, voids and refunds of lines `sales.void`, stock changes `inventory.manage`, backdated imports\nand tax rates `settings.update`).",
    codes: [
      { code: "CURFX", http: 409, meaning: "The business's currency cannot change once it has sales (orders, voided ones included): its amounts are a record in that currency. Before the first sale it may change, and catalog prices are rescaled to the new currency's minor units." },
      { code: "EMPTY", http: 400, meaning: "An order needs at least one line." },
      { code: "LCLSD", http: 400, meaning: "The location is closed: it takes no sale and no cash drawer until it is reopened in Settings (imports of its past sales are still recorded)." },
      { code: "BADQT", http: 400, meaning: "A quantity is not a whole number in range (order lines: 1 to 10000; a refund of lines: 1 to what is left to refund of the line; stock changes: not zero, at most 1000000 either way, and with the sign its reason requires: receive and transfer in positive, waste and transfer out negative), or a low-stock threshold is not 0 to 1000000." },
      { code: "INACT", http: 400, meaning: "The catalog item is inactive and cannot be sold." },
      { code: "BADDS", http: 400, meaning: "A discount is not a whole, non-negative number of cents, or is larger than what it applies to (the line's amount; for the order discount, the lines after their own discounts)." },
      { code: "BADAM", http: 400, meaning: "A money amount is out of range: a price outside 0 to 10000000 cents, a tender amount that is not positive (or above 100000000), an order whose subtotal would exceed 1000000000 cents; a drawer float or count below 0, a cash in/out that is not positive, or cash taken out beyond what the drawer should hold." },
      { code: "DUSKU", http: 400, meaning: "Another catalog item of the business already has this SKU (SKUs are compared upper-case)." },
      { code: "DUSTK", http: 400, meaning: "The catalog item is already linked to another inventory item (one stocked item per catalog item)." },
      { code: "OVRTN", http: 400, meaning: "The tender would over-pay the order: a card payment above the amount due, or any payment to an order already paid in full. Cash above the amount due is accepted and gives change." },
      { code: "VOIDD", http: 400, meaning: "The order is voided: it cannot be voided again, cancelled, refunded or take payments." },
      { code: "NOSTK", http: 400, meaning: "A waste, transfer out or negative adjustment would take on-hand at the location below zero (sales may; the negative on-hand then shows the count is wrong)." },
      { code: "IMMUT", http: 400, meaning: "Ledger rows (events, stock movements, order lines, tenders) are never changed or deleted; record a correcting entry instead." },
      { code: "BADEV", http: 400, meaning: "Event plumbing misuse (owner side only, not reachable from the API): a subscription handler that does not take one `app_private.events` row, or a replay of a consumer with no subscription; resetting a consumer that records facts (the loyalty points ledger)." },
    ],
  },
  {
    title: "Billing",
    codes: [
      { code: "TSUSP", http: 403, meaning: "The business is suspended (unpaid, or its subscription ended) or closed: everything but reading billing state, opening the billing portal, changing plan, switching business and signing out is refused. The message says how to reactivate it." },
      { code: "LIMIT", http: 400, meaning: "One more user, location or POS device would exceed the plan's limit; the message names the plan, the limit (`max_seats`, `max_locations`, `max_devices`) and the current count. Pending invitations count as users; closed locations do not count (reopening one is checked)." },
      { code: "DOWNG", http: 400, meaning: "A plan change refused because current usage exceeds the target plan's limits; the message lists each excess and how many to remove." },
      { code: "BADPL", http: 400, meaning: "No plan with that key, or the business is already on it." },
      { code: "GRACE", http: 400, meaning: "The subscription ended more than 30 days ago: it can no longer be reactivated by choosing a plan." },
      { code: "NOMOD", http: 400, meaning: "The plan does not include that module (such as `inventory`); upgrade to use it (`app_hidden.assert_module`)." },
      { code: "BADSG", http: 400, meaning: "`POST /webhooks/stripe`: the `Stripe-Signature` header is missing, does not match the raw body with the configured secret, or is older than 5 minutes. Nothing is stored." },
      { code: "NOCUS", http: "—", meaning: "Worker only: a Stripe event is about a customer not stored yet; the `stripe_apply_event` job fails and graphile-worker retries it later. Never reaches the API." },
    ],
  },
  {
    title: "Customers",
    intro: "Customers also raise the shared codes: `BADIN` (a name over 100 characters or with control\ncharacters, notes over 2000 characters, metadata that is not a JSON object of at most 8 kB, an\nunknown consent source; notes and addresses: a blank note, an unknown note category or address\ntype, a missing first line or city, a country that is not two letters, coordinates not in pairs\nor out of range, a building over 100 characters, a floor over 20, delivery notes over 500, a 21st address; a location's coordinates not in pairs or out of range; upgrading a full profile; a merge without both ids; a company without its name, a website that is not an\nhttp(s) address, a credit limit or payment terms out of range, an unknown currency, kind, account status,\ncontact role or contact method, a contact with neither a name nor an email, a 101st contact), `BADEM` (an invalid email), `NOTFD`\n(a customer, note, address or contact that is not the business's own, or a default billing or\nshipping address that is not the customer's — unknown ids and other\nbusinesses' ids get the same answer; also an order naming such a customer), `LOGIN` and `DNIED`\n(creating needs `customers.create`, changing, archiving, notes and addresses `customers.update`,\nmerging `customers.merge`, importing `customers.import`, a customer's data requests — `requestCustomerData`, `eraseCustomer`, `GET /customer-data/:id` — `customers.erase`, with a required reason;\nreading needs `customers.view`, without it lists are empty; an import's file over 50 MB is `TOOBG`). `CMRGD` also answers a data request about a merged customer: answer it on the customer it was merged into.",
    codes: [
      { code: "NOIDN", http: 400, meaning: "A customer needs at least an email, a phone number or a first name (on create, and an update may not clear the last of them): the table's `customers_identifiable` constraint, worded by the commands." },
      { code: "NODWN", http: 400, meaning: "A stub or full profile keeps its name and phone: the profile stage only goes up (`customers.stage`). Change them, or archive the customer." },
      { code: "BADPH", http: 400, meaning: "Not a phone number: only digits, spaces, dashes, dots, slashes, parentheses and a leading `+`; 7 to 15 digits in E.164; a `+` (or `00`) number starts with a calling code some country has and has a length its countries allow; a national number is read with the business's country (`app_public.phone_countries`: its trunk prefix dropped) and must have one of that country's lengths. The message starts with `Phone:` and says the lengths." },
      { code: "OTPNP", http: 400, meaning: "`requestPhoneCode` / `verifyPhoneCode`: the customer has no phone number to verify." },
      { code: "OTPVD", http: 409, meaning: "`requestPhoneCode` / `verifyPhoneCode`: the customer's phone is already verified (changing the phone clears it)." },
      { code: "OTPSN", http: 429, meaning: "`requestPhoneCode`: a code was sent to this phone less than 60 seconds ago; the message says how many seconds to wait." },
      { code: "OTPCP", http: 429, meaning: "`requestPhoneCode`: the business sent 200 verification codes within the last hour, the most it may (`app_hidden.phone_codes_hourly_cap()`); try again later." },
      { code: "OTPNC", http: 400, meaning: "`verifyPhoneCode`: no code was sent to the customer's current phone (or it was used, or deleted an hour after it expired): send one first." },
      { code: "OTPEX", http: 410, meaning: "`verifyPhoneCode`: the code is more than 5 minutes old; send a new one. The try is not counted." },
      { code: "OTPWR", http: "—", meaning: "`verifyPhoneCode`: wrong code, with tries left. Returned, not raised (`check { verified: false, errorCode, message, attemptsLeft }`), so that the try is counted: an error would roll it back." },
      { code: "OTPMX", http: 400, meaning: "`verifyPhoneCode`: the code was tried 3 times without success and no longer works; send a new one. Returned like `OTPWR` by the third wrong try, raised by any try after it." },
      { code: "UPGMS", http: 400, meaning: "`upgradeCustomer`: the next stage still misses a detail — a stub needs a first name and a phone, a full profile an email too. The error's `field` names the missing one." },
      { code: "PHUNV", http: 400, meaning: "`upgradeCustomer` to a full profile with a phone not verified yet (or a new phone): verify it with a one-time code first. The error's `field` is `phone`." },
      { code: "BADTG", http: 400, meaning: "Tags: at most 20, each 1 to 40 characters after trimming, no control characters or line breaks." },
      { code: "DUPEM", http: 400, meaning: "Another live (not merged) customer of the business has this email. The message names the field and that customer (`Email: … is already the email of customer CUST-00012 (Ann Lee).`); the error's `field` is `email` and its `ref` that customer's id (for opening or merging it)." },
      { code: "DUPPH", http: 400, meaning: "Another live customer of the business has this phone number (compared in E.164). Message `Phone: …`, `field` `phone`, `ref` as for `DUPEM`." },
      { code: "TYPIU", http: 409, meaning: "A customer type still given to customers cannot be deleted (`deleteCustomerType`): the message says how many have it; give them another type first, or rename it. `ref` is the type's id." },
      { code: "TIRIU", http: 409, meaning: "A customer tier still given to customers cannot be deleted (`deleteCustomerTier`): the message says how many have it; give them another tier (or none) first. `ref` is the tier's id." },
      { code: "CMRGD", http: 400, meaning: "The customer was merged into another one: it cannot be changed, archived, merged again or given notes or addresses. Its `ref` is the id of the customer it was merged into, when known. Also the loser of two merges that cross." },
      { code: "MRGSM", http: 400, meaning: "A customer cannot be merged with itself." },
      { code: "BADCS", http: 400, meaning: "A customer import's file cannot be read as CSV: empty, binary data, only a header, a first line naming no column, a quoted cell never closed, or a record over 1 MB. The upload refuses binary data at once; the rest fails the import (its `errorCode` and `errorMessage`), and nothing reaches customers." },
      { code: "IMPST", http: 409, meaning: "A customer import cannot do that in its state: uploading, reading, committing, done or failed (the message says which), or there is nothing to import. `ref` is the import's id. Committing an import twice gets it." },
      { code: "IMPFL", http: "—", meaning: "Not raised: the `errorCode` of a customer import whose worker task failed on its last attempt or died (a file that could not be read; a commit stopped half way, whose rows not reached are in the error report)." },
      { code: "ERASD", http: 409, meaning: "The customer's personal data was erased on their request (`eraseCustomer`): it cannot be changed, archived, restored, merged, given notes, addresses or preferences, sold to, erased again or exported (`requestCustomerData`). It stays as \"Erased customer\" for its orders. `ref` is its id." },
      { code: "BADTX", http: 400, meaning: "A company's tax ID: 2 to 30 letters and digits (spaces, dots, dashes and slashes are dropped), and for a VAT number with an EU or UK prefix (`DE`, `FR`, `GB`…) or a US business's EIN, that country's format. The message says what it should look like; `field` is `tax_id`." },
      { code: "NOTCO", http: 400, meaning: "Only companies have that: company name, tax ID, website, credit limit, payment terms, currency (`createCustomer`, `updateCustomer`), and contacts (`addCustomerContact`). Make the customer a company (`kind: company`) first." },
      { code: "SUSRN", http: 400, meaning: "An account set to `suspended` needs a reason (`suspendedReason`, at most 500 characters)." },
      { code: "DUPCE", http: 400, meaning: "Another contact of the same company has this email (`addCustomerContact`, `updateCustomerContact`); `field` is `email`." },
      { code: "PRIMR", http: 400, meaning: "A company's primary contact cannot take another role by itself: make another contact primary (`setPrimaryCustomerContact`), which moves the flag. `ref` is the contact's id." },
      { code: "PTSLO", http: 409, meaning: "Loyalty points: the customer's balance is short of what the reward costs (`placeOrder`/`quoteOrder` with `loyaltyRewardId`), or an adjustment would take it below zero (`adjustLoyaltyPoints`). The message says the points needed and held; `ref` is the customer's id. Two sales redeeming at once check one after the other." },
      { code: "PTSNE", http: 400, meaning: "Loyalty points cannot be redeemed on this order: the program is off (Settings → Loyalty points), no customer is attached, or the customer is a guest (stub and full profiles earn and redeem). `field` is `loyalty_reward_id`." },
      { code: "OPBAL", http: 409, meaning: "`eraseCustomer`: the customer's account balance is not zero (it owes, or is owed); settle it first — a payment or write-off when it owes, `refundAccountCredit` when it is in credit (`app_private.assert_no_open_balance`)." },
    ],
  },
  {
    title: "Accounts",
    intro: "Selling on account also raises the shared codes: `BADIN` (a credit limit missing or out of range, payment\nterms outside 0–365 days, an unknown suspension type or payment method, a reason missing or over 500\ncharacters, a payment dated in the future, a statement range backwards or over 5 years, voiding a void\ninvoice), `BADAM` (a payment or write-off that is not positive, a write-off above the balance, credit paid back above\nthe unused credit, an account tender that is not the whole amount due), `OVRTN`, `NOTFD` (a customer or invoice that is not\nthe business's own), `LOGIN`, `DNIED` (reading needs `accounts.view`, every action `accounts.manage`;\nselling on account at the till `sales.sell`), `CMRGD`, `ERASD`, `TSUSP` and `NOMOD`.",
    codes: [
      { code: "NOACC", http: 400, meaning: "The customer has no account (`recordTender` of type `account`, a payment, terms, suspension, statement): open one first (`openCustomerAccount`). At the till also: no customer attached to the order." },
      { code: "ACEXS", http: 409, meaning: "`openCustomerAccount`: the customer already has an account; `ref` is its number." },
      { code: "ACSUS", http: 409, meaning: "The account is suspended (or inactive): it buys nothing on account until reactivated; the message gives the reason. Also `suspendCustomerAccount` on a suspended account." },
      { code: "ACNSP", http: 409, meaning: "`reactivateCustomerAccount`: the account is not suspended." },
      { code: "CRLIM", http: 409, meaning: "A sale on account would take the balance over the credit limit; the message gives the balance, the sale, the limit and what is available. Concurrent sales on one account take turns, so exactly those that fit are accepted." },
      { code: "ACCMD", http: 409, meaning: "The customer has an account: its credit limit, payment terms and status change only through the account's commands, with a reason (`setCustomerAccountTerms`, `suspendCustomerAccount`, `reactivateCustomerAccount`), not `updateCustomer`; `field` names the value." },
      { code: "ACMRG", http: 409, meaning: "`mergeCustomers`: the duplicate has an account, whose ledger and invoices stay with it; merge the other customer into it instead. `ref` is the duplicate's id." },
      { code: "NOINV", http: 409, meaning: "`invoiceCustomerAccount`: nothing to invoice (no sale on account or credit note since the last invoice, or they net to zero)." },
    ],
  },
  {
    title: "Reporting",
    intro: "Reporting also raises the shared codes: `BADIN` (a period without both dates, reversed, or longer\nthan 1096 days; export parameters that are not a JSON object, unknown for the kind, a date that\nis not `YYYY-MM-DD`, an `order_by` other than `quantity`/`revenue`, a `low_only` that is not a\nboolean; a blank analyst login name; an unknown export kind or item order arrives as PostgreSQL\n`22P02`, which the API also answers with `BADIN`), `NOTFD` (a location, or an analyst login,\nthat is not the business's own), `LOGIN`, `DNIED` (the queries need `reports.view`, exports\n`reports.export`, analyst logins an owner: the `owner` role and `settings.update`), `TSUSP` and\n`NOMOD` (the plan lacks the `reporting` module). `GET /exports/:id` answers `NOTFD` (404) for\neverything it will not serve: unknown id, another business, no `reports.export`, not signed in,\nnot finished yet.",
    codes: [
      { code: "ANLIM", http: 400, meaning: "A business can have at most 20 analyst logins, and one person at most 20 across the businesses they own; remove one (`dropAnalystLogin`) first." },
      { code: "ANSET", http: 400, meaning: "Analyst logins cannot be created on this server: the database owner role lacks `CREATEROLE` or the right to grant the analyst group role (on PostgreSQL 16 and later it needs that role `WITH ADMIN OPTION`; db/REPORTING.md). An operator's fix, not the user's." },
    ],
  },
];

/** The preamble of db/ERRORS.md. */
const PREAMBLE = `# Error codes

<!-- Written by \`npm run docs:errors\` from web/server/error-codes.ts: edit that file, not this one. -->

Every error we raise on purpose carries one of these five-letter SQLSTATE codes and a message a
person can act on. SQL raises them through \`app_hidden.raise_error(code, message, detail, field)\`;
the server passes them through unchanged (GraphQL: \`errors[].extensions\`; plain HTTP routes:
\`{"error": {...}}\` with the status shown) as

- \`code\`: the code below;
- \`field\`: the input the error is about, when there is one, in camelCase as the API names it
  (\`firstName\`, \`email\`), so that a form can put the message under that field;
- \`ref\`: a reference to act on, when there is one (such as the id of the customer who already
  has an email, or the seconds to wait after \`RATEL\`).

A few PostgreSQL errors a user can cause are translated into codes by \`web/server/errors.ts\`;
anything else is logged and answered with \`INTER\` and a reference, never with SQL or a stack
trace, and never with a field or ref.

Each code is listed once. Add new ones to the section of the module that raises them, in
\`web/server/error-codes.ts\`.
`;

/** db/ERRORS.md as it should read. */
export function errorsMarkdown(): string {
  const sections = ERROR_SECTIONS.map((s) => {
    const rows = s.codes.map((c) => `| \`${c.code}\` | ${c.http} | ${c.meaning} |`);
    return [`## ${s.title}`, ...(s.intro ? ["", s.intro] : []), "", "| code | HTTP | meaning |", "|---|---|---|", ...rows].join("\n");
  });
  return [PREAMBLE, ...sections].join("\n") + "\n";
}

const STATUS = new Map(ERROR_SECTIONS.flatMap((s) => s.codes).map((c) => [c.code, typeof c.http === "number" ? c.http : 400]));

/** The HTTP status of a coded error on the plain routes (400 for a code that has none of its own). */
export function httpStatusFor(code: string): number {
  return STATUS.get(code) ?? 400;
}

/** Whether the code is one of ours (listed above). */
export function isListedCode(code: string): boolean {
  return STATUS.has(code);
}
