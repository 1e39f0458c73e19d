-- The till answers ERASD (not "account not active") for a customer erased after their order was opened.
--!include accounts/710-ledger.sql

-- The receivables report's totals row is the database's sum over every account (it was the browser's over the first 1,000).
--!include accounts/740-statements.sql
