-- Customer import at speed (issue 20, item 9): the checks of staged rows as SQL expressions over
-- all the rows (the rules' *_problem / checked_* forms, shared with the commands), events appended
-- and applied set-based, inserts of customers and addresses audited and given their stats per
-- statement.
drop function if exists app_private.customer_import_values(text[], text[], text);
drop function if exists app_hidden.import_yes_no(text, text, text);
--!include platform/110-input.sql
--!include sales/300-events.sql
--!include reporting/610-consumers.sql
--!include identity/210-audit.sql
--!include customers/400-customers.sql
--!include customers/410-notes-and-addresses.sql
--!include customers/420-commands.sql
--!include customers/450-purchase-history.sql
--!include customers/485-import.sql
