-- Runs as the superuser right after the database is (re)created, before any migration.
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
commit;
