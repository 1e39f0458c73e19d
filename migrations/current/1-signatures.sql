-- Functions whose arguments change: the old signature goes before the fixtures create the new
-- one (two overloads would make every call ambiguous).
drop function if exists app_hidden.raise_error(text, text, text);
drop function if exists app_hidden.assert_name(text, text, int);
drop function if exists app_hidden.optional_name(text, text, int);
drop function if exists app_hidden.optional_text(text, text, int);
drop function if exists app_private.raise_customer_duplicate(text, text, text, text);
drop function if exists app_private.raise_customer_constraint(text, text, text, text);
