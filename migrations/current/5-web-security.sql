-- 5-web-security: sign-in is rate-limited per client IP address, in the database so that every
-- API process (and every machine) shares the count. The per-account lockout of app_hidden.login
-- stops guessing one account's password; this stops one address from spraying many accounts.
-- Only failed attempts count (a successful sign-in gives its attempt back), so an office behind
-- one address is not locked out by its own staff signing in every morning.
-- Idempotent: dropped and created again each time graphile-migrate re-runs current files.

drop function if exists app_hidden.login_from(text, text, text);
drop table if exists app_private.login_throttle;

create table app_private.login_throttle (
  ip text primary key,
  window_started_at timestamptz not null default now(),
  attempts int not null default 0
);
comment on table app_private.login_throttle is
  'Sign-in attempts per client IP address in the current 15-minute window (app_hidden.login_from); not tenant-owned: an address is no business''s.';
select app_private.secure_table('app_private.login_throttle');

/*
 * Sign-in from a client address: refuses with RATEL (detail: seconds until the window ends) once
 * the address has 20 failed attempts in its 15-minute window, before any password is checked;
 * otherwise app_hidden.login. The attempt is counted first (atomically, so parallel requests
 * cannot slip past the limit) and given back when the sign-in succeeds.
 */
create function app_hidden.login_from(ip text, email text, password text) returns uuid
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  max_failures constant int := 20;
  window_length constant interval := interval '15 minutes';
  counted app_private.login_throttle;
  new_session uuid;
begin
  if ip is null or length(ip) > 64 then
    perform app_hidden.raise_error('BADIN', 'The client address is missing.');
  end if;
  insert into app_private.login_throttle as t (ip, window_started_at, attempts) values (login_from.ip, now(), 1)
  on conflict on constraint login_throttle_pkey do update set
    window_started_at = case when t.window_started_at <= now() - window_length then now() else t.window_started_at end,
    attempts = case when t.window_started_at <= now() - window_length then 1 else t.attempts + 1 end
  returning * into counted;
  if counted.attempts > max_failures then
    perform app_hidden.raise_error('RATEL',
      format('Too many failed sign-ins from your network. Try again in %s minutes.',
             ceil(extract(epoch from counted.window_started_at + window_length - now()) / 60)::int),
      greatest(1, ceil(extract(epoch from counted.window_started_at + window_length - now())))::int::text);
  end if;
  new_session := app_hidden.login(email, password);
  if new_session is not null then
    update app_private.login_throttle set attempts = greatest(attempts - 1, 0) where login_throttle.ip = login_from.ip;
  end if;
  -- Forget addresses whose window ended long ago, now and then.
  if random() < 0.01 then
    delete from app_private.login_throttle where window_started_at < now() - interval '1 day';
  end if;
  return new_session;
end;
$$;
comment on function app_hidden.login_from(text, text, text) is
  'app_hidden.login, refused with RATEL (detail: seconds to wait) after 20 failed sign-ins from the client address within 15 minutes.';
revoke all on function app_hidden.login_from(text, text, text) from public;
grant execute on function app_hidden.login_from(text, text, text) to :DATABASE_VISITOR;
