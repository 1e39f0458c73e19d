-- Sessions are stored by the SHA-256 of their secret, not the secret (identity/200-current-session
-- .sql). Existing sessions keep working: their hash is the hash of their old id, and the id
-- becomes a new random handle, so the secret is no longer anywhere in the table.
alter table app_private.sessions add column if not exists secret_hash bytea;
update app_private.sessions set secret_hash = sha256(convert_to(id::text, 'UTF8')), id = gen_random_uuid()
where secret_hash is null;
alter table app_private.sessions alter column secret_hash set not null;
create unique index if not exists sessions_secret_hash_key on app_private.sessions (secret_hash);
comment on table app_private.sessions is 'Signed-in sessions, found by the SHA-256 of the secret in the session cookie (never stored); active_tenant_id is the tenant the user works in.';
comment on column app_private.sessions.id is 'A handle for the session row; not the secret.';
comment on column app_private.sessions.secret_hash is 'SHA-256 of the session secret (app_hidden.session_secret_hash).';
-- Commands that now take a reason (kept in the audit log): the old signatures go before the
-- fixtures create the new ones.
drop function if exists app_public.archive_customer(text);
drop function if exists app_public.restore_customer(text);
drop function if exists app_public.merge_customers(text, text);
drop function if exists app_public.change_plan(text);
