-- Customer import throughput (issue 20, item 9): rows checked as they are staged; the addresses
-- of the customers an import creates checked set-based.
drop function if exists app_private.classify_customer_import(text, text);
--!include customers/410-notes-and-addresses.sql
--!include customers/412-address-distance.sql
--!include customers/485-import.sql
