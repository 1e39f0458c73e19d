--! Previous: sha1:9252dfb5ea913969f8461412b6af0d12da71db33
--! Hash: sha1:8f95dd4e85ff76c8d68eff5feba289acb679d425
--! Message: Settings that run a shop: staff invitations, custom roles, closing locations, receipt; refunds of lines and plan modules follow-ups

--! split: 1-current.sql
------------------------------------------------------------------------------------------------
-- The admin a shop owner prefers to Square's, 3: settings that run a shop. Locations are edited
-- and closed; the receipt carries the shop's address and a footer; staff are invited by a link,
-- change role or leave; custom roles carry a chosen set of permissions. (Tables here; the rules
-- in the fixtures included below.)

-- A closed location sells nothing and drops out of the pickers; its history stays.
alter table app_public.locations add column if not exists closed_at timestamptz;
comment on column app_public.locations.closed_at is 'When the location was closed (null: open). A closed location sells nothing and keeps its history; reopenLocation opens it again.';

-- What the receipt says besides the business name.
alter table app_public.tenants add column if not exists receipt_address text check (length(receipt_address) between 1 and 500);
alter table app_public.tenants add column if not exists receipt_footer text check (length(receipt_footer) between 1 and 500);
comment on column app_public.tenants.receipt_address is 'The address printed under the business name on receipts (several lines allowed).';
comment on column app_public.tenants.receipt_footer is 'Printed at the foot of receipts ("Thank you! Returns within 30 days with this receipt.").';

-- An invitation to join the business with a role: a link with a secret token (only its hash is
-- kept), valid 7 days, accepted once.
create table if not exists app_public.invitations (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  email citext not null check (email ~ '^[^\s@]+@[^\s@]+\.[^\s@]+$' and length(email) <= 254),
  role_id text not null,
  token_hash bytea not null,
  invited_by_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  accepted_by_user_id text references app_public.users on delete set null,
  revoked_at timestamptz,
  primary key (tenant_id, id),
  -- Unique within the business like every key; across businesses a collision of 192 random bits
  -- does not happen, and the link is found by its hash alone (invitations_token_idx).
  unique (tenant_id, token_hash),
  foreign key (tenant_id, role_id) references app_public.roles (tenant_id, id),
  check (accepted_at is null or revoked_at is null)
);
-- One pending invitation per email and business.
create unique index if not exists invitations_pending_email_idx on app_public.invitations (tenant_id, email)
  where accepted_at is null and revoked_at is null;
create index if not exists invitations_token_idx on app_public.invitations (token_hash);
create index if not exists invitations_role_idx on app_public.invitations (tenant_id, role_id);
create index if not exists invitations_invited_by_idx on app_public.invitations (invited_by_user_id);
create index if not exists invitations_accepted_by_idx on app_public.invitations (accepted_by_user_id);
do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.invitations'::regclass) then
    perform app_private.secure_table('app_public.invitations');
    perform app_private.enforce_active_tenant('app_public.invitations');
  end if;
end $$;

--! Included identity/201-tenants-users-locations.sql
-- Tenants, their users, roles, memberships and locations: what each may see and change. A
-- member reads their tenant, their colleagues and the tenant's roles and locations; owners and
-- managers (settings.update) rename the business and manage locations. The tables themselves
-- are in the migrations; their policies, grants and triggers are here.

/* Raises BADTZ unless the name is an IANA time zone PostgreSQL knows. */
create or replace function app_hidden.assert_valid_timezone(tz text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if tz is null or not exists (select 1 from pg_catalog.pg_timezone_names where name = tz) then
    perform app_hidden.raise_error('BADTZ', format('"%s" is not a time zone we know; use an IANA name such as Europe/Paris or America/New_York.', coalesce(tz, '')), field => 'timezone');
  end if;
end;
$$;

create or replace trigger _100_timestamps before insert or update on app_public.tenants
  for each row execute function app_private.tg__timestamps();

create or replace trigger _100_timestamps before insert or update on app_public.users
  for each row execute function app_private.tg__timestamps();

create or replace trigger _100_timestamps before insert or update on app_public.roles
  for each row execute function app_private.tg__timestamps();

create or replace trigger _100_timestamps before insert or update on app_public.memberships
  for each row execute function app_private.tg__timestamps();

create or replace function app_private.tg_locations__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.name := app_hidden.assert_name('Location name', new.name, 200, 'name');
  perform app_hidden.assert_valid_timezone(new.timezone);
  if exists (select 1 from app_public.locations l
             where l.tenant_id = new.tenant_id and l.name = new.name and l.id <> new.id) then
    perform app_hidden.raise_error('DUPNM', format('There is already a location named "%s".', new.name), field => 'name');
  end if;
  -- Its orders are dated on its clock: once it has any, the time zone is part of their record.
  if tg_op = 'UPDATE' and new.timezone is distinct from old.timezone
     and exists (select 1 from app_public.orders o where o.tenant_id = new.tenant_id and o.location_id = new.id) then
    perform app_hidden.raise_error('TZFIX',
      format('%s has sales dated on its clock (%s): its time zone cannot change. Open a new location for another time zone.', old.name, old.timezone),
      field => 'timezone');
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.locations
  for each row execute function app_private.tg_locations__validate();

create or replace trigger _100_timestamps before insert or update on app_public.locations
  for each row execute function app_private.tg__timestamps();

/* The receipt's address and footer: trimmed, blank is none, at most 500 characters each. */
create or replace function app_private.tg_tenants__validate_receipt() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.receipt_address := nullif(btrim(new.receipt_address), '');
  new.receipt_footer := nullif(btrim(new.receipt_footer), '');
  if length(new.receipt_address) > 500 then
    perform app_hidden.raise_error('BADIN', 'The receipt address can have at most 500 characters.', field => 'receiptAddress');
  end if;
  if length(new.receipt_footer) > 500 then
    perform app_hidden.raise_error('BADIN', 'The receipt footer can have at most 500 characters.', field => 'receiptFooter');
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate_receipt before insert or update of receipt_address, receipt_footer on app_public.tenants
  for each row execute function app_private.tg_tenants__validate_receipt();

------------------------------------------------------------------------------------------------
-- Policies and grants
drop policy if exists select_member on app_public.tenants;
create policy select_member on app_public.tenants for select to :DATABASE_VISITOR
  using (id in (select app_hidden.current_user_tenant_ids()));

drop policy if exists update_with_permission on app_public.tenants;
create policy update_with_permission on app_public.tenants for update to :DATABASE_VISITOR
  using (id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

revoke all on app_public.tenants from :DATABASE_VISITOR;
grant select on app_public.tenants to :DATABASE_VISITOR;
-- (tax_rate_bps is checked by the _050_validate_tax_rate trigger of app_private.tg_tenants__validate_tax_rate;
-- currency and locale by _050_validate_money, sales/301-money.sql.)
grant update (name, default_country, tax_rate_bps, currency, locale, receipt_address, receipt_footer) on app_public.tenants to :DATABASE_VISITOR;

drop policy if exists select_self_and_colleagues on app_public.users;
create policy select_self_and_colleagues on app_public.users for select to :DATABASE_VISITOR
  using (id = (select app_hidden.current_user_id())
         or id in (select m.user_id from app_public.memberships m where m.tenant_id = (select app_hidden.current_tenant_id())));

drop policy if exists update_self on app_public.users;
create policy update_self on app_public.users for update to :DATABASE_VISITOR
  using (id = (select app_hidden.current_user_id()));

revoke all on app_public.users from :DATABASE_VISITOR;
grant select on app_public.users to :DATABASE_VISITOR;
grant update (name) on app_public.users to :DATABASE_VISITOR;

drop policy if exists select_own_tenant on app_public.roles;
create policy select_own_tenant on app_public.roles for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

-- The user's own role in each of their businesses (the tenant switcher shows it).
drop policy if exists select_own_memberships on app_public.roles;
create policy select_own_memberships on app_public.roles for select to :DATABASE_VISITOR
  using ((tenant_id, id) in (select * from app_hidden.current_user_roles()));

revoke all on app_public.roles from :DATABASE_VISITOR;
grant select on app_public.roles to :DATABASE_VISITOR;

drop policy if exists select_own_and_tenant on app_public.memberships;
create policy select_own_and_tenant on app_public.memberships for select to :DATABASE_VISITOR
  using (user_id = (select app_hidden.current_user_id()) or tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.memberships from :DATABASE_VISITOR;
grant select on app_public.memberships to :DATABASE_VISITOR;

drop policy if exists select_own_tenant on app_public.locations;
create policy select_own_tenant on app_public.locations for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

drop policy if exists insert_with_permission on app_public.locations;
create policy insert_with_permission on app_public.locations for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

drop policy if exists update_with_permission on app_public.locations;
create policy update_with_permission on app_public.locations for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

revoke all on app_public.locations from :DATABASE_VISITOR;
grant select on app_public.locations to :DATABASE_VISITOR;
grant insert (name, timezone), update (name, timezone) on app_public.locations to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Closing and reopening a location

/*
 * Closes a location (needs settings.update): it sells nothing more and drops out of the pickers;
 * its orders, stock and reports stay. Refused while it has a cash drawer or orders open (close or
 * finish them first), and for the business's last open location.
 */
create or replace function app_public.close_location(location_id text) returns app_public.locations
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  loc app_public.locations;
begin
  -- The tenant's locations are locked together, so two closes at once cannot close the last two.
  perform 1 from app_public.locations l where l.tenant_id = tenant order by l.id for update;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = close_location.location_id;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(close_location.location_id, 40)));
  end if;
  if loc.closed_at is not null then
    return loc;
  end if;
  if not exists (select 1 from app_public.locations l where l.tenant_id = tenant and l.id <> loc.id and l.closed_at is null) then
    perform app_hidden.raise_error('BADIN', format('%s is the business''s only open location: open another before closing it.', loc.name));
  end if;
  if exists (select 1 from app_public.cash_drawers d where d.tenant_id = tenant and d.location_id = loc.id and d.closed_at is null) then
    perform app_hidden.raise_error('BADIN', format('The cash drawer of %s is open: count and close it first.', loc.name));
  end if;
  if exists (select 1 from app_public.orders o where o.tenant_id = tenant and o.location_id = loc.id and o.status = 'open') then
    perform app_hidden.raise_error('BADIN', format('%s has open orders: take their payment or cancel them first.', loc.name));
  end if;
  update app_public.locations l set closed_at = now() where l.tenant_id = tenant and l.id = loc.id returning * into loc;
  return loc;
end;
$$;
comment on function app_public.close_location(text) is
  E'@resultFieldName location\nCloses a location (needs settings.update): it sells nothing more and leaves the pickers; its history stays. Refused while its cash drawer or orders are open, and for the only open location.';

/* Reopens a closed location (needs settings.update); LIMIT when the plan's open locations are all taken. */
create or replace function app_public.reopen_location(location_id text) returns app_public.locations
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  loc app_public.locations;
begin
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = reopen_location.location_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(reopen_location.location_id, 40)));
  end if;
  if loc.closed_at is null then
    return loc;
  end if;
  -- An open location takes a place of the plan's (a closed one does not).
  perform app_private.assert_within_plan_limit(tenant, 'locations');
  update app_public.locations l set closed_at = null where l.tenant_id = tenant and l.id = loc.id returning * into loc;
  return loc;
end;
$$;
comment on function app_public.reopen_location(text) is E'@resultFieldName location\nOpens a closed location again (needs settings.update).';

/* The location, if it is open; LCLSD when it is closed (selling and opening a drawer need an open location). */
create or replace function app_private.assert_location_open(loc app_public.locations) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if loc.closed_at is not null then
    perform app_hidden.raise_error('LCLSD', format('%s is closed: reopen it in Settings to sell there.', loc.name), field => 'locationId');
  end if;
end;
$$;
--! EndIncluded identity/201-tenants-users-locations.sql
--! Included identity/230-staff.sql
-- Staff: who works in the business and with which role.
--
--   * invite_member(email, role) makes an invitation: a link with a secret token (only its
--     SHA-256 is kept), valid 7 days; inviting the same email again replaces the pending one. The
--     plan's seats count members and pending invitations together (LIMIT).
--   * accept_invitation(token, name, password), called by POST /auth/invitations/accept: a new
--     person gives a name and a password; someone with an account signs in with theirs (wrong
--     passwords count as at sign-in). Either way they become a member with the invited role and
--     work in the business at once.
--   * change_member_role and remove_member; the business keeps at least one owner (LASTO).
--   * Custom roles: a name and a set of permissions. The built-in roles (owner, manager, cashier)
--     are fixed.
-- Nobody hands out what they do not hold: inviting with, moving someone to, removing someone
-- of, or making a role with a permission the caller lacks is refused (DNIED), so a role with
-- settings.update alone cannot make an owner.

create or replace trigger _500_audit after insert or update or delete on app_public.roles
  for each row execute function app_private.tg__audit('created_at', 'updated_at');
create or replace trigger _500_audit after insert or update or delete on app_public.invitations
  for each row execute function app_private.tg__audit('created_at', 'token_hash');

drop policy if exists select_with_permission on app_public.invitations;
create policy select_with_permission on app_public.invitations for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('settings.view')));
revoke all on app_public.invitations from :DATABASE_VISITOR;
-- Never the token's hash.
grant select (tenant_id, id, email, role_id, invited_by_user_id, created_at, expires_at, accepted_at, accepted_by_user_id, revoked_at)
  on app_public.invitations to :DATABASE_VISITOR;

comment on table app_public.invitations is E'@unique id\nAn invitation to join the business with a role: a link valid 7 days, accepted once (inviteMember, revokeInvitation).';
comment on column app_public.invitations.tenant_id is '@behavior -*';
comment on column app_public.invitations.token_hash is '@behavior -*';
comment on constraint invitations_pkey on app_public.invitations is '@behavior -single -update -delete';
comment on constraint invitations_tenant_id_token_hash_key on app_public.invitations is '@behavior -single -update -delete';
comment on constraint invitations_tenant_id_fkey on app_public.invitations is E'@fieldName tenant\n@foreignFieldName invitations';
comment on constraint invitations_tenant_id_role_id_fkey on app_public.invitations is E'@fieldName role\n@foreignFieldName invitations';
comment on constraint invitations_invited_by_user_id_fkey on app_public.invitations is E'@fieldName invitedBy\n@foreignFieldName sentInvitations\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on constraint invitations_accepted_by_user_id_fkey on app_public.invitations is E'@fieldName acceptedBy\n@foreignFieldName acceptedInvitations\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on column app_public.invitations.email is 'Who is invited.';
comment on column app_public.invitations.expires_at is 'After this the link no longer works (7 days after it was made).';
comment on column app_public.invitations.accepted_at is 'When it was accepted (then the person is a member).';
comment on column app_public.invitations.revoked_at is 'When it was withdrawn, or replaced by a new invitation to the same email.';

------------------------------------------------------------------------------------------------
-- Rules shared by the commands

/* The caller's permissions include all of these; DNIED naming the first missing one otherwise. */
create or replace function app_private.assert_holds_permissions(permissions text[], what text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  missing text;
begin
  select p into missing from unnest(permissions) p where not p = any(app_hidden.current_permissions()) order by p limit 1;
  if missing is not null then
    perform app_hidden.raise_error('DNIED', format('%s needs %s, which you do not have.', what, missing));
  end if;
end;
$$;

/* The tenant's role with this id, locked; NOTFD (field roleId) when there is none. */
create or replace function app_private.tenant_role(tenant text, role_id text) returns app_public.roles
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  r app_public.roles;
begin
  select x.* into r from app_public.roles x where x.tenant_id = tenant and x.id = tenant_role.role_id for share;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no role %s.', left(tenant_role.role_id, 40)), field => 'roleId');
  end if;
  return r;
end;
$$;

/*
 * LASTO unless the business keeps an owner once `leaving` (a membership) is no longer one. The
 * owners' memberships are locked first, so two changes at once cannot remove the last two.
 */
create or replace function app_private.assert_keeps_an_owner(tenant text, leaving text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform 1 from app_public.memberships m join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
  where m.tenant_id = tenant and r.key = 'owner' order by m.id for update of m;
  if not exists (select 1 from app_public.memberships m join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
                 where m.tenant_id = tenant and r.key = 'owner' and m.id <> leaving) then
    perform app_hidden.raise_error('LASTO', 'The business needs an owner: make someone else owner first.');
  end if;
end;
$$;

------------------------------------------------------------------------------------------------
-- Invitations

/*
 * Invites someone by email with a role (needs settings.update and every permission of the role).
 * Returns the invitation's id, the secret token of its link (shown once: only its hash is kept)
 * and when it expires. Inviting the same email again replaces the pending invitation. Raises
 * BADEM, NOTFD (role), DNIED, DUPLI (already a member), LIMIT (seats, pending invitations
 * included).
 */
create or replace function app_public.invite_member(email text, role_id text, out invitation_id text, out token text, out expires_at timestamptz)
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  clean_email text := app_hidden.assert_valid_email(invite_member.email);
  r app_public.roles := app_private.tenant_role(tenant, invite_member.role_id);
  plan app_public.plans := app_private.tenant_plan(tenant);
  taken int;
  inv app_public.invitations;
begin
  perform app_private.assert_holds_permissions(r.permissions, format('Inviting someone as %s', r.name));
  if exists (select 1 from app_public.memberships m join app_public.users u on u.id = m.user_id
             where m.tenant_id = tenant and u.email = clean_email) then
    perform app_hidden.raise_error('DUPLI', format('%s is already a member of this business.', clean_email), field => 'email');
  end if;
  -- The same lock as every seat check: members and pending invitations are counted one at a time.
  perform pg_advisory_xact_lock(hashtext('app.plan_limits'), hashtext(tenant));
  update app_public.invitations i set revoked_at = now()
  where i.tenant_id = tenant and i.email = clean_email and i.accepted_at is null and i.revoked_at is null;
  if plan.key is not null then
    select (select count(*) from app_public.memberships m where m.tenant_id = tenant)
         + (select count(*) from app_public.invitations i
            where i.tenant_id = tenant and i.accepted_at is null and i.revoked_at is null and i.expires_at > now())
    into taken;
    if taken >= plan.max_seats then
      perform app_hidden.raise_error('LIMIT', format(
        'Your %s plan allows %s users (max_seats) and you have %s, pending invitations included. Upgrade under Settings → Billing, or revoke an invitation.',
        plan.name, plan.max_seats, taken));
    end if;
  end if;
  token := translate(encode(public.gen_random_bytes(24), 'base64'), '+/', '-_');
  insert into app_public.invitations (tenant_id, email, role_id, token_hash, invited_by_user_id)
  values (tenant, clean_email, r.id, public.digest(token, 'sha256'), app_hidden.current_user_id())
  returning * into inv;
  invitation_id := inv.id;
  expires_at := inv.expires_at;
end;
$$;
comment on function app_public.invite_member(text, text) is
  'Invites someone by email with a role (needs settings.update and the role''s permissions); returns the secret token of the link /invitations/<token> (shown once) and when it expires. Inviting the same email again replaces the pending invitation; members and pending invitations count against the plan''s seats.';

/* Withdraws a pending invitation (needs settings.update); its link stops working. */
create or replace function app_public.revoke_invitation(invitation_id text) returns app_public.invitations
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  inv app_public.invitations;
begin
  select i.* into inv from app_public.invitations i where i.tenant_id = tenant and i.id = revoke_invitation.invitation_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no invitation %s.', left(revoke_invitation.invitation_id, 40)));
  end if;
  if inv.accepted_at is not null then
    perform app_hidden.raise_error('BADIN', format('%s already accepted: remove the member instead.', inv.email));
  end if;
  update app_public.invitations i set revoked_at = coalesce(i.revoked_at, now())
  where i.tenant_id = tenant and i.id = inv.id returning * into inv;
  return inv;
end;
$$;
comment on function app_public.revoke_invitation(text) is E'@resultFieldName invitation\nWithdraws a pending invitation (needs settings.update): its link stops working.';

/* The pending invitation of a token, locked, or null (used, revoked, expired or unknown). */
create or replace function app_private.pending_invitation(token text) returns app_public.invitations
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select i.* from app_public.invitations i
  where i.token_hash = public.digest(coalesce(token, ''), 'sha256')
    and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
  for update;
$$;

/*
 * What the invitation page shows before it is accepted: the business, the role, the email, and
 * whether that email has an account (then the person signs in instead of choosing a password).
 * Nothing (no row) for a link that is used, revoked, expired or unknown. Anyone holding the
 * link may read it; the token is the secret.
 */
create or replace function app_public.invitation_by_token(token text)
returns table (business_name text, role_name text, email text, has_account boolean, expires_at timestamptz)
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select t.name, r.name, i.email::text, exists (select 1 from app_public.users u where u.email = i.email), i.expires_at
  from app_public.invitations i
  join app_public.tenants t on t.id = i.tenant_id
  join app_public.roles r on r.tenant_id = i.tenant_id and r.id = i.role_id
  where i.token_hash = public.digest(coalesce(invitation_by_token.token, ''), 'sha256')
    and i.accepted_at is null and i.revoked_at is null and i.expires_at > now();
$$;
comment on function app_public.invitation_by_token(text) is
  E'@behavior -connection +list\nThe invitation of a link, for its page: business, role, email and whether the email has an account. Empty when the link is used, revoked, expired or unknown.';

/*
 * Accepts an invitation (POST /auth/invitations/accept): someone new gives a name and a password
 * (BADIN, WEAKP); someone with an account gives their password (null is returned when it is
 * wrong, as app_hidden.login does, so the failure count commits: the server answers CREDS). They
 * become a member with the invited role (LIMIT if the plan's seats are gone meanwhile) and the
 * returned session works in the business. INVEX for a link that is used, revoked or expired.
 */
create or replace function app_hidden.accept_invitation(token text, name text, password text) returns uuid
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  inv app_public.invitations := app_private.pending_invitation(accept_invitation.token);
  member text;
  session uuid;
begin
  if inv.id is null then
    perform app_hidden.raise_error('INVEX', 'This invitation link no longer works: it was used, withdrawn or is more than 7 days old. Ask for a new one.');
  end if;
  select u.id into member from app_public.users u where u.email = inv.email;
  if member is not null then
    session := app_hidden.login(inv.email::text, accept_invitation.password);
    if session is null then
      return null;
    end if;
  else
    perform app_hidden.assert_strong_password(accept_invitation.password);
    insert into app_public.users (email, name)
    values (inv.email, app_hidden.assert_name('Your name', accept_invitation.name, 200, 'name'))
    returning id into member;
    insert into app_private.user_secrets (user_id, password_hash)
    values (member, public.crypt(accept_invitation.password, public.gen_salt('bf', 10)));
  end if;
  insert into app_public.memberships (tenant_id, user_id, role_id) values (inv.tenant_id, member, inv.role_id)
  on conflict (tenant_id, user_id) do nothing;
  update app_public.invitations i set accepted_at = now(), accepted_by_user_id = member
  where i.tenant_id = inv.tenant_id and i.id = inv.id;
  if session is null then
    return app_private.new_session(member, inv.tenant_id);
  end if;
  -- Signed in by the password: work in the business that invited them.
  update app_private.sessions s set active_tenant_id = inv.tenant_id where s.secret_hash = app_hidden.session_secret_hash(session);
  return session;
end;
$$;
comment on function app_hidden.accept_invitation(text, text, text) is 'Accepts an invitation with a new account (name, password) or an existing one (its password; null when wrong); returns the secret of a session in the business.';

------------------------------------------------------------------------------------------------
-- Members

/* Gives a member another role (needs settings.update and the permissions of both roles); LASTO for the last owner. */
create or replace function app_public.change_member_role(membership_id text, role_id text) returns app_public.memberships
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  m app_public.memberships;
  old_role app_public.roles;
  new_role app_public.roles := app_private.tenant_role(tenant, change_member_role.role_id);
begin
  select x.* into m from app_public.memberships x where x.tenant_id = tenant and x.id = change_member_role.membership_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no member %s.', left(change_member_role.membership_id, 40)));
  end if;
  select r.* into old_role from app_public.roles r where r.tenant_id = tenant and r.id = m.role_id;
  perform app_private.assert_holds_permissions(old_role.permissions, format('Changing the role of a %s', old_role.name));
  perform app_private.assert_holds_permissions(new_role.permissions, format('Making someone %s', new_role.name));
  if old_role.key = 'owner' and new_role.key <> 'owner' then
    perform app_private.assert_keeps_an_owner(tenant, m.id);
  end if;
  update app_public.memberships x set role_id = new_role.id where x.tenant_id = tenant and x.id = m.id returning * into m;
  return m;
end;
$$;
comment on function app_public.change_member_role(text, text) is
  E'@resultFieldName membership\nGives a member another role (needs settings.update and the permissions of both roles). The business keeps at least one owner (LASTO).';

/* Removes a member from the business (needs settings.update and their role's permissions); they lose access at once. LASTO for the last owner. */
create or replace function app_public.remove_member(membership_id text) returns app_public.memberships
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  m app_public.memberships;
  r app_public.roles;
begin
  select x.* into m from app_public.memberships x where x.tenant_id = tenant and x.id = remove_member.membership_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no member %s.', left(remove_member.membership_id, 40)));
  end if;
  select x.* into r from app_public.roles x where x.tenant_id = tenant and x.id = m.role_id;
  perform app_private.assert_holds_permissions(r.permissions, format('Removing a %s', r.name));
  if r.key = 'owner' then
    perform app_private.assert_keeps_an_owner(tenant, m.id);
  end if;
  delete from app_public.memberships x where x.tenant_id = tenant and x.id = m.id;
  return m;
end;
$$;
comment on function app_public.remove_member(text) is
  E'@resultFieldName membership\nRemoves a member (needs settings.update and the permissions of their role): they lose access to the business at once. The business keeps at least one owner (LASTO).';

------------------------------------------------------------------------------------------------
-- Custom roles

/* A role's permission list, checked: known permissions, at least one, each held by the caller; sorted, without repeats. */
create or replace function app_private.role_permissions(permissions text[]) returns text[]
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  unknown text;
  clean text[];
begin
  select p into unknown from unnest(coalesce(permissions, '{}')) p where not p = any(app_hidden.all_permissions()) limit 1;
  if unknown is not null then
    perform app_hidden.raise_error('BADIN', format('There is no permission "%s".', left(unknown, 40)), field => 'permissions');
  end if;
  clean := array(select distinct p from unnest(permissions) p order by p);
  if cardinality(clean) = 0 then
    perform app_hidden.raise_error('BADIN', 'A role needs at least one permission.', field => 'permissions');
  end if;
  perform app_private.assert_holds_permissions(clean, 'A role');
  return clean;
end;
$$;

/* A role's name, checked: 1–100 characters, not another role's of the business (DUPLI). */
create or replace function app_private.role_name(tenant text, name text, role_id text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  clean text := app_hidden.assert_name('Role name', name, 100, 'name');
begin
  if exists (select 1 from app_public.roles r where r.tenant_id = tenant and lower(r.name) = lower(clean) and r.id is distinct from role_id) then
    perform app_hidden.raise_error('DUPLI', format('There is already a role named "%s".', clean), field => 'name');
  end if;
  return clean;
end;
$$;

/* A custom role: a name and the permissions it carries (needs settings.update and those permissions). */
create or replace function app_public.create_role(name text, permissions text[]) returns app_public.roles
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  new_id text := public.gen_ulid();
  r app_public.roles;
begin
  insert into app_public.roles (tenant_id, id, key, name, permissions)
  values (tenant, new_id, 'custom_' || lower(new_id), app_private.role_name(tenant, create_role.name, null),
          app_private.role_permissions(create_role.permissions))
  returning * into r;
  return r;
end;
$$;
comment on function app_public.create_role(text, text[]) is
  E'@resultFieldName role\nMakes a custom role with a name and permissions (needs settings.update and every permission given).';

/* The custom role of this id, locked; NOTFD, or BADIN for a built-in role (they are fixed). */
create or replace function app_private.custom_role(tenant text, role_id text) returns app_public.roles
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  r app_public.roles;
begin
  select x.* into r from app_public.roles x where x.tenant_id = tenant and x.id = custom_role.role_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no role %s.', left(custom_role.role_id, 40)));
  end if;
  if r.key in ('owner', 'manager', 'cashier') then
    perform app_hidden.raise_error('BADIN', format('%s is a built-in role and stays as it is: make a custom role instead.', r.name));
  end if;
  return r;
end;
$$;

/* Renames a custom role and sets its permissions (needs settings.update and the permissions it had and gets); its members have the new ones at once. */
create or replace function app_public.update_role(role_id text, name text, permissions text[]) returns app_public.roles
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  r app_public.roles := app_private.custom_role(tenant, update_role.role_id);
begin
  perform app_private.assert_holds_permissions(r.permissions, format('Changing %s', r.name));
  update app_public.roles x
  set name = app_private.role_name(tenant, update_role.name, r.id), permissions = app_private.role_permissions(update_role.permissions)
  where x.tenant_id = tenant and x.id = r.id
  returning * into r;
  return r;
end;
$$;
comment on function app_public.update_role(text, text, text[]) is
  E'@resultFieldName role\nRenames a custom role and sets its permissions (needs settings.update and the permissions it had and gets); its members have them at once. Built-in roles are fixed.';

/* Deletes a custom role nobody has (needs settings.update); BADIN while members or pending invitations have it. */
create or replace function app_public.delete_role(role_id text) returns app_public.roles
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  r app_public.roles := app_private.custom_role(tenant, delete_role.role_id);
  holders int;
begin
  perform app_private.assert_holds_permissions(r.permissions, format('Deleting %s', r.name));
  select count(*) into holders from app_public.memberships m where m.tenant_id = tenant and m.role_id = r.id;
  if holders > 0 then
    perform app_hidden.raise_error('BADIN', format('%s member(s) have the role %s: give them another role first.', holders, r.name));
  end if;
  if exists (select 1 from app_public.invitations i where i.tenant_id = tenant and i.role_id = r.id and i.accepted_at is null
             and i.revoked_at is null and i.expires_at > now()) then
    perform app_hidden.raise_error('BADIN', format('A pending invitation offers the role %s: revoke it first.', r.name));
  end if;
  -- Its past invitations go with it (the audit log keeps them).
  delete from app_public.invitations i where i.tenant_id = tenant and i.role_id = r.id;
  delete from app_public.roles x where x.tenant_id = tenant and x.id = r.id;
  return r;
end;
$$;
comment on function app_public.delete_role(text) is E'@resultFieldName role\nDeletes a custom role nobody has (needs settings.update).';
--! EndIncluded identity/230-staff.sql
--! Included sales/320-orders.sql
-- Orders, their lines and tenders, and the functions that are the only way to write
-- them (place_order, record_tender, void_order, cancel_order; quote_order prices a cart without
-- writing).
--
-- An order is OPEN until it is paid in full; the payment that completes it makes it a sale
-- (status placed, placed_at and business_date of that moment — an order paid after midnight is a
-- sale of the new day, as in Square — then order.placed.v1 and the stock taken). Nothing counts an
-- open order: no visit, no spend, no sales figure, no stock. An open order given up is cancelled
-- (what was paid on it goes back); a sale taken back is voided. An import (place_order with a
-- past placed_at) and an order with nothing to pay are sales at once.
-- The API role has no insert, update or delete grant on these tables, so PostGraphile generates
-- no CRUD for them. Every total is computed here from catalog prices and the tenant's tax rate.
--
-- Pricing and rounding (db/EVENTS.md repeats it):
--   * prices are tax-exclusive integer cents; a line's subtotal is unit price × quantity;
--   * a line discount is cents off that line (0 ≤ discount ≤ line subtotal);
--   * the order discount is cents off the whole order (0 ≤ discount ≤ sum of lines after their
--     own discounts); it is spread over the lines in proportion to their amounts after line
--     discounts, rounding down, and the cents left over go one each to the lines with the largest
--     remainders (ties: the earlier line), so the shares add up to the order discount exactly;
--   * tax is computed per line on the line's net amount (after both discounts) and rounded
--     half up to the cent: tax = floor((net × tax_rate_bps + 5000) / 10000);
--   * order tax_total is the sum of the line taxes (so it can differ by a cent or so from
--     rounding the tax of the whole order once); total = subtotal − discount_total + tax_total.

create or replace trigger _100_timestamps before insert or update on app_public.orders
  for each row execute function app_private.tg__timestamps();

-- Voids are in the audit log, with their reason (orders change only when voided; placing one
-- writes no audit row: the order and its event are the record).
create or replace trigger _500_audit after update on app_public.orders
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_own_tenant on app_public.orders;
create policy select_own_tenant on app_public.orders for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.orders from :DATABASE_VISITOR;
grant select on app_public.orders to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.order_lines
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.order_lines;
create policy select_own_tenant on app_public.order_lines for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.order_lines from :DATABASE_VISITOR;
grant select on app_public.order_lines to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.tenders
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.tenders;
create policy select_own_tenant on app_public.tenders for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.tenders from :DATABASE_VISITOR;
grant select on app_public.tenders to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.refund_tenders
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.refund_tenders;
create policy select_own_tenant on app_public.refund_tenders for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.refund_tenders from :DATABASE_VISITOR;
grant select on app_public.refund_tenders to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Event payloads

/*
 * The order as consumers need it: where, when, who, the amounts, and the lines. PL/pgSQL rather
 * than SQL so that its plan is cached (it runs on every order).
 */
create or replace function app_private.order_event_payload(o app_public.orders) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select jsonb_build_object(
    'order_id', o.id,
    'location_id', o.location_id,
    'business_date', to_char(o.business_date, 'YYYY-MM-DD'),
    'placed_at', app_hidden.iso_utc(o.placed_at),
    'customer_id', o.customer_id,
    'placed_by_user_id', o.placed_by_user_id,
    'tax_rate_bps', o.tax_rate_bps,
    'subtotal', o.subtotal,
    'order_discount', o.order_discount,
    'discount_total', o.discount_total,
    'tax_total', o.tax_total,
    'total', o.total,
    'item_count', coalesce(sum(l.quantity), 0),
    'lines', coalesce(jsonb_agg(jsonb_build_object(
        'line_id', l.id,
        'line_no', l.line_no,
        'catalog_item_id', l.catalog_item_id,
        'sku', l.sku,
        'name', l.name,
        'quantity', l.quantity,
        'unit_price', l.unit_price,
        'subtotal', l.subtotal,
        'discount', l.line_discount + l.order_discount_share,
        'revenue', l.net_total,
        'tax', l.tax,
        'total', l.total) order by l.line_no) filter (where l.id is not null), '[]'::jsonb))
  from (select 1) as one
  left join app_public.order_lines l on l.tenant_id = o.tenant_id and l.order_id = o.id);
end;
$$;

/*
 * What tender.recorded.v1 says (db/EVENTS.md): the tender (on the day it was taken; tenders from
 * before that date was kept, on their order's date), and its order as it stands after the
 * payment. Like the other payload functions, no SET clause (it names only qualified objects), so
 * PostgreSQL inlines it into a bulk insert (the benchmark's data set is built with it).
 */
create or replace function app_private.tender_event_payload(t app_public.tenders, o app_public.orders) returns jsonb
language sql stable
as $$
  select pg_catalog.jsonb_build_object(
    'tender_id', t.id,
    'order_id', t.order_id,
    'location_id', o.location_id,
    'business_date', pg_catalog.to_char(coalesce(t.business_date, o.business_date), 'YYYY-MM-DD'),
    'customer_id', o.customer_id,
    'type', t.type,
    'amount', t.amount,
    'change_given', t.change_given,
    'applied_amount', t.applied_amount,
    'order_total', o.total,
    'paid_total', o.paid_total,
    'amount_due', o.amount_due,
    'recorded_at', app_hidden.iso_utc(t.created_at),
    'recorded_by_user_id', t.recorded_by_user_id);
$$;

/*
 * What order.voided.v1 says: the order's payload and the void (o is the voided order, loc its
 * location), with the money handed back per tender type (the refund tenders the void wrote).
 */
create or replace function app_private.order_voided_event_payload(o app_public.orders, loc app_public.locations) returns jsonb
language sql stable
as $$
  select app_private.order_event_payload(o) operator(pg_catalog.||) pg_catalog.jsonb_build_object(
    'voided_at', app_hidden.iso_utc(o.voided_at),
    'voided_business_date', pg_catalog.to_char(app_hidden.business_date(o.voided_at, loc.timezone), 'YYYY-MM-DD'),
    'void_reason', o.void_reason,
    'voided_by_user_id', o.voided_by_user_id,
    'paid_total', o.paid_total,
    'refund_tenders', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('type', r.type, 'amount', r.amount) order by r.type)
      from app_public.refund_tenders r
      where r.tenant_id operator(pg_catalog.=) o.tenant_id and r.order_id operator(pg_catalog.=) o.id), '[]'::jsonb));
$$;

/* What order.cancelled.v1 says: which open order was given up, why, and what went back (per tender type). */
create or replace function app_private.order_cancelled_event_payload(o app_public.orders, loc app_public.locations) returns jsonb
language sql stable
as $$
  select pg_catalog.jsonb_build_object(
    'order_id', o.id,
    'location_id', o.location_id,
    'customer_id', o.customer_id,
    'total', o.total,
    'paid_total', o.paid_total,
    'opened_at', app_hidden.iso_utc(o.created_at),
    'cancelled_at', app_hidden.iso_utc(o.cancelled_at),
    'cancelled_business_date', pg_catalog.to_char(app_hidden.business_date(o.cancelled_at, loc.timezone), 'YYYY-MM-DD'),
    'cancel_reason', o.cancel_reason,
    'cancelled_by_user_id', o.cancelled_by_user_id,
    'refund_tenders', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('type', r.type, 'amount', r.amount) order by r.type)
      from app_public.refund_tenders r
      where r.tenant_id operator(pg_catalog.=) o.tenant_id and r.order_id operator(pg_catalog.=) o.id), '[]'::jsonb));
$$;

/*
 * Hands back what was paid on an order, the way it was paid: one refund tender per tender type
 * (cash from the drawer, card back to the card), dated today at the location. Used by void and
 * cancel.
 */
create or replace function app_private.refund_payments(o app_public.orders, loc app_public.locations, reason text, actor text)
returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_public.refund_tenders (tenant_id, order_id, type, amount, reason, business_date, refunded_by_user_id, cash_drawer_id)
  select o.tenant_id, o.id, t.type, sum(t.applied_amount), reason, app_hidden.business_date(now(), loc.timezone), actor,
         -- Cash comes out of the location's open drawer (330-cash-drawers.sql).
         case when t.type = 'cash' then app_private.open_cash_drawer_id(o.tenant_id, o.location_id) end
  from app_public.tenders t
  where t.tenant_id = o.tenant_id and t.order_id = o.id
  group by t.type
  having sum(t.applied_amount) > 0
  order by t.type;
end;
$$;

/*
 * An order has just become a sale (its row says placed, with placed_at and business_date): emits
 * order.placed.v1, then takes its stocked items out of stock at the location (a sale may take
 * on-hand below zero), each movement with its event.
 */
create or replace function app_private.record_sale(o app_public.orders, actor text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.emit_event(o.tenant_id, 'order.placed.v1', 'order', o.id, app_private.order_event_payload(o), actor);
  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason,
                                              order_id, order_line_id, actor_user_id, occurred_at)
  select o.tenant_id, o.location_id, i.id, -ol.quantity, 'sale', o.id, ol.id, actor, o.placed_at
  from app_public.order_lines ol
  join app_public.inventory_items i on i.tenant_id = ol.tenant_id and i.catalog_item_id = ol.catalog_item_id
  where ol.tenant_id = o.tenant_id and ol.order_id = o.id
  order by ol.line_no;
end;
$$;

create or replace function app_private.tg_tenders__emit_event() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  o app_public.orders;
begin
  select * into o from app_public.orders x where x.tenant_id = new.tenant_id and x.id = new.order_id;
  perform app_private.emit_event(new.tenant_id, 'tender.recorded.v1', 'order', new.order_id,
    app_private.tender_event_payload(new, o), new.recorded_by_user_id);
  return null;
end;
$$;

create or replace trigger _900_emit_event after insert on app_public.tenders
  for each row execute function app_private.tg_tenders__emit_event();

/*
 * Validates the lines of a cart and prices them (rules at the top of this file). lines is a JSON
 * array of {"catalog_item_id": text, "quantity": whole number 1..10000, "discount"?: cents}.
 * Raises BADIN (malformed), EMPTY, BADQT, BADDS, NOTFD (not an item of this tenant), INACT,
 * BADAM (order too large).
 */
create or replace function app_private.price_lines(tenant_id text, lines jsonb, order_discount int, tax_rate_bps int)
returns setof app_private.priced_line
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  elem jsonb;
  n int;
  unknown_key text;
  qty numeric;
  disc numeric;
  item record;
  line_subtotal bigint;
  order_subtotal bigint := 0;
  total_net bigint := 0;
  a_item text[] := '{}';
  a_sku text[] := '{}';
  a_name text[] := '{}';
  a_price int[] := '{}';
  a_qty int[] := '{}';
  a_disc int[] := '{}';
  a_stock text[] := '{}';
begin
  if lines is null or jsonb_typeof(lines) <> 'array' then
    perform app_hidden.raise_error('BADIN', 'The lines must be a list such as [{"catalog_item_id": "…", "quantity": 1}].');
  end if;
  if jsonb_array_length(lines) = 0 then
    perform app_hidden.raise_error('EMPTY', 'An order needs at least one line.');
  end if;
  if jsonb_array_length(lines) > 200 then
    perform app_hidden.raise_error('BADIN', 'An order can have at most 200 lines.');
  end if;
  if order_discount is null or order_discount < 0 then
    perform app_hidden.raise_error('BADDS', 'The order discount must be a whole number of cents, not negative.');
  end if;

  for elem, n in select e.value, e.ordinality from jsonb_array_elements(lines) with ordinality as e order by e.ordinality loop
    if jsonb_typeof(elem) <> 'object' then
      perform app_hidden.raise_error('BADIN', format('Line %s must be an object such as {"catalog_item_id": "…", "quantity": 1}.', n));
    end if;
    select k into unknown_key from jsonb_object_keys(elem) as k
      where k not in ('catalog_item_id', 'quantity', 'discount') order by k limit 1;
    if unknown_key is not null then
      perform app_hidden.raise_error('BADIN', format('Line %s: unknown field "%s" (use catalog_item_id, quantity and discount).', n, left(unknown_key, 40)));
    end if;
    if jsonb_typeof(elem -> 'catalog_item_id') is distinct from 'string' then
      perform app_hidden.raise_error('BADIN', format('Line %s: catalog_item_id is required.', n));
    end if;
    if jsonb_typeof(elem -> 'quantity') is distinct from 'number' then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    qty := (elem ->> 'quantity')::numeric;
    if qty <> trunc(qty) or qty < 1 or qty > 10000 then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    if coalesce(jsonb_typeof(elem -> 'discount'), 'null') = 'null' then
      disc := 0;
    elsif jsonb_typeof(elem -> 'discount') <> 'number' then
      perform app_hidden.raise_error('BADDS', format('Line %s: the discount must be a whole number of cents.', n));
    else
      disc := (elem ->> 'discount')::numeric;
      if disc <> trunc(disc) or disc < 0 then
        perform app_hidden.raise_error('BADDS', format('Line %s: the discount must be a whole number of cents, not negative.', n));
      end if;
    end if;

    select c.id, c.sku, c.name, c.price, c.active, i.id as inventory_item_id into item
    from app_public.catalog_items c
    left join app_public.inventory_items i on i.tenant_id = c.tenant_id and i.catalog_item_id = c.id
    where c.tenant_id = price_lines.tenant_id and c.id = elem ->> 'catalog_item_id';
    if not found then
      perform app_hidden.raise_error('NOTFD', format('Line %s: there is no catalog item %s.', n, left(elem ->> 'catalog_item_id', 40)));
    end if;
    if not item.active then
      perform app_hidden.raise_error('INACT', format('Line %s: %s is not for sale (inactive).', n, item.name));
    end if;

    line_subtotal := item.price::bigint * qty::bigint;
    if disc > line_subtotal then
      perform app_hidden.raise_error('BADDS', format('Line %s: the discount (%s) is more than the line amount (%s).', n, disc, line_subtotal));
    end if;
    order_subtotal := order_subtotal + line_subtotal;
    if order_subtotal > 1000000000 then
      perform app_hidden.raise_error('BADAM', 'This order is too large: its subtotal cannot exceed 1000000000 cents.');
    end if;
    total_net := total_net + line_subtotal - disc::bigint;
    a_item := a_item || item.id;
    a_sku := a_sku || item.sku;
    a_name := a_name || item.name;
    a_price := a_price || item.price;
    a_qty := a_qty || qty::int;
    a_disc := a_disc || disc::int;
    a_stock := a_stock || item.inventory_item_id;
  end loop;

  if order_discount > total_net then
    perform app_hidden.raise_error('BADDS', format(
      'The order discount (%s) is more than the order amount after line discounts (%s).', order_discount, total_net));
  end if;

  return query
  with l as (
    select u.line_no::int as line_no, u.catalog_item_id, u.sku, u.name, u.unit_price, u.quantity, u.line_discount,
           u.inventory_item_id, u.unit_price::bigint * u.quantity as subtotal,
           u.unit_price::bigint * u.quantity - u.line_discount as net
    from unnest(a_item, a_sku, a_name, a_price, a_qty, a_disc, a_stock)
      with ordinality as u(catalog_item_id, sku, name, unit_price, quantity, line_discount, inventory_item_id, line_no)
  ), alloc as (
    select l.*,
           case when total_net = 0 then 0 else (order_discount::bigint * l.net) / total_net end as floor_share,
           case when total_net = 0 then 0 else (order_discount::bigint * l.net) % total_net end as remainder
    from l
  ), ranked as (
    select a.*,
           row_number() over (order by a.remainder desc, a.line_no) as rank,
           sum(a.floor_share) over () as floor_sum
    from alloc a
  ), shared as (
    select r.*, r.floor_share + case when r.rank <= order_discount - r.floor_sum then 1 else 0 end as share
    from ranked r
  ), taxed as (
    select s.*, s.net - s.share as net_total,
           ((s.net - s.share) * tax_rate_bps + 5000) / 10000 as tax
    from shared s
  )
  select t.line_no, t.catalog_item_id, t.sku, t.name, t.unit_price, t.quantity, t.subtotal::int, t.line_discount,
         t.share::int, t.net_total::int, t.tax::int, (t.net_total + t.tax)::int, t.inventory_item_id
  from taxed t
  order by t.line_no;
end;
$$;

/*
 * The customer id an order of the tenant records for the given one (null for none): an order may
 * only name a customer of the tenant (NOTFD), and an order for a customer that was merged is
 * recorded for the customer it was merged into.
 */
create or replace function app_private.order_customer_id(tenant_id text, customer_id text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  live text;
begin
  if customer_id is null or btrim(customer_id) = '' then
    return null;
  end if;
  live := app_private.live_customer_id(order_customer_id.tenant_id, btrim(order_customer_id.customer_id));
  if live is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', left(btrim(customer_id), 40)));
  end if;
  return live;
end;
$$;

create or replace function app_public.quote_order(lines jsonb, discount int default 0) returns app_public.order_quote
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  rate int;
  result app_public.order_quote;
begin
  select t.tax_rate_bps into rate from app_public.tenants t where t.id = tenant;
  select sum(p.subtotal)::int, (sum(p.line_discount) + coalesce(quote_order.discount, 0))::int, rate,
         sum(p.tax)::int, sum(p.total)::int,
         jsonb_agg(to_jsonb(p) - 'inventory_item_id' order by p.line_no)
    into result
  from app_private.price_lines(tenant, quote_order.lines, coalesce(quote_order.discount, 0), rate) p;
  return result;
end;
$$;
comment on function app_public.quote_order(jsonb, int) is
  E'Prices a cart without placing it (needs sales.sell): the same validation, totals and rounding as placeOrder. lines is a JSON list of {"catalog_item_id", "quantity", "discount"?}; discount is cents off the whole order.';

------------------------------------------------------------------------------------------------
-- Writing orders

/*
 * Opens an order at a location (needs sales.sell): validates and prices the lines (see the top
 * of this file) and writes the order and its lines. It is open — not a sale — until payments cover
 * its total (record_tender). An order with nothing to pay, and an import (placed_at, past only,
 * needs settings.update), are sales at once: order.placed.v1 and the stock movements, in the
 * caller's transaction.
 */
create or replace function app_public.place_order(
  location_id text, lines jsonb, customer_id text default null, discount int default 0,
  placed_at timestamptz default null
) returns app_public.orders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  me text := app_hidden.current_user_id();
  loc app_public.locations;
  rate int;
  order_discount int := coalesce(place_order.discount, 0);
  customer text;
  priced app_private.priced_line[];
  total bigint;
  sale_time timestamptz;
  result app_public.orders;
begin
  if place_order.placed_at is not null then
    if not app_hidden.has_permission('settings.update') then
      perform app_hidden.raise_error('DNIED', 'Only an owner (settings.update) can record orders with a past date.');
    end if;
    perform app_hidden.assert_recorded_time('The time of an order', place_order.placed_at, 'placed_at');
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = place_order.location_id;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(place_order.location_id, 40)));
  end if;
  -- A closed location sells nothing (an import of its past sales is still recorded).
  if place_order.placed_at is null then
    perform app_private.assert_location_open(loc);
  end if;
  customer := app_private.order_customer_id(tenant, place_order.customer_id);
  select t.tax_rate_bps into rate from app_public.tenants t where t.id = tenant;
  select array_agg(p order by p.line_no), sum(p.total) into priced, total
  from app_private.price_lines(tenant, place_order.lines, order_discount, rate) p;
  -- An import is a sale of its time; an order with nothing to pay is a sale now; others are open.
  sale_time := case when place_order.placed_at is not null then place_order.placed_at when total = 0 then now() end;

  insert into app_public.orders (tenant_id, location_id, customer_id, status, subtotal, order_discount, discount_total,
                                 tax_rate_bps, tax_total, total, placed_at, business_date, placed_by_user_id)
  select tenant, loc.id, customer, case when sale_time is null then 'open' else 'placed' end, sum(p.subtotal), order_discount,
         sum(p.line_discount) + order_discount, rate, sum(p.tax), sum(p.total), sale_time,
         app_hidden.business_date(sale_time, loc.timezone), me
  from unnest(priced) p
  returning * into result;

  insert into app_public.order_lines (tenant_id, order_id, line_no, catalog_item_id, sku, name, unit_price, quantity,
                                      subtotal, line_discount, order_discount_share, net_total, tax, total)
  select tenant, result.id, p.line_no, p.catalog_item_id, p.sku, p.name, p.unit_price, p.quantity,
         p.subtotal, p.line_discount, p.order_discount_share, p.net_total, p.tax, p.total
  from unnest(priced) p
  order by p.line_no;

  if result.status = 'placed' then
    perform app_private.record_sale(result, me);
  end if;
  return result;
end;
$$;
comment on function app_public.place_order(text, jsonb, text, int, timestamptz) is
  E'@resultFieldName order\nOpens an order (needs sales.sell). lines is a JSON list of {"catalog_item_id": "…", "quantity": 1, "discount": 0} (discount in minor units off that line); discount is off the whole order. Totals are computed from catalog prices and the tax rate: tax per line on the discounted amount, rounded half up. The order is open — not a sale, no stock taken — until payments (recordTender) cover its total; an order with nothing to pay is a sale at once. placedAt records a past sale (an import, owners only): a sale at once.';

/*
 * Records a payment towards an order (needs sales.sell), on the day it is taken at the order's
 * location. Cash may exceed the amount due: the difference is change given back. Card may not
 * exceed it. The payment that covers an open order's total makes it a sale (record_sale). Nothing
 * can be tendered to a voided, cancelled or fully paid order. The order row is locked, so
 * concurrent tenders cannot over-pay it.
 */
create or replace function app_public.record_tender(order_id text, type text, amount int) returns app_public.tenders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  me text := app_hidden.current_user_id();
  o app_public.orders;
  loc app_public.locations;
  due int;
  change int := 0;
  result app_public.tenders;
begin
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = record_tender.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(record_tender.order_id, 40)));
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order was voided; it cannot take payments.');
  end if;
  if o.status = 'cancelled' then
    perform app_hidden.raise_error('BADIN', 'This order was cancelled; it cannot take payments.');
  end if;
  if record_tender.type is null or record_tender.type not in ('cash', 'card') then
    perform app_hidden.raise_error('BADIN', 'The tender type must be cash or card.');
  end if;
  if record_tender.amount is null or record_tender.amount <= 0 or record_tender.amount > 100000000 then
    perform app_hidden.raise_error('BADAM', 'The amount must be a positive number of minor units (at most 100000000).');
  end if;
  due := o.total - o.paid_total;
  if due <= 0 then
    perform app_hidden.raise_error('OVRTN', 'This order is already paid in full.');
  end if;
  if record_tender.amount > due then
    if record_tender.type = 'card' then
      perform app_hidden.raise_error('OVRTN', format('A card payment cannot exceed the amount due (%s).', due));
    end if;
    change := record_tender.amount - due;
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;
  update app_public.orders x set paid_total = x.paid_total + (record_tender.amount - change)
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;
  insert into app_public.tenders (tenant_id, order_id, type, amount, change_given, recorded_by_user_id, business_date, cash_drawer_id)
    values (tenant, o.id, record_tender.type, record_tender.amount, change, me,
            -- A payment on an imported sale counts on the sale's date; any other on the day it is taken.
            case when o.status = 'placed' then o.business_date else app_hidden.business_date(now(), loc.timezone) end,
            -- Cash goes into the location's open drawer (330-cash-drawers.sql).
            case when record_tender.type = 'cash' then app_private.open_cash_drawer_id(tenant, o.location_id) end)
    returning * into result;
  if o.status = 'open' and o.paid_total = o.total then
    update app_public.orders x set status = 'placed', placed_at = now(), business_date = app_hidden.business_date(now(), loc.timezone)
      where x.tenant_id = tenant and x.id = o.id
      returning * into o;
    perform app_private.record_sale(o, me);
  end if;
  return result;
end;
$$;
comment on function app_public.record_tender(text, text, int) is
  E'@resultFieldName tender\nRecords a payment towards an order (needs sales.sell). type is cash or card; amount in minor units of the business''s currency. Cash above the amount due gives change (changeGiven); card cannot exceed the amount due. The payment that covers an open order''s total makes it a sale (status placed, placedAt now). Voided, cancelled or fully paid orders take no payment.';

/*
 * Voids a placed order once (needs sales.void): marks it voided with the reason, keeps its lines
 * and tenders, hands back what was paid by the way it was paid (a refund tender per type: cash
 * from the drawer, card back to the card, on today's date at the location), writes the opposite
 * sale movement for each of its sale movements, and emits order.voided.v1 (with the amounts to
 * take back and the refund tenders) then the movement events.
 */
create or replace function app_public.void_order(order_id text, reason text) returns app_public.orders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.void');
  me text := app_hidden.current_user_id();
  why text;
  o app_public.orders;
  loc app_public.locations;
begin
  why := app_hidden.assert_name('The reason for the void', void_order.reason, 500, 'reason');
  perform app_private.begin_change('void_order', why);
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = void_order.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(void_order.order_id, 40)));
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order is already voided.');
  end if;
  if o.status = 'open' then
    perform app_hidden.raise_error('BADIN', 'This order is open, not a sale yet: cancel it instead.');
  end if;
  if o.status <> 'placed' then
    perform app_hidden.raise_error('BADIN', 'Only a sale can be voided.');
  end if;
  -- A void takes back the whole sale: after a refund of some lines, the rest is refunded instead (340-refunds.sql).
  if exists (select 1 from app_public.order_refunds f where f.tenant_id = tenant and f.order_id = o.id) then
    perform app_hidden.raise_error('BADIN', 'This sale has refunds: refund its remaining lines instead of voiding it.');
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;

  update app_public.orders x
    set status = 'voided', voided_at = now(), void_reason = why, voided_by_user_id = me
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;

  perform app_private.refund_payments(o, loc, why, me);

  perform app_private.emit_event(tenant, 'order.voided.v1', 'order', o.id, app_private.order_voided_event_payload(o, loc), me);

  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason, note,
                                              order_id, order_line_id, actor_user_id)
  select m.tenant_id, m.location_id, m.inventory_item_id, -m.quantity, 'sale', 'Void of order ' || o.id,
         m.order_id, m.order_line_id, me
  from app_public.inventory_movements m
  where m.tenant_id = tenant and m.order_id = o.id and m.reason = 'sale' and m.quantity < 0
  order by m.id;

  perform app_private.end_change();
  return o;
end;
$$;
comment on function app_public.void_order(text, text) is
  E'@resultFieldName order\nVoids a placed order, once (needs sales.void). The order keeps its lines and tenders; what was paid is handed back the way it was paid (refundTenders: cash from the drawer, card back to the card), counted as a refund today; stock sold is put back.';

/*
 * Cancels an open order (needs sales.sell): a charge given up at the till. It never was a sale,
 * so nothing counts it; what was paid on it goes back the way it was paid (refund tenders, today)
 * and order.cancelled.v1 says so. A sale is voided instead (void_order).
 */
create or replace function app_public.cancel_order(order_id text, reason text) returns app_public.orders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  me text := app_hidden.current_user_id();
  why text;
  o app_public.orders;
  loc app_public.locations;
begin
  why := app_hidden.assert_name('The reason for cancelling', cancel_order.reason, 500, 'reason');
  perform app_private.begin_change('cancel_order', why);
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = cancel_order.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(cancel_order.order_id, 40)));
  end if;
  if o.status = 'cancelled' then
    perform app_hidden.raise_error('BADIN', 'This order is already cancelled.');
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order was voided.');
  end if;
  if o.status <> 'open' then
    perform app_hidden.raise_error('BADIN', 'This order is a sale (paid in full): void it instead.');
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;

  update app_public.orders x
    set status = 'cancelled', cancelled_at = now(), cancel_reason = why, cancelled_by_user_id = me
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;
  perform app_private.refund_payments(o, loc, why, me);
  perform app_private.emit_event(tenant, 'order.cancelled.v1', 'order', o.id, app_private.order_cancelled_event_payload(o, loc), me);

  perform app_private.end_change();
  return o;
end;
$$;
comment on function app_public.cancel_order(text, text) is
  E'@resultFieldName order\nCancels an open order (needs sales.sell): a charge given up. It never was a sale and counts nowhere; what was paid on it goes back the way it was paid (refundTenders). A sale is voided instead (voidOrder).';

/* The open orders of a location, newest first: the till's "resume or cancel" list. */
create or replace function app_public.open_orders(location_id text) returns setof app_public.orders
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select o.* from app_public.orders o
  where o.tenant_id = (select app_hidden.current_tenant_id()) and o.location_id = open_orders.location_id and o.status = 'open'
  order by o.created_at desc, o.id desc;
$$;
comment on function app_public.open_orders(text) is E'@behavior -connection +list\nThe open orders (not paid in full yet) of a location, newest first: to resume their payment or cancel them.';
--! EndIncluded sales/320-orders.sql
--! Included sales/330-cash-drawers.sql
-- The cash drawer: what makes "cash" a number the shop checks every evening.
--
-- A drawer is opened at a location with a float (open_cash_drawer); one drawer at a time per
-- location. While it is open, every cash payment taken at the location goes into it and every
-- cash refund (a void, a cancel) comes out of it: record_tender and refund_payments stamp the
-- tender with the open drawer (app_private.open_cash_drawer_id). Cash put in or taken out for
-- anything else is an entry with a reason (record_cash_drawer_entry). Closing it with the amount
-- counted (close_cash_drawer) stores what was expected and the difference:
--
--   expected = opening float + cash payments − cash refunds + cash put in − cash taken out
--   difference = counted − expected   (negative: short; positive: over)
--
-- Exact under concurrency: a payment takes a key-share lock on the drawer row it goes into and
-- close takes the row for update, so a close waits for the payments in flight and counts them;
-- a payment after the close finds no open drawer. Cash taken with no drawer open goes into none.
-- Card payments never touch a drawer.

create or replace trigger _010_append_only before update or delete on app_public.cash_drawer_entries
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.cash_drawers;
create policy select_own_tenant on app_public.cash_drawers for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
revoke all on app_public.cash_drawers from :DATABASE_VISITOR;
grant select on app_public.cash_drawers to :DATABASE_VISITOR;

drop policy if exists select_own_tenant on app_public.cash_drawer_entries;
create policy select_own_tenant on app_public.cash_drawer_entries for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
revoke all on app_public.cash_drawer_entries from :DATABASE_VISITOR;
grant select on app_public.cash_drawer_entries to :DATABASE_VISITOR;

comment on table app_public.cash_drawers is E'@unique id\nA cash drawer session at a location: opened with a float, closed with the amount counted. Written only by openCashDrawer, recordCashDrawerEntry and closeCashDrawer.';
comment on column app_public.cash_drawers.tenant_id is '@behavior -*';
comment on constraint cash_drawers_pkey on app_public.cash_drawers is '@behavior -single -update -delete';
comment on constraint cash_drawers_tenant_id_fkey on app_public.cash_drawers is E'@fieldName tenant\n@foreignFieldName cashDrawers';
comment on constraint cash_drawers_tenant_id_location_id_fkey on app_public.cash_drawers is E'@fieldName location\n@foreignFieldName cashDrawers';
comment on constraint cash_drawers_opened_by_user_id_fkey on app_public.cash_drawers is E'@fieldName openedBy\n@foreignFieldName openedCashDrawers';
comment on constraint cash_drawers_closed_by_user_id_fkey on app_public.cash_drawers is E'@fieldName closedBy\n@foreignFieldName closedCashDrawers';
comment on column app_public.cash_drawers.business_date is 'The day it was opened, at the location: the day of the Drawer report it belongs to.';
comment on column app_public.cash_drawers.opening_float is 'The cash in it when opened, in minor units of the business''s currency.';
comment on column app_public.cash_drawers.closed_at is 'When it was closed (counted); null while open.';
comment on column app_public.cash_drawers.expected is 'What should have been in it at the close: float + cash payments − cash refunds + cash put in − cash taken out.';
comment on column app_public.cash_drawers.counted is 'The cash counted in it at the close.';
comment on column app_public.cash_drawers.difference is 'counted − expected: negative when short, positive when over.';
comment on column app_public.cash_drawers.note is 'What the person closing it wrote (why it is short, say).';

comment on table app_public.cash_drawer_entries is E'@unique id\nCash put into or taken out of a drawer for something other than a sale (change brought in, milk bought, a bank drop), with the reason. Never changed.';
comment on column app_public.cash_drawer_entries.tenant_id is '@behavior -*';
comment on constraint cash_drawer_entries_pkey on app_public.cash_drawer_entries is '@behavior -single -update -delete';
comment on constraint cash_drawer_entries_tenant_id_fkey on app_public.cash_drawer_entries is E'@fieldName tenant\n@foreignFieldName cashDrawerEntries';
comment on constraint cash_drawer_entries_tenant_id_cash_drawer_id_fkey on app_public.cash_drawer_entries is E'@fieldName cashDrawer\n@foreignFieldName entries';
comment on column app_public.cash_drawer_entries.kind is 'in (cash put in) or out (cash taken out).';
comment on column app_public.cash_drawer_entries.amount is 'In minor units of the business''s currency, > 0.';
comment on column app_public.cash_drawer_entries.recorded_by_user_id is 'Who (a user id kept as it was).';

comment on constraint tenders_cash_drawer_fkey on app_public.tenders is E'@fieldName cashDrawer\n@foreignFieldName tenders';
comment on constraint refund_tenders_cash_drawer_fkey on app_public.refund_tenders is E'@fieldName cashDrawer\n@foreignFieldName refundTenders';
comment on column app_public.tenders.cash_drawer_id is 'The drawer a cash payment went into (null for card, or when no drawer was open at the location).';
comment on column app_public.refund_tenders.cash_drawer_id is 'The drawer cash handed back came out of (null for card, or when no drawer was open at the location).';

/*
 * The open drawer at a location, locked for key share so that its close waits for this
 * transaction (and then counts its cash); null when none is open. Called for cash only.
 */
create or replace function app_private.open_cash_drawer_id(tenant_id text, location_id text) returns text
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select d.id from app_public.cash_drawers d
  where d.tenant_id = open_cash_drawer_id.tenant_id and d.location_id = open_cash_drawer_id.location_id and d.closed_at is null
  for key share;
$$;

------------------------------------------------------------------------------------------------
-- What a drawer holds (computed columns; for a closed drawer, what it held when it was closed)

create or replace function app_public.cash_drawers_cash_payments(d app_public.cash_drawers) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(t.applied_amount), 0)::int from app_public.tenders t
  where t.tenant_id = d.tenant_id and t.cash_drawer_id = d.id;
$$;
comment on function app_public.cash_drawers_cash_payments(app_public.cash_drawers) is E'@notNull\nCash payments that went into it (cash handed over minus change).';

create or replace function app_public.cash_drawers_cash_refunds(d app_public.cash_drawers) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(r.amount), 0)::int from app_public.refund_tenders r
  where r.tenant_id = d.tenant_id and r.cash_drawer_id = d.id;
$$;
comment on function app_public.cash_drawers_cash_refunds(app_public.cash_drawers) is E'@notNull\nCash handed back from it (voids, cancelled orders).';

create or replace function app_public.cash_drawers_cash_in(d app_public.cash_drawers) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(e.amount), 0)::int from app_public.cash_drawer_entries e
  where e.tenant_id = d.tenant_id and e.cash_drawer_id = d.id and e.kind = 'in';
$$;
comment on function app_public.cash_drawers_cash_in(app_public.cash_drawers) is E'@notNull\nCash put in (entries of kind in).';

create or replace function app_public.cash_drawers_cash_out(d app_public.cash_drawers) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(e.amount), 0)::int from app_public.cash_drawer_entries e
  where e.tenant_id = d.tenant_id and e.cash_drawer_id = d.id and e.kind = 'out';
$$;
comment on function app_public.cash_drawers_cash_out(app_public.cash_drawers) is E'@notNull\nCash taken out (entries of kind out).';

/* The rule: float + cash payments − cash refunds + cash in − cash out. */
create or replace function app_public.cash_drawers_expected_now(d app_public.cash_drawers) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select d.opening_float + app_public.cash_drawers_cash_payments(d) - app_public.cash_drawers_cash_refunds(d)
         + app_public.cash_drawers_cash_in(d) - app_public.cash_drawers_cash_out(d);
$$;
comment on function app_public.cash_drawers_expected_now(app_public.cash_drawers) is E'@notNull\nWhat should be in it: float + cash payments − cash refunds + cash put in − cash taken out (for a closed drawer, the same as expected).';

------------------------------------------------------------------------------------------------
-- Commands

/*
 * Opens a drawer at a location with a float (needs sales.sell). Refused while another drawer is
 * open there (the unique index decides between two at once).
 */
create or replace function app_public.open_cash_drawer(location_id text, opening_float int) returns app_public.cash_drawers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  loc app_public.locations;
  d app_public.cash_drawers;
begin
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = open_cash_drawer.location_id;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(open_cash_drawer.location_id, 40)), field => 'locationId');
  end if;
  perform app_private.assert_location_open(loc);
  if open_cash_drawer.opening_float is null or open_cash_drawer.opening_float < 0 or open_cash_drawer.opening_float > 100000000 then
    perform app_hidden.raise_error('BADAM', 'The float must be an amount from 0 (at most 100000000 minor units).', field => 'openingFloat');
  end if;
  begin
    insert into app_public.cash_drawers (tenant_id, location_id, business_date, opening_float, opened_by_user_id)
    values (tenant, loc.id, app_hidden.business_date(now(), loc.timezone), open_cash_drawer.opening_float, app_hidden.current_user_id())
    returning * into d;
  exception when unique_violation then
    perform app_hidden.raise_error('BADIN', format('A drawer is already open at %s: close it before opening another.', loc.name));
  end;
  return d;
end;
$$;
comment on function app_public.open_cash_drawer(text, int) is
  E'@resultFieldName cashDrawer\nOpens the cash drawer of a location with a float in minor units (needs sales.sell). One drawer at a time per location: while it is open, cash payments and cash refunds there go into and out of it.';

/*
 * Cash put in or taken out of an open drawer, with a reason (needs sales.sell). Taking out more
 * than the drawer should hold is refused.
 */
create or replace function app_public.record_cash_drawer_entry(cash_drawer_id text, kind text, amount int, reason text)
returns app_public.cash_drawer_entries
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  why text := app_hidden.assert_name('The reason', record_cash_drawer_entry.reason, 500, 'reason');
  d app_public.cash_drawers;
  cur app_public.currencies := app_private.tenant_currency(tenant);
  holds int;
  result app_public.cash_drawer_entries;
begin
  select x.* into d from app_public.cash_drawers x where x.tenant_id = tenant and x.id = record_cash_drawer_entry.cash_drawer_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no cash drawer %s.', left(record_cash_drawer_entry.cash_drawer_id, 40)));
  end if;
  if d.closed_at is not null then
    perform app_hidden.raise_error('BADIN', 'This drawer is closed: open one to put cash in or take it out.');
  end if;
  if record_cash_drawer_entry.kind is null or record_cash_drawer_entry.kind not in ('in', 'out') then
    perform app_hidden.raise_error('BADIN', 'Say whether cash goes in or out.', field => 'kind');
  end if;
  if record_cash_drawer_entry.amount is null or record_cash_drawer_entry.amount <= 0 or record_cash_drawer_entry.amount > 100000000 then
    perform app_hidden.raise_error('BADAM', 'The amount must be a positive number of minor units (at most 100000000).', field => 'amount');
  end if;
  holds := app_public.cash_drawers_expected_now(d);
  if record_cash_drawer_entry.kind = 'out' and record_cash_drawer_entry.amount > holds then
    perform app_hidden.raise_error('BADAM',
      format('The drawer should hold only %s %s: that much can be taken out.', app_hidden.major_units(holds, cur.minor_units), cur.code),
      field => 'amount');
  end if;
  insert into app_public.cash_drawer_entries (tenant_id, cash_drawer_id, kind, amount, reason, recorded_by_user_id)
  values (tenant, d.id, record_cash_drawer_entry.kind, record_cash_drawer_entry.amount, why, app_hidden.current_user_id())
  returning * into result;
  return result;
end;
$$;
comment on function app_public.record_cash_drawer_entry(text, text, int, text) is
  E'@resultFieldName entry\nCash put into (kind in) or taken out of (kind out) an open drawer, in minor units, with a reason (needs sales.sell). Taking out more than the drawer should hold is refused (BADAM).';

/*
 * Closes an open drawer with the cash counted (needs sales.sell): stores what was expected and
 * the difference. Waits for payments in flight into it (they hold a key-share lock on it).
 */
create or replace function app_public.close_cash_drawer(cash_drawer_id text, counted int, note text default null)
returns app_public.cash_drawers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  said text := app_hidden.optional_name('The note', close_cash_drawer.note, 500, 'note');
  d app_public.cash_drawers;
begin
  select x.* into d from app_public.cash_drawers x where x.tenant_id = tenant and x.id = close_cash_drawer.cash_drawer_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no cash drawer %s.', left(close_cash_drawer.cash_drawer_id, 40)));
  end if;
  if d.closed_at is not null then
    perform app_hidden.raise_error('BADIN', 'This drawer is already closed.');
  end if;
  if close_cash_drawer.counted is null or close_cash_drawer.counted < 0 or close_cash_drawer.counted > 100000000 then
    perform app_hidden.raise_error('BADAM', 'Enter the cash counted in the drawer (0 or more).', field => 'counted');
  end if;
  update app_public.cash_drawers x set
    closed_at = now(), closed_by_user_id = app_hidden.current_user_id(),
    expected = app_public.cash_drawers_expected_now(d), counted = close_cash_drawer.counted, note = said
  where x.tenant_id = tenant and x.id = d.id
  returning * into d;
  return d;
end;
$$;
comment on function app_public.close_cash_drawer(text, int, text) is
  E'@resultFieldName cashDrawer\nCloses an open drawer with the cash counted, in minor units (needs sales.sell), and an optional note: keeps what was expected (float + cash payments − cash refunds + cash in − cash out) and the difference (counted − expected).';

/* The open drawer of a location, or null: what the till shows. */
create or replace function app_public.open_cash_drawer_at(location_id text) returns app_public.cash_drawers
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_public.cash_drawers d
  where d.tenant_id = (select app_hidden.current_tenant_id()) and d.location_id = open_cash_drawer_at.location_id and d.closed_at is null;
$$;
comment on function app_public.open_cash_drawer_at(text) is 'The open cash drawer of a location, or null when none is open.';
--! EndIncluded sales/330-cash-drawers.sql
--! Included billing/530-limits.sql
-- POS devices, and the plan limits on seats (memberships), locations and devices.
-- A row beyond the limit of the tenant's plan is refused with LIMIT, whoever inserts it (GraphQL,
-- SQL, the worker, onboarding). Checks of one tenant are serialised by a transaction advisory
-- lock, so two concurrent inserts cannot both take the last place.

create or replace function app_private.tg_devices__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.name := app_hidden.assert_name('Device name', new.name, 100);
  if exists (select 1 from app_public.devices d
             where d.tenant_id = new.tenant_id and d.location_id = new.location_id and d.name = new.name and d.id <> new.id) then
    perform app_hidden.raise_error('DUPLI', format('There is already a device named "%s" at this location.', new.name));
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.devices
  for each row execute function app_private.tg_devices__validate();

create or replace trigger _100_timestamps before insert or update on app_public.devices
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update or delete on app_public.devices
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_own_tenant on app_public.devices;
create policy select_own_tenant on app_public.devices for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

drop policy if exists insert_with_permission on app_public.devices;
create policy insert_with_permission on app_public.devices for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

drop policy if exists update_with_permission on app_public.devices;
create policy update_with_permission on app_public.devices for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

drop policy if exists delete_with_permission on app_public.devices;
create policy delete_with_permission on app_public.devices for delete to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

revoke all on app_public.devices from :DATABASE_VISITOR;
grant select, delete on app_public.devices to :DATABASE_VISITOR;
grant insert (location_id, name), update (location_id, name) on app_public.devices to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Usage and limits

/* What the tenant uses of each limit. */
create or replace function app_private.tenant_usage(tenant text, out seats int, out locations int, out devices int)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select (select count(*)::int from app_public.memberships m where m.tenant_id = tenant),
         -- Open locations: a closed one keeps its history and frees its place.
         (select count(*)::int from app_public.locations l where l.tenant_id = tenant and l.closed_at is null),
         (select count(*)::int from app_public.devices d where d.tenant_id = tenant);
$$;
comment on function app_private.tenant_usage(text) is 'Seats (memberships), open locations and devices the tenant has.';

/*
 * Why the tenant cannot move to the plan (usage above its limits), or null when it can.
 * Used by change_plan and again by its job.
 */
create or replace function app_private.plan_change_problem(tenant text, target_plan text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  plan app_public.plans;
  usage record;
  problems text[] := '{}';
begin
  select p.* into plan from app_public.plans p where p.key = target_plan;
  select u.* into usage from app_private.tenant_usage(tenant) u;
  if usage.seats > plan.max_seats then
    problems := problems || format('%s users (it allows %s; remove %s)', usage.seats, plan.max_seats, usage.seats - plan.max_seats);
  end if;
  if usage.locations > plan.max_locations then
    problems := problems || format('%s locations (it allows %s; remove %s)', usage.locations, plan.max_locations, usage.locations - plan.max_locations);
  end if;
  if usage.devices > plan.max_devices then
    problems := problems || format('%s devices (it allows %s; remove %s)', usage.devices, plan.max_devices, usage.devices - plan.max_devices);
  end if;
  if cardinality(problems) = 0 then
    return null;
  end if;
  return format('You cannot move to the %s plan: you have %s.', plan.name, array_to_string(problems, ', '));
end;
$$;
comment on function app_private.plan_change_problem(text, text) is 'The reason usage does not fit the plan''s limits, or null.';

/*
 * The plan-change rule as the admin reads it ahead of asking: why the current business could not
 * move to this plan now (the DOWNG message change_plan would refuse it with), or null when its
 * usage fits. Null too for whoever may not see billing (settings.view), so it tells nothing.
 */
create or replace function app_public.plans_change_problem(plan app_public.plans) returns text
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null or not app_hidden.has_permission('settings.view') then
    return null;
  end if;
  return app_private.plan_change_problem(tenant, plan.key);
end;
$$;
comment on function app_public.plans_change_problem(app_public.plans) is
  'Why the business could not move to this plan now (its usage over the plan''s limits, as changePlan would refuse it with DOWNG); null when it fits.';

/* Raises LIMIT when the tenant already uses all of `what` (seats, locations, devices) its plan allows. */
create or replace function app_private.assert_within_plan_limit(tenant text, what text) returns void
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  plan app_public.plans := app_private.tenant_plan(tenant);
  usage record;
  allowed int;
  used int;
  noun text;
begin
  if plan.key is null then
    return;
  end if;
  -- One check at a time per tenant: the count below sees the rows of transactions that committed before.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('app.plan_limits'), pg_catalog.hashtext(tenant));
  select u.* into usage from app_private.tenant_usage(tenant) u;
  case what
    when 'seats' then allowed := plan.max_seats; used := usage.seats; noun := 'users';
    when 'locations' then allowed := plan.max_locations; used := usage.locations; noun := 'locations';
    when 'devices' then allowed := plan.max_devices; used := usage.devices; noun := 'POS devices';
  end case;
  if used >= allowed then
    perform app_hidden.raise_error('LIMIT', format(
      'Your %s plan allows %s %s (max_%s) and you have %s. Upgrade under Settings → Billing to add more.',
      plan.name, allowed, noun, what, used));
  end if;
end;
$$;
comment on function app_private.assert_within_plan_limit(text, text) is 'Raises LIMIT when one more seat, location or device would exceed the plan.';

/* Trigger: refuses a row beyond the plan's limit; the argument says which limit. */
create or replace function app_private.tg__plan_limit() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.assert_within_plan_limit(new.tenant_id, tg_argv[0]);
  return new;
end;
$$;
comment on function app_private.tg__plan_limit() is 'Trigger: LIMIT when the insert would exceed the plan (argument: seats, locations or devices).';

create or replace trigger _060_plan_limit before insert on app_public.memberships
  for each row execute function app_private.tg__plan_limit('seats');

create or replace trigger _060_plan_limit before insert on app_public.locations
  for each row execute function app_private.tg__plan_limit('locations');

create or replace trigger _060_plan_limit before insert on app_public.devices
  for each row execute function app_private.tg__plan_limit('devices');

-- Usage next to the limits, for the billing page.
create or replace function app_public.billing_subscriptions_seats_used(s app_public.billing_subscriptions) returns int
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select (app_private.tenant_usage(s.tenant_id)).seats where s.tenant_id = app_hidden.current_tenant_id();
$$;
comment on function app_public.billing_subscriptions_seats_used(app_public.billing_subscriptions) is 'Users (memberships) the business has, against the plan''s maxSeats.';

create or replace function app_public.billing_subscriptions_locations_used(s app_public.billing_subscriptions) returns int
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select (app_private.tenant_usage(s.tenant_id)).locations where s.tenant_id = app_hidden.current_tenant_id();
$$;
comment on function app_public.billing_subscriptions_locations_used(app_public.billing_subscriptions) is 'Locations the business has, against the plan''s maxLocations.';

create or replace function app_public.billing_subscriptions_devices_used(s app_public.billing_subscriptions) returns int
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select (app_private.tenant_usage(s.tenant_id)).devices where s.tenant_id = app_hidden.current_tenant_id();
$$;
comment on function app_public.billing_subscriptions_devices_used(app_public.billing_subscriptions) is 'POS devices the business has, against the plan''s maxDevices.';
--! EndIncluded billing/530-limits.sql
--! Included billing/510-subscriptions.sql
-- Each tenant's subscription (one row, mirrored from Stripe), its invoices and the
-- notices billing leaves for the owner. A new tenant starts on Starter, trialing for 14 days
-- with no card; a trigger queues the worker jobs that create its Stripe customer and then its
-- trial subscription (Stripe is never called from a transaction). From then on Stripe is the
-- source of truth: its events (app_private.apply_stripe_event) update these rows, and the tenant's
-- status follows (suspended for non-payment or cancellation, reactivated when paid).
-- db/BILLING.md tells the whole story.

create or replace trigger _100_timestamps before insert or update on app_public.billing_subscriptions
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update or delete on app_public.billing_subscriptions
  for each row execute function app_private.tg__audit('created_at', 'updated_at', 'last_stripe_event_at');

drop policy if exists select_with_permission on app_public.billing_subscriptions;
create policy select_with_permission on app_public.billing_subscriptions for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.view'));

revoke all on app_public.billing_subscriptions from :DATABASE_VISITOR;
grant select on app_public.billing_subscriptions to :DATABASE_VISITOR;

create or replace trigger _100_timestamps before insert or update on app_public.billing_invoices
  for each row execute function app_private.tg__timestamps();

drop policy if exists select_with_permission on app_public.billing_invoices;
create policy select_with_permission on app_public.billing_invoices for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.view'));

revoke all on app_public.billing_invoices from :DATABASE_VISITOR;
grant select on app_public.billing_invoices to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.billing_notices;
create policy select_with_permission on app_public.billing_notices for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

revoke all on app_public.billing_notices from :DATABASE_VISITOR;
grant select on app_public.billing_notices to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Permissions for billing operations, entitlements

/*
 * Like app_hidden.assert_permission, for the operations a suspended business may still perform
 * (opening the billing portal, changing plan): raises LOGIN or DNIED, never TSUSP.
 */
create or replace function app_hidden.assert_billing_permission(permission text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  if not app_hidden.has_permission(permission) then
    perform app_hidden.raise_error('DNIED', format('Your role does not allow this (it needs the %s permission).', permission));
  end if;
  return tenant;
end;
$$;
comment on function app_hidden.assert_billing_permission(text) is 'The current tenant when the user holds the permission (LOGIN, DNIED); does not refuse suspended businesses.';

/* The plan of a tenant (Starter when it has no subscription row). */
create or replace function app_private.tenant_plan(tenant text) returns app_public.plans
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select p.* from app_public.plans p
  where p.key = coalesce((select s.plan_key from app_public.billing_subscriptions s where s.tenant_id = tenant), 'starter');
$$;
comment on function app_private.tenant_plan(text) is 'The plan whose modules and limits apply to the tenant.';

/* The plan of the current tenant (null without one). */
create or replace function app_hidden.current_plan() returns app_public.plans
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select p.* from app_private.tenant_plan(app_hidden.current_tenant_id()) p where app_hidden.current_tenant_id() is not null;
$$;
comment on function app_hidden.current_plan() is 'The plan of the current tenant: its modules and limits.';

create or replace function app_hidden.has_module(module text) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(module = any((app_hidden.current_plan()).modules), false);
$$;
comment on function app_hidden.has_module(text) is 'Whether the plan of the current tenant includes the module (customers, reporting, inventory…).';

/* The modules of the current tenant's plan, for every member: screens follow the same rule as has_module. */
create or replace function app_public.current_plan_modules() returns text[]
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select (app_hidden.current_plan()).modules;
$$;
comment on function app_public.current_plan_modules() is 'The modules of the business''s plan (customers, reporting, inventory…), readable by every member: a screen of a module the plan lacks is hidden or offers the upgrade.';

/* Raises NOMOD unless the current tenant's plan includes the module. */
create or replace function app_hidden.assert_module(module text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not app_hidden.has_module(module) then
    perform app_hidden.raise_error('NOMOD', format(
      'Your %s plan does not include %s. Upgrade under Settings → Billing to use it.',
      coalesce((app_hidden.current_plan()).name, 'current'), replace(module, '_', ' ')));
  end if;
end;
$$;
comment on function app_hidden.assert_module(text) is 'Raises NOMOD unless the plan of the current tenant includes the module.';

create or replace function app_public.current_billing_subscription() returns app_public.billing_subscriptions
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.* from app_public.billing_subscriptions s where s.tenant_id = app_hidden.current_tenant_id();
$$;
comment on function app_public.current_billing_subscription() is 'The subscription of the current business (needs settings.view).';

------------------------------------------------------------------------------------------------
-- Tenant status follows billing

/* Suspends the tenant for a billing reason (app_private.suspend_tenant: a cancellation replaces a non-payment, not the reverse). */
create or replace function app_private.suspend_tenant_for_billing(tenant text, reason text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.suspend_tenant(tenant, reason,
    case reason when 'canceled' then 'The subscription ended.' else 'Payment failed.' end);
end;
$$;
comment on function app_private.suspend_tenant_for_billing(text, text) is 'Suspends the tenant (nonpayment or canceled).';

/* Lifts a suspension billing made; suspensions for other reasons are left alone. */
create or replace function app_private.reactivate_tenant_for_billing(tenant text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.reactivate_tenant(tenant, array['nonpayment', 'canceled'], 'Billing is in order again.');
end;
$$;
comment on function app_private.reactivate_tenant_for_billing(text) is 'Reactivates a tenant that billing suspended.';

/* Trigger: past_due_since follows the status (set when it falls past due, cleared when it leaves). */
create or replace function app_private.tg_billing_subscriptions__past_due_since() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if new.status = 'past_due' then
    new.past_due_since := case when tg_op = 'UPDATE' and old.status = 'past_due' then old.past_due_since else now() end;
  else
    new.past_due_since := null;
  end if;
  return new;
end;
$$;

create or replace trigger _050_past_due_since before insert or update of status on app_public.billing_subscriptions
  for each row execute function app_private.tg_billing_subscriptions__past_due_since();

------------------------------------------------------------------------------------------------
-- Onboarding: the trial row, then the worker creates the Stripe customer and subscription
create or replace function app_private.tg_tenants__start_trial() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  trial_end timestamptz := date_trunc('second', now()) + interval '14 days';
begin
  insert into app_public.billing_subscriptions (tenant_id, plan_key, status, trial_ends_at, current_period_start, current_period_end)
  values (new.id, 'starter', 'trialing', trial_end, date_trunc('second', now()), trial_end);
  -- 12 attempts: every retry falls within Stripe's 24 hours of idempotency-key memory.
  perform graphile_worker.add_job('stripe_create_customer', json_build_object('tenantId', new.id),
    max_attempts := 12, job_key := 'stripe_create_customer:' || new.id);
  return null;
end;
$$;
comment on function app_private.tg_tenants__start_trial() is 'Trigger: a new tenant starts a 14-day Starter trial; queues the creation of its Stripe customer.';

create or replace trigger _600_start_trial after insert on app_public.tenants
  for each row execute function app_private.tg_tenants__start_trial();

/* What the worker sends to Stripe for the tenant's customer; null when the tenant is gone. */
create or replace function app_private.stripe_customer_params(tenant text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'tenantId', t.id,
    'name', t.name,
    'customerId', t.billing_customer_id,
    'email', (select u.email::text from app_public.memberships m
              join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
              join app_public.users u on u.id = m.user_id
              where m.tenant_id = t.id and r.key = 'owner'
              order by m.created_at, m.id limit 1))
  from app_public.tenants t where t.id = tenant;
$$;
comment on function app_private.stripe_customer_params(text) is 'Name, owner email and Stripe customer id of a tenant (worker); null when the tenant is gone.';

/*
 * Stores the Stripe customer the worker created for the tenant and queues the creation of its
 * subscription. Returns false when the tenant is gone or already has another customer.
 */
create or replace function app_private.store_stripe_customer(tenant text, customer_id text) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  existing text;
begin
  select t.billing_customer_id into existing from app_public.tenants t where t.id = tenant for update;
  if not found or (existing is not null and existing <> customer_id) then
    return false;
  end if;
  if existing is null then
    update app_public.tenants set billing_customer_id = customer_id where id = tenant;
  end if;
  update app_public.billing_subscriptions s set stripe_customer_id = customer_id
    where s.tenant_id = tenant and s.stripe_customer_id is distinct from customer_id;
  if exists (select 1 from app_public.billing_subscriptions s where s.tenant_id = tenant and s.stripe_subscription_id is null) then
    perform graphile_worker.add_job('stripe_create_subscription', json_build_object('tenantId', tenant),
      max_attempts := 12, job_key := 'stripe_create_subscription:' || tenant);
  end if;
  return true;
end;
$$;
comment on function app_private.store_stripe_customer(text, text) is 'Records the Stripe customer of a tenant and queues its subscription (worker).';

/* What the worker needs to create the tenant's first subscription; null when the tenant is gone. */
create or replace function app_private.stripe_subscription_params(tenant text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'tenantId', s.tenant_id,
    'customerId', t.billing_customer_id,
    'subscriptionId', s.stripe_subscription_id,
    'status', s.status,
    'planKey', s.plan_key,
    'priceId', p.stripe_price_id,
    'trialEnd', case when s.status = 'trialing' and s.trial_ends_at is not null
                     then floor(extract(epoch from s.trial_ends_at))::bigint end)
  from app_public.billing_subscriptions s
  join app_public.tenants t on t.id = s.tenant_id
  join app_public.plans p on p.key = s.plan_key
  where s.tenant_id = tenant;
$$;
comment on function app_private.stripe_subscription_params(text) is 'Customer, plan, price and trial end of the tenant''s subscription (worker); null when gone.';

------------------------------------------------------------------------------------------------
-- Applying Stripe objects (called by the event job and by the jobs that create subscriptions)

/* A Stripe timestamp (unix seconds, possibly JSON null) as timestamptz. */
create or replace function app_private.stripe_time(value jsonb) returns timestamptz
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when jsonb_typeof(value) = 'number' then to_timestamp((value #>> '{}')::double precision) end;
$$;

/* Our status for a Stripe subscription status. */
create or replace function app_private.billing_status_of(stripe_status text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case stripe_status
    when 'trialing' then 'trialing'
    when 'active' then 'active'
    when 'past_due' then 'past_due'
    when 'unpaid' then 'unpaid'
    when 'canceled' then 'canceled'
    when 'incomplete_expired' then 'canceled'
    when 'incomplete' then 'past_due'
    when 'paused' then 'past_due'
  end;
$$;
comment on function app_private.billing_status_of(text) is 'Maps Stripe subscription statuses to ours (incomplete and paused → past_due, incomplete_expired → canceled).';

/* After the subscription status changed: suspend or reactivate the tenant. */
create or replace function app_private.sync_tenant_with_subscription(tenant text, status text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if status = 'canceled' then
    perform app_private.suspend_tenant_for_billing(tenant, 'canceled');
  elsif status = 'unpaid' then
    perform app_private.suspend_tenant_for_billing(tenant, 'nonpayment');
  elsif status in ('active', 'trialing') then
    perform app_private.reactivate_tenant_for_billing(tenant);
  end if;
end;
$$;

/*
 * Applies a Stripe subscription object to the tenant's row.
 *   source 'event': `at` is the created time of the event carrying it; an event older than the
 *     newest one applied is stale and changes nothing; a subscription that ended (canceled) is
 *     never revived by a later event about it; an event about an older subscription of the
 *     customer is ignored; a newer subscription replaces the stored one (reactivation).
 *   source 'api': the object a create call returned; it only fills in a subscription the row
 *     does not know yet (events about it may have been applied first).
 * `deleted` marks customer.subscription.deleted. Returns what happened, for the event log.
 */
create or replace function app_private.apply_stripe_subscription(tenant text, sub jsonb, at timestamptz, source text default 'event', deleted boolean default false)
returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.billing_subscriptions;
  sub_id text := sub ->> 'id';
  sub_created timestamptz := app_private.stripe_time(sub -> 'created');
  item jsonb := sub -> 'items' -> 'data' -> 0;
  new_status text := case when deleted then 'canceled' else app_private.billing_status_of(sub ->> 'status') end;
  ended timestamptz;
  new_plan text;
begin
  if sub_id is null or new_status is null then
    return 'not a subscription';
  end if;
  select s.* into cur from app_public.billing_subscriptions s where s.tenant_id = tenant for update;
  if not found then
    return 'tenant has no subscription row';
  end if;
  if cur.stripe_subscription_id is distinct from sub_id then
    -- (Created in the same second: a live one replaces an ended one, not the reverse.)
    if cur.stripe_subscription_id is not null and cur.stripe_subscription_created_at is not null
       and (sub_created < cur.stripe_subscription_created_at
            or (sub_created = cur.stripe_subscription_created_at and not (cur.status = 'canceled' and new_status <> 'canceled'))) then
      return 'older subscription of the customer';
    end if;
    -- A subscription the row does not know yet, newer than the stored one: it takes over.
  elsif source = 'api' then
    return 'already known';
  elsif cur.status = 'canceled' then
    return 'subscription already ended';
  elsif cur.last_stripe_event_at is not null and at < cur.last_stripe_event_at then
    return 'stale';
  end if;

  new_plan := coalesce(app_private.plan_for_stripe_price(item -> 'price'), cur.plan_key);
  ended := case when new_status = 'canceled'
                then coalesce(app_private.stripe_time(sub -> 'ended_at'), app_private.stripe_time(sub -> 'canceled_at'), at) end;
  update app_public.billing_subscriptions s set
    stripe_subscription_id = sub_id,
    stripe_subscription_created_at = sub_created,
    stripe_customer_id = coalesce(case when jsonb_typeof(sub -> 'customer') = 'string' then sub ->> 'customer' end, s.stripe_customer_id),
    plan_key = new_plan,
    status = new_status,
    current_period_start = coalesce(app_private.stripe_time(item -> 'current_period_start'), s.current_period_start),
    current_period_end = coalesce(app_private.stripe_time(item -> 'current_period_end'), s.current_period_end),
    trial_ends_at = app_private.stripe_time(sub -> 'trial_end'),
    cancel_at_period_end = coalesce((sub ->> 'cancel_at_period_end')::boolean, false),
    canceled_at = ended,
    grace_ends_at = ended + interval '30 days',
    last_stripe_event_at = greatest(s.last_stripe_event_at, at)
  where s.tenant_id = tenant;
  perform app_private.sync_tenant_with_subscription(tenant, new_status);
  return format('subscription %s: %s', sub_id, new_status);
end;
$$;
comment on function app_private.apply_stripe_subscription(text, jsonb, timestamptz, text, boolean) is 'Applies a Stripe subscription to the tenant''s row (stale, ended and older subscriptions change nothing).';

/* Upserts the mirror of a Stripe invoice; an event older than the one applied changes nothing. */
create or replace function app_private.upsert_stripe_invoice(tenant text, inv jsonb, at timestamptz) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  line jsonb;
  rank_of constant jsonb := '{"draft": 0, "open": 1, "paid": 2, "void": 2, "uncollectible": 2}';
  changed int;
begin
  -- The service period is on the subscription's (non-proration) line; Stripe's invoice period is the one before.
  select l into line from jsonb_array_elements(coalesce(inv -> 'lines' -> 'data', '[]'::jsonb)) as l
  where coalesce((l -> 'parent' -> 'subscription_item_details' ->> 'proration')::boolean, false) = false
  order by (l -> 'period' ->> 'end')::bigint desc nulls last limit 1;
  insert into app_public.billing_invoices as b (
    tenant_id, stripe_invoice_id, stripe_subscription_id, number, status, billing_reason, currency,
    amount_due, amount_paid, attempt_count, next_payment_attempt, period_start, period_end,
    hosted_invoice_url, invoiced_at, paid_at, last_stripe_event_at)
  values (
    tenant, inv ->> 'id',
    coalesce(inv -> 'parent' -> 'subscription_details' ->> 'subscription', inv ->> 'subscription'),
    inv ->> 'number', inv ->> 'status', inv ->> 'billing_reason', coalesce(inv ->> 'currency', 'usd'),
    coalesce((inv ->> 'amount_due')::int, 0), coalesce((inv ->> 'amount_paid')::int, 0),
    coalesce((inv ->> 'attempt_count')::int, 0), app_private.stripe_time(inv -> 'next_payment_attempt'),
    coalesce(app_private.stripe_time(line -> 'period' -> 'start'), app_private.stripe_time(inv -> 'period_start')),
    coalesce(app_private.stripe_time(line -> 'period' -> 'end'), app_private.stripe_time(inv -> 'period_end')),
    inv ->> 'hosted_invoice_url', coalesce(app_private.stripe_time(inv -> 'created'), at),
    app_private.stripe_time(inv -> 'status_transitions' -> 'paid_at'), at)
  on conflict (tenant_id, stripe_invoice_id) do update set
    number = coalesce(excluded.number, b.number),
    status = excluded.status,
    amount_due = excluded.amount_due,
    amount_paid = excluded.amount_paid,
    attempt_count = greatest(excluded.attempt_count, b.attempt_count),
    next_payment_attempt = excluded.next_payment_attempt,
    period_start = excluded.period_start,
    period_end = excluded.period_end,
    hosted_invoice_url = coalesce(excluded.hosted_invoice_url, b.hosted_invoice_url),
    paid_at = coalesce(excluded.paid_at, b.paid_at),
    last_stripe_event_at = excluded.last_stripe_event_at
  where excluded.last_stripe_event_at > b.last_stripe_event_at
     or (excluded.last_stripe_event_at = b.last_stripe_event_at
         and (rank_of ->> excluded.status)::int >= (rank_of ->> b.status)::int);
  get diagnostics changed = row_count;
  return changed > 0;
end;
$$;
comment on function app_private.upsert_stripe_invoice(text, jsonb, timestamptz) is 'Mirrors a Stripe invoice (older events, and same-second events moving the status backwards, change nothing).';

/*
 * invoice.paid and invoice.payment_failed change the subscription too:
 *   paid   → active with the paid service period, and a tenant suspended for non-payment is
 *            reactivated (a $0 invoice during the trial changes nothing);
 *   failed → past_due, and the tenant is suspended when Stripe will not retry
 *            (next_payment_attempt null) or after 3 failed attempts.
 * Only for the subscription the row holds, unless it ended, and not from a stale event.
 */
create or replace function app_private.apply_stripe_invoice(tenant text, inv jsonb, event_type text, at timestamptz) returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.billing_subscriptions;
  sub_id text := coalesce(inv -> 'parent' -> 'subscription_details' ->> 'subscription', inv ->> 'subscription');
  mirrored boolean := app_private.upsert_stripe_invoice(tenant, inv, at);
  line jsonb;
  period_start timestamptz;
  period_end timestamptz;
begin
  if event_type not in ('invoice.paid', 'invoice.payment_failed') then
    return case when mirrored then 'invoice mirrored' else 'invoice unchanged (stale)' end;
  end if;
  select s.* into cur from app_public.billing_subscriptions s where s.tenant_id = tenant for update;
  if not found or sub_id is null or cur.stripe_subscription_id is distinct from sub_id then
    return 'invoice of another subscription';
  elsif cur.status = 'canceled' then
    return 'subscription already ended';
  elsif cur.last_stripe_event_at is not null and at < cur.last_stripe_event_at then
    return 'stale';
  end if;

  if event_type = 'invoice.paid' then
    if cur.status = 'trialing' and coalesce((inv ->> 'amount_paid')::int, 0) = 0 then
      update app_public.billing_subscriptions s set last_stripe_event_at = greatest(s.last_stripe_event_at, at)
        where s.tenant_id = tenant;
      return 'trial invoice';
    end if;
    -- Like Stripe: while another invoice of the subscription is still failing, it stays past due.
    if exists (select 1 from app_public.billing_invoices b
               where b.tenant_id = tenant and b.stripe_subscription_id = sub_id and b.stripe_invoice_id <> inv ->> 'id'
                 and b.status = 'open' and b.attempt_count > 0) then
      update app_public.billing_subscriptions s set last_stripe_event_at = greatest(s.last_stripe_event_at, at)
        where s.tenant_id = tenant;
      return 'paid, another invoice still unpaid';
    end if;
    select l into line from jsonb_array_elements(coalesce(inv -> 'lines' -> 'data', '[]'::jsonb)) as l
    where coalesce((l -> 'parent' -> 'subscription_item_details' ->> 'proration')::boolean, false) = false
    order by (l -> 'period' ->> 'end')::bigint desc nulls last limit 1;
    period_start := app_private.stripe_time(line -> 'period' -> 'start');
    period_end := app_private.stripe_time(line -> 'period' -> 'end');
    update app_public.billing_subscriptions s set
      status = 'active',
      current_period_start = case when period_end >= coalesce(s.current_period_end, '-infinity') then period_start else s.current_period_start end,
      current_period_end = case when period_end >= coalesce(s.current_period_end, '-infinity') then period_end else s.current_period_end end,
      last_stripe_event_at = greatest(s.last_stripe_event_at, at)
    where s.tenant_id = tenant;
    perform app_private.reactivate_tenant_for_billing(tenant);
    return 'paid: active';
  end if;

  update app_public.billing_subscriptions s set
    status = case when s.status = 'unpaid' then 'unpaid' else 'past_due' end,
    last_stripe_event_at = greatest(s.last_stripe_event_at, at)
  where s.tenant_id = tenant;
  if jsonb_typeof(inv -> 'next_payment_attempt') is distinct from 'number'
     or coalesce((inv ->> 'attempt_count')::int, 0) >= 3 then
    perform app_private.suspend_tenant_for_billing(tenant, 'nonpayment');
    return 'payment failed: past_due, suspended';
  end if;
  return 'payment failed: past_due';
end;
$$;
comment on function app_private.apply_stripe_invoice(text, jsonb, text, timestamptz) is 'Mirrors an invoice; invoice.paid and invoice.payment_failed also move the subscription and the tenant.';

/* A notice for the owner, once per Stripe event. */
create or replace function app_private.add_billing_notice(tenant text, kind text, message text, stripe_event_id text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_public.billing_notices (tenant_id, kind, message, stripe_event_id)
  values (tenant, kind, message, stripe_event_id)
  on conflict (tenant_id, stripe_event_id) do nothing;
$$;

create or replace function app_public.dismiss_billing_notice(id text) returns app_public.billing_notices
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_billing_permission('settings.update');
  result app_public.billing_notices;
begin
  update app_public.billing_notices n set dismissed_at = coalesce(n.dismissed_at, now())
  where n.tenant_id = tenant and n.id = dismiss_billing_notice.id
  returning n.* into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', 'That notice does not exist.');
  end if;
  return result;
end;
$$;
comment on function app_public.dismiss_billing_notice(text) is E'@resultFieldName billingNotice\nHides a billing notice (owner).';
--! EndIncluded billing/510-subscriptions.sql
--! Included reporting/630-queries.sql
-- What the admin asks (the dashboard, the Sales, Items and Inventory
-- tabs), as GraphQL queries. Each reads the read models plus the sales events still
-- queued for folding (app_private.reporting_pending_*), so its figures are exact the moment an order commits, and never
-- aggregates the sales tables. The app_private.reporting_* versions take the tenant explicitly
-- (the export worker uses them); the reporting.* ones check reports.view and the plan's
-- reporting module and serve the caller's tenant.

/* The guard of the reporting queries: LOGIN, DNIED, TSUSP, NOMOD; returns the current tenant. */
create or replace function app_hidden.assert_reports_permission(permission text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission(permission);
begin
  perform app_hidden.assert_tenant_active();
  perform app_hidden.assert_module('reporting');
  return tenant;
end;
$$;
comment on function app_hidden.assert_reports_permission(text) is 'Raises LOGIN, DNIED, TSUSP or NOMOD unless the caller may use reports with this permission; returns the tenant.';

/* Raises BADIN unless from..to is a range of at most max_days days; NOTFD for a location of another tenant. */
create or replace function app_private.reporting_check_range(tenant_id text, from_date date, to_date date, location_id text, max_days int default 1096)
returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if from_date is null or to_date is null then
    perform app_hidden.raise_error('BADIN', 'Give both the first and the last date of the period.');
  elsif from_date > to_date then
    perform app_hidden.raise_error('BADIN', 'The first date of the period must not be after the last one.');
  elsif to_date - from_date >= max_days then
    perform app_hidden.raise_error('BADIN', format('A period can be at most %s days long.', max_days));
  end if;
  if location_id is not null and not exists (
      select 1 from app_public.locations l where l.tenant_id = reporting_check_range.tenant_id and l.id = reporting_check_range.location_id) then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(location_id, 40)));
  end if;
end;
$$;

/* Every date of the range (no gaps, for charts), summed over one or all locations. */
create or replace function app_private.reporting_daily_sales(tenant_id text, from_date date, to_date date, location_id text default null)
returns setof reporting.daily_sales_row
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with figures as (
    select r.business_date, r.order_count::bigint as order_count, r.gross_sales, r.discount_total, r.tax_total, r.net_sales,
           r.tender_cash, r.tender_card, r.refund_count::bigint as refund_count, r.refund_total
    from reporting.rm_daily_sales r
    where r.tenant_id = reporting_daily_sales.tenant_id
      and r.business_date between from_date and to_date
      and (reporting_daily_sales.location_id is null or r.location_id = reporting_daily_sales.location_id)
    union all
    select d.business_date, d.order_count, d.gross_sales, d.discount_total, d.tax_total, d.net_sales,
           d.tender_cash, d.tender_card, d.refund_count, d.refund_total
    from app_private.reporting_pending_daily(reporting_daily_sales.tenant_id) d
    where d.business_date between from_date and to_date
      and (reporting_daily_sales.location_id is null or d.location_id = reporting_daily_sales.location_id)
  ), days as (
    select g::date as business_date from generate_series(from_date::timestamp, to_date::timestamp, interval '1 day') g
  ), summed as (
    select days.business_date,
           coalesce(sum(f.order_count), 0)::bigint as order_count, coalesce(sum(f.gross_sales), 0)::bigint as gross_sales,
           coalesce(sum(f.discount_total), 0)::bigint as discount_total, coalesce(sum(f.tax_total), 0)::bigint as tax_total,
           coalesce(sum(f.net_sales), 0)::bigint as net_sales, coalesce(sum(f.tender_cash), 0)::bigint as tender_cash,
           coalesce(sum(f.tender_card), 0)::bigint as tender_card, coalesce(sum(f.refund_count), 0)::bigint as refund_count,
           coalesce(sum(f.refund_total), 0)::bigint as refund_total
    from days left join figures f on f.business_date = days.business_date
    group by days.business_date
  )
  select s.business_date, reporting_daily_sales.location_id, s.order_count, s.gross_sales, s.discount_total, s.tax_total,
         s.net_sales, s.tender_cash, s.tender_card, s.refund_count, s.refund_total,
         case when s.order_count > 0 then round(s.net_sales::numeric / s.order_count)::bigint else 0 end,
         s.net_sales + s.tax_total
  from summed s
  order by s.business_date;
$$;
comment on function app_private.reporting_daily_sales(text, date, date, text) is 'Daily sales of a tenant over a date range, one row per date, at one location or summed over all (exports, reporting.daily_sales).';

create or replace function reporting.daily_sales(from_date date, to_date date, location_id text default null)
returns setof reporting.daily_sales_row
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  perform app_private.reporting_check_range(tenant, from_date, to_date, location_id);
  return query select * from app_private.reporting_daily_sales(tenant, from_date, to_date, location_id);
end;
$$;
comment on function reporting.daily_sales(date, date, text) is
  E'@name daily_sales\n@behavior -connection +list\n@listSuffix omit\nSales per business date from fromDate to toDate (both included, at most 1096 days), one row per date even without sales; at one location, or added up over all locations when locationId is not given (each location''s own dates). Needs reports.view.';
grant execute on function reporting.daily_sales(date, date, text), reporting.item_sales(date, date, text, reporting.item_sales_order),
  reporting.inventory_summary(text, boolean), reporting.dashboard_metrics() to :DATABASE_VISITOR;

create or replace function app_private.reporting_item_sales(tenant_id text, from_date date, to_date date, location_id text default null,
                                                 order_by reporting.item_sales_order default 'revenue')
returns setof reporting.item_sales_row
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with figures as (
    select r.catalog_item_id, r.catalog_item_name, r.name_seq, r.quantity_sold::bigint as quantity_sold, r.gross_revenue, r.net_revenue
    from reporting.rm_item_sales r
    where r.tenant_id = reporting_item_sales.tenant_id
      and r.business_date between from_date and to_date
      and (reporting_item_sales.location_id is null or r.location_id = reporting_item_sales.location_id)
    union all
    select d.catalog_item_id, d.catalog_item_name, d.name_seq, d.quantity_sold, d.gross_revenue, d.net_revenue
    from app_private.reporting_pending_items(reporting_item_sales.tenant_id) d
    where d.business_date between from_date and to_date
      and (reporting_item_sales.location_id is null or d.location_id = reporting_item_sales.location_id)
  ), summed as (
    select f.catalog_item_id, (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1] as catalog_item_name,
           sum(f.quantity_sold)::bigint as quantity_sold, sum(f.gross_revenue)::bigint as gross_revenue,
           sum(f.net_revenue)::bigint as net_revenue
    from figures f
    group by f.catalog_item_id
  )
  select s.catalog_item_id, s.catalog_item_name, s.quantity_sold, s.gross_revenue, s.net_revenue,
         case when s.quantity_sold > 0 then round(s.net_revenue::numeric / s.quantity_sold)::bigint else 0 end
  from summed s
  where s.quantity_sold <> 0 or s.net_revenue <> 0
  order by case when order_by = 'quantity' then s.quantity_sold else s.net_revenue end desc,
           case when order_by = 'quantity' then s.net_revenue else s.quantity_sold end desc,
           s.catalog_item_name, s.catalog_item_id;
$$;
comment on function app_private.reporting_item_sales(text, date, date, text, reporting.item_sales_order) is 'Sales per catalog item of a tenant over a date range, best first (exports, reporting.item_sales).';

create or replace function reporting.item_sales(from_date date, to_date date, location_id text default null,
                                     order_by reporting.item_sales_order default 'revenue')
returns setof reporting.item_sales_row
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  perform app_private.reporting_check_range(tenant, from_date, to_date, location_id);
  return query select * from app_private.reporting_item_sales(tenant, from_date, to_date, location_id, coalesce(order_by, 'revenue'));
end;
$$;
comment on function reporting.item_sales(date, date, text, reporting.item_sales_order) is
  E'@name item_sales\n@behavior -connection +list\n@listSuffix omit\nTop catalog items from fromDate to toDate (both included), at one location or all: by units sold (quantity) or by net revenue (revenue, the default), best first; ties go to the other figure, then the name. Items with no units and no net revenue left after refunds are left out. Needs reports.view.';

create or replace function app_private.reporting_inventory_summary(tenant_id text, location_id text default null, low_only boolean default false)
returns setof reporting.inventory_summary_row
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with figures as (
    select r.location_id, r.inventory_item_id, r.on_hand::bigint as on_hand
    from reporting.rm_inventory_on_hand r
    where r.tenant_id = reporting_inventory_summary.tenant_id
      and (reporting_inventory_summary.location_id is null or r.location_id = reporting_inventory_summary.location_id)
    union all
    select d.location_id, d.inventory_item_id, d.on_hand
    from app_private.reporting_pending_stock(reporting_inventory_summary.tenant_id) d
    where reporting_inventory_summary.location_id is null or d.location_id = reporting_inventory_summary.location_id
  ), summed as (
    select f.location_id, f.inventory_item_id, sum(f.on_hand)::int as on_hand
    from figures f
    group by f.location_id, f.inventory_item_id
  )
  select s.location_id, l.name, s.inventory_item_id, i.name, s.on_hand, i.low_stock_threshold, s.on_hand <= i.low_stock_threshold
  from summed s
  join app_public.locations l on l.tenant_id = reporting_inventory_summary.tenant_id and l.id = s.location_id
  join app_public.inventory_items i on i.tenant_id = reporting_inventory_summary.tenant_id and i.id = s.inventory_item_id
  where not coalesce(low_only, false) or s.on_hand <= i.low_stock_threshold
  order by l.name, i.name, s.inventory_item_id;
$$;
comment on function app_private.reporting_inventory_summary(text, text, boolean) is 'Stock per location and inventory item of a tenant (exports, reporting.inventory_summary).';

create or replace function reporting.inventory_summary(location_id text default null, low_only boolean default false)
returns setof reporting.inventory_summary_row
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  -- Stock levels are the inventory module's (NOMOD on a plan without it).
  perform app_hidden.assert_module('inventory');
  perform app_private.reporting_check_range(tenant, current_date, current_date, location_id);
  return query select * from app_private.reporting_inventory_summary(tenant, location_id, coalesce(low_only, false));
end;
$$;
comment on function reporting.inventory_summary(text, boolean) is
  E'@name inventory_summary\n@behavior -connection +list\n@listSuffix omit\nStock of every inventory item at one location (or at each location), by location and item name; only the items at or below their low-stock threshold when lowOnly is true. An item appears at a location once stock has moved there. Needs reports.view and the inventory module.';

create or replace function app_private.reporting_dashboard_metrics(tenant_id text) returns reporting.dashboard_metrics
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with today as (
    select l.id as location_id, app_hidden.business_date(now(), l.timezone) as business_date
    from app_public.locations l where l.tenant_id = reporting_dashboard_metrics.tenant_id
  ), sales as (
    select r.order_count::bigint as order_count, r.net_sales
    from reporting.rm_daily_sales r
    join today t on t.location_id = r.location_id and t.business_date = r.business_date
    where r.tenant_id = reporting_dashboard_metrics.tenant_id
    union all
    select d.order_count, d.net_sales
    from app_private.reporting_pending_daily(reporting_dashboard_metrics.tenant_id) d
    join today t on t.location_id = d.location_id and t.business_date = d.business_date
  ), pending_stock as (
    select * from app_private.reporting_pending_stock(reporting_dashboard_metrics.tenant_id)
  ), low as (
    -- Folded rows flagged low (a partial index) that no queued movement touches …
    select 1
    from reporting.rm_inventory_on_hand r
    where r.tenant_id = reporting_dashboard_metrics.tenant_id and r.is_below_threshold
      and not exists (select 1 from pending_stock p where p.location_id = r.location_id and p.inventory_item_id = r.inventory_item_id)
    union all
    -- … and the rows queued movements touch, with those movements added.
    select 1
    from pending_stock p
    join app_public.inventory_items i on i.tenant_id = reporting_dashboard_metrics.tenant_id and i.id = p.inventory_item_id
    left join reporting.rm_inventory_on_hand r
      on r.tenant_id = reporting_dashboard_metrics.tenant_id and r.location_id = p.location_id and r.inventory_item_id = p.inventory_item_id
    where coalesce(r.on_hand, 0) + p.on_hand <= i.low_stock_threshold
  )
  select row(
    (select coalesce(sum(s.net_sales), 0)::bigint from sales s),
    (select coalesce(sum(s.order_count), 0)::bigint from sales s),
    (select count(*)::int from low),
    (select count(*)::int from reporting.rm_customer_activity c
     where c.tenant_id = reporting_dashboard_metrics.tenant_id and c.merged_into_id is null
       and c.last_visit_at >= now() - interval '30 days')
  )::reporting.dashboard_metrics;
$$;
comment on function app_private.reporting_dashboard_metrics(text) is 'The dashboard figures of a tenant.';

create or replace function reporting.dashboard_metrics() returns reporting.dashboard_metrics
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
  metrics reporting.dashboard_metrics := app_private.reporting_dashboard_metrics(tenant);
begin
  -- Low stock is the inventory module's: a plan without it counts none.
  if not app_hidden.has_module('inventory') then
    metrics.low_stock_count := 0;
  end if;
  return metrics;
end;
$$;
comment on function reporting.dashboard_metrics() is
  E'@name dashboard_metrics\nToday''s net sales (tax excluded, refunds taken out) and sales (today in each location''s own time zone), the number of low-stock items (0 on a plan without the inventory module), and the customers active in the last 30 days. Needs reports.view.';
--! EndIncluded reporting/630-queries.sql
--! Included reporting/650-exports.sql
-- CSV exports through graphile-worker. request_export() (reports.export)
-- checks the parameters, records an export row and queues an `export_csv` job; the job
-- (worker/tasks/export-csv.ts, as the owner, with the tenant taken from the row) streams
-- COPY (<query of this file>) TO STDOUT WITH (FORMAT csv, HEADER) in constant memory, storing the
-- file as 1 MB chunks in app_private.export_chunks and its progress on the row; GET /exports/:id
-- (web/server/exports.ts) streams the chunks back to members of the tenant with reports.export.
--
-- Where the file lives, and why: in the database (bytea chunks), not on a disk of the worker.
-- The API servers are stateless and may run on other machines than the worker; the file is
-- under the same backups and tenant deletion as everything else; and "no half file" is a status
-- check: a download serves an export only once its row says done, which the worker writes after
-- the last chunk. A worker that dies half way leaves chunks of a running export, which nobody
-- can download; the retry deletes them and starts again. Exports are kept 7 days
-- (app_private.delete_expired_exports, for the worker's crontab).
--
-- Formula injection is defused in the queries: every text cell that starts with =, +, -, @, a tab
-- or a carriage return gets a leading ' (app_hidden.csv_text). Numbers are left as numbers (a
-- leading minus is a sign there, not a formula). Quoting of commas, quotes and line breaks is
-- PostgreSQL's (RFC 4180). Money is in dollars with two decimals, instants in UTC ISO 8601.

create or replace trigger _100_timestamps before insert or update on reporting.exports
  for each row execute function app_private.tg__timestamps();

drop policy if exists select_with_permission on reporting.exports;
create policy select_with_permission on reporting.exports for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('reports.export')));

revoke all on reporting.exports from :DATABASE_VISITOR;
grant select on reporting.exports to :DATABASE_VISITOR;

/* The path the admin downloads a finished export from. */
create or replace function reporting.exports_download_url(e reporting.exports) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when e.status = 'done' then '/exports/' || e.id end;
$$;
comment on function reporting.exports_download_url(reporting.exports) is 'Where to download the file (GET, same site) once it is done; null before.';
grant execute on function reporting.exports_download_url(reporting.exports) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Cells

/*
 * A text cell with spreadsheet formulas defused: a ' in front of any value whose first visible
 * character is =, +, -, @, a tab or a carriage return. What comes before it does not help: a
 * spreadsheet trims " =1+1" or a no-break space before "+", and ignores invisible characters
 * (U+2060 word joiner, U+200B zero-width space, U+FEFF, bidi marks, variation selectors,
 * Hangul fillers…), and runs the formula (found by test/security/hostile-export.test.ts). So
 * every leading white space and invisible format character is skipped before looking. No SET
 * clause, so that PostgreSQL inlines it into the export queries.
 */
create or replace function app_hidden.csv_text(value text) returns text
language sql immutable parallel safe
as $$
  select case when value ~ '^[ \n\v\f\u0085\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0]*[=+@\t\r-]'
              then '''' || value else value end;
$$;
comment on function app_hidden.csv_text(text) is 'A CSV text cell that a spreadsheet will not run as a formula (a leading '' before =, +, -, @, tab or CR).';
comment on function app_hidden.csv_text(text) is 'A CSV text cell that a spreadsheet will not run as a formula (a leading '' before =, +, -, @, tab or CR, also after leading white space).';

------------------------------------------------------------------------------------------------
-- Parameters and queries
create or replace function app_private.export_date_param(params jsonb, field text) returns date
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  value text := params ->> field;
begin
  if value is null or value !~ '^\d{4}-\d{2}-\d{2}$' then
    perform app_hidden.raise_error('BADIN', format('%s must be a date such as 2025-03-01.', field));
  end if;
  return value::date;
exception when datetime_field_overflow or invalid_datetime_format then
  perform app_hidden.raise_error('BADIN', format('%s must be a date such as 2025-03-01.', field));
  return null;
end;
$$;

/*
 * The parameters of an export checked and completed: dates and location for sales, the order
 * of items, the location and low-only flag of inventory. Raises BADIN (naming the field) or
 * NOTFD (a location of another business).
 */
create or replace function app_private.export_params(tenant_id text, kind reporting.export_kind, params jsonb) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  p jsonb := coalesce(params, '{}'::jsonb);
  allowed text[];
  unknown text;
  from_date date;
  to_date date;
  location text;
begin
  if jsonb_typeof(p) <> 'object' then
    perform app_hidden.raise_error('BADIN', 'The export parameters must be a JSON object.');
  end if;
  allowed := case kind
    when 'daily_sales' then array['from', 'to', 'location_id']
    when 'item_sales' then array['from', 'to', 'location_id', 'order_by']
    when 'inventory' then array['location_id', 'low_only']
    else array[]::text[] end;
  select k into unknown from jsonb_object_keys(p) as k where not k = any(allowed) limit 1;
  if unknown is not null then
    perform app_hidden.raise_error('BADIN', format('An export of %s takes no parameter "%s" (it takes: %s).',
      replace(kind::text, '_', ' '), left(unknown, 40), coalesce(nullif(array_to_string(allowed, ', '), ''), 'none')));
  end if;
  if p ? 'location_id' and jsonb_typeof(p -> 'location_id') not in ('string', 'null') then
    perform app_hidden.raise_error('BADIN', 'location_id must be a location id.');
  end if;
  location := p ->> 'location_id';

  if kind in ('daily_sales', 'item_sales') then
    from_date := app_private.export_date_param(p, 'from');
    to_date := app_private.export_date_param(p, 'to');
    perform app_private.reporting_check_range(tenant_id, from_date, to_date, location);
    if kind = 'item_sales' then
      if coalesce(p ->> 'order_by', 'revenue') not in ('quantity', 'revenue') then
        perform app_hidden.raise_error('BADIN', 'order_by must be quantity or revenue.');
      end if;
      return jsonb_build_object('from', from_date, 'to', to_date, 'location_id', location,
                                'order_by', coalesce(p ->> 'order_by', 'revenue'));
    end if;
    return jsonb_build_object('from', from_date, 'to', to_date, 'location_id', location);
  elsif kind = 'inventory' then
    perform app_hidden.assert_module('inventory');
    perform app_private.reporting_check_range(tenant_id, current_date, current_date, location);
    if p ? 'low_only' and jsonb_typeof(p -> 'low_only') not in ('boolean', 'null') then
      perform app_hidden.raise_error('BADIN', 'low_only must be true or false.');
    end if;
    return jsonb_build_object('location_id', location, 'low_only', coalesce((p ->> 'low_only')::boolean, false));
  end if;
  return '{}'::jsonb;
end;
$$;

/* The name a file downloads under, such as daily-sales_2025-03-01_2025-03-07.csv. */
create or replace function app_private.export_file_name(kind reporting.export_kind, params jsonb) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select replace(kind::text, '_', '-')
         || case when kind in ('daily_sales', 'item_sales') then '_' || (params ->> 'from') || '_' || (params ->> 'to')
                 else '_' || to_char(now() at time zone 'UTC', 'YYYY-MM-DD') end
         || '.csv';
$$;

/*
 * The query whose rows make the file (COPY cannot take parameters: values are quoted literals).
 * It reads the tenant's read models through the exact reporting functions (app_private.reporting_daily_sales and the others).
 */
create or replace function app_private.export_query(tenant_id text, kind reporting.export_kind, params jsonb) returns text
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  case kind
  when 'daily_sales' then
    return format($q$
      select d.business_date, app_hidden.csv_text(coalesce(l.name, 'All locations')) as location,
             d.order_count as orders,
             cur.code as currency,
             app_hidden.major_units(d.gross_sales, cur.minor_units) as gross_sales,
             app_hidden.major_units(d.discount_total, cur.minor_units) as discounts,
             app_hidden.major_units(d.tax_total, cur.minor_units) as tax,
             d.refund_count as refunds,
             app_hidden.major_units(d.refund_total, cur.minor_units) as refunded,
             app_hidden.major_units(d.net_sales, cur.minor_units) as net_sales,
             app_hidden.major_units(d.total_collected, cur.minor_units) as total_collected,
             app_hidden.major_units(d.tender_cash, cur.minor_units) as cash,
             app_hidden.major_units(d.tender_card, cur.minor_units) as card,
             app_hidden.major_units(d.avg_order_value, cur.minor_units) as avg_order_value
      from app_private.reporting_daily_sales(%1$L, %2$L::date, %3$L::date, %4$L) with ordinality as d
      cross join app_private.tenant_currency(%1$L) cur
      left join app_public.locations l on l.tenant_id = %1$L and l.id = d.location_id
      order by d.ordinality$q$, tenant_id, params ->> 'from', params ->> 'to', params ->> 'location_id');
  when 'item_sales' then
    return format($q$
      select app_hidden.csv_text(i.catalog_item_name) as item, app_hidden.csv_text(c.sku) as sku,
             i.quantity_sold,
             cur.code as currency,
             app_hidden.major_units(i.gross_revenue, cur.minor_units) as gross_revenue,
             app_hidden.major_units(i.net_revenue, cur.minor_units) as net_revenue,
             app_hidden.major_units(i.avg_unit_price, cur.minor_units) as avg_unit_price
      from app_private.reporting_item_sales(%1$L, %2$L::date, %3$L::date, %4$L, %5$L::reporting.item_sales_order) with ordinality as i
      cross join app_private.tenant_currency(%1$L) cur
      left join app_public.catalog_items c on c.tenant_id = %1$L and c.id = i.catalog_item_id
      order by i.ordinality$q$, tenant_id, params ->> 'from', params ->> 'to', params ->> 'location_id', params ->> 'order_by');
  when 'inventory' then
    return format($q$
      select app_hidden.csv_text(s.location_name) as location, app_hidden.csv_text(s.item_name) as item,
             s.on_hand, s.low_stock_threshold, case when s.is_below_threshold then 'low' else 'ok' end as status
      from app_private.reporting_inventory_summary(%1$L, %2$L, %3$L::boolean) with ordinality as s
      order by s.ordinality$q$, tenant_id, params ->> 'location_id', coalesce(params ->> 'low_only', 'false'));
  when 'customers' then
    return format($q$
      select c.customer_number, app_hidden.csv_text(a.customer_name) as name, a.total_visits as visits,
             cur.code as currency,
             app_hidden.major_units(a.total_spend, cur.minor_units) as total_spend,
             to_char(a.last_visit_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as last_visit_at,
             app_hidden.loyalty_class(s.visits, s.last_visit_at, s.recent_visits,
               l.regular_min_visits, l.regular_window_days, l.lapsed_after_days, now()) as loyalty_class,
             -- do_not_contact and consent decide (app_hidden.contact_allowed, as everywhere).
             case when app_hidden.contact_allowed(p.do_not_contact, e.allowed, c.email is not null, c.status) then 'yes' else 'no' end as may_email,
             case when app_hidden.contact_allowed(p.do_not_contact, m.allowed, c.phone is not null, c.status) then 'yes' else 'no' end as may_sms
      from reporting.rm_customer_activity a
      join app_public.customers c on c.tenant_id = a.tenant_id and c.id = a.customer_id
      join app_public.customer_stats s on s.tenant_id = c.tenant_id and s.customer_id = c.id
      join app_public.loyalty_settings l on l.tenant_id = c.tenant_id
      cross join app_private.tenant_currency(%1$L) cur
      left join app_public.customer_preferences p on p.tenant_id = c.tenant_id and p.customer_id = c.id
      left join app_public.customer_contact_channels e on e.tenant_id = c.tenant_id and e.customer_id = c.id and e.channel = 'email'
      left join app_public.customer_contact_channels m on m.tenant_id = c.tenant_id and m.customer_id = c.id and m.channel = 'sms'
      where a.tenant_id = %1$L and a.merged_into_id is null
      order by a.tenant_id, a.customer_id$q$, tenant_id);
  end case;
  return null;
end;
$$;
comment on function app_private.export_query(text, reporting.export_kind, jsonb) is 'The SQL whose rows make an export of a tenant (for COPY … TO STDOUT).';

------------------------------------------------------------------------------------------------
-- Requesting
create or replace function reporting.request_export(kind reporting.export_kind, params jsonb default '{}') returns reporting.exports
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.export');
  checked jsonb;
  result reporting.exports;
begin
  if kind is null then
    perform app_hidden.raise_error('BADIN', 'Say what to export: daily_sales, item_sales, inventory or customers.');
  end if;
  checked := app_private.export_params(tenant, kind, params);
  insert into reporting.exports (tenant_id, kind, params, file_name, requested_by)
  values (tenant, kind, checked, app_private.export_file_name(kind, checked), app_hidden.current_user_id())
  returning * into result;
  perform graphile_worker.add_job('export_csv', json_build_object('tenantId', tenant, 'exportId', result.id), max_attempts := 3);
  return result;
end;
$$;
comment on function reporting.request_export(reporting.export_kind, jsonb) is
  E'@name request_export\n@resultFieldName export\nAsks the worker for a CSV file (needs reports.export). params: daily_sales and item_sales take {"from": "2025-03-01", "to": "2025-03-07", "location_id"?} (item_sales also "order_by": "quantity" or "revenue"); inventory takes {"location_id"?, "low_only"?}; customers takes nothing. Poll the returned export until its status is done, then download its downloadUrl.';
grant execute on function reporting.request_export(reporting.export_kind, jsonb) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- The worker's side (owner; tenant explicit)

/*
 * Starts (or restarts) an export: forgets chunks of an earlier attempt, counts the rows it will
 * have, and returns what the job needs: {tenantId, exportId, query, fileName, rowsTotal}. Null
 * when the export is gone or already done.
 */
--
-- The row count of a customers export counts the activity rows that are not merged instead of
-- running the export query twice: every activity row has its customer (composite foreign key), so
-- the number is the same, from the partial index alone (300,000 customers: 116–132 ms against
-- 930 ms). Other kinds are small (days, items, stock rows) and keep the generic count.
create or replace function app_private.start_export(tenant_id text, export_id text) returns jsonb
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  x reporting.exports;
  q text;
  total bigint;
begin
  select e.* into x from reporting.exports e
  where e.tenant_id = start_export.tenant_id and e.id = start_export.export_id
  for update;
  if not found or x.status = 'done' then
    return null;
  end if;
  delete from app_private.export_chunks c where c.tenant_id = x.tenant_id and c.export_id = x.id;
  q := app_private.export_query(x.tenant_id, x.kind, x.params);
  if x.kind = 'customers' then
    select count(*) into total from reporting.rm_customer_activity a
    where a.tenant_id = x.tenant_id and a.merged_into_id is null;
  else
    execute 'select count(*) from (' || q || ') as rows' into total;
  end if;
  update reporting.exports e set status = 'running', started_at = now(), finished_at = null, error_message = null,
    rows_total = total, rows_written = 0, bytes_written = 0, chunk_count = 0
  where e.tenant_id = x.tenant_id and e.id = x.id;
  return jsonb_build_object('tenantId', x.tenant_id, 'exportId', x.id, 'query', q, 'fileName', x.file_name, 'rowsTotal', total);
end;
$$;
comment on function app_private.start_export(text, text) is 'Marks an export running and returns its query (worker); null when it is gone or done.';

/* Stores the next chunk of a running export and its progress. False when it is no longer running. */
create or replace function app_private.write_export_chunk(tenant_id text, export_id text, chunk_no int, data bytea,
                                               rows_written bigint, bytes_written bigint) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  update reporting.exports e set rows_written = write_export_chunk.rows_written, bytes_written = write_export_chunk.bytes_written,
    chunk_count = write_export_chunk.chunk_no + 1
  where e.tenant_id = write_export_chunk.tenant_id and e.id = write_export_chunk.export_id and e.status = 'running';
  if not found then
    return false;
  end if;
  insert into app_private.export_chunks (tenant_id, export_id, chunk_no, data)
  values (write_export_chunk.tenant_id, write_export_chunk.export_id, write_export_chunk.chunk_no, write_export_chunk.data);
  return true;
end;
$$;

/* Marks a running export done (downloadable) once every chunk is stored. */
create or replace function app_private.finish_export(tenant_id text, export_id text, chunk_count int, rows_written bigint, bytes_written bigint)
returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if (select count(*) from app_private.export_chunks c
      where c.tenant_id = finish_export.tenant_id and c.export_id = finish_export.export_id) <> finish_export.chunk_count then
    raise exception 'export % of tenant %: % chunks expected', finish_export.export_id, finish_export.tenant_id, finish_export.chunk_count;
  end if;
  update reporting.exports e set status = 'done', finished_at = now(), chunk_count = finish_export.chunk_count,
    rows_written = finish_export.rows_written, bytes_written = finish_export.bytes_written
  where e.tenant_id = finish_export.tenant_id and e.id = finish_export.export_id and e.status = 'running';
  return found;
end;
$$;

/* Marks an export failed (the worker gave up on it); its chunks go. */
create or replace function app_private.fail_export(tenant_id text, export_id text, message text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_private.export_chunks c where c.tenant_id = fail_export.tenant_id and c.export_id = fail_export.export_id;
  update reporting.exports e set status = 'failed', finished_at = now(), error_message = left(message, 500)
  where e.tenant_id = fail_export.tenant_id and e.id = fail_export.export_id and e.status <> 'done';
$$;

/* Exports older than 7 days go with their files (worker crontab). Returns how many. */
create or replace function app_private.delete_expired_exports() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from reporting.exports e where e.created_at < now() - interval '7 days' returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_exports() is 'Removes exports (and their files) older than 7 days.';

------------------------------------------------------------------------------------------------
-- Downloading (GET /exports/:id as the API role with the session)

/* Whether the signed-in user may download the exports of this tenant: a member with reports.export. */
create or replace function app_hidden.may_download_exports_of(tenant_id text) returns boolean
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select exists (select 1 from app_public.memberships m
                 join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
                 where m.tenant_id = may_download_exports_of.tenant_id and m.user_id = app_hidden.current_user_id()
                   and 'reports.export' = any(r.permissions));
$$;

/* The finished export with this id that the signed-in user may download, of an active business. */
create or replace function app_hidden.downloadable_export(export_id text) returns reporting.exports
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select e.*
  from reporting.exports e
  join app_public.tenants t on t.id = e.tenant_id and t.status = 'active'
  where e.id = downloadable_export.export_id and e.status = 'done'
    and app_hidden.may_download_exports_of(e.tenant_id)
  limit 1;
$$;

/*
 * Name, size and chunk count of a finished export the signed-in user may download; no row for
 * anything else (unknown, another business's, not finished, no reports.export: never told
 * apart). Someone who may download it, of a business that is suspended or closed, is told so
 * (TSUSP) rather than "not found", as everywhere else.
 */
create or replace function app_hidden.export_file(export_id text)
returns table (file_name text, byte_size bigint, chunk_count int)
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if exists (select 1 from reporting.exports e join app_public.tenants t on t.id = e.tenant_id and t.status <> 'active'
             where e.id = export_file.export_id and app_hidden.may_download_exports_of(e.tenant_id)) then
    perform app_hidden.raise_error('TSUSP',
      'This business is suspended or closed: its exports cannot be downloaded. Open Settings → Billing to reactivate it.');
  end if;
  return query
    select e.file_name, e.bytes_written, e.chunk_count
    from app_hidden.downloadable_export(export_file.export_id) e
    where e.id is not null;
end;
$$;
comment on function app_hidden.export_file(text) is 'Name, size and chunk count of a finished export the signed-in user may download; no row otherwise; TSUSP when its business is suspended.';

create or replace function app_hidden.export_chunk(export_id text, chunk_no int) returns bytea
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select c.data
  from app_hidden.downloadable_export(export_chunk.export_id) e
  join app_private.export_chunks c on c.tenant_id = e.tenant_id and c.export_id = e.id and c.chunk_no = export_chunk.chunk_no;
$$;
comment on function app_hidden.export_chunk(text, int) is 'One chunk of a finished export the signed-in user may download.';
--! EndIncluded reporting/650-exports.sql
--! Included customers/460-timeline.sql
-- The timeline on the customer page, newest first. It is read from the
-- event log (created, merged, orders placed, voided and refunded), the audit rows (updated, archived,
-- restored, merged away: every change of the row, with the actor, including changes made
-- outside the commands) and the notes. The API role cannot read app_private, so this is a
-- security definer function that serves only the caller's tenant and needs customers.view.

/* A changed field of a customer as the timeline names it ("Changed type, SMS consent"). */
create or replace function app_hidden.customer_field_label(field text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case field
    when 'customer_type_id' then 'type'
    when 'contact_email' then 'email consent'
    when 'contact_sms' then 'SMS consent'
    when 'contact_phone' then 'phone consent'
    when 'contact_email_source' then 'email consent source'
    when 'contact_sms_source' then 'SMS consent source'
    when 'contact_phone_source' then 'phone consent source'
    when 'do_not_contact' then 'do not contact'
    when 'best_contact_time' then 'best time to contact'
    else replace(field, '_', ' ') end;
$$;
comment on function app_hidden.customer_field_label(text) is 'How the customer timeline names a changed field.';

/* The strings of a JSON array (none for anything else, such as null). */
create or replace function app_hidden.jsonb_strings(value jsonb) returns text[]
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(array_agg(x order by x), '{}')
  from jsonb_array_elements_text(case when jsonb_typeof(value) = 'array' then value else '[]'::jsonb end) x;
$$;

/*
 * What a change of one field did, as the timeline says it: the tags added and removed ("tags
 * +vip −student"), the old and new value of a name, email or phone ("email ann@a.com →
 * ann@b.com", "phone set to +19175550190"), and the field's name alone for the rest (consents,
 * notes, type…).
 */
create or replace function app_hidden.customer_change_text(field text, change jsonb) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case
    when field = 'tags' then
      'tags ' || coalesce(nullif(concat_ws(' ',
        (select string_agg('+' || t, ' ' order by t) from unnest(app_hidden.jsonb_strings(change -> 'new')) t
         where not t = any(app_hidden.jsonb_strings(change -> 'old'))),
        (select string_agg('−' || t, ' ' order by t) from unnest(app_hidden.jsonb_strings(change -> 'old')) t
         where not t = any(app_hidden.jsonb_strings(change -> 'new')))), ''), 'reordered')
    when field in ('first_name', 'last_name', 'email', 'phone') then
      case when change ->> 'old' is null then format('%s set to %s', app_hidden.customer_field_label(field), change ->> 'new')
           when change ->> 'new' is null then format('%s %s removed', app_hidden.customer_field_label(field), change ->> 'old')
           else format('%s %s → %s', app_hidden.customer_field_label(field), change ->> 'old', change ->> 'new') end
    else app_hidden.customer_field_label(field) end;
$$;
comment on function app_hidden.customer_change_text(text, jsonb) is 'How the customer timeline says what a change of one field did ("tags +vip −student", "email a → b").';

create or replace function app_public.customers_timeline(c app_public.customers) returns setof app_public.customer_activity
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  with me as (
    select tenant from app_hidden.customers_reader_tenant() as tenant where tenant is not null
  ),
  target as (
    select me.tenant, x.id, x.customer_number, app_private.tenant_currency(me.tenant) as currency
    from me join app_public.customers x on x.tenant_id = me.tenant and x.id = c.id
  ),
  entries as (
    -- Lifecycle events of the customer: created, and merges into it.
    select e.occurred_at,
           case e.type when 'customer.created.v1' then 'created' else 'merged' end as kind,
           case e.type
             when 'customer.created.v1' then format('Customer %s created', e.payload ->> 'customer_number')
             else format('Merged customer %s into this one (%s orders, %s notes, %s addresses moved)',
                         e.payload ->> 'duplicate_customer_number',
                         jsonb_array_length(e.payload -> 'moved_order_ids'),
                         jsonb_array_length(e.payload -> 'moved_note_ids'),
                         jsonb_array_length(e.payload -> 'moved_address_ids')) end as summary,
           e.actor_user_id,
           case e.type when 'customer.created.v1' then e.aggregate_id else e.payload ->> 'merge_id' end as subject_id
    from target t
    join app_private.events e on e.tenant_id = t.tenant and e.aggregate_type = 'customer' and e.aggregate_id = t.id
    where e.type in ('customer.created.v1', 'customer.merged.v1')
    union all
    -- Changes of the row, from the audit trail (those made by a merge are told by the merge entry).
    select a.created_at,
           case
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'archived' then 'archived'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'merged' then 'merged_into'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'old' = 'archived' then 'restored'
             else 'updated' end,
           case
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'archived' then 'Archived'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'merged' then
               format('Merged into customer %s', (select p.customer_number from app_public.customers p
                                                  where p.tenant_id = t.tenant and p.id = a.changes -> 'merged_into_id' ->> 'new'))
             when a.changes ? 'status' and a.changes -> 'status' ->> 'old' = 'archived' then 'Restored from the archive'
             else 'Changed ' || (select string_agg(app_hidden.customer_change_text(k, a.changes -> k), ', ' order by k)
                                 from jsonb_object_keys(a.changes) k where k not in ('display_name', 'marketing_consent_updated_at')) end,
           a.actor_user_id,
           a.entity_id
    from target t
    join app_public.audit_entries a on a.tenant_id = t.tenant and a.entity = 'customers' and a.entity_id = t.id
    where a.action = 'update'
      and not (a.changes ? 'merged_into_id' and not a.changes ? 'status')
      and not exists (select 1 from app_public.customer_merges m
                      where m.tenant_id = t.tenant and m.primary_id = t.id and m.created_at = a.created_at)
    union all
    -- Orders of the customer (and of customers merged into it).
    select e.occurred_at,
           case e.type when 'order.placed.v1' then 'order_placed' when 'order.refunded.v1' then 'order_refunded' else 'order_voided' end,
           case e.type
             when 'order.placed.v1' then format('Order of %s placed', app_hidden.format_money((e.payload ->> 'total')::bigint, t.currency))
             when 'order.refunded.v1' then format('%s refunded (%s): %s', app_hidden.format_money((e.payload ->> 'total')::bigint, t.currency),
               (select string_agg(format('%s × %s', l ->> 'quantity', l ->> 'name'), ', ' order by (l ->> 'line_no')::int)
                from jsonb_array_elements(e.payload -> 'lines') l), e.payload ->> 'reason')
             else format('Order of %s voided: %s', app_hidden.format_money((e.payload ->> 'total')::bigint, t.currency), e.payload ->> 'void_reason') end,
           e.actor_user_id,
           e.aggregate_id
    from target t
    join app_public.orders o on o.tenant_id = t.tenant and o.customer_id = any(app_private.customer_history_ids(t.tenant, t.id))
    join app_private.events e on e.tenant_id = t.tenant and e.aggregate_type = 'order' and e.aggregate_id = o.id
    where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1')
    union all
    -- Notes.
    select n.created_at, 'note',
           format('%s note: %s', initcap(n.category), left(n.body, 200) || case when length(n.body) > 200 then '…' else '' end),
           n.author_user_id, n.id
    from target t
    join app_public.customer_notes n on n.tenant_id = t.tenant and n.customer_id = t.id
  )
  select en.occurred_at, en.kind, en.summary, en.actor_user_id, u.name, en.subject_id
  from entries en
  left join app_public.users u on u.id = en.actor_user_id
  order by en.occurred_at desc, en.kind, en.subject_id desc;
$$;
comment on function app_public.customers_timeline(app_public.customers) is
  'What happened to the customer, newest first: created, changed, archived, merged, orders placed, voided and refunded, notes.';
--! EndIncluded customers/460-timeline.sql
