-- Runs as the superuser right after the database is (re)created, before any migration, and
-- again at every start when a superuser connection is configured (db/bootstrap.ts
-- bootstrapDatabase), so an existing database gets what is added here: idempotent.
-- Database-level grants, and the extensions (created here so that their objects are owned
-- by the superuser, not by the role that runs migrations).
begin;
revoke all on database :DATABASE_NAME from public;
grant all on database :DATABASE_NAME to :DATABASE_OWNER;
grant connect on database :DATABASE_NAME to :DATABASE_AUTHENTICATOR;
grant connect on database :DATABASE_NAME to :DATABASE_ANALYST;
create extension if not exists citext with schema public;
create extension if not exists pg_trgm with schema public;
create extension if not exists pgcrypto with schema public;
create extension if not exists btree_gin with schema public;
-- Nobody but the owner creates objects in public.
revoke create on schema public from public;
-- Advisory locks are the owner's: the worker's liveness and crash recovery, the reporting fold
-- and the plan limits use them. Executable by PUBLIC (PostgreSQL's default), an analyst login
-- could hold a key for ever and stall crash recovery for every tenant, or queue on a live
-- worker's key to pass for it once it died.
do $$
declare
  fn regprocedure;
begin
  for fn in
    select p.oid::regprocedure from pg_catalog.pg_proc p
    where p.pronamespace = 'pg_catalog'::regnamespace and p.proname like 'pg\_%advisory\_%'
  loop
    execute format('revoke execute on function %s from public', fn);
    execute format('grant execute on function %s to :DATABASE_OWNER', fn);
  end loop;
end;
$$;
commit;
