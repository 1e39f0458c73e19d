-- 3-hostile-input: fixes for what the hostile-input property tests (test/security/hostile-input
-- .test.ts) found in the input helpers every command uses. Idempotent: only `create or replace`.
--
-- 1. Blank-looking text passed as present. btrim() removes ASCII spaces only, so a name, note or
--    tag made of other white space (U+3000 ideographic space, U+00A0 no-break space, U+2028 line
--    separator, U+200B zero-width space…) was stored: a customer whose only identifier was an
--    invisible first name (NOIDN bypassed), a display name that shows nothing, a tag " ". Text is
--    now trimmed of all of them (app_hidden.trim_blank), so such input is blank: required fields
--    answer BADIN, optional ones are left empty, tags BADTG.
-- 2. Emails were lower-cased before being checked, and lower() maps some non-ASCII letters to
--    ASCII ones (U+0130 "İ" → "i", U+212A Kelvin sign → "k"): "İnfo@example.com" was accepted and
--    stored as "info@example.com", another person's mailbox. The address is now checked as given
--    (ASCII letters of either case), then lower-cased.

/* The characters trim_blank removes at both ends: ASCII and Unicode white space, zero-width space and BOM. */
create or replace function app_hidden.trim_blank(value text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select regexp_replace(value,
    '^[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+|[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+$',
    '', 'g');
$$;
comment on function app_hidden.trim_blank(text) is 'The text without white space (ASCII and Unicode, zero-width space, BOM) at either end; '''' when that is all it holds.';

/* Raises BADIN with a message naming the field unless the text is 1..max_length characters after trimming. */
create or replace function app_hidden.assert_name(field text, value text, max_length int default 200) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  trimmed text := app_hidden.trim_blank(value);
begin
  if trimmed is null or trimmed = '' then
    perform app_hidden.raise_error('BADIN', format('%s is required.', field));
  elsif length(trimmed) > max_length then
    perform app_hidden.raise_error('BADIN', format('%s must be at most %s characters.', field, max_length));
  elsif value ~ '[\x01-\x1f\x7f]' then
    perform app_hidden.raise_error('BADIN', format('%s must not contain control characters.', field));
  end if;
  return trimmed;
end;
$$;

/* An optional name: null for null or blank, else trimmed and checked like app_hidden.assert_name (BADIN naming the field). */
create or replace function app_hidden.optional_name(field text, value text, max_length int) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if value is null or app_hidden.trim_blank(value) = '' then
    return null;
  end if;
  return app_hidden.assert_name(field, value, max_length);
end;
$$;

/* Optional free text (notes): null for blank; line breaks and tabs allowed, other control characters not (BADIN). */
create or replace function app_hidden.optional_text(field text, value text, max_length int) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  value := app_hidden.trim_blank(value);
  if value is null or value = '' then
    return null;
  end if;
  if length(value) > max_length then
    perform app_hidden.raise_error('BADIN', format('%s must be at most %s characters.', field, max_length));
  elsif value ~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' then
    perform app_hidden.raise_error('BADIN', format('%s must not contain control characters.', field));
  end if;
  return value;
end;
$$;

create or replace function app_hidden.assert_valid_email(email text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cleaned text := app_hidden.trim_blank(email);
begin
  if cleaned is null or cleaned = '' then
    perform app_hidden.raise_error('BADEM', 'An email address is required.');
  end if;
  -- Checked before lower-casing: lower() turns some non-ASCII letters into ASCII ones.
  if length(cleaned) > 254 or cleaned !~ '^[A-Za-z0-9.!#$%&''*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$' then
    perform app_hidden.raise_error('BADEM', format('"%s" is not a valid email address.', left(cleaned, 100)));
  end if;
  return lower(cleaned);
end;
$$;

/* Optional email: null for null or blank, else app_hidden.assert_valid_email (BADEM). */
create or replace function app_hidden.optional_email(email text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if email is null or app_hidden.trim_blank(email) = '' then
    return null;
  end if;
  return app_hidden.assert_valid_email(email);
end;
$$;

/*
 * Customer tags as stored: a JSON array of distinct strings. Each tag is trimmed with inner
 * white space collapsed, 1 to 40 characters; duplicates (ignoring case) are dropped, the first
 * spelling kept; at most 20 tags. Raises BADTG.
 */
create or replace function app_hidden.normalize_tags(tags text[]) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  result text[] := '{}';
  seen text[] := '{}';
  tag text;
begin
  if tags is null then
    return '[]'::jsonb;
  end if;
  if cardinality(tags) > 200 then
    perform app_hidden.raise_error('BADTG', 'Tags: a customer can have at most 20 tags.');
  end if;
  foreach tag in array tags loop
    if tag ~ '[\x01-\x1f\x7f]' then
      perform app_hidden.raise_error('BADTG', 'Tags must not contain control characters or line breaks.');
    end if;
    tag := app_hidden.trim_blank(regexp_replace(tag,
      '[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+', ' ', 'g'));
    if tag is null or tag = '' then
      perform app_hidden.raise_error('BADTG', 'Tags cannot be empty.');
    elsif length(tag) > 40 then
      perform app_hidden.raise_error('BADTG', format('Tags: "%s…" is longer than 40 characters.', left(tag, 40)));
    end if;
    if not lower(tag) = any(seen) then
      result := result || tag;
      seen := seen || lower(tag);
    end if;
  end loop;
  if cardinality(result) > 20 then
    perform app_hidden.raise_error('BADTG', 'Tags: a customer can have at most 20 tags.');
  end if;
  return to_jsonb(result);
end;
$$;

-- 3. CSV cells were defused only when their very first character starts a formula; a value that
--    reaches an export with white space in front (" =1+1", a no-break space before "+": names
--    carried by events of imports, or stored before fix 1) was not. The ' now goes in front of
--    any value whose first non-blank character is =, +, -, @, a tab or a carriage return.
--    (No SET clause, like the original: PostgreSQL inlines it into the export queries.)
create or replace function app_hidden.csv_text(value text) returns text
language sql immutable parallel safe
as $$
  select case when value ~ '^[ \n\v\f\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]*[=+@\t\r-]'
              then '''' || value else value end;
$$;
comment on function app_hidden.csv_text(text) is 'A CSV text cell that a spreadsheet will not run as a formula (a leading '' before =, +, -, @, tab or CR, also after leading white space).';
