-- 100-platform: the schemas, identifiers, shared triggers, errors and the audit log that every
-- later file builds on. Idempotent while current: it drops our schemas (and with them every
-- object of later files), then creates them again.

drop schema if exists reporting cascade;
drop schema if exists app_public cascade;
drop schema if exists app_hidden cascade;
drop schema if exists app_private cascade;
drop function if exists public.gen_ulid();

-- No role other than the owner may execute a function unless it is granted explicitly.
alter default privileges revoke all on functions from public;
revoke all on schema public from public;
grant usage on schema public to :DATABASE_VISITOR, :DATABASE_ANALYST;

create schema app_public;   -- write side, exposed to GraphQL
create schema app_hidden;   -- helpers the API role may call, not in GraphQL
create schema app_private;  -- never granted to the API role
create schema reporting;    -- read side: read models and analysts' views

grant usage on schema app_public, app_hidden to :DATABASE_VISITOR;
grant usage on schema reporting to :DATABASE_VISITOR, :DATABASE_ANALYST;
alter default privileges in schema app_public, app_hidden grant execute on functions to :DATABASE_VISITOR;
alter default privileges in schema app_public, app_hidden grant usage, select on sequences to :DATABASE_VISITOR;

/*
 * ULID: 48 bits of milliseconds since the epoch then 80 random bits, in Crockford base32.
 * Time-ordered text keys made in SQL (DESIGN.md "Identifiers").
 */
create function public.gen_ulid() returns text
language plpgsql volatile parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
declare
  alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  millis bigint := floor(extract(epoch from clock_timestamp()) * 1000);
  bits bit(130) := b'00'
    || substring(millis::bit(64) from 17 for 48)
    || ('x' || encode(public.gen_random_bytes(10), 'hex'))::bit(80);
  result text := '';
begin
  for i in 0..25 loop
    result := result || substr(alphabet, substring(bits from i * 5 + 1 for 5)::int + 1, 1);
  end loop;
  return result;
end;
$$;
comment on function public.gen_ulid() is 'A new ULID: 26 characters, ordered by creation time.';
grant execute on function public.gen_ulid() to :DATABASE_VISITOR;

/*
 * Our errors. Every exception we raise goes through here so that the code and the message
 * stay together; codes are five characters and listed once in db/ERRORS.md.
 */
create function app_hidden.raise_error(code text, message text, detail text default null) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if detail is null then
    raise exception using errcode = code, message = message;
  end if;
  raise exception using errcode = code, message = message, detail = detail;
end;
$$;
comment on function app_hidden.raise_error(text, text, text) is 'Raises one of our coded errors (db/ERRORS.md).';

/*
 * Locks RLS on a table: enabled and forced (the owner is subject to it too), plus the owner's
 * own policy, because security definer functions and the worker run as the owner.
 */
create function app_private.secure_table(tbl regclass) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  execute format('alter table %s enable row level security', tbl);
  execute format('alter table %s force row level security', tbl);
  execute format('create policy all_for_owner on %s to %I using (true) with check (true)', tbl, current_user);
end;
$$;

/* created_at is kept on insert, updated_at always moves forward. */
create function app_private.tg__timestamps() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.created_at := case when tg_op = 'INSERT' then now() else old.created_at end;
  new.updated_at := case
    when tg_op = 'UPDATE' and old.updated_at >= now() then old.updated_at + interval '1 millisecond'
    else now() end;
  return new;
end;
$$;
comment on function app_private.tg__timestamps() is 'Trigger: keeps created_at and updated_at honest.';

/*
 * Field-by-field difference of two rows as JSON: {"field": {"old": …, "new": …}} for each
 * field whose value changed. Fields named in `ignored` are left out.
 */
create function app_hidden.jsonb_diff(old_row jsonb, new_row jsonb, ignored text[] default '{}')
returns jsonb
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(jsonb_object_agg(key, jsonb_build_object('old', old_row -> key, 'new', new_row -> key)), '{}'::jsonb)
  from (
    select key from jsonb_object_keys(coalesce(old_row, '{}'::jsonb)) as o(key)
    union
    select key from jsonb_object_keys(coalesce(new_row, '{}'::jsonb)) as n(key)
  ) as keys
  where not key = any(ignored)
    and (old_row -> key) is distinct from (new_row -> key);
$$;
comment on function app_hidden.jsonb_diff(jsonb, jsonb, text[]) is 'Fields that differ between two JSON rows, with old and new values.';
