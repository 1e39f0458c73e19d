-- Cluster-wide roles (DESIGN.md "Roles"). Run by a superuser before any database is made;
-- idempotent, so it runs on every start. Roles are shared by every database of the cluster,
-- which is why the tests can clone databases freely.
-- psql-style variables are replaced by db/bootstrap.ts: owner, authenticator, visitor, analyst,
-- owner_password, authenticator_password.
do $$
begin
  if not exists (select from pg_roles where rolname = :'owner') then
    execute format('create role %I login nosuperuser nobypassrls', :'owner');
  end if;
  execute format('alter role %I with login nosuperuser nobypassrls createrole password %L', :'owner', :'owner_password');

  if not exists (select from pg_roles where rolname = :'authenticator') then
    execute format('create role %I login noinherit nosuperuser nobypassrls', :'authenticator');
  end if;
  execute format('alter role %I with login noinherit password %L', :'authenticator', :'authenticator_password');

  if not exists (select from pg_roles where rolname = :'visitor') then
    execute format('create role %I nologin', :'visitor');
  end if;
  execute format('grant %I to %I', :'visitor', :'authenticator');

  if not exists (select from pg_roles where rolname = :'analyst') then
    execute format('create role %I nologin', :'analyst');
  end if;
  -- The owner creates the analysts' logins and makes them members of the analyst group
  -- (PostgreSQL 16+ no longer lets CREATEROLE alone grant membership).
  execute format('grant %I to %I with admin option', :'analyst', :'owner');
  -- The owner (the worker) cancels analyst statements over their time limit and ends analyst
  -- sessions left idle in a transaction (app_private.enforce_analyst_limits), and ends the
  -- connections of a dropped analyst login. To see how long analyst statements run, it needs their state in pg_stat_activity.
  execute format('grant pg_signal_backend, pg_read_all_stats to %I', :'owner');
end
$$;
