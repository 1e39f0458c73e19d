--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: app_hidden; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app_hidden;

--
-- Name: app_private; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app_private;

--
-- Name: app_public; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app_public;

--
-- Name: reporting; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA reporting;

--
-- Name: btree_gin; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA public;

--
-- Name: EXTENSION btree_gin; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION btree_gin IS 'support for indexing common datatypes in GIN';

--
-- Name: citext; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;

--
-- Name: EXTENSION citext; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION citext IS 'data type for case-insensitive character strings';

--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

--
-- Name: EXTENSION pg_trgm; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';

--
-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

--
-- Name: EXTENSION pgcrypto; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';

--
-- Name: priced_line; Type: TYPE; Schema: app_private; Owner: -
--

CREATE TYPE app_private.priced_line AS (
	line_no integer,
	catalog_item_id text,
	sku text,
	name text,
	unit_price integer,
	quantity integer,
	subtotal integer,
	line_discount integer,
	order_discount_share integer,
	net_total integer,
	tax integer,
	total integer,
	inventory_item_id text
);

--
-- Name: background_job; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.background_job AS (
	id text,
	task text,
	label text,
	attempt integer,
	started_at timestamp with time zone,
	finished_at timestamp with time zone,
	duration_ms bigint,
	rows_affected bigint,
	outcome text,
	error_message text
);

--
-- Name: TYPE background_job; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.background_job IS 'A run of a background job of the business.';

--
-- Name: COLUMN background_job.label; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.background_job.label IS 'What the job does, in words (CSV export, Plan change…).';

--
-- Name: COLUMN background_job.outcome; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.background_job.outcome IS 'running, succeeded, failed or crashed (the worker died; the job runs again).';

--
-- Name: COLUMN background_job.error_message; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.background_job.error_message IS 'Why it failed, in words; null when it did not.';

--
-- Name: customer_activity; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.customer_activity AS (
	occurred_at timestamp with time zone,
	kind text,
	summary text,
	actor_user_id text,
	actor_name text,
	subject_id text
);

--
-- Name: TYPE customer_activity; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.customer_activity IS 'One entry of a customer''s timeline.';

--
-- Name: COLUMN customer_activity.occurred_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_activity.occurred_at IS 'When it happened.';

--
-- Name: COLUMN customer_activity.kind; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_activity.kind IS 'created, updated, archived, restored, merged, merged_into, order_placed, order_voided or note.';

--
-- Name: COLUMN customer_activity.summary; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_activity.summary IS 'What happened, in a sentence.';

--
-- Name: COLUMN customer_activity.actor_user_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_activity.actor_user_id IS 'Who did it (null for the system).';

--
-- Name: COLUMN customer_activity.actor_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_activity.actor_name IS 'Name of who did it.';

--
-- Name: COLUMN customer_activity.subject_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_activity.subject_id IS 'The row it is about: the order, note, merge or customer id.';

--
-- Name: customer_changes; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.customer_changes AS (
	email text,
	phone text,
	first_name text,
	last_name text,
	notes text,
	tags text[],
	marketing_consent boolean,
	marketing_consent_source text,
	metadata jsonb
);

--
-- Name: TYPE customer_changes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.customer_changes IS 'Changes to a customer: a field left out (null) stays as it is; an empty string clears email, phone, names or notes.';

--
-- Name: COLUMN customer_changes.email; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_changes.email IS 'New email ("" clears it).';

--
-- Name: COLUMN customer_changes.phone; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_changes.phone IS 'New phone, read with the business''s country unless it starts with + or 00 ("" clears it).';

--
-- Name: COLUMN customer_changes.first_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_changes.first_name IS 'New first name ("" clears it).';

--
-- Name: COLUMN customer_changes.last_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_changes.last_name IS 'New last name ("" clears it).';

--
-- Name: COLUMN customer_changes.notes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_changes.notes IS 'New notes ("" clears them).';

--
-- Name: COLUMN customer_changes.tags; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_changes.tags IS 'The new list of tags (replaces the old one; [] clears it).';

--
-- Name: COLUMN customer_changes.marketing_consent; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_changes.marketing_consent IS 'Whether the customer now agrees to receive marketing.';

--
-- Name: COLUMN customer_changes.marketing_consent_source; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_changes.marketing_consent_source IS 'Where the consent was given or withdrawn: pos, admin, online, import or other (default admin).';

--
-- Name: COLUMN customer_changes.metadata; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_changes.metadata IS 'The new metadata object (replaces the old one).';

--
-- Name: customer_merge_preview; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.customer_merge_preview AS (
	display_name text,
	email text,
	phone text,
	first_name text,
	last_name text,
	notes text,
	tags jsonb,
	marketing_consent boolean,
	total_visits integer,
	total_spend bigint,
	last_visit_at timestamp with time zone,
	orders_to_move integer,
	notes_to_move integer,
	addresses_to_move integer
);

--
-- Name: TYPE customer_merge_preview; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.customer_merge_preview IS 'The primary customer as a merge would leave it, and how much would move from the duplicate.';

--
-- Name: COLUMN customer_merge_preview.display_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.display_name IS 'Display name after the merge.';

--
-- Name: COLUMN customer_merge_preview.email; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.email IS 'Email after the merge.';

--
-- Name: COLUMN customer_merge_preview.phone; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.phone IS 'Phone after the merge.';

--
-- Name: COLUMN customer_merge_preview.first_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.first_name IS 'First name after the merge.';

--
-- Name: COLUMN customer_merge_preview.last_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.last_name IS 'Last name after the merge.';

--
-- Name: COLUMN customer_merge_preview.notes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.notes IS 'Notes after the merge (when both do not fit, the duplicate''s become a note).';

--
-- Name: COLUMN customer_merge_preview.tags; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.tags IS 'Tags after the merge.';

--
-- Name: COLUMN customer_merge_preview.marketing_consent; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.marketing_consent IS 'Marketing consent after the merge.';

--
-- Name: COLUMN customer_merge_preview.total_visits; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.total_visits IS 'Visits after the merge (both added up).';

--
-- Name: COLUMN customer_merge_preview.total_spend; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.total_spend IS 'Lifetime spend after the merge, in cents (both added up).';

--
-- Name: COLUMN customer_merge_preview.last_visit_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.last_visit_at IS 'The later of the two last visits.';

--
-- Name: COLUMN customer_merge_preview.orders_to_move; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.orders_to_move IS 'Orders of the duplicate that would move to the primary.';

--
-- Name: COLUMN customer_merge_preview.notes_to_move; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.notes_to_move IS 'Notes of the duplicate that would move to the primary.';

--
-- Name: COLUMN customer_merge_preview.addresses_to_move; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merge_preview.addresses_to_move IS 'Addresses of the duplicate that would move to the primary.';

--
-- Name: likely_duplicate; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.likely_duplicate AS (
	customer_id text,
	customer_number text,
	display_name text,
	email text,
	phone text,
	status text,
	score double precision,
	reasons text[]
);

--
-- Name: TYPE likely_duplicate; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.likely_duplicate IS 'A live customer that a customer about to be created would likely duplicate, with why.';

--
-- Name: COLUMN likely_duplicate.customer_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.likely_duplicate.customer_id IS '@notNull
The existing customer (its row id).';

--
-- Name: COLUMN likely_duplicate.customer_number; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.likely_duplicate.customer_number IS '@notNull
Its number, such as CUST-00042.';

--
-- Name: COLUMN likely_duplicate.display_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.likely_duplicate.display_name IS '@notNull
Its display name.';

--
-- Name: COLUMN likely_duplicate.email; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.likely_duplicate.email IS 'Its email.';

--
-- Name: COLUMN likely_duplicate.phone; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.likely_duplicate.phone IS 'Its phone number (E.164).';

--
-- Name: COLUMN likely_duplicate.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.likely_duplicate.status IS '@notNull
active or archived.';

--
-- Name: COLUMN likely_duplicate.score; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.likely_duplicate.score IS '@notNull
How likely the two are the same person, 0 to 1 (customers/490-possible-duplicates.sql).';

--
-- Name: COLUMN likely_duplicate.reasons; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.likely_duplicate.reasons IS '@notNull
Why, in words: "Same phone digits", "Similar name (0.82)", "Same email name at another domain"…';

--
-- Name: loyalty_class; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.loyalty_class AS ENUM (
    'new',
    'returning',
    'regular',
    'lapsed',
    'one_time'
);

--
-- Name: TYPE loyalty_class; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.loyalty_class IS 'How often a customer comes: new (first visit recently), returning, regular, lapsed (returning or regular, then gone), one_time (a single visit long ago).';

--
-- Name: order_quote; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.order_quote AS (
	subtotal integer,
	discount_total integer,
	tax_rate_bps integer,
	tax_total integer,
	total integer,
	lines jsonb,
	tax_name text,
	tax_inclusive boolean
);

--
-- Name: TYPE order_quote; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.order_quote IS 'The totals a cart would have if placed now, computed exactly as placeOrder computes them.';

--
-- Name: COLUMN order_quote.subtotal; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_quote.subtotal IS 'Sum of the lines'' subtotals, without tax, in cents (unit price × quantity unless the prices include the tax).';

--
-- Name: COLUMN order_quote.discount_total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_quote.discount_total IS 'Line discounts plus the order discount, in cents.';

--
-- Name: COLUMN order_quote.tax_rate_bps; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_quote.tax_rate_bps IS 'The rate the location charges (the business''s default without one), in basis points.';

--
-- Name: COLUMN order_quote.tax_total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_quote.tax_total IS 'Sum of the line taxes, in cents.';

--
-- Name: COLUMN order_quote.total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_quote.total IS 'subtotal − discount_total + tax_total, in cents.';

--
-- Name: COLUMN order_quote.lines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_quote.lines IS 'The priced lines: line_no, catalog_item_id, sku, name, unit_price, quantity, subtotal, line_discount, order_discount_share, net_total, tax, total.';

--
-- Name: COLUMN order_quote.tax_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_quote.tax_name IS 'The name of that rate ("Tax" for the business''s default).';

--
-- Name: COLUMN order_quote.tax_inclusive; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_quote.tax_inclusive IS 'True when the prices include the tax: the total is then what the shelf prices add up to, and the tax is the part of it.';

--
-- Name: possible_duplicate_pair; Type: TYPE; Schema: app_public; Owner: -
--

CREATE TYPE app_public.possible_duplicate_pair AS (
	customer_id text,
	customer_number text,
	display_name text,
	email text,
	phone text,
	other_customer_id text,
	other_customer_number text,
	other_display_name text,
	other_email text,
	other_phone text,
	score double precision,
	reasons text[]
);

--
-- Name: TYPE possible_duplicate_pair; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TYPE app_public.possible_duplicate_pair IS 'Two live customers that are likely the same person, with why.';

--
-- Name: COLUMN possible_duplicate_pair.customer_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.possible_duplicate_pair.customer_id IS '@notNull
One customer of the pair (the smaller id).';

--
-- Name: COLUMN possible_duplicate_pair.customer_number; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.possible_duplicate_pair.customer_number IS '@notNull
Its number.';

--
-- Name: COLUMN possible_duplicate_pair.display_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.possible_duplicate_pair.display_name IS '@notNull
Its display name.';

--
-- Name: COLUMN possible_duplicate_pair.email; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.possible_duplicate_pair.email IS 'Its email.';

--
-- Name: COLUMN possible_duplicate_pair.phone; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.possible_duplicate_pair.phone IS 'Its phone number (E.164).';

--
-- Name: COLUMN possible_duplicate_pair.other_customer_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.possible_duplicate_pair.other_customer_id IS '@notNull
The other customer of the pair.';

--
-- Name: COLUMN possible_duplicate_pair.other_customer_number; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.possible_duplicate_pair.other_customer_number IS '@notNull
Its number.';

--
-- Name: COLUMN possible_duplicate_pair.other_display_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.possible_duplicate_pair.other_display_name IS '@notNull
Its display name.';

--
-- Name: COLUMN possible_duplicate_pair.other_email; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.possible_duplicate_pair.other_email IS 'Its email.';

--
-- Name: COLUMN possible_duplicate_pair.other_phone; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.possible_duplicate_pair.other_phone IS 'Its phone number (E.164).';

--
-- Name: COLUMN possible_duplicate_pair.score; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.possible_duplicate_pair.score IS '@notNull
How likely the two are the same person, 0 to 1.';

--
-- Name: COLUMN possible_duplicate_pair.reasons; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.possible_duplicate_pair.reasons IS '@notNull
Why, in words.';

--
-- Name: analyst_credentials; Type: TYPE; Schema: reporting; Owner: -
--

CREATE TYPE reporting.analyst_credentials AS (
	username text,
	password text,
	database_name text
);

--
-- Name: TYPE analyst_credentials; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TYPE reporting.analyst_credentials IS '@name analyst_credentials
How an analyst connects: shown once, the password is not kept.';

--
-- Name: COLUMN analyst_credentials.username; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.analyst_credentials.username IS '@notNull
The PostgreSQL user name.';

--
-- Name: COLUMN analyst_credentials.password; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.analyst_credentials.password IS '@notNull
The password (shown only now).';

--
-- Name: COLUMN analyst_credentials.database_name; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.analyst_credentials.database_name IS '@notNull
The database to connect to.';

--
-- Name: analyst_login; Type: TYPE; Schema: reporting; Owner: -
--

CREATE TYPE reporting.analyst_login AS (
	username text,
	label text,
	created_at timestamp with time zone
);

--
-- Name: TYPE analyst_login; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TYPE reporting.analyst_login IS '@name analyst_login
An analyst login of the business.';

--
-- Name: COLUMN analyst_login.username; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.analyst_login.username IS '@notNull
The PostgreSQL user name.';

--
-- Name: COLUMN analyst_login.label; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.analyst_login.label IS '@notNull
What it was called when created.';

--
-- Name: COLUMN analyst_login.created_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.analyst_login.created_at IS '@notNull
When it was created.';

--
-- Name: customer_class_row; Type: TYPE; Schema: reporting; Owner: -
--

CREATE TYPE reporting.customer_class_row AS (
	loyalty_class app_public.loyalty_class,
	customers integer
);

--
-- Name: TYPE customer_class_row; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TYPE reporting.customer_class_row IS '@name customer_class_row
How many active customers are in a loyalty class.';

--
-- Name: COLUMN customer_class_row.loyalty_class; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_class_row.loyalty_class IS 'The class; null for customers with no visit yet.';

--
-- Name: COLUMN customer_class_row.customers; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_class_row.customers IS '@notNull
Active customers in it.';

--
-- Name: customer_loyalty_day_row; Type: TYPE; Schema: reporting; Owner: -
--

CREATE TYPE reporting.customer_loyalty_day_row AS (
	business_date date,
	location_id text,
	customers integer,
	new_customers integer,
	returning_customers integer,
	repeat_rate numeric
);

--
-- Name: TYPE customer_loyalty_day_row; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TYPE reporting.customer_loyalty_day_row IS '@name customer_loyalty_day_row
Customers of one business date: new, returning, and the repeat rate.';

--
-- Name: COLUMN customer_loyalty_day_row.business_date; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_loyalty_day_row.business_date IS '@notNull
The business date (each location''s own date).';

--
-- Name: COLUMN customer_loyalty_day_row.location_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_loyalty_day_row.location_id IS 'The location, or null for all locations.';

--
-- Name: COLUMN customer_loyalty_day_row.customers; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_loyalty_day_row.customers IS '@notNull
Distinct customers with an order (not voided) that day.';

--
-- Name: COLUMN customer_loyalty_day_row.new_customers; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_loyalty_day_row.new_customers IS '@notNull
Those whose first order ever was that day.';

--
-- Name: COLUMN customer_loyalty_day_row.returning_customers; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_loyalty_day_row.returning_customers IS '@notNull
Those with an order on an earlier day.';

--
-- Name: COLUMN customer_loyalty_day_row.repeat_rate; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.customer_loyalty_day_row.repeat_rate IS '@notNull
Returning customers divided by customers (0 to 1).';

--
-- Name: daily_sales_row; Type: TYPE; Schema: reporting; Owner: -
--

CREATE TYPE reporting.daily_sales_row AS (
	business_date date,
	location_id text,
	order_count bigint,
	gross_sales bigint,
	discount_total bigint,
	tax_total bigint,
	net_sales bigint,
	tender_cash bigint,
	tender_card bigint,
	refund_count bigint,
	refund_total bigint,
	avg_order_value bigint,
	total_collected bigint
);

--
-- Name: TYPE daily_sales_row; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TYPE reporting.daily_sales_row IS '@name daily_sales_row
Sales of one business date, at one location or at all of them. Amounts in cents.';

--
-- Name: COLUMN daily_sales_row.business_date; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.business_date IS '@notNull
The business date (each location''s own date).';

--
-- Name: COLUMN daily_sales_row.location_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.location_id IS 'The location asked for; null when the figures add up all locations.';

--
-- Name: COLUMN daily_sales_row.order_count; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.order_count IS '@notNull
Sales made that day (a refund of one is counted on the day of the refund).';

--
-- Name: COLUMN daily_sales_row.gross_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.gross_sales IS '@notNull
Σ unit price × quantity of the day''s sales, before discounts and tax.';

--
-- Name: COLUMN daily_sales_row.discount_total; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.discount_total IS '@notNull
Discounts of the day''s sales.';

--
-- Name: COLUMN daily_sales_row.tax_total; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.tax_total IS '@notNull
Tax of the day''s sales minus tax refunded that day.';

--
-- Name: COLUMN daily_sales_row.net_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.net_sales IS '@notNull
gross − discounts − refunds, tax excluded.';

--
-- Name: COLUMN daily_sales_row.tender_cash; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.tender_cash IS '@notNull
Cash taken minus cash handed back that day.';

--
-- Name: COLUMN daily_sales_row.tender_card; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.tender_card IS '@notNull
Card payments minus card refunds that day.';

--
-- Name: COLUMN daily_sales_row.refund_count; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.refund_count IS '@notNull
Refunds made that day (voids included).';

--
-- Name: COLUMN daily_sales_row.refund_total; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.refund_total IS '@notNull
What those refunds took back, after discounts and before tax.';

--
-- Name: COLUMN daily_sales_row.avg_order_value; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.avg_order_value IS '@notNull
net_sales / order_count rounded half up; 0 without sales.';

--
-- Name: COLUMN daily_sales_row.total_collected; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.daily_sales_row.total_collected IS '@notNull
net sales + tax.';

--
-- Name: dashboard_metrics; Type: TYPE; Schema: reporting; Owner: -
--

CREATE TYPE reporting.dashboard_metrics AS (
	sales_today bigint,
	orders_today bigint,
	low_stock_count integer,
	active_customers_30d integer,
	average_today bigint,
	sales_week_ago bigint,
	orders_week_ago bigint,
	average_week_ago bigint,
	sales_change_percent numeric,
	orders_change_percent numeric,
	average_change_percent numeric,
	currency text
);

--
-- Name: TYPE dashboard_metrics; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TYPE reporting.dashboard_metrics IS '@name dashboard_metrics
The figures of the dashboard: today''s sales against the same weekday a week ago, low stock and active customers.';

--
-- Name: COLUMN dashboard_metrics.sales_today; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.dashboard_metrics.sales_today IS '@notNull
Today''s net sales (gross − discounts − refunds, tax excluded), each location on its own clock.';

--
-- Name: COLUMN dashboard_metrics.orders_today; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.dashboard_metrics.orders_today IS '@notNull
Sales made today, each location on its own clock.';

--
-- Name: COLUMN dashboard_metrics.low_stock_count; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.dashboard_metrics.low_stock_count IS '@notNull
Inventory items at or below their low-stock threshold, counted once per location.';

--
-- Name: COLUMN dashboard_metrics.active_customers_30d; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.dashboard_metrics.active_customers_30d IS '@notNull
Customers with an order (not voided) placed in the last 30 days (merged customers count once).';

--
-- Name: COLUMN dashboard_metrics.average_today; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.dashboard_metrics.average_today IS '@notNull
Today''s average sale: salesToday / ordersToday, rounded half up; 0 without sales.';

--
-- Name: COLUMN dashboard_metrics.sales_week_ago; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.dashboard_metrics.sales_week_ago IS '@notNull
Net sales (tax excluded, refunds of that day taken out) on the same weekday a week ago: each location''s today − 7 days on its own clock.';

--
-- Name: COLUMN dashboard_metrics.orders_week_ago; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.dashboard_metrics.orders_week_ago IS '@notNull
Sales made on the same weekday a week ago, each location on its own clock.';

--
-- Name: COLUMN dashboard_metrics.average_week_ago; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.dashboard_metrics.average_week_ago IS '@notNull
The average sale of the same weekday a week ago: salesWeekAgo / ordersWeekAgo, rounded half up; 0 without sales.';

--
-- Name: COLUMN dashboard_metrics.sales_change_percent; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.dashboard_metrics.sales_change_percent IS 'salesToday against salesWeekAgo in percent, one decimal (12.5 is +12.5%, −30.0 is −30%; over the absolute value when a week ago was negative); null when a week ago had no net sales (0).';

--
-- Name: COLUMN dashboard_metrics.orders_change_percent; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.dashboard_metrics.orders_change_percent IS 'ordersToday against ordersWeekAgo in percent, one decimal; null when a week ago had no sales.';

--
-- Name: COLUMN dashboard_metrics.average_change_percent; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.dashboard_metrics.average_change_percent IS 'averageToday against averageWeekAgo in percent, one decimal; null when a week ago''s average sale was 0.';

--
-- Name: COLUMN dashboard_metrics.currency; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.dashboard_metrics.currency IS '@notNull
The currency (ISO 4217) of the amounts, which are in its minor units (cents for USD).';

--
-- Name: export_kind; Type: TYPE; Schema: reporting; Owner: -
--

CREATE TYPE reporting.export_kind AS ENUM (
    'daily_sales',
    'item_sales',
    'inventory',
    'customers'
);

--
-- Name: TYPE export_kind; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TYPE reporting.export_kind IS '@name export_kind
What an export contains: daily sales, item sales, inventory or customers.';

--
-- Name: inventory_summary_row; Type: TYPE; Schema: reporting; Owner: -
--

CREATE TYPE reporting.inventory_summary_row AS (
	location_id text,
	location_name text,
	inventory_item_id text,
	item_name text,
	on_hand integer,
	low_stock_threshold integer,
	is_below_threshold boolean
);

--
-- Name: TYPE inventory_summary_row; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TYPE reporting.inventory_summary_row IS '@name inventory_summary_row
Stock of one inventory item at one location.';

--
-- Name: COLUMN inventory_summary_row.location_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_summary_row.location_id IS '@notNull
The location.';

--
-- Name: COLUMN inventory_summary_row.location_name; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_summary_row.location_name IS '@notNull
Its name.';

--
-- Name: COLUMN inventory_summary_row.inventory_item_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_summary_row.inventory_item_id IS '@notNull
The inventory item.';

--
-- Name: COLUMN inventory_summary_row.item_name; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_summary_row.item_name IS '@notNull
Its name.';

--
-- Name: COLUMN inventory_summary_row.on_hand; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_summary_row.on_hand IS '@notNull
Units on hand (negative when more was sold than received).';

--
-- Name: COLUMN inventory_summary_row.low_stock_threshold; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_summary_row.low_stock_threshold IS '@notNull
The item''s low-stock threshold.';

--
-- Name: COLUMN inventory_summary_row.is_below_threshold; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.inventory_summary_row.is_below_threshold IS '@notNull
Low stock: on hand at or below the threshold.';

--
-- Name: item_sales_order; Type: TYPE; Schema: reporting; Owner: -
--

CREATE TYPE reporting.item_sales_order AS ENUM (
    'quantity',
    'revenue'
);

--
-- Name: TYPE item_sales_order; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TYPE reporting.item_sales_order IS '@name item_sales_order
How top items are ranked: by units sold or by net revenue.';

--
-- Name: item_sales_row; Type: TYPE; Schema: reporting; Owner: -
--

CREATE TYPE reporting.item_sales_row AS (
	catalog_item_id text,
	catalog_item_name text,
	quantity_sold bigint,
	gross_revenue bigint,
	net_revenue bigint,
	avg_unit_price bigint
);

--
-- Name: TYPE item_sales_row; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TYPE reporting.item_sales_row IS '@name item_sales_row
What one catalog item sold over a period. Amounts in cents.';

--
-- Name: COLUMN item_sales_row.catalog_item_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.item_sales_row.catalog_item_id IS '@notNull
The catalog item.';

--
-- Name: COLUMN item_sales_row.catalog_item_name; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.item_sales_row.catalog_item_name IS '@notNull
Its name on its latest sale of the period.';

--
-- Name: COLUMN item_sales_row.quantity_sold; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.item_sales_row.quantity_sold IS '@notNull
Units sold in orders that were not voided.';

--
-- Name: COLUMN item_sales_row.gross_revenue; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.item_sales_row.gross_revenue IS '@notNull
unit price × quantity, before discounts and tax, in cents.';

--
-- Name: COLUMN item_sales_row.net_revenue; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.item_sales_row.net_revenue IS '@notNull
After discounts, before tax, in cents: the revenue items are ranked by.';

--
-- Name: COLUMN item_sales_row.avg_unit_price; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.item_sales_row.avg_unit_price IS '@notNull
net_revenue / quantity_sold rounded half up to the cent; 0 when none sold.';

--
-- Name: accept_invitation(text, text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.accept_invitation(token text, name text, password text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION accept_invitation(token text, name text, password text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.accept_invitation(token text, name text, password text) IS 'Accepts an invitation with a new account (name, password) or an existing one (its password; null when wrong); returns the secret of a session in the business.';

--
-- Name: all_permissions(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.all_permissions() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select array[
    'customers.view', 'customers.create', 'customers.update', 'customers.merge',
    'sales.sell', 'sales.void', 'catalog.manage', 'inventory.manage',
    'reports.view', 'reports.export',
    'settings.view', 'settings.update'
  ]::text[];
$$;

--
-- Name: FUNCTION all_permissions(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.all_permissions() IS 'Every permission a tenant role can carry.';

--
-- Name: analyst_loyalty_class(integer, timestamp with time zone, timestamp with time zone[], integer, integer, integer, timestamp with time zone); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.analyst_loyalty_class(visits integer, last_visit_at timestamp with time zone, recent_visits timestamp with time zone[], regular_min_visits integer, regular_window_days integer, lapsed_after_days integer, at timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select app_hidden.loyalty_class(visits, last_visit_at, recent_visits,
    regular_min_visits, regular_window_days, lapsed_after_days, at)::text;
$$;

--
-- Name: FUNCTION analyst_loyalty_class(visits integer, last_visit_at timestamp with time zone, recent_visits timestamp with time zone[], regular_min_visits integer, regular_window_days integer, lapsed_after_days integer, at timestamp with time zone); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.analyst_loyalty_class(visits integer, last_visit_at timestamp with time zone, recent_visits timestamp with time zone[], regular_min_visits integer, regular_window_days integer, lapsed_after_days integer, at timestamp with time zone) IS 'app_hidden.loyalty_class as text, for reporting.customer_classes (run as the owner). Executable by analysts only.';

--
-- Name: analyst_pending_daily(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.analyst_pending_daily() RETURNS TABLE(location_id text, business_date date, order_count bigint, gross_sales bigint, discount_total bigint, tax_total bigint, net_sales bigint, tender_cash bigint, tender_card bigint, refund_count bigint, refund_total bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select d.* from app_hidden.analyst_tenant_id() t, app_private.reporting_pending_daily(t) d where t is not null;
$$;

--
-- Name: analyst_pending_items(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.analyst_pending_items() RETURNS TABLE(location_id text, business_date date, catalog_item_id text, catalog_item_name text, name_seq bigint, quantity_sold bigint, gross_revenue bigint, net_revenue bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select d.* from app_hidden.analyst_tenant_id() t, app_private.reporting_pending_items(t) d where t is not null;
$$;

--
-- Name: analyst_pending_stock(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.analyst_pending_stock() RETURNS TABLE(location_id text, inventory_item_id text, on_hand bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select d.* from app_hidden.analyst_tenant_id() t, app_private.reporting_pending_stock(t) d where t is not null;
$$;

--
-- Name: analyst_tenant_id(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.analyst_tenant_id() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select a.tenant_id
  from app_private.analyst_logins a
  join app_public.tenants t on t.id = a.tenant_id
  where a.role_name = session_user::text
    and t.status = 'active'
    and 'reporting' = any((app_private.tenant_plan(a.tenant_id)).modules);
$$;

--
-- Name: FUNCTION analyst_tenant_id(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.analyst_tenant_id() IS 'The tenant of the signed-in analyst login (session_user), or null.';

--
-- Name: assert_billing_permission(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_billing_permission(permission text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION assert_billing_permission(permission text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.assert_billing_permission(permission text) IS 'The current tenant when the user holds the permission (LOGIN, DNIED); does not refuse suspended businesses.';

--
-- Name: assert_consent_source(text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_consent_source(source text, field text DEFAULT 'marketing_consent_source'::text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  cleaned text := lower(btrim(source));
begin
  if cleaned is null or cleaned = '' then
    return 'admin';
  end if;
  if cleaned not in ('pos', 'admin', 'online', 'import', 'other') then
    perform app_hidden.raise_error('BADIN', 'The consent source must be pos, admin, online, import or other.', field => assert_consent_source.field);
  end if;
  return cleaned;
end;
$$;

--
-- Name: FUNCTION assert_consent_source(source text, field text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.assert_consent_source(source text, field text) IS 'A valid consent source (admin when not given); raises BADIN for the given input field.';

--
-- Name: assert_customer_metadata(jsonb); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_customer_metadata(metadata jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if metadata is null then
    return '{}'::jsonb;
  end if;
  if jsonb_typeof(metadata) <> 'object' then
    perform app_hidden.raise_error('BADIN', 'Metadata must be a JSON object.', field => 'metadata');
  elsif octet_length(metadata::text) > 8192 then
    perform app_hidden.raise_error('BADIN', 'Metadata must be at most 8 kB of JSON.', field => 'metadata');
  end if;
  return metadata;
end;
$$;

--
-- Name: FUNCTION assert_customer_metadata(metadata jsonb); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.assert_customer_metadata(metadata jsonb) IS 'The metadata object ({} for null); raises BADIN unless it is a JSON object of at most 8 kB.';

--
-- Name: assert_customers_permission(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_customers_permission(permission text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission(permission);
begin
  -- The plan must include the customers module (NOMOD otherwise; app_hidden.assert_module).
  perform app_hidden.assert_module('customers');
  return tenant;
end;
$$;

--
-- Name: FUNCTION assert_customers_permission(permission text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.assert_customers_permission(permission text) IS 'Raises LOGIN, DNIED, TSUSP or NOMOD unless the caller may do this to customers; returns the tenant.';

--
-- Name: assert_live_customer(text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_live_customer(tenant_id text, customer_id text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  found_status text;
  merged_into text;
begin
  select c.status, c.merged_into_id into found_status, merged_into
  from app_public.customers c
  where c.tenant_id = assert_live_customer.tenant_id and c.id = assert_live_customer.customer_id;
  if found_status is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(customer_id, 40), '(none given)')));
  elsif found_status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one; use that customer instead.', merged_into);
  end if;
end;
$$;

--
-- Name: FUNCTION assert_live_customer(tenant_id text, customer_id text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.assert_live_customer(tenant_id text, customer_id text) IS 'Raises NOTFD for an unknown (or invisible) customer and CMRGD for a merged one.';

--
-- Name: assert_module(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_module(module text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if not app_hidden.has_module(module) then
    perform app_hidden.raise_error('NOMOD', format(
      'Your %s plan does not include %s. Upgrade under Settings → Billing to use it.',
      coalesce((app_hidden.current_plan()).name, 'current'), replace(module, '_', ' ')));
  end if;
end;
$$;

--
-- Name: FUNCTION assert_module(module text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.assert_module(module text) IS 'Raises NOMOD unless the plan of the current tenant includes the module.';

--
-- Name: assert_name(text, text, integer, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_name(field text, value text, max_length integer DEFAULT 200, column_name text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  trimmed text := app_hidden.trim_blank(value);
begin
  if trimmed is null or trimmed = '' then
    perform app_hidden.raise_error('BADIN', format('%s is required.', field), field => column_name);
  elsif length(trimmed) > max_length then
    perform app_hidden.raise_error('BADIN', format('%s must be at most %s characters.', field, max_length), field => column_name);
  elsif value ~ '[\x01-\x1f\x7f]' then
    perform app_hidden.raise_error('BADIN', format('%s must not contain control characters.', field), field => column_name);
  end if;
  return trimmed;
end;
$$;

--
-- Name: assert_permission(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_permission(permission text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  -- A suspended business may only read and pay (TSUSP; app_hidden.assert_tenant_active).
  perform app_hidden.assert_tenant_active();
  if not app_hidden.has_permission(permission) then
    perform app_hidden.raise_error('DNIED', format('Your role does not allow this (it needs the %s permission).', permission));
  end if;
  return tenant;
end;
$$;

--
-- Name: assert_recorded_time(text, timestamp with time zone, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_recorded_time(what text, instant timestamp with time zone, column_name text DEFAULT NULL::text) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if instant > now() + interval '5 minutes' then
    perform app_hidden.raise_error('BADIN', format('%s cannot be in the future.', what), field => column_name);
  elsif instant < timestamptz '2000-01-01 00:00:00+00' then
    perform app_hidden.raise_error('BADIN', format('%s cannot be before 2000-01-01; check the year.', what), field => column_name);
  end if;
  return instant;
end;
$$;

--
-- Name: FUNCTION assert_recorded_time(what text, instant timestamp with time zone, column_name text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.assert_recorded_time(what text, instant timestamp with time zone, column_name text) IS 'A backdated time, checked: not in the future and not before 2000-01-01 (BADIN naming the field).';

--
-- Name: assert_reports_permission(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_reports_permission(permission text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission(permission);
begin
  perform app_hidden.assert_tenant_active();
  perform app_hidden.assert_module('reporting');
  return tenant;
end;
$$;

--
-- Name: FUNCTION assert_reports_permission(permission text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.assert_reports_permission(permission text) IS 'Raises LOGIN, DNIED, TSUSP or NOMOD unless the caller may use reports with this permission; returns the tenant.';

--
-- Name: assert_strong_password(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_strong_password(password text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
begin
  if password is null or length(password) < 10 then
    perform app_hidden.raise_error('WEAKP', 'Choose a password of at least 10 characters.', field => 'password');
  elsif octet_length(password) > 72 then
    perform app_hidden.raise_error('WEAKP', 'Passwords can be at most 72 bytes long.', field => 'password');
  elsif password !~ '[A-Za-z]' or password !~ '[^A-Za-z]' then
    perform app_hidden.raise_error('WEAKP', 'Use letters and at least one digit or symbol in your password.', field => 'password');
  elsif password ~ '^(.)\1*$' or lower(password) in ('password12', 'password123', 'password1234', 'qwerty12345', '1234567890a') then
    perform app_hidden.raise_error('WEAKP', 'That password is too easy to guess.', field => 'password');
  end if;
end;
$_$;

--
-- Name: FUNCTION assert_strong_password(password text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.assert_strong_password(password text) IS 'Raises WEAKP unless the password is long and mixed enough.';

--
-- Name: assert_tenant_active(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_tenant_active() RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant_status text;
begin
  select t.status into tenant_status from app_public.tenants t where t.id = app_hidden.current_tenant_id();
  if tenant_status = 'suspended' then
    perform app_hidden.raise_error('TSUSP',
      'Your account has been suspended. Open Settings → Billing to update your payment details or choose a plan, and it will be reactivated.');
  elsif tenant_status = 'closed' then
    perform app_hidden.raise_error('TSUSP', 'This business has been closed.');
  end if;
  return true;
end;
$$;

--
-- Name: FUNCTION assert_tenant_active(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.assert_tenant_active() IS 'Raises TSUSP when the current tenant is suspended or closed; true otherwise.';

--
-- Name: assert_tenant_owner(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_tenant_owner() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
begin
  perform app_hidden.assert_tenant_active();
  if not exists (select 1 from app_public.memberships m
                 join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
                 where m.tenant_id = tenant and m.user_id = app_hidden.current_user_id() and r.key = 'owner') then
    perform app_hidden.raise_error('DNIED', 'Only an owner of the business can manage analyst logins.');
  end if;
  return tenant;
end;
$$;

--
-- Name: FUNCTION assert_tenant_owner(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.assert_tenant_owner() IS 'Raises LOGIN, DNIED or TSUSP unless the signed-in user is an owner (with settings.update) of the current tenant; returns the tenant.';

--
-- Name: assert_valid_email(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_valid_email(email text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
declare
  cleaned text := app_hidden.trim_blank(email);
begin
  if cleaned is null or cleaned = '' then
    perform app_hidden.raise_error('BADEM', 'An email address is required.', field => 'email');
  end if;
  -- Checked before lower-casing: lower() turns some non-ASCII letters into ASCII ones.
  if length(cleaned) > 254 or cleaned !~ '^[A-Za-z0-9.!#$%&''*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$' then
    perform app_hidden.raise_error('BADEM', format('"%s" is not a valid email address.', left(cleaned, 100)), field => 'email');
  end if;
  return lower(cleaned);
end;
$_$;

--
-- Name: FUNCTION assert_valid_email(email text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.assert_valid_email(email text) IS 'The email trimmed and lower-cased; raises BADEM when it is not a valid address.';

--
-- Name: assert_valid_timezone(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.assert_valid_timezone(tz text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if tz is null or not exists (select 1 from pg_catalog.pg_timezone_names where name = tz) then
    perform app_hidden.raise_error('BADTZ', format('"%s" is not a time zone we know; use an IANA name such as Europe/Paris or America/New_York.', coalesce(tz, '')), field => 'timezone');
  end if;
end;
$$;

--
-- Name: business_date(timestamp with time zone, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.business_date(instant timestamp with time zone, timezone text) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select (instant at time zone timezone)::date;
$$;

--
-- Name: FUNCTION business_date(instant timestamp with time zone, timezone text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.business_date(instant timestamp with time zone, timezone text) IS 'The date on the clock of a shop in this IANA time zone at this instant.';

--
-- Name: can_view_reports(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.can_view_reports() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select app_hidden.has_permission('reports.view');
$$;

--
-- Name: FUNCTION can_view_reports(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.can_view_reports() IS 'Whether the signed-in user may read the reports of the current tenant.';

--
-- Name: contact_allowed(boolean, boolean, boolean, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.contact_allowed(do_not_contact boolean, channel_allowed boolean, has_detail boolean, status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select not coalesce(do_not_contact, false) and coalesce(channel_allowed, false) and coalesce(has_detail, false)
     and status = 'active';
$$;

--
-- Name: FUNCTION contact_allowed(do_not_contact boolean, channel_allowed boolean, has_detail boolean, status text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.contact_allowed(do_not_contact boolean, channel_allowed boolean, has_detail boolean, status text) IS 'The contact rule on its inputs (app_hidden.may_contact reads them; exports join them set-based).';

--
-- Name: country_calling_code(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.country_calling_code(country text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select case upper(country)
    when 'US' then '1' when 'CA' then '1' when 'PR' then '1'
    when 'GB' then '44' when 'IE' then '353' when 'FR' then '33' when 'DE' then '49' when 'ES' then '34'
    when 'IT' then '39' when 'PT' then '351' when 'NL' then '31' when 'BE' then '32' when 'LU' then '352'
    when 'CH' then '41' when 'AT' then '43' when 'DK' then '45' when 'SE' then '46' when 'NO' then '47'
    when 'FI' then '358' when 'IS' then '354' when 'PL' then '48' when 'CZ' then '420' when 'SK' then '421'
    when 'HU' then '36' when 'RO' then '40' when 'BG' then '359' when 'GR' then '30' when 'HR' then '385'
    when 'SI' then '386' when 'EE' then '372' when 'LV' then '371' when 'LT' then '370' when 'UA' then '380'
    when 'TR' then '90' when 'IL' then '972' when 'AE' then '971' when 'SA' then '966' when 'EG' then '20'
    when 'MA' then '212' when 'ZA' then '27' when 'NG' then '234' when 'KE' then '254'
    when 'IN' then '91' when 'PK' then '92' when 'CN' then '86' when 'HK' then '852' when 'TW' then '886'
    when 'JP' then '81' when 'KR' then '82' when 'SG' then '65' when 'MY' then '60' when 'TH' then '66'
    when 'VN' then '84' when 'PH' then '63' when 'ID' then '62' when 'AU' then '61' when 'NZ' then '64'
    when 'MX' then '52' when 'BR' then '55' when 'AR' then '54' when 'CL' then '56' when 'CO' then '57'
    when 'PE' then '51'
  end;
$$;

--
-- Name: FUNCTION country_calling_code(country text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.country_calling_code(country text) IS 'International calling code of a country (ISO 3166 alpha-2) for the common ones; null when unknown.';

--
-- Name: csv_text(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.csv_text(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select case when value ~ '^[ \n\v\f\u0085\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0]*[=+@\t\r-]'
              then '''' || value else value end;
$$;

--
-- Name: FUNCTION csv_text(value text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.csv_text(value text) IS 'A CSV text cell that a spreadsheet will not run as a formula (a leading '' before =, +, -, @, tab or CR, also after leading white space).';

--
-- Name: currency_code(text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.currency_code(code text, column_name text DEFAULT 'currency'::text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  clean text := upper(btrim(coalesce(code, '')));
begin
  if not exists (select 1 from app_public.currencies c where c.code = clean) then
    perform app_hidden.raise_error('BADIN',
      format('Currency: "%s" is not a currency we know; use an ISO 4217 code such as USD, EUR or JPY.', left(coalesce(code, ''), 40)),
      field => column_name);
  end if;
  return clean;
end;
$$;

--
-- Name: FUNCTION currency_code(code text, column_name text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.currency_code(code text, column_name text) IS 'An ISO 4217 code of app_public.currencies, upper-cased; BADIN for the named field otherwise.';

--
-- Name: current_permissions(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.current_permissions() RETURNS text[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  return (select coalesce(r.permissions, '{}')
          from app_private.sessions s
          join app_public.memberships m on m.tenant_id = s.active_tenant_id and m.user_id = s.user_id
          join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
          where s.secret_hash = app_hidden.current_session_hash() and s.expires_at > now());
end;
$$;

--
-- Name: FUNCTION current_permissions(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.current_permissions() IS 'Permissions of the signed-in user in the current tenant.';

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: plans; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.plans (
    key text NOT NULL,
    name text NOT NULL,
    price_cents integer NOT NULL,
    currency text DEFAULT 'usd'::text NOT NULL,
    billing_interval text DEFAULT 'month'::text NOT NULL,
    max_seats integer NOT NULL,
    max_locations integer NOT NULL,
    max_devices integer NOT NULL,
    modules text[] DEFAULT '{}'::text[] NOT NULL,
    "position" integer DEFAULT 0 NOT NULL,
    stripe_lookup_key text NOT NULL,
    stripe_price_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT plans_billing_interval_check CHECK ((billing_interval = ANY (ARRAY['month'::text, 'year'::text]))),
    CONSTRAINT plans_currency_check CHECK ((currency ~ '^[a-z]{3}$'::text)),
    CONSTRAINT plans_key_check CHECK ((key ~ '^[a-z][a-z0-9_]{0,39}$'::text)),
    CONSTRAINT plans_max_devices_check CHECK ((max_devices >= 0)),
    CONSTRAINT plans_max_locations_check CHECK ((max_locations > 0)),
    CONSTRAINT plans_max_seats_check CHECK ((max_seats > 0)),
    CONSTRAINT plans_name_check CHECK (((length(name) >= 1) AND (length(name) <= 100))),
    CONSTRAINT plans_price_cents_check CHECK ((price_cents >= 0)),
    CONSTRAINT plans_stripe_lookup_key_check CHECK ((stripe_lookup_key ~ '^[a-z][a-z0-9_]{0,199}$'::text))
);

ALTER TABLE ONLY app_public.plans FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE plans; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.plans IS 'A plan a business can subscribe to: its monthly price, its modules and its limits. The same for every business.';

--
-- Name: COLUMN plans.key; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.plans.key IS 'Stable identifier of the plan: starter or growth.';

--
-- Name: COLUMN plans.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.plans.name IS 'Name shown to customers.';

--
-- Name: COLUMN plans.price_cents; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.plans.price_cents IS 'Price per billing interval, in cents.';

--
-- Name: COLUMN plans.currency; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.plans.currency IS 'ISO 4217 currency of the price, lower case.';

--
-- Name: COLUMN plans.billing_interval; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.plans.billing_interval IS 'How often the price is charged: month or year.';

--
-- Name: COLUMN plans.max_seats; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.plans.max_seats IS 'How many people (memberships) a business on this plan may have.';

--
-- Name: COLUMN plans.max_locations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.plans.max_locations IS 'How many locations (shops) a business on this plan may have.';

--
-- Name: COLUMN plans.max_devices; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.plans.max_devices IS 'How many POS devices (registers) a business on this plan may have, over all its locations.';

--
-- Name: COLUMN plans.modules; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.plans.modules IS 'Modules included in the plan, such as customers, reporting or inventory.';

--
-- Name: COLUMN plans."position"; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.plans."position" IS 'Order of the plans on the billing page, cheapest first.';

--
-- Name: COLUMN plans.stripe_lookup_key; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.plans.stripe_lookup_key IS '@behavior -*
lookup_key of the Stripe price of this plan.';

--
-- Name: COLUMN plans.stripe_price_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.plans.stripe_price_id IS '@behavior -*
The Stripe price id (from configuration or found by lookup key); null until the worker has resolved it.';

--
-- Name: current_plan(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.current_plan() RETURNS app_public.plans
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select p.* from app_private.tenant_plan(app_hidden.current_tenant_id()) p where app_hidden.current_tenant_id() is not null;
$$;

--
-- Name: FUNCTION current_plan(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.current_plan() IS 'The plan of the current tenant: its modules and limits.';

--
-- Name: current_session_hash(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.current_session_hash() RETURNS bytea
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
declare
  s text := current_setting('app.session_id', true);
begin
  if s ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
    return app_hidden.session_secret_hash(s::uuid);
  end if;
  return null;
end;
$_$;

--
-- Name: FUNCTION current_session_hash(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.current_session_hash() IS 'The SHA-256 of the session secret of this request, if any.';

--
-- Name: current_session_id(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.current_session_id() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  return (select s.id from app_private.sessions s where s.secret_hash = app_hidden.current_session_hash());
end;
$$;

--
-- Name: FUNCTION current_session_id(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.current_session_id() IS 'The id of the session of this request (a row id, not the secret), if any.';

--
-- Name: current_suspended_tenant_id(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.current_suspended_tenant_id() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  return (select t.id from app_public.tenants t where t.id = app_hidden.current_tenant_id() and t.status <> 'active');
end;
$$;

--
-- Name: FUNCTION current_suspended_tenant_id(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.current_suspended_tenant_id() IS 'The current tenant while it is suspended or closed, else null.';

--
-- Name: current_tenant_country(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.current_tenant_country() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select t.default_country from app_public.tenants t where t.id = app_hidden.current_tenant_id();
$$;

--
-- Name: FUNCTION current_tenant_country(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.current_tenant_country() IS 'ISO country of the current tenant (its default_country).';

--
-- Name: current_tenant_id(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.current_tenant_id() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  return (select s.active_tenant_id
          from app_private.sessions s
          join app_public.memberships m on m.tenant_id = s.active_tenant_id and m.user_id = s.user_id
          where s.secret_hash = app_hidden.current_session_hash() and s.expires_at > now());
end;
$$;

--
-- Name: FUNCTION current_tenant_id(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.current_tenant_id() IS 'The tenant the signed-in user works in, while they are still a member of it.';

--
-- Name: current_user_id(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.current_user_id() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  return (select s.user_id from app_private.sessions s
          where s.secret_hash = app_hidden.current_session_hash() and s.expires_at > now());
end;
$$;

--
-- Name: FUNCTION current_user_id(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.current_user_id() IS 'The signed-in user, from an unexpired session.';

--
-- Name: current_user_roles(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.current_user_roles() RETURNS TABLE(tenant_id text, role_id text)
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select m.tenant_id, m.role_id from app_public.memberships m where m.user_id = app_hidden.current_user_id();
$$;

--
-- Name: current_user_tenant_ids(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.current_user_tenant_ids() RETURNS SETOF text
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select m.tenant_id from app_public.memberships m where m.user_id = app_hidden.current_user_id();
$$;

--
-- Name: customer_change_text(text, jsonb); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.customer_change_text(field text, change jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION customer_change_text(field text, change jsonb); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.customer_change_text(field text, change jsonb) IS 'How the customer timeline says what a change of one field did ("tags +vip −student", "email a → b").';

--
-- Name: customer_display_name(text, text, text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.customer_display_name(first_name text, last_name text, email text, phone text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select coalesce(nullif(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''), email, phone);
$$;

--
-- Name: FUNCTION customer_display_name(first_name text, last_name text, email text, phone text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.customer_display_name(first_name text, last_name text, email text, phone text) IS 'The name a customer is shown by: first and last name, else the email, else the phone (customers.display_name).';

--
-- Name: customer_duplicate_score(text, text, text, text, text, text, text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.customer_duplicate_score(first_name text, last_name text, email text, phone text, other_first_name text, other_last_name text, other_email text, other_phone text, OUT score double precision, OUT reasons text[]) RETURNS record
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  email_name text := app_hidden.duplicate_email_key(email);
  name_similarity real := public.similarity(
    app_hidden.duplicate_full_name(first_name, last_name), app_hidden.duplicate_full_name(other_first_name, other_last_name));
  unlikely numeric := 1;
begin
  reasons := '{}';
  if email = other_email then
    reasons := reasons || 'Same email'::text;
    unlikely := unlikely * (1 - 0.7);
  end if;
  if app_hidden.duplicate_phone_key(phone) = app_hidden.duplicate_phone_key(other_phone) then
    reasons := reasons || 'Same phone digits'::text;
    unlikely := unlikely * (1 - 0.6);
  end if;
  if email <> other_email and email_name = app_hidden.duplicate_email_key(other_email)
     and length(email_name) >= 3 and email_name <> all (array[
       'info', 'contact', 'hello', 'admin', 'office', 'sales', 'shop', 'store', 'support', 'mail', 'email',
       'noreply', 'no-reply', 'team', 'enquiries', 'enquiry', 'bookings', 'booking', 'accounts', 'billing',
       'orders', 'order', 'service', 'reception', 'customer', 'customers', 'test']) then
    reasons := reasons || 'Same email name at another domain'::text;
    unlikely := unlikely * (1 - 0.5);
  end if;
  if name_similarity >= 0.6 then
    reasons := reasons || case when name_similarity = 1 then 'Same name'
                               else format('Similar name (%s)', to_char(name_similarity, 'FM0.00')) end;
    unlikely := unlikely * (1 - 0.6 * name_similarity::numeric);
  end if;
  score := round(1 - unlikely, 2)::double precision;
end;
$$;

--
-- Name: FUNCTION customer_duplicate_score(first_name text, last_name text, email text, phone text, other_first_name text, other_last_name text, other_email text, other_phone text, OUT score double precision, OUT reasons text[]); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.customer_duplicate_score(first_name text, last_name text, email text, phone text, other_first_name text, other_last_name text, other_email text, other_phone text, OUT score double precision, OUT reasons text[]) IS 'Possible duplicates: how likely two customers are the same person (0 to 1) and why, in words (customers/490-possible-duplicates.sql).';

--
-- Name: customer_field_label(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.customer_field_label(field text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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
    when 'notes' then 'about this customer'
    else replace(field, '_', ' ') end;
$$;

--
-- Name: FUNCTION customer_field_label(field text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.customer_field_label(field text) IS 'How the customer timeline names a changed field.';

--
-- Name: customers_reader_tenant(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.customers_reader_tenant() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if app_hidden.current_tenant_id() is null or not app_hidden.has_permission('customers.view') then
    return null;
  end if;
  return app_hidden.assert_customers_permission('customers.view');
end;
$$;

--
-- Name: FUNCTION customers_reader_tenant(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.customers_reader_tenant() IS 'The current tenant when the caller may read customers, else null.';

--
-- Name: days_ago(integer); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.days_ago(days integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select case when days is null then null when days <= 0 then 'today' when days = 1 then 'yesterday'
              else days || ' days ago' end;
$$;

--
-- Name: gen_ulid(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.gen_ulid() RETURNS text
    LANGUAGE plpgsql PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION gen_ulid(); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.gen_ulid() IS 'A new ULID: 26 characters, ordered by creation time.';

--
-- Name: exports; Type: TABLE; Schema: reporting; Owner: -
--

CREATE TABLE reporting.exports (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    kind reporting.export_kind NOT NULL,
    params jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    file_name text NOT NULL,
    rows_total bigint,
    rows_written bigint DEFAULT 0 NOT NULL,
    bytes_written bigint DEFAULT 0 NOT NULL,
    chunk_count integer DEFAULT 0 NOT NULL,
    error_message text,
    requested_by text,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT exports_file_name_check CHECK ((file_name ~ '^[a-z0-9][a-z0-9._-]{0,120}\.csv$'::text)),
    CONSTRAINT exports_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'running'::text, 'done'::text, 'failed'::text])))
);

ALTER TABLE ONLY reporting.exports FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE exports; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TABLE reporting.exports IS '@name exports
@unique id
A CSV export: requested with requestExport, written by the worker; poll status and rowsWritten, then download it from downloadUrl.';

--
-- Name: COLUMN exports.tenant_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.exports.tenant_id IS '@behavior -*';

--
-- Name: COLUMN exports.kind; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.exports.kind IS 'What it contains.';

--
-- Name: COLUMN exports.params; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.exports.params IS 'The parameters it was asked with, checked and completed (from, to, location_id, order_by, low_only).';

--
-- Name: COLUMN exports.status; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.exports.status IS 'pending (queued), running, done (downloadable) or failed (see errorMessage).';

--
-- Name: COLUMN exports.file_name; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.exports.file_name IS 'The name the file downloads under.';

--
-- Name: COLUMN exports.rows_total; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.exports.rows_total IS 'Rows the file will have (known once the worker starts).';

--
-- Name: COLUMN exports.rows_written; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.exports.rows_written IS 'Rows written so far (the header not counted).';

--
-- Name: COLUMN exports.bytes_written; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.exports.bytes_written IS 'Bytes written so far.';

--
-- Name: COLUMN exports.chunk_count; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.exports.chunk_count IS '@behavior -*';

--
-- Name: COLUMN exports.error_message; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.exports.error_message IS 'Why it failed.';

--
-- Name: COLUMN exports.started_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.exports.started_at IS 'When the worker started it (last attempt).';

--
-- Name: COLUMN exports.finished_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.exports.finished_at IS 'When it became done or failed.';

--
-- Name: downloadable_export(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.downloadable_export(export_id text) RETURNS reporting.exports
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select e.*
  from reporting.exports e
  join app_public.tenants t on t.id = e.tenant_id and t.status = 'active'
  where e.id = downloadable_export.export_id and e.status = 'done'
    and app_hidden.may_download_exports_of(e.tenant_id)
  limit 1;
$$;

--
-- Name: duplicate_email_key(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.duplicate_email_key(email text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select split_part(split_part(email, '@', 1), '+', 1);
$$;

--
-- Name: FUNCTION duplicate_email_key(email text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.duplicate_email_key(email text) IS 'Possible duplicates: the name part of an email address (customers/490-possible-duplicates.sql).';

--
-- Name: duplicate_full_name(text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.duplicate_full_name(first_name text, last_name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select lower(nullif(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''));
$$;

--
-- Name: FUNCTION duplicate_full_name(first_name text, last_name text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.duplicate_full_name(first_name text, last_name text) IS 'Possible duplicates: the name compared by trigram similarity (customers/490-possible-duplicates.sql).';

--
-- Name: duplicate_given_name_key(text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.duplicate_given_name_key(first_name text, last_name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select lower(first_name || '|' || left(coalesce(last_name, ''), 1));
$$;

--
-- Name: FUNCTION duplicate_given_name_key(first_name text, last_name text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.duplicate_given_name_key(first_name text, last_name text) IS 'Possible duplicates: first name and last initial (customers/490-possible-duplicates.sql).';

--
-- Name: duplicate_phone_key(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.duplicate_phone_key(phone text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select right(phone, 9);
$$;

--
-- Name: FUNCTION duplicate_phone_key(phone text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.duplicate_phone_key(phone text) IS 'Possible duplicates: the last 9 digits of an E.164 phone number (customers/490-possible-duplicates.sql).';

--
-- Name: duplicate_surname_key(text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.duplicate_surname_key(first_name text, last_name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select lower(last_name || '|' || left(coalesce(first_name, ''), 1));
$$;

--
-- Name: FUNCTION duplicate_surname_key(first_name text, last_name text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.duplicate_surname_key(first_name text, last_name text) IS 'Possible duplicates: last name and first initial (customers/490-possible-duplicates.sql).';

--
-- Name: export_chunk(text, integer); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.export_chunk(export_id text, chunk_no integer) RETURNS bytea
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select c.data
  from app_hidden.downloadable_export(export_chunk.export_id) e
  join app_private.export_chunks c on c.tenant_id = e.tenant_id and c.export_id = e.id and c.chunk_no = export_chunk.chunk_no;
$$;

--
-- Name: FUNCTION export_chunk(export_id text, chunk_no integer); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.export_chunk(export_id text, chunk_no integer) IS 'One chunk of a finished export the signed-in user may download.';

--
-- Name: export_file(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.export_file(export_id text) RETURNS TABLE(file_name text, byte_size bigint, chunk_count integer)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION export_file(export_id text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.export_file(export_id text) IS 'Name, size and chunk count of a finished export the signed-in user may download; no row otherwise; TSUSP when its business is suspended.';

--
-- Name: format_customer_number(bigint); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.format_customer_number(n bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select 'CUST-' || case when n < 100000 then lpad(n::text, 5, '0') else n::text end;
$$;

--
-- Name: FUNCTION format_customer_number(n bigint); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.format_customer_number(n bigint) IS 'A customer number as shown: CUST-00001.';

--
-- Name: currencies; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.currencies (
    code text NOT NULL,
    name text NOT NULL,
    minor_units integer NOT NULL,
    CONSTRAINT currencies_code_check CHECK ((code ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT currencies_minor_units_check CHECK (((minor_units >= 0) AND (minor_units <= 4))),
    CONSTRAINT currencies_name_check CHECK (((length(name) >= 1) AND (length(name) <= 80)))
);

ALTER TABLE ONLY app_public.currencies FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE currencies; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.currencies IS '@behavior -insert -update -delete
The currencies a business may count in (ISO 4217), with their minor units.';

--
-- Name: COLUMN currencies.code; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.currencies.code IS 'ISO 4217 code, such as USD, EUR or JPY.';

--
-- Name: COLUMN currencies.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.currencies.name IS 'English name, such as US Dollar.';

--
-- Name: COLUMN currencies.minor_units; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.currencies.minor_units IS 'Digits after the decimal mark: amounts are stored in 1/10^minorUnits of the currency (USD 2: cents; JPY 0; KWD 3).';

--
-- Name: format_money(bigint, app_public.currencies); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.format_money(amount bigint, currency app_public.currencies) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select app_hidden.major_units(amount, currency.minor_units)::text || ' ' || currency.code;
$$;

--
-- Name: FUNCTION format_money(amount bigint, currency app_public.currencies); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.format_money(amount bigint, currency app_public.currencies) IS 'An amount in minor units with its currency code, for sentences written by the database (9.35 USD, 935 JPY, 0.935 KWD).';

--
-- Name: has_module(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.has_module(module text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce(module = any((app_hidden.current_plan()).modules), false);
$$;

--
-- Name: FUNCTION has_module(module text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.has_module(module text) IS 'Whether the plan of the current tenant includes the module (customers, reporting, inventory…).';

--
-- Name: has_permission(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.has_permission(permission text) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  return coalesce(has_permission.permission = any(app_hidden.current_permissions()), false);
end;
$$;

--
-- Name: FUNCTION has_permission(permission text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.has_permission(permission text) IS 'Whether the signed-in user holds this permission in the current tenant.';

--
-- Name: iso_utc(timestamp with time zone); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.iso_utc(instant timestamp with time zone) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select to_char(instant at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
$$;

--
-- Name: FUNCTION iso_utc(instant timestamp with time zone); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.iso_utc(instant timestamp with time zone) IS 'An instant as ISO 8601 text in UTC (2025-03-10T07:30:00.000000Z).';

--
-- Name: job_task_label(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.job_task_label(task text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select case task
    when 'export_csv' then 'CSV export'
    when 'stripe_create_customer' then 'Billing account setup'
    when 'stripe_create_subscription' then 'Subscription setup'
    when 'stripe_apply_event' then 'Billing update from Stripe'
    when 'stripe_billing_portal' then 'Billing portal'
    when 'stripe_change_plan' then 'Plan change'
    else initcap(replace(task, '_', ' '))
  end;
$$;

--
-- Name: jsonb_diff(jsonb, jsonb, text[]); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.jsonb_diff(old_row jsonb, new_row jsonb, ignored text[] DEFAULT '{}'::text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce(jsonb_object_agg(key, jsonb_build_object('old', old_row -> key, 'new', new_row -> key)), '{}'::jsonb)
  from (
    select key from jsonb_object_keys(coalesce(old_row, '{}'::jsonb)) as o(key)
    union
    select key from jsonb_object_keys(coalesce(new_row, '{}'::jsonb)) as n(key)
  ) as keys
  where not key = any(ignored)
    and (old_row -> key) is distinct from (new_row -> key);
$$;

--
-- Name: FUNCTION jsonb_diff(old_row jsonb, new_row jsonb, ignored text[]); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.jsonb_diff(old_row jsonb, new_row jsonb, ignored text[]) IS 'Fields that differ between two JSON rows, with old and new values.';

--
-- Name: jsonb_strings(jsonb); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.jsonb_strings(value jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce(array_agg(x order by x), '{}')
  from jsonb_array_elements_text(case when jsonb_typeof(value) = 'array' then value else '[]'::jsonb end) x;
$$;

--
-- Name: language_tag(text, text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.language_tag(what text, tag text, column_name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
declare
  clean text := nullif(btrim(tag), '');
begin
  if clean is null then
    return null;
  end if;
  clean := (
    select string_agg(case when t.i = 1 then lower(t.part)
                           when t.part ~ '^[A-Za-z]{4}$' then initcap(t.part)
                           when t.part ~ '^[A-Za-z]{2}$' then upper(t.part)
                           else lower(t.part) end, '-' order by t.i)
    from unnest(string_to_array(clean, '-')) with ordinality as t(part, i));
  if clean !~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' or length(clean) > 35 then
    perform app_hidden.raise_error('BADIN', format('%s: "%s" is not a language tag such as en, fr or ar-OM.', what, left(tag, 40)), field => column_name);
  end if;
  return clean;
end;
$_$;

--
-- Name: FUNCTION language_tag(what text, tag text, column_name text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.language_tag(what text, tag text, column_name text) IS 'A BCP 47 language tag in its usual case (null for blank); BADIN for the named field otherwise.';

--
-- Name: latest_visits(timestamp with time zone[]); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.latest_visits(visits timestamp with time zone[]) RETURNS timestamp with time zone[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce(array_agg(v order by v desc), '{}')
  from (select v from unnest(visits) v where v is not null order by v desc limit 20) latest;
$$;

--
-- Name: FUNCTION latest_visits(visits timestamp with time zone[]); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.latest_visits(visits timestamp with time zone[]) IS 'The latest 20 of the given visit times, newest first.';

--
-- Name: login(text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.login(email text, password text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  found_user app_public.users;
  secret app_private.user_secrets;
  tenant text;
begin
  select u.* into found_user from app_public.users u where u.email = lower(btrim(login.email));
  if found_user.id is null then
    -- Spend the time of a real check so response times do not reveal which emails exist.
    perform public.crypt(coalesce(password, ''), public.gen_salt('bf', 10));
    return null;
  end if;
  select s.* into secret from app_private.user_secrets s where s.user_id = found_user.id for update;
  if secret.locked_until > now() then
    perform app_hidden.raise_error('LOCKD', format(
      'Too many failed sign-in attempts. Try again in %s minutes.',
      ceil(extract(epoch from secret.locked_until - now()) / 60)::int));
  end if;
  if secret.password_hash = public.crypt(coalesce(password, ''), secret.password_hash) then
    update app_private.user_secrets
      set failed_login_attempts = 0, first_failed_login_at = null, locked_until = null
      where user_id = found_user.id;
    -- Work in the tenant of the latest session, else the first membership.
    select m.tenant_id into tenant
    from app_public.memberships m
    left join lateral (
      select max(s.created_at) as last_used from app_private.sessions s
      where s.user_id = m.user_id and s.active_tenant_id = m.tenant_id
    ) recent on true
    where m.user_id = found_user.id
    order by recent.last_used desc nulls last, m.created_at
    limit 1;
    return app_private.new_session(found_user.id, tenant);
  end if;
  -- Wrong password: count it (the count must commit, so no exception here; the caller reports it).
  update app_private.user_secrets set
    failed_login_attempts = case when first_failed_login_at is null or first_failed_login_at < now() - interval '15 minutes'
                                 then 1 else failed_login_attempts + 1 end,
    first_failed_login_at = case when first_failed_login_at is null or first_failed_login_at < now() - interval '15 minutes'
                                 then now() else first_failed_login_at end
    where user_id = found_user.id
    returning * into secret;
  if secret.failed_login_attempts >= 5 then
    update app_private.user_secrets set locked_until = now() + interval '15 minutes', failed_login_attempts = 0,
      first_failed_login_at = null where user_id = found_user.id;
  end if;
  return null;
end;
$$;

--
-- Name: FUNCTION login(email text, password text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.login(email text, password text) IS 'The secret of a new session for the right email and password; null when they are wrong (counted: 5 failures in 15 minutes lock the account for 15 minutes).';

--
-- Name: login_from(text, text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.login_from(ip text, email text, password text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION login_from(ip text, email text, password text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.login_from(ip text, email text, password text) IS 'app_hidden.login, refused with RATEL (detail: seconds to wait) after 20 failed sign-ins from the client address within 15 minutes.';

--
-- Name: logout(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.logout() RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  delete from app_private.sessions where id = app_hidden.current_session_id();
$$;

--
-- Name: FUNCTION logout(); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.logout() IS 'Ends the current session.';

--
-- Name: loyalty_class(integer, timestamp with time zone, timestamp with time zone[], integer, integer, integer, timestamp with time zone); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.loyalty_class(visits integer, last_visit_at timestamp with time zone, recent_visits timestamp with time zone[], regular_min_visits integer, regular_window_days integer, lapsed_after_days integer, at timestamp with time zone) RETURNS app_public.loyalty_class
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select case
    when coalesce(visits, 0) = 0 then null
    when last_visit_at < at - make_interval(days => lapsed_after_days) then
      case when visits = 1 then 'one_time' else 'lapsed' end
    when recent_visits[regular_min_visits] > at - make_interval(days => regular_window_days) then 'regular'
    when visits = 1 then 'new'
    else 'returning'
  end::app_public.loyalty_class;
$$;

--
-- Name: FUNCTION loyalty_class(visits integer, last_visit_at timestamp with time zone, recent_visits timestamp with time zone[], regular_min_visits integer, regular_window_days integer, lapsed_after_days integer, at timestamp with time zone); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.loyalty_class(visits integer, last_visit_at timestamp with time zone, recent_visits timestamp with time zone[], regular_min_visits integer, regular_window_days integer, lapsed_after_days integer, at timestamp with time zone) IS 'The loyalty class of a purchase history at a time, with the given thresholds (null before the first visit).';

--
-- Name: loyalty_settings; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.loyalty_settings (
    tenant_id text NOT NULL,
    regular_min_visits integer DEFAULT 5 NOT NULL,
    regular_window_days integer DEFAULT 90 NOT NULL,
    lapsed_after_days integer DEFAULT 60 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT loyalty_settings_lapsed_after_days_check CHECK (((lapsed_after_days >= 7) AND (lapsed_after_days <= 730))),
    CONSTRAINT loyalty_settings_regular_min_visits_check CHECK (((regular_min_visits >= 2) AND (regular_min_visits <= 20))),
    CONSTRAINT loyalty_settings_regular_window_days_check CHECK (((regular_window_days >= 7) AND (regular_window_days <= 730)))
);

ALTER TABLE ONLY app_public.loyalty_settings FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE loyalty_settings; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.loyalty_settings IS '@name loyalty_settings
When a customer counts as regular or lapsed (see loyaltyClass).';

--
-- Name: COLUMN loyalty_settings.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.loyalty_settings.tenant_id IS '@behavior -*';

--
-- Name: COLUMN loyalty_settings.regular_min_visits; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.loyalty_settings.regular_min_visits IS 'Visits within regularWindowDays that make a customer regular (2 to 20; default 5).';

--
-- Name: COLUMN loyalty_settings.regular_window_days; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.loyalty_settings.regular_window_days IS 'The window those visits are counted in, in days (default 90).';

--
-- Name: COLUMN loyalty_settings.lapsed_after_days; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.loyalty_settings.lapsed_after_days IS 'Days without a visit after which a returning or regular customer is lapsed, and a single visit is one-time (default 60).';

--
-- Name: COLUMN loyalty_settings.updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.loyalty_settings.updated_at IS 'When the thresholds last changed.';

--
-- Name: loyalty_settings_of(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.loyalty_settings_of(tenant_id text) RETURNS app_public.loyalty_settings
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select s.* from app_public.loyalty_settings s where s.tenant_id = loyalty_settings_of.tenant_id;
$$;

--
-- Name: major_units(numeric, integer); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.major_units(amount numeric, minor_units integer) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select round(amount / (10::numeric ^ minor_units), minor_units);
$$;

--
-- Name: FUNCTION major_units(amount numeric, minor_units integer); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.major_units(amount numeric, minor_units integer) IS 'Minor units (cents) as a decimal of the currency with its number of decimals (12.35 USD, 1235 JPY, 1.235 KWD).';

--
-- Name: may_contact(text, text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.may_contact(tenant_id text, customer_id text, channel text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce((
    select app_hidden.contact_allowed(p.do_not_contact, x.allowed,
             case may_contact.channel when 'email' then c.email is not null else c.phone is not null end, c.status)
    from app_public.customers c
    left join app_public.customer_preferences p on p.tenant_id = c.tenant_id and p.customer_id = c.id
    left join app_public.customer_contact_channels x
      on x.tenant_id = c.tenant_id and x.customer_id = c.id and x.channel = may_contact.channel
    where c.tenant_id = may_contact.tenant_id and c.id = may_contact.customer_id), false);
$$;

--
-- Name: FUNCTION may_contact(tenant_id text, customer_id text, channel text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.may_contact(tenant_id text, customer_id text, channel text) IS 'Whether a customer may be contacted by email, sms or phone: agreed to, has the detail, active, and not do-not-contact.';

--
-- Name: may_download_exports_of(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.may_download_exports_of(tenant_id text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select exists (select 1 from app_public.memberships m
                 join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
                 where m.tenant_id = may_download_exports_of.tenant_id and m.user_id = app_hidden.current_user_id()
                   and 'reports.export' = any(r.permissions));
$$;

--
-- Name: customers; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.customers (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    customer_number text NOT NULL,
    email text,
    phone text,
    first_name text,
    last_name text,
    notes text,
    tags jsonb DEFAULT '[]'::jsonb NOT NULL,
    marketing_consent boolean,
    marketing_consent_updated_at timestamp with time zone,
    marketing_consent_source text,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    merged_into_id text,
    created_by text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    display_name text GENERATED ALWAYS AS (app_hidden.customer_display_name(first_name, last_name, email, phone)) STORED NOT NULL,
    customer_type_id text,
    CONSTRAINT customers_check1 CHECK (((status = 'merged'::text) = (merged_into_id IS NOT NULL))),
    CONSTRAINT customers_check2 CHECK ((merged_into_id <> id)),
    CONSTRAINT customers_check3 CHECK (((marketing_consent IS NULL) = (marketing_consent_updated_at IS NULL))),
    CONSTRAINT customers_customer_number_check CHECK ((customer_number ~ '^CUST-[0-9]{5,}$'::text)),
    CONSTRAINT customers_email_check CHECK (((email = lower(btrim(email))) AND ((length(email) >= 3) AND (length(email) <= 254)))),
    CONSTRAINT customers_first_name_check CHECK (((first_name = btrim(first_name)) AND ((length(first_name) >= 1) AND (length(first_name) <= 100)))),
    CONSTRAINT customers_identifiable CHECK (((email IS NOT NULL) OR (phone IS NOT NULL) OR (first_name IS NOT NULL))),
    CONSTRAINT customers_last_name_check CHECK (((last_name = btrim(last_name)) AND ((length(last_name) >= 1) AND (length(last_name) <= 100)))),
    CONSTRAINT customers_marketing_consent_source_check CHECK ((marketing_consent_source = ANY (ARRAY['pos'::text, 'admin'::text, 'online'::text, 'import'::text, 'merge'::text, 'other'::text]))),
    CONSTRAINT customers_merged_without_type CHECK (((status <> 'merged'::text) OR (customer_type_id IS NULL))),
    CONSTRAINT customers_metadata_check CHECK (((jsonb_typeof(metadata) = 'object'::text) AND (octet_length((metadata)::text) <= 65536))),
    CONSTRAINT customers_notes_check CHECK (((length(notes) >= 1) AND (length(notes) <= 2000))),
    CONSTRAINT customers_phone_check CHECK ((phone ~ '^\+[1-9][0-9]{6,14}$'::text)),
    CONSTRAINT customers_status_check CHECK ((status = ANY (ARRAY['active'::text, 'archived'::text, 'merged'::text]))),
    CONSTRAINT customers_tags_check CHECK (((jsonb_typeof(tags) = 'array'::text) AND (jsonb_array_length(tags) <= 50)))
);

ALTER TABLE ONLY app_public.customers FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.customers IS '@unique id
@behavior -insert -update -delete
A customer of the business. Written only by createCustomer, updateCustomer, archiveCustomer, restoreCustomer and mergeCustomers; never deleted.';

--
-- Name: COLUMN customers.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.tenant_id IS '@behavior -*';

--
-- Name: COLUMN customers.customer_number; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.customer_number IS 'Number of the customer in the business, such as CUST-00001; handed out in order, never reused.';

--
-- Name: COLUMN customers.email; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.email IS 'Email address, trimmed and lower-cased; unique among the live customers of the business.';

--
-- Name: COLUMN customers.phone; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.phone IS 'Phone number in E.164 (+33612345678); unique among the live customers of the business.';

--
-- Name: COLUMN customers.first_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.first_name IS 'First name (at most 100 characters).';

--
-- Name: COLUMN customers.last_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.last_name IS 'Last name (at most 100 characters).';

--
-- Name: COLUMN customers.notes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.notes IS 'Free notes about the customer (at most 2000 characters).';

--
-- Name: COLUMN customers.tags; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.tags IS '@behavior +filterBy
Tags, a JSON array of distinct strings; filter with contains (["vip"]).';

--
-- Name: COLUMN customers.marketing_consent; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.marketing_consent IS 'Whether the customer agreed to receive marketing; null when never asked.';

--
-- Name: COLUMN customers.marketing_consent_updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.marketing_consent_updated_at IS 'When the marketing consent last changed.';

--
-- Name: COLUMN customers.marketing_consent_source; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.marketing_consent_source IS 'Where the marketing consent last changed: pos, admin, online, import, merge or other.';

--
-- Name: COLUMN customers.metadata; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.metadata IS 'Free JSON object for integrations (at most 8 kB).';

--
-- Name: COLUMN customers.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.status IS '@behavior +filterBy
active, archived (kept for history, hidden from the till) or merged (into mergedInto).';

--
-- Name: COLUMN customers.merged_into_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.merged_into_id IS 'The customer this one was merged into (status merged).';

--
-- Name: COLUMN customers.created_by; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.created_by IS 'The user who created the customer.';

--
-- Name: COLUMN customers.display_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.display_name IS '@behavior +filterBy +orderBy
Name to show: first and last name, else the email, else the phone (app_hidden.customer_display_name). Computed by the database.';

--
-- Name: COLUMN customers.customer_type_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customers.customer_type_id IS 'The customer''s type (setCustomerType), if any.';

--
-- Name: CONSTRAINT customers_identifiable ON customers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customers_identifiable ON app_public.customers IS 'A customer needs at least an email, a phone number or a first name (NOIDN).';

--
-- Name: merged_customer(app_public.customers, app_public.customers); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.merged_customer(p app_public.customers, d app_public.customers) RETURNS app_public.customers
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  result app_public.customers := p;
  combined_notes text;
  merged_metadata jsonb;
begin
  result.email := coalesce(p.email, d.email);
  result.phone := coalesce(p.phone, d.phone);
  result.first_name := coalesce(p.first_name, d.first_name);
  result.last_name := coalesce(p.last_name, d.last_name);
  result.display_name := app_hidden.customer_display_name(result.first_name, result.last_name, result.email, result.phone);
  if p.marketing_consent is null and d.marketing_consent is not null then
    result.marketing_consent := d.marketing_consent;
    result.marketing_consent_updated_at := d.marketing_consent_updated_at;
    result.marketing_consent_source := d.marketing_consent_source;
  end if;
  select coalesce(jsonb_agg(t.tag order by t.ord), '[]'::jsonb) into result.tags
  from (
    select distinct on (lower(x.tag)) x.tag, x.ord
    from (
      select e.tag, e.ord from jsonb_array_elements_text(p.tags) with ordinality as e(tag, ord)
      union all
      select e.tag, 1000 + e.ord from jsonb_array_elements_text(d.tags) with ordinality as e(tag, ord)
    ) x
    order by lower(x.tag), x.ord
  ) t;
  if jsonb_array_length(result.tags) > 50 then
    select jsonb_agg(e.tag order by e.ord) into result.tags
    from jsonb_array_elements(result.tags) with ordinality as e(tag, ord) where e.ord <= 50;
  end if;
  combined_notes := case
    when p.notes is null then d.notes
    when d.notes is null then p.notes
    else p.notes || E'\n\n' || d.notes end;
  result.notes := case when length(combined_notes) <= 2000 then combined_notes else p.notes end;
  merged_metadata := d.metadata || p.metadata;
  result.metadata := case when octet_length(merged_metadata::text) <= 65536 then merged_metadata else p.metadata end;
  result.customer_type_id := coalesce(p.customer_type_id, d.customer_type_id);
  return result;
end;
$$;

--
-- Name: FUNCTION merged_customer(p app_public.customers, d app_public.customers); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.merged_customer(p app_public.customers, d app_public.customers) IS 'The primary customer as a merge with the duplicate would leave it (computes, writes nothing).';

--
-- Name: normalize_phone(text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.normalize_phone(phone text, country text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
declare
  raw text := btrim(phone);
  digits text;
  calling_code text;
  national text;
  e164 text;
begin
  if raw is null or raw = '' then
    return null;
  end if;
  if length(raw) > 40 or raw !~ '^\+?[0-9 ().\-/]+$' then
    perform app_hidden.raise_error('BADPH', format(
      'Phone: "%s" is not a phone number; use digits, spaces, dashes, dots, parentheses and a leading +.', left(raw, 40)), field => 'phone');
  end if;
  -- "+33 (0)6 …": the (0) is the national trunk prefix, not part of an international number.
  if raw ~ '^(\+|00)' then
    raw := replace(raw, '(0)', '');
  end if;
  digits := regexp_replace(raw, '[^0-9]', '', 'g');
  if length(digits) < 7 then
    perform app_hidden.raise_error('BADPH', format('Phone: "%s" is too short; a phone number has at least 7 digits.', raw), field => 'phone');
  end if;
  if left(raw, 1) = '+' then
    e164 := digits;
  elsif left(digits, 2) = '00' then
    e164 := substr(digits, 3);
  else
    calling_code := app_hidden.country_calling_code(country);
    if calling_code is null then
      perform app_hidden.raise_error('BADPH', format(
        'Phone: write "%s" with its country code, such as +44 20 7946 0958.', raw), field => 'phone');
    end if;
    national := digits;
    if calling_code = '1' then
      if length(national) = 11 and left(national, 1) = '1' then
        national := substr(national, 2);
      end if;
    elsif calling_code <> '39' and left(national, 1) = '0' then
      national := substr(national, 2);
    end if;
    e164 := calling_code || national;
  end if;
  if left(e164, 1) = '0' or length(e164) < 7 or length(e164) > 15 then
    perform app_hidden.raise_error('BADPH', format(
      'Phone: "%s" is not a valid international number (a country code, then at most 15 digits in all).', raw), field => 'phone');
  end if;
  return '+' || e164;
end;
$_$;

--
-- Name: FUNCTION normalize_phone(phone text, country text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.normalize_phone(phone text, country text) IS 'A phone number in E.164, reading national numbers with the given country; raises BADPH.';

--
-- Name: normalize_tags(text[]); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.normalize_tags(tags text[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  result text[] := '{}';
  seen text[] := '{}';
  tag text;
begin
  if tags is null then
    return '[]'::jsonb;
  end if;
  if cardinality(tags) > 200 then
    perform app_hidden.raise_error('BADTG', 'Tags: a customer can have at most 20 tags.', field => 'tags');
  end if;
  foreach tag in array tags loop
    if tag ~ '[\x01-\x1f\x7f]' then
      perform app_hidden.raise_error('BADTG', 'Tags must not contain control characters or line breaks.', field => 'tags');
    end if;
    tag := app_hidden.trim_blank(regexp_replace(tag,
      '[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+', ' ', 'g'));
    if tag is null or tag = '' then
      perform app_hidden.raise_error('BADTG', 'Tags cannot be empty.', field => 'tags');
    elsif length(tag) > 40 then
      perform app_hidden.raise_error('BADTG', format('Tags: "%s…" is longer than 40 characters.', left(tag, 40)), field => 'tags');
    end if;
    if not lower(tag) = any(seen) then
      result := result || tag;
      seen := seen || lower(tag);
    end if;
  end loop;
  if cardinality(result) > 20 then
    perform app_hidden.raise_error('BADTG', 'Tags: a customer can have at most 20 tags.', field => 'tags');
  end if;
  return to_jsonb(result);
end;
$$;

--
-- Name: FUNCTION normalize_tags(tags text[]); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.normalize_tags(tags text[]) IS 'Tags as stored (trimmed, distinct ignoring case, at most 20 of at most 40 characters); raises BADTG.';

--
-- Name: onboard(text, text, text, text, text, text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.onboard(company_name text, owner_name text, email text, password text, timezone text, currency text DEFAULT NULL::text, locale text DEFAULT NULL::text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  clean_email text := app_hidden.assert_valid_email(email);
  new_user text;
  tenant text;
begin
  company_name := app_hidden.assert_name('Business name', company_name, 200, 'company_name');
  owner_name := app_hidden.assert_name('Your name', owner_name, 200, 'owner_name');
  perform app_hidden.assert_strong_password(password);
  perform app_hidden.assert_valid_timezone(timezone);
  begin
    insert into app_public.users (email, name) values (clean_email, owner_name) returning id into new_user;
  exception when unique_violation then
    perform app_hidden.raise_error('EMTKN', 'An account with this email already exists; sign in instead.', field => 'email');
  end;
  insert into app_private.user_secrets (user_id, password_hash)
    values (new_user, public.crypt(password, public.gen_salt('bf', 10)));
  tenant := app_private.create_tenant_for(new_user, company_name, timezone, currency, locale);
  return app_private.new_session(new_user, tenant);
end;
$$;

--
-- Name: FUNCTION onboard(company_name text, owner_name text, email text, password text, timezone text, currency text, locale text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.onboard(company_name text, owner_name text, email text, password text, timezone text, currency text, locale text) IS 'Creates a business (in its currency and locale), its first location and roles, and its owner; returns the secret of a new session (for the cookie).';

--
-- Name: optional_email(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.optional_email(email text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if email is null or app_hidden.trim_blank(email) = '' then
    return null;
  end if;
  return app_hidden.assert_valid_email(email);
end;
$$;

--
-- Name: FUNCTION optional_email(email text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.optional_email(email text) IS 'Null for blank input, else the email trimmed and lower-cased; raises BADEM when invalid.';

--
-- Name: optional_name(text, text, integer, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.optional_name(field text, value text, max_length integer, column_name text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if value is null or app_hidden.trim_blank(value) = '' then
    return null;
  end if;
  return app_hidden.assert_name(field, value, max_length, column_name);
end;
$$;

--
-- Name: FUNCTION optional_name(field text, value text, max_length integer, column_name text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.optional_name(field text, value text, max_length integer, column_name text) IS 'Null for blank input, else the trimmed value; raises BADIN when too long or with control characters.';

--
-- Name: optional_text(text, text, integer, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.optional_text(field text, value text, max_length integer, column_name text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  value := app_hidden.trim_blank(value);
  if value is null or value = '' then
    return null;
  end if;
  if length(value) > max_length then
    perform app_hidden.raise_error('BADIN', format('%s must be at most %s characters.', field, max_length), field => column_name);
  elsif value ~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' then
    perform app_hidden.raise_error('BADIN', format('%s must not contain control characters.', field), field => column_name);
  end if;
  return value;
end;
$$;

--
-- Name: FUNCTION optional_text(field text, value text, max_length integer, column_name text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.optional_text(field text, value text, max_length integer, column_name text) IS 'Null for blank input, else the trimmed text; raises BADIN when too long or with control characters other than line breaks and tabs.';

--
-- Name: raise_error(text, text, text, text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.raise_error(code text, message text, detail text DEFAULT NULL::text, field text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if detail is null and field is null then
    raise exception using errcode = code, message = message;
  elsif field is null then
    raise exception using errcode = code, message = message, detail = detail;
  elsif detail is null then
    raise exception using errcode = code, message = message, column = field;
  end if;
  raise exception using errcode = code, message = message, detail = detail, column = field;
end;
$$;

--
-- Name: FUNCTION raise_error(code text, message text, detail text, field text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.raise_error(code text, message text, detail text, field text) IS 'Raises one of our coded errors (db/ERRORS.md), with the field it is about and a reference (detail) when given.';

--
-- Name: receive_stripe_event(jsonb); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.receive_stripe_event(event jsonb) RETURNS boolean
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select (app_hidden.receive_stripe_events(array[event]))[1];
$$;

--
-- Name: FUNCTION receive_stripe_event(event jsonb); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.receive_stripe_event(event jsonb) IS 'Stores a verified Stripe event once and queues the job applying it; false for a duplicate. Executable by the authenticator role only.';

--
-- Name: receive_stripe_events(jsonb[]); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.receive_stripe_events(events jsonb[]) RETURNS boolean[]
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
declare
  new_ids text[];
  pending_ids text[];
  tolerance constant interval := coalesce(nullif(current_setting('backoffice.stripe_created_tolerance', true), '')::interval, interval '5 minutes');
begin
  -- What a Stripe event is: an id, a type (a non-empty string), a created time and an object.
  -- The id must be one the stripe_apply_event job accepts (letters, digits and _, at most 64
  -- characters), or the event would be stored and its job fail for ever. `created` may not be more than 5 minutes ahead of our clock: an event "from the
  -- future" would make every real event after it look stale and freeze the subscription. (The
  -- database setting backoffice.stripe_created_tolerance widens that for a local Stripe whose
  -- test clock is moved days ahead, as the billing tests do; never set it in production.)
  if exists (
    select 1 from unnest(events) e
    where coalesce(e ->> 'id', '') !~ '^evt_[0-9A-Za-z_]{1,60}$'
       or jsonb_typeof(e -> 'type') is distinct from 'string' or e ->> 'type' = ''
       or case when jsonb_typeof(e -> 'created') = 'number'
               then (e ->> 'created')::numeric > extract(epoch from now() + tolerance)
               else true end
       or jsonb_typeof(e -> 'data' -> 'object') is distinct from 'object'
  ) then
    perform app_hidden.raise_error('BADIN', 'This is not a Stripe event.');
  end if;

  with input as (
    -- One row per event id (the first copy), in id order so that two batches lock alike.
    select distinct on (e ->> 'id') e, e ->> 'id' as id, e -> 'data' -> 'object' as obj,
           app_private.stripe_event_is_handled(e ->> 'type') as handled
    from unnest(events) with ordinality as t(e, i)
    order by e ->> 'id', i
  ), stored as (
    insert into app_private.stripe_events (id, type, api_version, livemode, stripe_created_at, customer_id, object_id, payload, status, outcome)
    select id, e ->> 'type', e ->> 'api_version', coalesce((e ->> 'livemode')::boolean, false),
           app_private.stripe_time(e -> 'created'),
           case
             when obj ->> 'object' = 'customer' then obj ->> 'id'
             when jsonb_typeof(obj -> 'customer') = 'string' then obj ->> 'customer'
             when jsonb_typeof(obj -> 'customer') = 'object' then obj -> 'customer' ->> 'id'
           end,
           obj ->> 'id', e,
           case when handled then 'pending' else 'ignored' end,
           case when handled then null else 'type not used' end
    from input
    order by id
    on conflict (id) do nothing
    returning app_private.stripe_events.id, app_private.stripe_events.status
  )
  select coalesce(array_agg(s.id), '{}'), coalesce(array_agg(s.id) filter (where s.status = 'pending'), '{}')
  into new_ids, pending_ids
  from stored s;

  -- The events of one Stripe customer are applied one at a time, oldest first: their jobs share
  -- a graphile-worker queue (jobs of a queue run in turn). Applied by several workers at once,
  -- the same history gave different outcomes from run to run (which notice, which state won).
  if cardinality(pending_ids) > 0 then
    perform graphile_worker.add_jobs(array(
      select row('stripe_apply_event', json_build_object('eventId', e.id),
                 case when e.customer_id is not null then 'stripe:' || e.customer_id end,
                 null, 15, null, null, null)::graphile_worker.job_spec
      from app_private.stripe_events e
      where e.id = any(pending_ids)
      order by e.stripe_created_at, e.id
    ));
  end if;

  return array(
    select (e ->> 'id') = any(new_ids) and row_number() over (partition by e ->> 'id' order by i) = 1
    from unnest(events) with ordinality as t(e, i)
    order by i
  );
end;
$_$;

--
-- Name: FUNCTION receive_stripe_events(events jsonb[]); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.receive_stripe_events(events jsonb[]) IS 'Stores verified Stripe events once each and queues the jobs applying them, in one transaction; for each input, false when it is a duplicate. Executable by the authenticator role only.';

--
-- Name: session_secret_hash(uuid); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.session_secret_hash(secret uuid) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select sha256(convert_to(secret::text, 'UTF8'));
$$;

--
-- Name: FUNCTION session_secret_hash(secret uuid); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.session_secret_hash(secret uuid) IS 'The SHA-256 under which the session with this secret is stored.';

--
-- Name: tenant_suspended_error(); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.tenant_suspended_error() RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  return app_hidden.assert_tenant_active();
end;
$$;

--
-- Name: trim_blank(text); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.trim_blank(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
  select regexp_replace(value,
    '^[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+|[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+$',
    '', 'g');
$_$;

--
-- Name: FUNCTION trim_blank(value text); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.trim_blank(value text) IS 'The text without white space (ASCII and Unicode, zero-width space, BOM) at either end; '''' when that is all it holds.';

--
-- Name: unit_share(bigint, bigint, bigint); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.unit_share(x bigint, k bigint, n bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select (2 * x * k + n) / (2 * n);
$$;

--
-- Name: FUNCTION unit_share(x bigint, k bigint, n bigint); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.unit_share(x bigint, k bigint, n bigint) IS 'x × k / n rounded half up (x, k ≥ 0, n > 0): the share of a line''s net amount, discount or tax that k of its n units carry.';

--
-- Name: visits_within(timestamp with time zone[], integer, timestamp with time zone); Type: FUNCTION; Schema: app_hidden; Owner: -
--

CREATE FUNCTION app_hidden.visits_within(visits timestamp with time zone[], days integer, at timestamp with time zone) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  select count(*)::int from unnest(visits) v where v > at - make_interval(days => days) and v <= at;
$$;

--
-- Name: FUNCTION visits_within(visits timestamp with time zone[], days integer, at timestamp with time zone); Type: COMMENT; Schema: app_hidden; Owner: -
--

COMMENT ON FUNCTION app_hidden.visits_within(visits timestamp with time zone[], days integer, at timestamp with time zone) IS 'How many of the visits fall in the given number of days up to a time.';

--
-- Name: add_billing_notice(text, text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.add_billing_notice(tenant text, kind text, message text, stripe_event_id text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  insert into app_public.billing_notices (tenant_id, kind, message, stripe_event_id)
  values (tenant, kind, message, stripe_event_id)
  on conflict (tenant_id, stripe_event_id) do nothing;
$$;

--
-- Name: apply_customer_orders(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.apply_customer_orders(tenant_id text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant constant text := apply_customer_orders.tenant_id;
  counter_ids text[];
  reporting_ids text[];
  reporting_events app_private.events[];
  queued record;
begin
  with taken as (
    delete from app_private.customer_order_queue q where q.tenant_id = tenant
    returning q.consumer, q.event_id
  )
  select array_agg(t.event_id) filter (where t.consumer = 'customer_counters'),
         array_agg(t.event_id) filter (where t.consumer = 'reporting_customers')
  into counter_ids, reporting_ids
  from taken t;

  -- The counters, each order's customer (after merges) locked in one order for everybody.
  for queued in
    select q.evt from (
      select e as evt, e.seq, app_private.live_customer_id(tenant, e.payload ->> 'customer_id') as target
      from app_private.events e
      where e.tenant_id = tenant and e.id = any(counter_ids)
    ) q
    order by q.target collate "C", q.seq
  loop
    if (queued.evt).type = 'order.placed.v1' then
      perform app_private.customer_counters__order_placed(queued.evt);
    elsif (queued.evt).type = 'order.refunded.v1' then
      perform app_private.customer_counters__order_refunded(queued.evt);
    else
      perform app_private.customer_counters__order_voided(queued.evt);
    end if;
  end loop;

  select array_agg(e order by e.seq) into reporting_events
  from app_private.events e where e.tenant_id = tenant and e.id = any(reporting_ids);
  perform app_private.reporting_apply_customers(tenant, reporting_events);
  return coalesce(cardinality(counter_ids), 0) + coalesce(cardinality(reporting_ids), 0);
end;
$$;

--
-- Name: FUNCTION apply_customer_orders(tenant_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.apply_customer_orders(tenant_id text) IS 'Applies the tenant''s queued order events to customer counters and rm_customer_activity, customers locked in id order (at commit).';

--
-- Name: apply_stripe_event(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.apply_stripe_event(event_id text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  evt app_private.stripe_events;
  obj jsonb;
  tenant text;
  hint text;
  result text;
begin
  select e.* into evt from app_private.stripe_events e where e.id = event_id for update;
  if not found then
    return 'gone';
  elsif evt.status <> 'pending' then
    return 'already ' || evt.status;
  end if;
  obj := evt.payload -> 'data' -> 'object';

  if not app_private.stripe_event_is_handled(evt.type) then
    result := 'type not used';
  else
    select t.id into tenant from app_public.tenants t where t.billing_customer_id = evt.customer_id;
    if tenant is null then
      hint := coalesce(obj -> 'metadata' ->> 'tenant_id',
                       obj -> 'parent' -> 'subscription_details' -> 'metadata' ->> 'tenant_id');
      if evt.customer_id is null
         or (hint is not null and not exists (select 1 from app_public.tenants t where t.id = hint)) then
        update app_private.stripe_events e set status = 'ignored', outcome = 'not about one of our customers', applied_at = now()
          where e.id = evt.id;
        return 'not about one of our customers';
      end if;
      perform app_hidden.raise_error('NOCUS', format(
        'Stripe event %s is about customer %s, which is not stored yet; it will be retried.', evt.id, evt.customer_id));
    end if;

    if evt.type like 'customer.subscription.%' then
      result := app_private.apply_stripe_subscription(tenant, obj, evt.stripe_created_at, 'event',
                                                      evt.type = 'customer.subscription.deleted');
      if evt.type = 'customer.subscription.trial_will_end' and obj ->> 'status' = 'trialing' then
        perform app_private.add_billing_notice(tenant, 'trial_will_end', format(
          'Your free trial ends on %s. Add a payment method under Settings → Billing to keep using Backoffice.',
          to_char(app_private.stripe_time(obj -> 'trial_end') at time zone 'UTC', 'FMMonth FMDD, YYYY')), evt.id);
      elsif evt.type = 'customer.subscription.deleted' and result not in ('stale', 'older subscription of the customer', 'subscription already ended') then
        perform app_private.add_billing_notice(tenant, 'subscription_canceled',
          'Your subscription has ended and your account is suspended. Choose a plan under Settings → Billing within 30 days to reactivate it; your data is kept until then.', evt.id);
      end if;
    else
      result := app_private.apply_stripe_invoice(tenant, obj, evt.type, evt.stripe_created_at);
      -- Every failed charge is told, whatever the order events were applied in (a stale one
      -- changes no state, but the charge still failed): one notice per event.
      if evt.type = 'invoice.payment_failed' then
        perform app_private.add_billing_notice(tenant, 'payment_failed', format(
          'We could not charge %s for invoice %s. Update your payment method under Settings → Billing.',
          to_char(coalesce((obj ->> 'amount_due')::numeric, 0) / 100, 'FM999G999G990D00') || ' ' || upper(coalesce(obj ->> 'currency', 'usd')),
          coalesce(obj ->> 'number', obj ->> 'id')), evt.id);
      end if;
    end if;
  end if;

  update app_private.stripe_events e set
    status = case when app_private.stripe_event_is_handled(evt.type) then 'applied' else 'ignored' end,
    outcome = result, applied_at = now()
  where e.id = evt.id;
  return result;
end;
$$;

--
-- Name: FUNCTION apply_stripe_event(event_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.apply_stripe_event(event_id text) IS 'Applies a stored Stripe event once (worker); raises NOCUS while its customer is not stored, so the job retries.';

--
-- Name: apply_stripe_invoice(text, jsonb, text, timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.apply_stripe_invoice(tenant text, inv jsonb, event_type text, at timestamp with time zone) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION apply_stripe_invoice(tenant text, inv jsonb, event_type text, at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.apply_stripe_invoice(tenant text, inv jsonb, event_type text, at timestamp with time zone) IS 'Mirrors an invoice; invoice.paid and invoice.payment_failed also move the subscription and the tenant.';

--
-- Name: apply_stripe_subscription(text, jsonb, timestamp with time zone, text, boolean); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.apply_stripe_subscription(tenant text, sub jsonb, at timestamp with time zone, source text DEFAULT 'event'::text, deleted boolean DEFAULT false) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION apply_stripe_subscription(tenant text, sub jsonb, at timestamp with time zone, source text, deleted boolean); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.apply_stripe_subscription(tenant text, sub jsonb, at timestamp with time zone, source text, deleted boolean) IS 'Applies a Stripe subscription to the tenant''s row (stale, ended and older subscriptions change nothing).';

--
-- Name: assert_customer_type_label(text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.assert_customer_type_label(tenant_id text, label text, except_id text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  clean text := app_hidden.assert_name('The type''s name', label, 40, 'label');
begin
  if exists (select 1 from app_public.customer_types t
             where t.tenant_id = assert_customer_type_label.tenant_id and lower(t.label) = lower(clean)
               and t.id is distinct from except_id) then
    perform app_hidden.raise_error('DUPLI', format('There is already a customer type called "%s".', clean), field => 'label');
  end if;
  return clean;
end;
$$;

--
-- Name: assert_holds_permissions(text[], text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.assert_holds_permissions(permissions text[], what text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  missing text;
begin
  select p into missing from unnest(permissions) p where not p = any(app_hidden.current_permissions()) order by p limit 1;
  if missing is not null then
    perform app_hidden.raise_error('DNIED', format('%s needs %s, which you do not have.', what, missing));
  end if;
end;
$$;

--
-- Name: assert_keeps_an_owner(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.assert_keeps_an_owner(tenant text, leaving text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  perform 1 from app_public.memberships m join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
  where m.tenant_id = tenant and r.key = 'owner' order by m.id for update of m;
  if not exists (select 1 from app_public.memberships m join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
                 where m.tenant_id = tenant and r.key = 'owner' and m.id <> leaving) then
    perform app_hidden.raise_error('LASTO', 'The business needs an owner: make someone else owner first.');
  end if;
end;
$$;

--
-- Name: locations; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.locations (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    name text NOT NULL,
    timezone text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    closed_at timestamp with time zone,
    tax_rate_id text,
    CONSTRAINT locations_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200)))
);

ALTER TABLE ONLY app_public.locations FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE locations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.locations IS '@unique id
A shop of the tenant. Business dates are dates in its time zone.';

--
-- Name: COLUMN locations.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.locations.tenant_id IS '@behavior -*';

--
-- Name: COLUMN locations.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.locations.name IS 'Name of the shop, unique in the tenant.';

--
-- Name: COLUMN locations.timezone; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.locations.timezone IS 'IANA time zone of the shop, such as Europe/Paris.';

--
-- Name: COLUMN locations.closed_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.locations.closed_at IS 'When the location was closed (null: open). A closed location sells nothing and keeps its history; reopenLocation opens it again.';

--
-- Name: COLUMN locations.tax_rate_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.locations.tax_rate_id IS 'The tax rate the location charges; null: the business''s default rate (tenant taxRateBps, added to prices).';

--
-- Name: assert_location_open(app_public.locations); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.assert_location_open(loc app_public.locations) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if loc.closed_at is not null then
    perform app_hidden.raise_error('LCLSD', format('%s is closed: reopen it in Settings to sell there.', loc.name), field => 'locationId');
  end if;
end;
$$;

--
-- Name: assert_may_create_business(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.assert_may_create_business(user_id text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  recent int;
  owned int;
begin
  perform pg_advisory_xact_lock(hashtext('app.create_business'), hashtext(assert_may_create_business.user_id));
  select count(*) filter (where m.created_at > now() - interval '24 hours'),
         count(*) filter (where t.status <> 'closed')
    into recent, owned
  from app_public.memberships m
  join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id and r.key = 'owner'
  join app_public.tenants t on t.id = m.tenant_id
  where m.user_id = assert_may_create_business.user_id;
  if owned >= 10 then
    perform app_hidden.raise_error('BZLIM', 'You own 10 businesses, the most one person may have; close one first or ask us.');
  elsif recent >= 5 then
    perform app_hidden.raise_error('BZLIM', 'You have created 5 businesses in the last 24 hours; try again tomorrow.');
  end if;
end;
$$;

--
-- Name: FUNCTION assert_may_create_business(user_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.assert_may_create_business(user_id text) IS 'Raises BZLIM when the user created 5 businesses in 24 hours or owns 10.';

--
-- Name: assert_tax_rate(text, text, integer, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.assert_tax_rate(tenant_id text, name text, rate_bps integer, except_id text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  clean text := app_hidden.assert_name('The tax rate''s name', name, 60, 'name');
begin
  if rate_bps is null or rate_bps not between 0 and 10000 then
    perform app_hidden.raise_error('BADIN', 'The rate must be from 0% to 100% (0 to 10000 basis points).', field => 'rate_bps');
  end if;
  if exists (select 1 from app_public.tax_rates r
             where r.tenant_id = assert_tax_rate.tenant_id and lower(r.name) = lower(clean) and r.id is distinct from except_id) then
    perform app_hidden.raise_error('DUPLI', format('There is already a tax rate called "%s".', clean), field => 'name');
  end if;
  return clean;
end;
$$;

--
-- Name: assert_within_plan_limit(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.assert_within_plan_limit(tenant text, what text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION assert_within_plan_limit(tenant text, what text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.assert_within_plan_limit(tenant text, what text) IS 'Raises LIMIT when one more seat, location or device would exceed the plan.';

--
-- Name: audit_customer_change(text, text, jsonb); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.audit_customer_change(tenant_id text, customer_id text, changes jsonb) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  insert into app_public.audit_entries (tenant_id, entity, entity_id, action, actor_user_id, changes, command, reason)
  select audit_customer_change.tenant_id, 'customers', audit_customer_change.customer_id, 'update',
         app_hidden.current_user_id(), changes,
         nullif(current_setting('app.change_command', true), ''), nullif(current_setting('app.change_reason', true), '')
  where changes <> '{}'::jsonb;
$$;

--
-- Name: begin_change(text, text, boolean); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.begin_change(command text, reason text, required boolean DEFAULT false) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  why text := case when required then app_hidden.assert_name('The reason', reason, 500, 'reason')
                   else app_hidden.optional_name('The reason', reason, 500, 'reason') end;
begin
  perform set_config('app.change_command', coalesce(command, ''), true);
  perform set_config('app.change_reason', coalesce(why, ''), true);
  return why;
end;
$$;

--
-- Name: FUNCTION begin_change(command text, reason text, required boolean); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.begin_change(command text, reason text, required boolean) IS 'Names the command and the reason the audit entries of this transaction carry, until app_private.end_change().';

--
-- Name: billing_request_params(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.billing_request_params(tenant text, request_id text) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select jsonb_build_object(
    'id', r.id,
    'tenantId', r.tenant_id,
    'kind', r.kind,
    'status', r.status,
    'planKey', r.plan_key,
    'priceId', p.stripe_price_id,
    'customerId', t.billing_customer_id,
    'subscriptionId', s.stripe_subscription_id,
    'subscriptionStatus', s.status,
    'problem', case when r.kind = 'change_plan' then app_private.plan_change_problem(r.tenant_id, r.plan_key) end)
  from app_public.billing_requests r
  join app_public.tenants t on t.id = r.tenant_id
  left join app_public.plans p on p.key = r.plan_key
  left join app_public.billing_subscriptions s on s.tenant_id = r.tenant_id
  where r.tenant_id = tenant and r.id = request_id;
$$;

--
-- Name: FUNCTION billing_request_params(tenant text, request_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.billing_request_params(tenant text, request_id text) IS 'A billing request with the Stripe ids its job needs (worker).';

--
-- Name: billing_status_of(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.billing_status_of(stripe_status text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION billing_status_of(stripe_status text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.billing_status_of(stripe_status text) IS 'Maps Stripe subscription statuses to ours (incomplete and paused → past_due, incomplete_expired → canceled).';

--
-- Name: create_tenant_for(text, text, text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.create_tenant_for(owner_user_id text, company_name text, timezone text, currency text, locale text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text;
begin
  company_name := app_hidden.assert_name('Business name', company_name, 200, 'name');
  perform app_hidden.assert_valid_timezone(timezone);
  -- US dollars and en-US unless said (the product's defaults, as for the businesses made before currencies).
  insert into app_public.tenants (name, currency, locale)
  values (company_name, coalesce(currency, 'USD'), coalesce(locale, 'en-US')) returning id into tenant;
  perform app_private.seed_tenant_roles(tenant);
  perform app_private.seed_tenant_customer_types(tenant);
  insert into app_public.loyalty_settings (tenant_id) values (tenant);
  insert into app_public.locations (tenant_id, name, timezone) values (tenant, 'Main store', timezone);
  insert into app_public.memberships (tenant_id, user_id, role_id)
    select tenant, owner_user_id, r.id from app_public.roles r where r.tenant_id = tenant and r.key = 'owner';
  return tenant;
end;
$$;

--
-- Name: roles; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.roles (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    key text NOT NULL,
    name text NOT NULL,
    permissions text[] DEFAULT '{}'::text[] NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT roles_key_check CHECK ((key ~ '^[a-z][a-z0-9_]{0,39}$'::text)),
    CONSTRAINT roles_name_check CHECK (((length(name) >= 1) AND (length(name) <= 100))),
    CONSTRAINT roles_permissions_check CHECK ((permissions <@ app_hidden.all_permissions()))
);

ALTER TABLE ONLY app_public.roles FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE roles; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.roles IS '@unique id
A role inside a tenant (owner, manager, cashier) and the permissions it carries.';

--
-- Name: COLUMN roles.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.roles.tenant_id IS '@behavior -*';

--
-- Name: COLUMN roles.permissions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.roles.permissions IS 'Permissions such as customers.merge or reports.export.';

--
-- Name: custom_role(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.custom_role(tenant text, role_id text) RETURNS app_public.roles
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: events; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.events (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    seq bigint NOT NULL,
    type text NOT NULL,
    aggregate_type text NOT NULL,
    aggregate_id text NOT NULL,
    payload jsonb NOT NULL,
    actor_user_id text,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT events_aggregate_type_check CHECK ((aggregate_type ~ '^[a-z][a-z_]*$'::text)),
    CONSTRAINT events_payload_check CHECK ((jsonb_typeof(payload) = 'object'::text)),
    CONSTRAINT events_type_check CHECK ((type ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+\.v[1-9][0-9]*$'::text))
);

ALTER TABLE ONLY app_private.events FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE events; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.events IS 'Append-only event log: one row per change that matters, written in the same transaction as the change (db/EVENTS.md).';

--
-- Name: COLUMN events.seq; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.events.seq IS 'Order in which events were appended; replays follow it.';

--
-- Name: COLUMN events.type; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.events.type IS 'Versioned event type, such as order.placed.v1.';

--
-- Name: COLUMN events.aggregate_type; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.events.aggregate_type IS 'What the event is about: order, inventory_item, customer…';

--
-- Name: COLUMN events.aggregate_id; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.events.aggregate_id IS 'Id of the row the event is about (an order id for order and tender events).';

--
-- Name: COLUMN events.payload; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.events.payload IS 'Everything a consumer needs, so that consumers never read the write-side tables (db/EVENTS.md).';

--
-- Name: COLUMN events.occurred_at; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.events.occurred_at IS 'When the change was recorded (the transaction time).';

--
-- Name: customer_counters__enqueue(app_private.events); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.customer_counters__enqueue(evt app_private.events) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select app_private.queue_customer_order(evt, 'customer_counters');
$$;

--
-- Name: FUNCTION customer_counters__enqueue(evt app_private.events); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.customer_counters__enqueue(evt app_private.events) IS 'Consumer customer_counters: queues an order event with a customer for app_private.apply_customer_orders at commit.';

--
-- Name: customer_counters__order_placed(app_private.events); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.customer_counters__order_placed(evt app_private.events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  c app_public.customers := app_private.lock_counted_customer(evt);
  placed timestamptz := (evt.payload ->> 'placed_at')::timestamptz;
  total bigint := (evt.payload ->> 'total')::bigint;
  items int := (evt.payload ->> 'item_count')::int;
begin
  if c.id is null then
    return;
  end if;
  insert into app_private.customer_visits (tenant_id, order_id, customer_id, placed_at, total, item_count)
  values (c.tenant_id, evt.payload ->> 'order_id', c.id, placed, total, items)
  on conflict do nothing;
  if not found then
    return;
  end if;
  update app_public.customer_stats s set
    visits = s.visits + 1,
    spend = s.spend + total,
    items_bought = s.items_bought + items,
    first_visit_at = least(s.first_visit_at, placed),
    last_visit_at = greatest(s.last_visit_at, placed),
    recent_visits = app_hidden.latest_visits(s.recent_visits || placed),
    updated_at = now()
  where s.tenant_id = c.tenant_id and s.customer_id = c.id;
  insert into app_public.customer_item_stats as i (tenant_id, customer_id, catalog_item_id, quantity)
  select c.tenant_id, c.id, l ->> 'catalog_item_id', sum((l ->> 'quantity')::int)
  from jsonb_array_elements(evt.payload -> 'lines') l
  group by l ->> 'catalog_item_id'
  order by l ->> 'catalog_item_id'
  on conflict (tenant_id, customer_id, catalog_item_id) do update set quantity = i.quantity + excluded.quantity;
end;
$$;

--
-- Name: FUNCTION customer_counters__order_placed(evt app_private.events); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.customer_counters__order_placed(evt app_private.events) IS 'Consumer customer_counters: a placed order adds a visit, its total and its items to its customer''s history.';

--
-- Name: customer_counters__order_refunded(app_private.events); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.customer_counters__order_refunded(evt app_private.events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  c app_public.customers := app_private.lock_counted_customer(evt);
  refunded_total bigint := (evt.payload ->> 'total')::bigint;
  refunded_items int := (evt.payload ->> 'item_count')::int;
  visit app_private.customer_visits;
begin
  if c.id is null then
    return;
  end if;
  update app_private.customer_visits v set total = v.total - refunded_total, item_count = v.item_count - refunded_items
  where v.tenant_id = c.tenant_id and v.order_id = evt.payload ->> 'order_id' and not v.is_voided
  returning v.* into visit;
  if visit.order_id is null then
    return;
  end if;
  update app_public.customer_stats s set
    spend = s.spend - refunded_total,
    items_bought = s.items_bought - refunded_items,
    updated_at = now()
  where s.tenant_id = c.tenant_id and s.customer_id = visit.customer_id;
  perform app_private.take_back_items(c.tenant_id, visit.customer_id, evt.payload -> 'lines');
end;
$$;

--
-- Name: FUNCTION customer_counters__order_refunded(evt app_private.events); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.customer_counters__order_refunded(evt app_private.events) IS 'Consumer customer_counters: a refund of some lines takes their total and units out of the customer''s history (the visit stays).';

--
-- Name: customer_counters__order_voided(app_private.events); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.customer_counters__order_voided(evt app_private.events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  c app_public.customers := app_private.lock_counted_customer(evt);
  visit app_private.customer_visits;
begin
  if c.id is null then
    return;
  end if;
  update app_private.customer_visits v set is_voided = true
  where v.tenant_id = c.tenant_id and v.order_id = evt.payload ->> 'order_id' and not v.is_voided
  returning v.* into visit;
  if visit.order_id is null then
    return;
  end if;
  -- The voided order may have been the first, the latest or one of the recent visits: those
  -- come again from the visits still standing.
  update app_public.customer_stats s set
    visits = s.visits - 1,
    spend = s.spend - visit.total,
    items_bought = s.items_bought - visit.item_count,
    first_visit_at = standing.first_at,
    last_visit_at = standing.last_at,
    recent_visits = coalesce(standing.recent, '{}'),
    updated_at = now()
  from (
    select min(x.placed_at) as first_at, max(x.placed_at) as last_at,
           (select array_agg(r.placed_at order by r.placed_at desc) from (
              select y.placed_at from app_private.customer_visits y
              where y.tenant_id = c.tenant_id and y.customer_id = visit.customer_id and not y.is_voided
              order by y.placed_at desc limit 20) r) as recent
    from app_private.customer_visits x
    where x.tenant_id = c.tenant_id and x.customer_id = visit.customer_id and not x.is_voided
  ) standing
  where s.tenant_id = c.tenant_id and s.customer_id = visit.customer_id;
  perform app_private.take_back_items(c.tenant_id, visit.customer_id, evt.payload -> 'lines');
end;
$$;

--
-- Name: FUNCTION customer_counters__order_voided(evt app_private.events); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.customer_counters__order_voided(evt app_private.events) IS 'Consumer customer_counters: a voided order takes its visit, total and items back out of its customer''s history.';

--
-- Name: customer_event_payload(app_public.customers); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.customer_event_payload(c app_public.customers) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select jsonb_build_object(
    'customer_id', c.id,
    'customer_number', c.customer_number,
    'display_name', c.display_name,
    'email', c.email,
    'phone', c.phone,
    'first_name', c.first_name,
    'last_name', c.last_name,
    'tags', c.tags,
    'marketing_consent', c.marketing_consent,
    'status', c.status,
    'created_by', c.created_by,
    'created_at', app_hidden.iso_utc(c.created_at));
$$;

--
-- Name: customer_history_ids(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.customer_history_ids(tenant_id text, customer_id text) RETURNS text[]
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  with recursive ids(id, depth) as (
    select customer_history_ids.customer_id, 0
    union all
    select c.id, ids.depth + 1 from ids
    join app_public.customers c on c.tenant_id = customer_history_ids.tenant_id and c.merged_into_id = ids.id
    where ids.depth < 100
  )
  select array_agg(distinct ids.id) from ids;
$$;

--
-- Name: FUNCTION customer_history_ids(tenant_id text, customer_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.customer_history_ids(tenant_id text, customer_id text) IS 'A customer''s id and the ids of the customers merged into it.';

--
-- Name: customer_status_command(text, text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.customer_status_command(command text, customer_id text, new_status text, reason text) RETURNS app_public.customers
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  result app_public.customers;
begin
  perform app_private.begin_change(command, reason);
  result := app_private.set_customer_status(tenant, customer_id, new_status);
  perform app_private.end_change();
  return result;
end;
$$;

--
-- Name: customers_containing(text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.customers_containing(tenant_id text, pattern text, phone_pattern text) RETURNS SETOF text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    SET enable_seqscan TO 'off'
    SET enable_indexscan TO 'off'
    SET enable_bitmapscan TO 'on'
    AS $_$
begin
  return query execute format(
    'select c.id from app_public.customers c
     where c.tenant_id = $1 and c.status <> ''merged''
       and (lower(c.display_name) like %L or c.email like %L%s)
     limit 10',
    pattern, pattern,
    case when phone_pattern is not null then format(' or c.phone like %L', phone_pattern) else '' end)
  using tenant_id;
end;
$_$;

--
-- Name: FUNCTION customers_containing(tenant_id text, pattern text, phone_pattern text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.customers_containing(tenant_id text, pattern text, phone_pattern text) IS 'Substring lookup of search_customers through the trigram indexes (LIKE patterns given escaped).';

--
-- Name: delete_expired_exports(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.delete_expired_exports() RETURNS integer
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  with gone as (delete from reporting.exports e where e.created_at < now() - interval '7 days' returning 1)
  select count(*)::int from gone;
$$;

--
-- Name: FUNCTION delete_expired_exports(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.delete_expired_exports() IS 'Removes exports (and their files) older than 7 days.';

--
-- Name: delete_expired_sessions(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.delete_expired_sessions() RETURNS integer
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  with gone as (delete from app_private.sessions where expires_at < now() - interval '1 day' returning 1)
  select count(*)::int from gone;
$$;

--
-- Name: FUNCTION delete_expired_sessions(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.delete_expired_sessions() IS 'Removes sessions that expired more than a day ago (worker crontab).';

--
-- Name: delete_old_job_runs(interval); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.delete_old_job_runs(keep interval DEFAULT '90 days'::interval) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  with gone as (delete from app_private.job_runs r where r.started_at < now() - keep returning 1)
  select count(*)::int from gone;
$$;

--
-- Name: FUNCTION delete_old_job_runs(keep interval); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.delete_old_job_runs(keep interval) IS 'Removes job runs older than 90 days (worker crontab).';

--
-- Name: dispatch(app_private.events, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.dispatch(evt app_private.events, only_consumer text DEFAULT NULL::text, delivery text DEFAULT NULL::text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
declare
  sub record;
  applied int := 0;
  inserted int;
begin
  for sub in
    select s.consumer, format('%I.%I', n.nspname, p.proname) as fn
    from app_private.event_subscriptions s
    join pg_catalog.pg_proc p on p.oid = s.handler
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    where s.event_type = evt.type
      and (dispatch.only_consumer is null or s.consumer = dispatch.only_consumer)
      and (dispatch.delivery is null or s.delivery = dispatch.delivery)
    order by s.consumer
  loop
    insert into app_private.processed_events (tenant_id, event_id, consumer)
      values (evt.tenant_id, evt.id, sub.consumer)
      on conflict do nothing;
    get diagnostics inserted = row_count;
    if inserted = 1 then
      execute format('select %s($1)', sub.fn) using evt;
      applied := applied + 1;
    end if;
  end loop;
  return applied;
end;
$_$;

--
-- Name: FUNCTION dispatch(evt app_private.events, only_consumer text, delivery text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.dispatch(evt app_private.events, only_consumer text, delivery text) IS 'Applies an event to its subscribed consumers, each at most once; returns how many applied it.';

--
-- Name: emit_event(text, text, text, text, jsonb, text, timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.emit_event(tenant_id text, type text, aggregate_type text, aggregate_id text, payload jsonb, actor_user_id text DEFAULT app_hidden.current_user_id(), occurred_at timestamp with time zone DEFAULT now()) RETURNS app_private.events
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  evt app_private.events;
begin
  insert into app_private.events (tenant_id, type, aggregate_type, aggregate_id, payload, actor_user_id, occurred_at)
    values (emit_event.tenant_id, emit_event.type, emit_event.aggregate_type, emit_event.aggregate_id,
            emit_event.payload, emit_event.actor_user_id, coalesce(emit_event.occurred_at, now()))
    returning * into evt;
  perform app_private.dispatch(evt, null, 'inline');
  return evt;
end;
$$;

--
-- Name: FUNCTION emit_event(tenant_id text, type text, aggregate_type text, aggregate_id text, payload jsonb, actor_user_id text, occurred_at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.emit_event(tenant_id text, type text, aggregate_type text, aggregate_id text, payload jsonb, actor_user_id text, occurred_at timestamp with time zone) IS 'Appends an event to the log and applies it to the inline consumers, in the caller''s transaction.';

--
-- Name: end_change(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.end_change() RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select set_config('app.change_command', '', true), set_config('app.change_reason', '', true);
$$;

--
-- Name: enforce_active_tenant(regclass); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.enforce_active_tenant(tbl regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  ok constant text := 'case when tenant_id is distinct from (select app_hidden.current_suspended_tenant_id()) then true '
                      'else app_hidden.tenant_suspended_error() end';
begin
  execute format('create policy active_tenant_only on %s as restrictive for all to bo_visitor using (%s) with check (%s)', tbl, ok, ok);
  execute format('create policy active_tenant_insert on %s as restrictive for insert to bo_owner with check (%s)', tbl, ok);
  execute format('create policy active_tenant_update on %s as restrictive for update to bo_owner using (%s) with check (%s)', tbl, ok, ok);
  execute format('create policy active_tenant_delete on %s as restrictive for delete to bo_owner using (%s)', tbl, ok);
end;
$$;

--
-- Name: FUNCTION enforce_active_tenant(tbl regclass); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.enforce_active_tenant(tbl regclass) IS 'Adds the active_tenant_* policies (TSUSP for the rows of a suspended current tenant) to a tenant-owned table.';

--
-- Name: enforce_analyst_limits(interval, interval); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.enforce_analyst_limits(statement_limit interval DEFAULT '00:01:00'::interval, idle_limit interval DEFAULT '00:01:00'::interval) RETURNS TABLE(pid integer, role_name text, action text)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  -- The sessions first (materialized), the signals after: PostgreSQL may evaluate a WHERE
  -- clause's parts in any order, and a signal is not something to send before the filters ran.
  return query
    with over as materialized (
      select a.pid, a.usename::text as role_name, case when a.state = 'active' then 'cancelled' else 'terminated' end as action
      from pg_stat_activity a
      where a.datname = current_database()
        and a.usename in (select l.role_name from app_private.analyst_logins l)
        and ((a.state = 'active' and a.query_start < now() - statement_limit)
          or (a.state in ('idle in transaction', 'idle in transaction (aborted)') and a.state_change < now() - idle_limit))
    )
    select o.pid, o.role_name, o.action from over o
    where case when o.action = 'cancelled' then pg_cancel_backend(o.pid) else pg_terminate_backend(o.pid) end;
end;
$$;

--
-- Name: FUNCTION enforce_analyst_limits(statement_limit interval, idle_limit interval); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.enforce_analyst_limits(statement_limit interval, idle_limit interval) IS 'Cancels analyst statements over the time limit and ends analyst sessions idle in a transaction too long (worker, every few seconds).';

--
-- Name: export_date_param(jsonb, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.export_date_param(params jsonb, field text) RETURNS date
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
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
$_$;

--
-- Name: export_file_name(reporting.export_kind, jsonb); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.export_file_name(kind reporting.export_kind, params jsonb) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select replace(kind::text, '_', '-')
         || case when kind in ('daily_sales', 'item_sales') then '_' || (params ->> 'from') || '_' || (params ->> 'to')
                 else '_' || to_char(now() at time zone 'UTC', 'YYYY-MM-DD') end
         || '.csv';
$$;

--
-- Name: export_params(text, reporting.export_kind, jsonb); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.export_params(tenant_id text, kind reporting.export_kind, params jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: export_query(text, reporting.export_kind, jsonb); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.export_query(tenant_id text, kind reporting.export_kind, params jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
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
$_$;

--
-- Name: FUNCTION export_query(tenant_id text, kind reporting.export_kind, params jsonb); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.export_query(tenant_id text, kind reporting.export_kind, params jsonb) IS 'The SQL whose rows make an export of a tenant (for COPY … TO STDOUT).';

--
-- Name: fail_export(text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.fail_export(tenant_id text, export_id text, message text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  delete from app_private.export_chunks c where c.tenant_id = fail_export.tenant_id and c.export_id = fail_export.export_id;
  update reporting.exports e set status = 'failed', finished_at = now(), error_message = left(message, 500)
  where e.tenant_id = fail_export.tenant_id and e.id = fail_export.export_id and e.status <> 'done';
$$;

--
-- Name: finish_billing_request(text, text, text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.finish_billing_request(tenant text, request_id text, status text, url text DEFAULT NULL::text, error_message text DEFAULT NULL::text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  update app_public.billing_requests r set
    status = finish_billing_request.status,
    url = finish_billing_request.url,
    error_message = finish_billing_request.error_message,
    finished_at = now()
  where r.tenant_id = tenant and r.id = request_id and r.status = 'pending';
$$;

--
-- Name: FUNCTION finish_billing_request(tenant text, request_id text, status text, url text, error_message text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.finish_billing_request(tenant text, request_id text, status text, url text, error_message text) IS 'Marks a billing request done (with its url) or failed (with a message for the user) (worker).';

--
-- Name: finish_export(text, text, integer, bigint, bigint); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.finish_export(tenant_id text, export_id text, chunk_count integer, rows_written bigint, bytes_written bigint) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: inventory_items; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.inventory_items (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    catalog_item_id text,
    name text NOT NULL,
    low_stock_threshold integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT inventory_items_low_stock_threshold_check CHECK (((low_stock_threshold >= 0) AND (low_stock_threshold <= 1000000))),
    CONSTRAINT inventory_items_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200)))
);

ALTER TABLE ONLY app_public.inventory_items FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE inventory_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.inventory_items IS '@unique id
Something the business keeps in stock. When linked to a catalog item, each unit sold takes one unit out of stock at the selling location.';

--
-- Name: COLUMN inventory_items.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_items.tenant_id IS '@behavior -*';

--
-- Name: COLUMN inventory_items.catalog_item_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_items.catalog_item_id IS 'The catalog item whose sales take this item out of stock (at most one inventory item per catalog item).';

--
-- Name: COLUMN inventory_items.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_items.name IS 'Name of the stocked item.';

--
-- Name: COLUMN inventory_items.low_stock_threshold; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_items.low_stock_threshold IS 'On-hand at or below this is low stock.';

--
-- Name: inventory_movements; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.inventory_movements (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    location_id text NOT NULL,
    inventory_item_id text NOT NULL,
    quantity integer NOT NULL,
    reason text NOT NULL,
    note text,
    order_id text,
    order_line_id text,
    actor_user_id text,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT inventory_movements_check CHECK (
CASE reason
    WHEN 'receive'::text THEN (quantity > 0)
    WHEN 'transfer_in'::text THEN (quantity > 0)
    WHEN 'waste'::text THEN (quantity < 0)
    WHEN 'transfer_out'::text THEN (quantity < 0)
    WHEN 'sale'::text THEN ((order_id IS NOT NULL) AND (order_line_id IS NOT NULL))
    ELSE true
END),
    CONSTRAINT inventory_movements_note_check CHECK ((length(note) <= 500)),
    CONSTRAINT inventory_movements_quantity_check CHECK ((quantity <> 0)),
    CONSTRAINT inventory_movements_reason_check CHECK ((reason = ANY (ARRAY['receive'::text, 'sale'::text, 'adjustment'::text, 'waste'::text, 'transfer_in'::text, 'transfer_out'::text])))
);

ALTER TABLE ONLY app_public.inventory_movements FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE inventory_movements; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.inventory_movements IS '@unique id
The stock ledger: every change of on-hand, signed. On-hand of an item at a location is the sum of its movements. Rows are never changed; corrections are adjustments.';

--
-- Name: COLUMN inventory_movements.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_movements.tenant_id IS '@behavior -*';

--
-- Name: COLUMN inventory_movements.location_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_movements.location_id IS 'Where the stock changed.';

--
-- Name: COLUMN inventory_movements.quantity; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_movements.quantity IS 'Change of on-hand in units: positive in, negative out.';

--
-- Name: COLUMN inventory_movements.reason; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_movements.reason IS 'receive, sale, adjustment, waste, transfer_in or transfer_out. Sales are negative; a void writes the opposite sale movement.';

--
-- Name: COLUMN inventory_movements.note; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_movements.note IS 'Free text, such as a delivery note number or why stock was wasted.';

--
-- Name: COLUMN inventory_movements.order_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_movements.order_id IS 'The order of a sale movement (and of its reversal when the order is voided).';

--
-- Name: COLUMN inventory_movements.order_line_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_movements.order_line_id IS 'The order line of a sale movement.';

--
-- Name: COLUMN inventory_movements.actor_user_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_movements.actor_user_id IS 'Who recorded it (a user id kept as it was).';

--
-- Name: COLUMN inventory_movements.occurred_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_movements.occurred_at IS 'When the stock changed (the order''s placed_at for sales).';

--
-- Name: COLUMN inventory_movements.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.inventory_movements.created_at IS 'When the movement was recorded.';

--
-- Name: inventory_movement_event_payload(app_public.inventory_movements, app_public.inventory_items, app_public.locations); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.inventory_movement_event_payload(m app_public.inventory_movements, item app_public.inventory_items, loc app_public.locations) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  select pg_catalog.jsonb_build_object(
    'movement_id', m.id,
    'location_id', m.location_id,
    'inventory_item_id', m.inventory_item_id,
    'inventory_item_name', item.name,
    'catalog_item_id', item.catalog_item_id,
    'quantity', m.quantity,
    'reason', m.reason,
    'note', m.note,
    'order_id', m.order_id,
    'order_line_id', m.order_line_id,
    'occurred_at', app_hidden.iso_utc(m.occurred_at),
    'business_date', app_hidden.business_date(m.occurred_at, loc.timezone),
    'actor_user_id', m.actor_user_id);
$$;

--
-- Name: job_run_finished(text, text, bigint, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.job_run_finished(run_id text, outcome text, rows_affected bigint, error_code text, error_message text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  update app_private.job_runs r set
    finished_at = now(),
    outcome = job_run_finished.outcome,
    rows_affected = job_run_finished.rows_affected,
    error_code = job_run_finished.error_code,
    error_message = left(job_run_finished.error_message, 2000)
  where r.id = job_run_finished.run_id and r.outcome = 'running';
$$;

--
-- Name: FUNCTION job_run_finished(run_id text, outcome text, rows_affected bigint, error_code text, error_message text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.job_run_finished(run_id text, outcome text, rows_affected bigint, error_code text, error_message text) IS 'Records the end of a worker task run (worker).';

--
-- Name: job_run_started(text, bigint, integer, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.job_run_started(task text, job_id bigint, attempt integer, tenant_id text, pool_id text) RETURNS text
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  insert into app_private.job_runs (task, job_id, attempt, tenant_id, pool_id)
  -- A tenant id that is not one (a malformed payload) is not a reason to lose the run.
  select job_run_started.task, job_run_started.job_id, coalesce(job_run_started.attempt, 1),
         (select t.id from app_public.tenants t where t.id = job_run_started.tenant_id), job_run_started.pool_id
  returning id;
$$;

--
-- Name: FUNCTION job_run_started(task text, job_id bigint, attempt integer, tenant_id text, pool_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.job_run_started(task text, job_id bigint, attempt integer, tenant_id text, pool_id text) IS 'Records the start of a worker task run (worker); returns the run id.';

--
-- Name: live_customer_for_change(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.live_customer_for_change(tenant_id text, customer_id text) RETURNS app_public.customers
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  cur app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = live_customer_for_change.tenant_id and c.id = live_customer_for_change.customer_id
  for no key update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(customer_id, 40), '(none given)')));
  end if;
  if cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one; change that customer instead.', cur.merged_into_id);
  end if;
  return cur;
end;
$$;

--
-- Name: live_customer_id(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.live_customer_id(tenant_id text, customer_id text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  with recursive chain(id, merged_into_id, depth) as (
    select c.id, c.merged_into_id, 0 from app_public.customers c
    where c.tenant_id = live_customer_id.tenant_id and c.id = live_customer_id.customer_id
    union all
    select c.id, c.merged_into_id, chain.depth + 1 from chain
    join app_public.customers c on c.tenant_id = live_customer_id.tenant_id and c.id = chain.merged_into_id
    where chain.depth < 100
  )
  select chain.id from chain where chain.merged_into_id is null;
$$;

--
-- Name: FUNCTION live_customer_id(tenant_id text, customer_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.live_customer_id(tenant_id text, customer_id text) IS 'The live customer an id stands for (following merges); null for an unknown id.';

--
-- Name: location_tax(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.location_tax(tenant_id text, location_id text, OUT name text, OUT rate_bps integer, OUT inclusive boolean) RETURNS record
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce(r.name, 'Tax'), coalesce(r.rate_bps, t.tax_rate_bps), coalesce(r.inclusive, false)
  from app_public.tenants t
  left join app_public.locations l on l.tenant_id = t.id and l.id = location_tax.location_id
  left join app_public.tax_rates r on r.tenant_id = t.id and r.id = l.tax_rate_id
  where t.id = location_tax.tenant_id;
$$;

--
-- Name: lock_counted_customer(app_private.events); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.lock_counted_customer(evt app_private.events) RETURNS app_public.customers
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  target text := evt.payload ->> 'customer_id';
  c app_public.customers;
begin
  for hop in 1..100 loop
    exit when target is null;
    select x.* into c from app_public.customers x
    where x.tenant_id = evt.tenant_id and x.id = target
    for no key update;
    if not found or c.status <> 'merged' then
      return c;
    end if;
    target := c.merged_into_id;
  end loop;
  return null;
end;
$$;

--
-- Name: lock_customers_for_merge(text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.lock_customers_for_merge(tenant_id text, primary_id text, duplicate_id text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  locked_id text;
  row_found app_public.customers;
begin
  if primary_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the customer to keep and the duplicate to merge into it.');
  end if;
  if primary_id = duplicate_id then
    perform app_hidden.raise_error('MRGSM', 'A customer cannot be merged with itself; choose two different customers.');
  end if;
  for locked_id in select x from unnest(array[primary_id, duplicate_id]) as x order by x collate "C" loop
    select c.* into row_found from app_public.customers c
    where c.tenant_id = lock_customers_for_merge.tenant_id and c.id = locked_id
    for update;
    if not found then
      perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', left(locked_id, 40)));
    end if;
    if row_found.status = 'merged' then
      perform app_hidden.raise_error('CMRGD', format('Customer %s (%s) was already merged into another customer.',
        row_found.customer_number, row_found.display_name), row_found.merged_into_id);
    end if;
  end loop;
end;
$$;

--
-- Name: mark_crashed_runs(text[]); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.mark_crashed_runs(pool_ids text[]) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  with marked as (
    update app_private.job_runs r set finished_at = now(), outcome = 'crashed',
      error_message = 'The worker running it stopped (crashed or was killed); the job is run again.'
    where r.outcome = 'running' and r.pool_id = any(pool_ids)
    returning 1
  )
  select count(*)::int from marked;
$$;

--
-- Name: merge_customer_history(text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.merge_customer_history(tenant_id text, primary_id text, duplicate_id text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
  tenant constant text := merge_customer_history.tenant_id;
  d app_public.customer_stats;
begin
  select s.* into d from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id = duplicate_id;
  update app_public.customer_stats s set
    visits = s.visits + d.visits,
    spend = s.spend + d.spend,
    items_bought = s.items_bought + d.items_bought,
    first_visit_at = least(s.first_visit_at, d.first_visit_at),
    last_visit_at = greatest(s.last_visit_at, d.last_visit_at),
    recent_visits = app_hidden.latest_visits(s.recent_visits || d.recent_visits),
    updated_at = now()
  where s.tenant_id = tenant and s.customer_id = primary_id;
  update app_public.customer_stats s set
    visits = 0, spend = 0, items_bought = 0, first_visit_at = null, last_visit_at = null, recent_visits = '{}', updated_at = now()
  where s.tenant_id = tenant and s.customer_id = duplicate_id;
  update app_private.customer_visits v set customer_id = primary_id
  where v.tenant_id = tenant and v.customer_id = duplicate_id;

  insert into app_public.customer_item_stats as i (tenant_id, customer_id, catalog_item_id, quantity)
  select tenant, primary_id, x.catalog_item_id, x.quantity
  from app_public.customer_item_stats x where x.tenant_id = tenant and x.customer_id = duplicate_id
  order by x.catalog_item_id
  on conflict (tenant_id, customer_id, catalog_item_id) do update set quantity = i.quantity + excluded.quantity;
  delete from app_public.customer_item_stats x where x.tenant_id = tenant and x.customer_id = duplicate_id;

  insert into app_public.customer_preferences as p (tenant_id, customer_id, do_not_contact, preferred_payment, best_contact_time, language)
  select tenant, primary_id, x.do_not_contact, x.preferred_payment, x.best_contact_time, x.language
  from app_public.customer_preferences x where x.tenant_id = tenant and x.customer_id = duplicate_id
  on conflict (tenant_id, customer_id) do update set
    -- Either one asking not to be contacted is the person asking.
    do_not_contact = p.do_not_contact or excluded.do_not_contact,
    preferred_payment = coalesce(p.preferred_payment, excluded.preferred_payment),
    best_contact_time = coalesce(p.best_contact_time, excluded.best_contact_time),
    language = coalesce(p.language, excluded.language);
  insert into app_public.customer_contact_channels (tenant_id, customer_id, channel, allowed, source, recorded_at, recorded_by)
  select tenant, primary_id, x.channel, x.allowed, x.source, x.recorded_at, x.recorded_by
  from app_public.customer_contact_channels x where x.tenant_id = tenant and x.customer_id = duplicate_id
  on conflict do nothing;
  insert into app_public.customer_favourite_items (tenant_id, customer_id, catalog_item_id, created_at)
  select tenant, primary_id, x.catalog_item_id, x.created_at
  from app_public.customer_favourite_items x where x.tenant_id = tenant and x.customer_id = duplicate_id
  on conflict do nothing;
end;
$$;

--
-- Name: new_session(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.new_session(user_id text, tenant_id text) RETURNS uuid
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  secret uuid := gen_random_uuid();
begin
  insert into app_private.sessions (user_id, active_tenant_id, secret_hash)
  values (new_session.user_id, new_session.tenant_id, app_hidden.session_secret_hash(secret));
  return secret;
end;
$$;

--
-- Name: FUNCTION new_session(user_id text, tenant_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.new_session(user_id text, tenant_id text) IS 'Starts a session; returns its secret (the cookie value), of which only the hash is stored.';

--
-- Name: next_tenant_number(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.next_tenant_number(tenant_id text, name text) RETURNS bigint
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  insert into app_private.tenant_counters as c (tenant_id, name, value)
  values (next_tenant_number.tenant_id, next_tenant_number.name, 1)
  on conflict (tenant_id, name) do update set value = c.value + 1
  returning c.value;
$$;

--
-- Name: FUNCTION next_tenant_number(tenant_id text, name text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.next_tenant_number(tenant_id text, name text) IS 'Hands out the next number of a per-tenant counter (atomic, gap-free).';

--
-- Name: on_hand(text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.on_hand(tenant_id text, location_id text, inventory_item_id text) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce(sum(m.quantity), 0)::int
  from app_public.inventory_movements m
  where m.tenant_id = on_hand.tenant_id and m.inventory_item_id = on_hand.inventory_item_id
    and m.location_id = on_hand.location_id;
$$;

--
-- Name: open_cash_drawer_id(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.open_cash_drawer_id(tenant_id text, location_id text) RETURNS text
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select d.id from app_public.cash_drawers d
  where d.tenant_id = open_cash_drawer_id.tenant_id and d.location_id = open_cash_drawer_id.location_id and d.closed_at is null
  for key share;
$$;

--
-- Name: orders; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.orders (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    location_id text NOT NULL,
    customer_id text,
    status text DEFAULT 'open'::text NOT NULL,
    subtotal integer DEFAULT 0 NOT NULL,
    order_discount integer DEFAULT 0 NOT NULL,
    discount_total integer DEFAULT 0 NOT NULL,
    tax_rate_bps integer DEFAULT 0 NOT NULL,
    tax_total integer DEFAULT 0 NOT NULL,
    total integer DEFAULT 0 NOT NULL,
    paid_total integer DEFAULT 0 NOT NULL,
    amount_due integer GENERATED ALWAYS AS ((total - paid_total)) STORED,
    placed_at timestamp with time zone,
    business_date date,
    placed_by_user_id text,
    voided_at timestamp with time zone,
    void_reason text,
    voided_by_user_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    cancelled_at timestamp with time zone,
    cancel_reason text,
    cancelled_by_user_id text,
    refunded_total integer DEFAULT 0 NOT NULL,
    tax_name text DEFAULT 'Tax'::text NOT NULL,
    tax_inclusive boolean DEFAULT false NOT NULL,
    CONSTRAINT orders_cancel_reason_check CHECK ((length(cancel_reason) <= 500)),
    CONSTRAINT orders_cancelled_check CHECK (((status = 'cancelled'::text) = ((cancelled_at IS NOT NULL) AND (cancel_reason IS NOT NULL)))),
    CONSTRAINT orders_check CHECK (((discount_total >= order_discount) AND (discount_total <= subtotal))),
    CONSTRAINT orders_check1 CHECK ((total = ((subtotal - discount_total) + tax_total))),
    CONSTRAINT orders_check2 CHECK (((paid_total >= 0) AND (paid_total <= total))),
    CONSTRAINT orders_check4 CHECK (((status = 'voided'::text) = ((voided_at IS NOT NULL) AND (void_reason IS NOT NULL)))),
    CONSTRAINT orders_order_discount_check CHECK ((order_discount >= 0)),
    CONSTRAINT orders_refunded_total_check CHECK ((refunded_total >= 0)),
    CONSTRAINT orders_sale_time_check CHECK (((status = ANY (ARRAY['placed'::text, 'voided'::text])) = ((placed_at IS NOT NULL) AND (business_date IS NOT NULL)))),
    CONSTRAINT orders_status_check CHECK ((status = ANY (ARRAY['open'::text, 'placed'::text, 'voided'::text, 'cancelled'::text]))),
    CONSTRAINT orders_subtotal_check CHECK ((subtotal >= 0)),
    CONSTRAINT orders_tax_name_check CHECK (((length(tax_name) >= 1) AND (length(tax_name) <= 60))),
    CONSTRAINT orders_tax_rate_bps_check CHECK (((tax_rate_bps >= 0) AND (tax_rate_bps <= 10000))),
    CONSTRAINT orders_tax_total_check CHECK ((tax_total >= 0)),
    CONSTRAINT orders_void_reason_check CHECK ((length(void_reason) <= 500))
);

ALTER TABLE ONLY app_public.orders FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE orders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.orders IS '@unique id
An order at a location: open until paid in full, then a sale (placed); a sale can be voided, an open order cancelled. Written only by placeOrder, recordTender, voidOrder and cancelOrder; an order keeps its rows.';

--
-- Name: COLUMN orders.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.tenant_id IS '@behavior -*';

--
-- Name: COLUMN orders.location_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.location_id IS 'Where the sale was made.';

--
-- Name: COLUMN orders.customer_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.customer_id IS 'The customer the sale is attributed to, if any.';

--
-- Name: COLUMN orders.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.status IS 'open (not paid in full yet: not a sale), placed (a sale: paid in full), voided (a sale taken back), cancelled (an open order given up: never a sale).';

--
-- Name: COLUMN orders.subtotal; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.subtotal IS 'Sum of the lines'' subtotals, in cents, before discounts and without tax.';

--
-- Name: COLUMN orders.order_discount; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.order_discount IS 'Cents taken off the whole order (spread over the lines; without tax when the prices included it); part of discount_total.';

--
-- Name: COLUMN orders.discount_total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.discount_total IS 'Line discounts plus the order discount, in cents.';

--
-- Name: COLUMN orders.tax_rate_bps; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.tax_rate_bps IS 'The rate the order was priced with (its location''s, else the business''s default), in basis points.';

--
-- Name: COLUMN orders.tax_total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.tax_total IS 'Sum of the line taxes, in cents.';

--
-- Name: COLUMN orders.total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.total IS 'What the customer pays, in cents: subtotal − discount_total + tax_total.';

--
-- Name: COLUMN orders.paid_total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.paid_total IS 'Sum of the tenders applied to the order (cash handed over minus change), in cents.';

--
-- Name: COLUMN orders.amount_due; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.amount_due IS '@notNull
total − paid_total, in cents.';

--
-- Name: COLUMN orders.placed_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.placed_at IS 'When it became a sale: the payment that completed it (or the time given for an import). Null while open.';

--
-- Name: COLUMN orders.business_date; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.business_date IS 'The date of the sale at the location (of placedAt). Null while open.';

--
-- Name: COLUMN orders.voided_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.voided_at IS 'When the order was voided.';

--
-- Name: COLUMN orders.void_reason; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.void_reason IS 'Why the order was voided.';

--
-- Name: COLUMN orders.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.created_at IS 'When the order was opened (rung up at the till).';

--
-- Name: COLUMN orders.cancelled_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.cancelled_at IS 'When an open order was cancelled.';

--
-- Name: COLUMN orders.cancel_reason; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.cancel_reason IS 'Why it was cancelled.';

--
-- Name: COLUMN orders.refunded_total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.refunded_total IS 'What refunds of some of its lines took back so far (tax included), in minor units.';

--
-- Name: COLUMN orders.tax_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.tax_name IS 'The name of the tax rate the order was priced with.';

--
-- Name: COLUMN orders.tax_inclusive; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.orders.tax_inclusive IS 'Whether the order''s prices included its tax (then each line''s amounts are kept without it: see placeOrder).';

--
-- Name: order_cancelled_event_payload(app_public.orders, app_public.locations); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.order_cancelled_event_payload(o app_public.orders, loc app_public.locations) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
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

--
-- Name: order_customer_id(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.order_customer_id(tenant_id text, customer_id text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: order_event_payload(app_public.orders); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.order_event_payload(o app_public.orders) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  return (select jsonb_build_object(
    'order_id', o.id,
    'location_id', o.location_id,
    'business_date', to_char(o.business_date, 'YYYY-MM-DD'),
    'placed_at', app_hidden.iso_utc(o.placed_at),
    'customer_id', o.customer_id,
    'placed_by_user_id', o.placed_by_user_id,
    'tax_rate_bps', o.tax_rate_bps,
    'tax_inclusive', o.tax_inclusive,
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

--
-- Name: order_refunds; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.order_refunds (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    order_id text NOT NULL,
    reason text NOT NULL,
    business_date date NOT NULL,
    subtotal integer NOT NULL,
    discount_total integer NOT NULL,
    tax_total integer NOT NULL,
    total integer NOT NULL,
    refunded_by_user_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT order_refunds_amounts_check CHECK (((subtotal >= discount_total) AND (total >= 0))),
    CONSTRAINT order_refunds_check CHECK ((total = ((subtotal - discount_total) + tax_total))),
    CONSTRAINT order_refunds_discount_total_check CHECK ((discount_total >= 0)),
    CONSTRAINT order_refunds_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500))),
    CONSTRAINT order_refunds_subtotal_check CHECK ((subtotal >= 0)),
    CONSTRAINT order_refunds_tax_total_check CHECK ((tax_total >= 0))
);

ALTER TABLE ONLY app_public.order_refunds FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE order_refunds; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.order_refunds IS '@unique id
A refund of some lines of a sale, with its reason and what it took back (discounts and tax in proportion). Written by refundOrderLines; never changed.';

--
-- Name: COLUMN order_refunds.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refunds.tenant_id IS '@behavior -*';

--
-- Name: COLUMN order_refunds.reason; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refunds.reason IS 'Why the lines were refunded.';

--
-- Name: COLUMN order_refunds.business_date; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refunds.business_date IS 'The day of the refund at the order''s location (the day it counts in the reports).';

--
-- Name: COLUMN order_refunds.subtotal; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refunds.subtotal IS 'The subtotal of the units refunded (unit price × quantity, without tax when prices included it), in minor units.';

--
-- Name: COLUMN order_refunds.discount_total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refunds.discount_total IS 'The share of the discounts those units had.';

--
-- Name: COLUMN order_refunds.tax_total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refunds.tax_total IS 'The share of the tax those units had.';

--
-- Name: COLUMN order_refunds.total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refunds.total IS 'What the refund took back: subtotal − discounts + tax.';

--
-- Name: COLUMN order_refunds.refunded_by_user_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refunds.refunded_by_user_id IS 'Who refunded (a user id kept as it was).';

--
-- Name: COLUMN order_refunds.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refunds.created_at IS 'When the refund was made.';

--
-- Name: order_refunded_event_payload(app_public.orders, app_public.order_refunds); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.order_refunded_event_payload(o app_public.orders, f app_public.order_refunds) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
  select pg_catalog.jsonb_build_object(
    'order_id', o.id,
    'refund_id', f.id,
    'location_id', o.location_id,
    'business_date', pg_catalog.to_char(o.business_date, 'YYYY-MM-DD'),
    'placed_at', app_hidden.iso_utc(o.placed_at),
    'customer_id', o.customer_id,
    'refunded_at', app_hidden.iso_utc(f.created_at),
    'refund_business_date', pg_catalog.to_char(f.business_date, 'YYYY-MM-DD'),
    'reason', f.reason,
    'refunded_by_user_id', f.refunded_by_user_id,
    'subtotal', f.subtotal,
    'discount_total', f.discount_total,
    'tax_total', f.tax_total,
    'total', f.total,
    'item_count', (select coalesce(pg_catalog.sum(rl.quantity), 0) from app_public.order_refund_lines rl
                   where rl.tenant_id operator(pg_catalog.=) f.tenant_id and rl.order_refund_id operator(pg_catalog.=) f.id),
    'lines', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'line_id', l.id,
                'line_no', l.line_no,
                'catalog_item_id', l.catalog_item_id,
                'sku', l.sku,
                'name', l.name,
                'quantity', rl.quantity,
                'unit_price', l.unit_price,
                'subtotal', rl.subtotal,
                'discount', rl.discount,
                'revenue', rl.subtotal operator(pg_catalog.-) rl.discount,
                'tax', rl.tax,
                'total', rl.total) order by l.line_no), '[]'::jsonb)
              from app_public.order_refund_lines rl
              join app_public.order_lines l on l.tenant_id operator(pg_catalog.=) rl.tenant_id and l.id operator(pg_catalog.=) rl.order_line_id
              where rl.tenant_id operator(pg_catalog.=) f.tenant_id and rl.order_refund_id operator(pg_catalog.=) f.id),
    'refund_tenders', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('type', r.type, 'amount', r.amount) order by r.type)
      from app_public.refund_tenders r
      where r.tenant_id operator(pg_catalog.=) f.tenant_id and r.order_refund_id operator(pg_catalog.=) f.id), '[]'::jsonb));
$$;

--
-- Name: order_voided_event_payload(app_public.orders, app_public.locations); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.order_voided_event_payload(o app_public.orders, loc app_public.locations) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
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

--
-- Name: invitations; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.invitations (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    email public.citext NOT NULL,
    role_id text NOT NULL,
    token_hash bytea NOT NULL,
    invited_by_user_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone DEFAULT (now() + '7 days'::interval) NOT NULL,
    accepted_at timestamp with time zone,
    accepted_by_user_id text,
    revoked_at timestamp with time zone,
    CONSTRAINT invitations_check CHECK (((accepted_at IS NULL) OR (revoked_at IS NULL))),
    CONSTRAINT invitations_email_check CHECK (((email OPERATOR(public.~) '^[^\s@]+@[^\s@]+\.[^\s@]+$'::public.citext) AND (length((email)::text) <= 254)))
);

ALTER TABLE ONLY app_public.invitations FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE invitations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.invitations IS '@unique id
An invitation to join the business with a role: a link valid 7 days, accepted once (inviteMember, revokeInvitation).';

--
-- Name: COLUMN invitations.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.invitations.tenant_id IS '@behavior -*';

--
-- Name: COLUMN invitations.email; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.invitations.email IS 'Who is invited.';

--
-- Name: COLUMN invitations.token_hash; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.invitations.token_hash IS '@behavior -*';

--
-- Name: COLUMN invitations.expires_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.invitations.expires_at IS 'After this the link no longer works (7 days after it was made).';

--
-- Name: COLUMN invitations.accepted_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.invitations.accepted_at IS 'When it was accepted (then the person is a member).';

--
-- Name: COLUMN invitations.revoked_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.invitations.revoked_at IS 'When it was withdrawn, or replaced by a new invitation to the same email.';

--
-- Name: pending_invitation(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.pending_invitation(token text) RETURNS app_public.invitations
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select i.* from app_public.invitations i
  where i.token_hash = public.digest(coalesce(token, ''), 'sha256')
    and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
  for update;
$$;

--
-- Name: plan_change_problem(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.plan_change_problem(tenant text, target_plan text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION plan_change_problem(tenant text, target_plan text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.plan_change_problem(tenant text, target_plan text) IS 'The reason usage does not fit the plan''s limits, or null.';

--
-- Name: plan_for_stripe_price(jsonb); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.plan_for_stripe_price(price jsonb) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select p.key from app_public.plans p
  where jsonb_typeof(price) = 'object'
    and (p.stripe_price_id = price ->> 'id'
         or p.stripe_lookup_key = price ->> 'lookup_key'
         or p.key = price -> 'metadata' ->> 'plan_key')
  order by (p.stripe_price_id = price ->> 'id') desc nulls last,
           (p.stripe_lookup_key = price ->> 'lookup_key') desc nulls last
  limit 1;
$$;

--
-- Name: FUNCTION plan_for_stripe_price(price jsonb); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.plan_for_stripe_price(price jsonb) IS 'Key of the plan a Stripe price object belongs to, or null.';

--
-- Name: plans_for_stripe(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.plans_for_stripe() RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce(jsonb_agg(jsonb_build_object(
    'key', p.key, 'name', p.name, 'priceCents', p.price_cents, 'currency', p.currency,
    'interval', p.billing_interval, 'lookupKey', p.stripe_lookup_key, 'priceId', p.stripe_price_id)
    order by p.position), '[]'::jsonb)
  from app_public.plans p;
$$;

--
-- Name: FUNCTION plans_for_stripe(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.plans_for_stripe() IS 'Every plan with its price, lookup key and Stripe price id (worker).';

--
-- Name: price_lines(text, jsonb, integer, integer, boolean); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.price_lines(tenant_id text, lines jsonb, order_discount integer, tax_rate_bps integer, tax_inclusive boolean) RETURNS SETOF app_private.priced_line
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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
    -- amount: what the line costs after both discounts, with its tax when prices include it.
    select s.*, s.net - s.share as amount,
           case when tax_inclusive
             then (2 * (s.net - s.share) * tax_rate_bps + 10000 + tax_rate_bps) / (2 * (10000 + tax_rate_bps))
             else ((s.net - s.share) * tax_rate_bps + 5000) / 10000 end as tax,
           case when tax_inclusive
             then s.subtotal - (2 * s.subtotal * tax_rate_bps + 10000 + tax_rate_bps) / (2 * (10000 + tax_rate_bps))
             else s.subtotal end as subtotal_ex
    from shared s
  ), kept as (
    -- Without tax: net, and the discounts as what the subtotal loses on the way to it.
    select t.*, case when tax_inclusive then t.amount - t.tax else t.amount end as net_total,
           case when tax_inclusive and t.line_discount + t.share > 0
             then (t.subtotal_ex - (t.amount - t.tax)) * t.line_discount / (t.line_discount + t.share)
             else t.line_discount end as line_discount_ex
    from taxed t
  )
  select k.line_no, k.catalog_item_id, k.sku, k.name, k.unit_price, k.quantity, k.subtotal_ex::int, k.line_discount_ex::int,
         (k.subtotal_ex - k.line_discount_ex - k.net_total)::int, k.net_total::int, k.tax::int, (k.net_total + k.tax)::int,
         k.inventory_item_id
  from kept k
  order by k.line_no;
end;
$$;

--
-- Name: queue_customer_order(app_private.events, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.queue_customer_order(evt app_private.events, consumer text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if evt.payload ->> 'customer_id' is not null then
    insert into app_private.customer_order_queue (tenant_id, consumer, event_id, seq)
    values (evt.tenant_id, queue_customer_order.consumer, evt.id, evt.seq);
  end if;
end;
$$;

--
-- Name: raise_customer_constraint(text, text, text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.raise_customer_constraint(tenant_id text, constraint_name text, column_name text, email text, phone text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  other app_public.customers;
begin
  if constraint_name = 'customers_email_key' then
    select c.* into other from app_public.customers c
    where c.tenant_id = raise_customer_constraint.tenant_id and c.email = raise_customer_constraint.email and c.status <> 'merged';
    perform app_hidden.raise_error('DUPEM', format('Email: %s is already the email of customer %s (%s).',
      raise_customer_constraint.email, other.customer_number, other.display_name), other.id, 'email');
  elsif constraint_name = 'customers_phone_key' then
    select c.* into other from app_public.customers c
    where c.tenant_id = raise_customer_constraint.tenant_id and c.phone = raise_customer_constraint.phone and c.status <> 'merged';
    perform app_hidden.raise_error('DUPPH', format('Phone: %s is already the phone number of customer %s (%s).',
      raise_customer_constraint.phone, other.customer_number, other.display_name), other.id, 'phone');
  elsif constraint_name = 'customers_identifiable' or raise_customer_constraint.column_name = 'display_name' then
    perform app_hidden.raise_error('NOIDN', 'A customer needs at least an email, a phone number or a first name.');
  end if;
end;
$$;

--
-- Name: reactivate_tenant(text, text[], text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reactivate_tenant(tenant text, types text[], reason text, actor text DEFAULT NULL::text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  why text := app_hidden.assert_name('The reason for a reactivation', reactivate_tenant.reason, 500, 'reason');
  ended int;
begin
  update app_public.tenant_suspensions s set ended_at = now(), ended_by = actor, end_reason = why
  where s.tenant_id = tenant and s.ended_at is null and s.type = any(types);
  get diagnostics ended = row_count;
  update app_public.tenants x set status = 'active', suspension_reason = null, suspended_at = null
  where x.id = tenant and x.status = 'suspended' and x.suspension_reason = any(types);
  return ended > 0;
end;
$$;

--
-- Name: FUNCTION reactivate_tenant(tenant text, types text[], reason text, actor text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reactivate_tenant(tenant text, types text[], reason text, actor text) IS 'Ends a suspension of one of the given types, with a reason, keeping the history (platform and billing only).';

--
-- Name: reactivate_tenant_for_billing(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reactivate_tenant_for_billing(tenant text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  perform app_private.reactivate_tenant(tenant, array['nonpayment', 'canceled'], 'Billing is in order again.');
end;
$$;

--
-- Name: FUNCTION reactivate_tenant_for_billing(tenant text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reactivate_tenant_for_billing(tenant text) IS 'Reactivates a tenant that billing suspended.';

--
-- Name: rebuild_customer_counters(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.rebuild_customer_counters(tenant_id text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  update app_public.customer_stats s set
    visits = 0, spend = 0, items_bought = 0, first_visit_at = null, last_visit_at = null, recent_visits = '{}', updated_at = now()
  -- Every field that can drift, so a row with no visit left is cleaned too (only changed rows are written).
  where s.tenant_id = rebuild_customer_counters.tenant_id
    and (s.visits, s.spend, s.items_bought, s.first_visit_at, s.last_visit_at, s.recent_visits)
        is distinct from (0, 0::bigint, 0::bigint, null::timestamptz, null::timestamptz, '{}'::timestamptz[]);
  delete from app_private.customer_visits v where v.tenant_id = rebuild_customer_counters.tenant_id;
  delete from app_public.customer_item_stats i where i.tenant_id = rebuild_customer_counters.tenant_id;
  perform app_private.reset_consumer('customer_counters', rebuild_customer_counters.tenant_id);
  return app_private.replay('customer_counters', rebuild_customer_counters.tenant_id);
end;
$$;

--
-- Name: FUNCTION rebuild_customer_counters(tenant_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.rebuild_customer_counters(tenant_id text) IS 'Recomputes the purchase history (customer_stats, customer_item_stats) of a tenant''s customers from the event log.';

--
-- Name: record_sale(app_public.orders, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.record_sale(o app_public.orders, actor text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: recover_crashed_workers(interval); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.recover_crashed_workers(grace interval DEFAULT '00:00:00'::interval) RETURNS TABLE(pool_id text, jobs_unlocked integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    SET lock_timeout TO '10s'
    AS $$
declare
  dead text[];
  dead_keys int[];
begin
  -- One recovery at a time (workers starting together). Never waits long (lock_timeout): the
  -- next run, a minute later, tries again.
  perform pg_advisory_xact_lock(app_private.worker_lock_ns(), 0);
  update app_private.worker_pools w set seen_dead_at = null
    where w.seen_dead_at is not null and app_private.worker_process_alive(w.process_key);
  update app_private.worker_pools w set seen_dead_at = now()
    where w.seen_dead_at is null and not app_private.worker_process_alive(w.process_key);
  select array_agg(w.pool_id), array_agg(distinct w.process_key) into dead, dead_keys
  from app_private.worker_pools w
  where w.seen_dead_at <= now() - grace and not app_private.worker_process_alive(w.process_key);
  if dead is null then
    return;
  end if;

  -- A killed client's backend lives on until it next talks to the client: one waiting for a lock
  -- would still write (and commit) when it gets it. pg_terminate_backend waits up to 5 s.
  perform pg_terminate_backend(a.pid, 5000)
  from pg_stat_activity a
  where a.datname = current_database() and a.pid <> pg_backend_pid()
    and a.application_name = any (select 'backoffice-worker:' || k from unnest(dead_keys) k);

  return query
    select d.pool_id, (select count(*)::int from graphile_worker._private_jobs j where j.locked_by = d.pool_id)
    from unnest(dead) as d(pool_id);
  perform graphile_worker.force_unlock_workers(dead);
  perform app_private.mark_crashed_runs(dead);
  delete from app_private.worker_pools w where w.pool_id = any(dead);

  -- An export whose job is gone, or crashed on its last attempt, would say "running" forever.
  perform app_private.fail_export(e.tenant_id, e.id, 'The export could not be written. Please try again.')
  from reporting.exports e
  where e.status in ('pending', 'running')
    and not exists (select 1 from graphile_worker._private_jobs j
                    join graphile_worker._private_tasks t on t.id = j.task_id
                    where t.identifier = 'export_csv' and j.payload ->> 'exportId' = e.id
                      and j.payload ->> 'tenantId' = e.tenant_id
                      and (j.locked_at is not null or j.attempts < j.max_attempts));
end;
$$;

--
-- Name: FUNCTION recover_crashed_workers(grace interval); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.recover_crashed_workers(grace interval) IS 'Unlocks the jobs of worker processes that died (worker, at start and every minute); returns the pools recovered.';

--
-- Name: refund_payments(app_public.orders, app_public.locations, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.refund_payments(o app_public.orders, loc app_public.locations, reason text, actor text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: register_worker_pool(text, integer, text, integer); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.register_worker_pool(pool_id text, process_key integer, hostname text, pid integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if not exists (select 1 from pg_locks l
                 where l.locktype = 'advisory' and l.granted and l.objsubid = 2 and l.pid = pg_backend_pid()
                   and l.classid = app_private.worker_lock_ns()::oid and l.objid = register_worker_pool.process_key::oid)
     or current_setting('application_name') <> 'backoffice-worker-alive:' || register_worker_pool.process_key then
    raise exception 'register_worker_pool: this session does not hold the liveness lock of process %', process_key;
  end if;
  insert into app_private.worker_pools as w (pool_id, process_key, hostname, pid)
  values (register_worker_pool.pool_id, register_worker_pool.process_key, register_worker_pool.hostname, register_worker_pool.pid)
  on conflict on constraint worker_pools_pkey do update set process_key = excluded.process_key, seen_dead_at = null;
end;
$$;

--
-- Name: FUNCTION register_worker_pool(pool_id text, process_key integer, hostname text, pid integer); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.register_worker_pool(pool_id text, process_key integer, hostname text, pid integer) IS 'Records a worker pool of the live process whose liveness lock this session holds (worker).';

--
-- Name: replay(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.replay(consumer text, tenant_id text DEFAULT NULL::text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  evt app_private.events;
  applied int := 0;
begin
  if not exists (select 1 from app_private.event_subscriptions s where s.consumer = replay.consumer) then
    perform app_hidden.raise_error('BADEV', format('No consumer named %s is subscribed to any event.', replay.consumer));
  end if;
  for evt in
    select e.* from app_private.events e
    where e.type in (select s.event_type from app_private.event_subscriptions s where s.consumer = replay.consumer)
      and (replay.tenant_id is null or e.tenant_id = replay.tenant_id)
      and not exists (select 1 from app_private.processed_events pe
                      where pe.tenant_id = e.tenant_id and pe.event_id = e.id and pe.consumer = replay.consumer)
    order by e.seq
  loop
    applied := applied + app_private.dispatch(evt, replay.consumer);
  end loop;
  return applied;
end;
$$;

--
-- Name: FUNCTION replay(consumer text, tenant_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.replay(consumer text, tenant_id text) IS 'Applies to one consumer every stored event of its types it has not applied yet, in log order.';

--
-- Name: reporting_apply_customers(text, app_private.events[]); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_apply_customers(tenant_id text, evts app_private.events[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
  tenant constant text := reporting_apply_customers.tenant_id;
  m record;
begin
  if evts is null or cardinality(evts) = 0 then
    return;
  end if;

  -- Names.
  insert into reporting.rm_customer_activity as r (tenant_id, customer_id, customer_name, name_seq)
  select distinct on (n.customer_id) tenant, n.customer_id, n.name, n.seq
  from (
    select e.payload ->> 'customer_id' as customer_id, e.payload ->> 'display_name' as name, e.seq
    from unnest(evts) e where e.type in ('customer.created.v1', 'customer.updated.v1')
    union all
    select e.payload ->> 'primary_id', e.payload ->> 'display_name', e.seq
    from unnest(evts) e where e.type = 'customer.merged.v1'
  ) n
  where n.customer_id is not null
  order by n.customer_id, n.seq desc
  on conflict (tenant_id, customer_id) do update set
    customer_name = case when excluded.name_seq > r.name_seq then excluded.customer_name else r.customer_name end,
    name_seq = greatest(r.name_seq, excluded.name_seq),
    updated_at = now();

  -- Merges, in log order.
  for m in
    select e.payload ->> 'primary_id' as primary_id, e.payload ->> 'duplicate_id' as duplicate_id
    from unnest(evts) e where e.type = 'customer.merged.v1' order by e.seq
  loop
    insert into reporting.rm_customer_activity (tenant_id, customer_id)
      values (tenant, m.primary_id), (tenant, m.duplicate_id)
      on conflict do nothing;
    update reporting.rm_customer_activity p set
      total_visits = p.total_visits + d.total_visits,
      total_spend = p.total_spend + d.total_spend,
      last_visit_at = greatest(p.last_visit_at, d.last_visit_at),
      updated_at = now()
    from reporting.rm_customer_activity d
    where p.tenant_id = tenant and p.customer_id = m.primary_id
      and d.tenant_id = tenant and d.customer_id = m.duplicate_id;
    update reporting.rm_customer_activity d set
      total_visits = 0, total_spend = 0, last_visit_at = null, merged_into_id = m.primary_id, updated_at = now()
    where d.tenant_id = tenant and d.customer_id = m.duplicate_id;
    update reporting.rm_customer_activity x set merged_into_id = m.primary_id, updated_at = now()
    where x.tenant_id = tenant and x.merged_into_id = m.duplicate_id;
    update reporting.rm_customer_visits v set customer_id = m.primary_id
    where v.tenant_id = tenant and v.customer_id = m.duplicate_id;
  end loop;

  if not exists (select 1 from unnest(evts) e
                 where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1') and e.payload ->> 'customer_id' is not null) then
    return;
  end if;

  -- Orders: each counts for its customer, or the customer that one was merged into.
  insert into reporting.rm_customer_visits (tenant_id, order_id, customer_id, placed_at, total, location_id, business_date)
  select tenant, o.order_id, o.customer_id, o.placed_at, o.total, o.location_id, o.business_date
  from app_private.reporting_customer_orders(tenant, evts) o where o.kind = 'placed'
  order by o.order_id
  on conflict do nothing;
  -- The void statements only when the batch has a void (most batches are one placed order).
  if exists (select 1 from unnest(evts) e where e.type = 'order.voided.v1') then
    update reporting.rm_customer_visits v set is_voided = true
  from app_private.reporting_customer_orders(tenant, evts) o
    where o.kind = 'voided' and v.tenant_id = tenant and v.order_id = o.order_id;
  end if;
  -- A refund of some lines takes its total off the visit's (several refunds of one order may come in one batch).
  if exists (select 1 from unnest(evts) e where e.type = 'order.refunded.v1') then
    update reporting.rm_customer_visits v set total = v.total - r.total
    from (select o.order_id, sum(o.total) as total from app_private.reporting_customer_orders(tenant, evts) o
          where o.kind = 'refunded' group by o.order_id) r
    where v.tenant_id = tenant and v.order_id = r.order_id;
  end if;

  insert into reporting.rm_customer_activity as r (tenant_id, customer_id, total_visits, total_spend, last_visit_at)
  select tenant, o.customer_id,
         sum(case o.kind when 'placed' then 1 when 'voided' then -1 else 0 end),
         sum(case o.kind when 'placed' then o.total else -o.total end),
         max(o.placed_at) filter (where o.kind = 'placed')
  from app_private.reporting_customer_orders(tenant, evts) o
  group by o.customer_id
  order by o.customer_id
  on conflict (tenant_id, customer_id) do update set
    total_visits = r.total_visits + excluded.total_visits,
    total_spend = r.total_spend + excluded.total_spend,
    last_visit_at = greatest(r.last_visit_at, excluded.last_visit_at),
    updated_at = now();

  -- A void may have taken the latest visit away.
  if not exists (select 1 from unnest(evts) e where e.type = 'order.voided.v1') then
    return;
  end if;
  update reporting.rm_customer_activity r set
    last_visit_at = (select max(v.placed_at) from reporting.rm_customer_visits v
                     where v.tenant_id = tenant and v.customer_id = r.customer_id and not v.is_voided)
  where r.tenant_id = tenant
    and r.customer_id in (select o.customer_id from app_private.reporting_customer_orders(tenant, evts) o where o.kind = 'voided');
end;
$$;

--
-- Name: FUNCTION reporting_apply_customers(tenant_id text, evts app_private.events[]); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_apply_customers(tenant_id text, evts app_private.events[]) IS 'Applies a batch of customer and order events of a tenant, in log order, to rm_customer_activity (inline consumer and rebuild).';

--
-- Name: reporting_apply_sales(text, text[]); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_apply_sales(tenant_id text, event_ids text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
  tenant constant text := reporting_apply_sales.tenant_id;
begin
  if event_ids is null or cardinality(event_ids) = 0 then
    return;
  end if;

  insert into reporting.rm_daily_sales as r (tenant_id, location_id, business_date, order_count, gross_sales, discount_total,
                                             tax_total, net_sales, tender_cash, tender_card, refund_count, refund_total)
  select tenant, f.location_id, f.business_date, sum(f.order_count), sum(f.gross_sales), sum(f.discount_total), sum(f.tax_total),
         sum(f.net_sales), sum(f.tender_cash), sum(f.tender_card), sum(f.refund_count), sum(f.refund_total)
  from app_private.reporting_daily_facts f
  where f.tenant_id = tenant and f.event_id = any(event_ids)
  group by f.location_id, f.business_date
  order by f.location_id, f.business_date
  on conflict (tenant_id, location_id, business_date) do update set
    order_count = r.order_count + excluded.order_count,
    gross_sales = r.gross_sales + excluded.gross_sales,
    discount_total = r.discount_total + excluded.discount_total,
    tax_total = r.tax_total + excluded.tax_total,
    net_sales = r.net_sales + excluded.net_sales,
    tender_cash = r.tender_cash + excluded.tender_cash,
    tender_card = r.tender_card + excluded.tender_card,
    refund_count = r.refund_count + excluded.refund_count,
    refund_total = r.refund_total + excluded.refund_total,
    updated_at = now();

  insert into reporting.rm_item_sales as r (tenant_id, location_id, business_date, catalog_item_id, catalog_item_name, name_seq,
                                            quantity_sold, gross_revenue, net_revenue)
  select tenant, f.location_id, f.business_date, f.catalog_item_id,
         (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1], max(f.name_seq),
         sum(f.quantity_sold), sum(f.gross_revenue), sum(f.net_revenue)
  from app_private.reporting_item_facts f
  where f.tenant_id = tenant and f.event_id = any(event_ids)
  group by f.location_id, f.business_date, f.catalog_item_id
  order by f.location_id, f.business_date, f.catalog_item_id
  on conflict (tenant_id, location_id, business_date, catalog_item_id) do update set
    -- The latest sale names the row; among names of equal rank (refunds only: name_seq 0) the
    -- smallest, so that the order events are folded in changes nothing (rebuild takes min()).
    catalog_item_name = case when excluded.name_seq > r.name_seq
                               or (excluded.name_seq = r.name_seq and excluded.catalog_item_name < r.catalog_item_name)
                             then excluded.catalog_item_name else r.catalog_item_name end,
    name_seq = greatest(r.name_seq, excluded.name_seq),
    quantity_sold = r.quantity_sold + excluded.quantity_sold,
    gross_revenue = r.gross_revenue + excluded.gross_revenue,
    net_revenue = r.net_revenue + excluded.net_revenue,
    updated_at = now();

  insert into reporting.rm_inventory_on_hand as r (tenant_id, location_id, inventory_item_id, item_name, on_hand, low_stock_threshold)
  select tenant, f.location_id, f.inventory_item_id, i.name, f.on_hand, i.low_stock_threshold
  from (select f.location_id, f.inventory_item_id, sum(f.on_hand) as on_hand
        from app_private.reporting_stock_facts f
        where f.tenant_id = tenant and f.event_id = any(event_ids)
        group by f.location_id, f.inventory_item_id) f
  join app_public.inventory_items i on i.tenant_id = tenant and i.id = f.inventory_item_id
  order by f.location_id, f.inventory_item_id
  on conflict (tenant_id, location_id, inventory_item_id) do update set
    on_hand = r.on_hand + excluded.on_hand,
    updated_at = now();
end;
$$;

--
-- Name: FUNCTION reporting_apply_sales(tenant_id text, event_ids text[]); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_apply_sales(tenant_id text, event_ids text[]) IS 'Adds sales events of a tenant (by id) to rm_daily_sales, rm_item_sales and rm_inventory_on_hand (the fold).';

--
-- Name: reporting_average_sale(bigint, bigint); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_average_sale(net_sales bigint, order_count bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select case when order_count > 0 then round(net_sales::numeric / order_count)::bigint else 0 end;
$$;

--
-- Name: FUNCTION reporting_average_sale(net_sales bigint, order_count bigint); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_average_sale(net_sales bigint, order_count bigint) IS 'Net sales / sales in minor units, rounded half up; 0 without sales (the average sale of a day, or of days added up).';

--
-- Name: reporting_check_range(text, date, date, text, integer); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_check_range(tenant_id text, from_date date, to_date date, location_id text, max_days integer DEFAULT 1096) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: reporting_customer_classes(text, timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_customer_classes(tenant_id text, at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS SETOF reporting.customer_class_row
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  with classed as (
    select app_hidden.loyalty_class(s.visits, s.last_visit_at, s.recent_visits,
             l.regular_min_visits, l.regular_window_days, l.lapsed_after_days, coalesce(at, now())) as loyalty_class
    from app_public.customers c
    join app_public.customer_stats s on s.tenant_id = c.tenant_id and s.customer_id = c.id
    join app_public.loyalty_settings l on l.tenant_id = c.tenant_id
    where c.tenant_id = reporting_customer_classes.tenant_id and c.status = 'active'
  ), classes as (
    select k.loyalty_class, k.ord from unnest(enum_range(null::app_public.loyalty_class)) with ordinality k(loyalty_class, ord)
    union all
    select null, 1000
  )
  select k.loyalty_class, (select count(*) from classed x where x.loyalty_class is not distinct from k.loyalty_class)::int
  from classes k
  order by k.ord;
$$;

--
-- Name: FUNCTION reporting_customer_classes(tenant_id text, at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_customer_classes(tenant_id text, at timestamp with time zone) IS 'Active customers of a tenant per loyalty class (reporting.customer_class_counts).';

--
-- Name: reporting_customer_loyalty_days(text, date, date, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_customer_loyalty_days(tenant_id text, from_date date, to_date date, location_id text DEFAULT NULL::text) RETURNS SETOF reporting.customer_loyalty_day_row
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  with visits as (
    select distinct v.business_date, v.customer_id
    from reporting.rm_customer_visits v
    where v.tenant_id = reporting_customer_loyalty_days.tenant_id and not v.is_voided
      and v.business_date between from_date and to_date
      and (reporting_customer_loyalty_days.location_id is null or v.location_id = reporting_customer_loyalty_days.location_id)
  ), firsts as (
    select x.customer_id, min(x.business_date) as first_date
    from reporting.rm_customer_visits x
    where x.tenant_id = reporting_customer_loyalty_days.tenant_id and not x.is_voided
      and x.customer_id in (select v.customer_id from visits v)
    group by x.customer_id
  ), days as (
    select g::date as business_date from generate_series(from_date::timestamp, to_date::timestamp, interval '1 day') g
  ), counted as (
    select d.business_date,
           count(v.customer_id)::int as customers,
           count(v.customer_id) filter (where f.first_date = v.business_date)::int as new_customers,
           count(v.customer_id) filter (where f.first_date < v.business_date)::int as returning_customers
    from days d
    left join visits v on v.business_date = d.business_date
    left join firsts f on f.customer_id = v.customer_id
    group by d.business_date
  )
  select c.business_date, reporting_customer_loyalty_days.location_id, c.customers, c.new_customers, c.returning_customers,
         case when c.customers > 0 then round(c.returning_customers::numeric / c.customers, 4) else 0 end
  from counted c
  order by c.business_date;
$$;

--
-- Name: FUNCTION reporting_customer_loyalty_days(tenant_id text, from_date date, to_date date, location_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_customer_loyalty_days(tenant_id text, from_date date, to_date date, location_id text) IS 'New and returning customers of a tenant per business date (reporting.customer_loyalty_days, tests).';

--
-- Name: reporting_customer_orders(text, app_private.events[]); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_customer_orders(tenant_id text, evts app_private.events[]) RETURNS TABLE(kind text, seq bigint, order_id text, customer_id text, placed_at timestamp with time zone, total bigint, location_id text, business_date date)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
#variable_conflict use_column
begin
  return query
  select case e.type when 'order.placed.v1' then 'placed' when 'order.refunded.v1' then 'refunded' else 'voided' end,
         e.seq, e.payload ->> 'order_id',
         coalesce(a.merged_into_id, e.payload ->> 'customer_id'),
         (e.payload ->> 'placed_at')::timestamptz, (e.payload ->> 'total')::bigint,
         e.payload ->> 'location_id', (e.payload ->> 'business_date')::date
  from unnest(evts) e
  left join reporting.rm_customer_activity a
    on a.tenant_id = reporting_customer_orders.tenant_id and a.customer_id = e.payload ->> 'customer_id'
  where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1') and e.payload ->> 'customer_id' is not null;
end;
$$;

--
-- Name: reporting_customers__apply(app_private.events); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_customers__apply(evt app_private.events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if evt.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1') and evt.payload ->> 'customer_id' is null then
    return;
  end if;
  perform app_private.reporting_apply_customers(evt.tenant_id, array[evt]);
end;
$$;

--
-- Name: FUNCTION reporting_customers__apply(evt app_private.events); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_customers__apply(evt app_private.events) IS 'Consumer reporting_customers: applies a customer or order event to rm_customer_activity.';

--
-- Name: reporting_customers__enqueue(app_private.events); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_customers__enqueue(evt app_private.events) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select app_private.queue_customer_order(evt, 'reporting_customers');
$$;

--
-- Name: FUNCTION reporting_customers__enqueue(evt app_private.events); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_customers__enqueue(evt app_private.events) IS 'Consumer reporting_customers: queues an order event with a customer for app_private.apply_customer_orders at commit.';

--
-- Name: reporting_daily_sales(text, date, date, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_daily_sales(tenant_id text, from_date date, to_date date, location_id text DEFAULT NULL::text) RETURNS SETOF reporting.daily_sales_row
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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
         app_private.reporting_average_sale(s.net_sales, s.order_count),
         s.net_sales + s.tax_total
  from summed s
  order by s.business_date;
$$;

--
-- Name: FUNCTION reporting_daily_sales(tenant_id text, from_date date, to_date date, location_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_daily_sales(tenant_id text, from_date date, to_date date, location_id text) IS 'Daily sales of a tenant over a date range, one row per date, at one location or summed over all (exports, reporting.daily_sales).';

--
-- Name: reporting_dashboard_metrics(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_dashboard_metrics(tenant_id text) RETURNS reporting.dashboard_metrics
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  with today as (
    select l.id as location_id, app_hidden.business_date(now(), l.timezone) as business_date
    from app_public.locations l where l.tenant_id = reporting_dashboard_metrics.tenant_id
  ), days as (
    select t.location_id, t.business_date, true as is_today from today t
    union all
    select t.location_id, t.business_date - 7, false from today t
  ), sales as (
    select d.is_today, r.order_count::bigint as order_count, r.net_sales
    from reporting.rm_daily_sales r
    join days d on d.location_id = r.location_id and d.business_date = r.business_date
    where r.tenant_id = reporting_dashboard_metrics.tenant_id
    union all
    select d.is_today, p.order_count, p.net_sales
    from app_private.reporting_pending_daily(reporting_dashboard_metrics.tenant_id) p
    join days d on d.location_id = p.location_id and d.business_date = p.business_date
  ), totals as (
    select coalesce(sum(s.net_sales) filter (where s.is_today), 0)::bigint as sales_today,
           coalesce(sum(s.order_count) filter (where s.is_today), 0)::bigint as orders_today,
           coalesce(sum(s.net_sales) filter (where not s.is_today), 0)::bigint as sales_week_ago,
           coalesce(sum(s.order_count) filter (where not s.is_today), 0)::bigint as orders_week_ago
    from sales s
  ), figures as (
    select t.*, app_private.reporting_average_sale(t.sales_today, t.orders_today) as average_today,
           app_private.reporting_average_sale(t.sales_week_ago, t.orders_week_ago) as average_week_ago
    from totals t
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
    f.sales_today,
    f.orders_today,
    (select count(*)::int from low),
    (select count(*)::int from reporting.rm_customer_activity c
     where c.tenant_id = reporting_dashboard_metrics.tenant_id and c.merged_into_id is null
       and c.last_visit_at >= now() - interval '30 days'),
    f.average_today,
    f.sales_week_ago,
    f.orders_week_ago,
    f.average_week_ago,
    app_private.reporting_percent_change(f.sales_today, f.sales_week_ago),
    app_private.reporting_percent_change(f.orders_today, f.orders_week_ago),
    app_private.reporting_percent_change(f.average_today, f.average_week_ago),
    (select t.currency from app_public.tenants t where t.id = reporting_dashboard_metrics.tenant_id)
  )::reporting.dashboard_metrics
  from figures f;
$$;

--
-- Name: FUNCTION reporting_dashboard_metrics(tenant_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_dashboard_metrics(tenant_id text) IS 'The dashboard figures of a tenant: today''s sales against the same weekday a week ago (each location on its own clock), low stock, active customers.';

--
-- Name: reporting_fold(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_fold(tenant_id text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  perform pg_advisory_xact_lock(app_private.reporting_lock_key(reporting_fold.tenant_id));
  return app_private.reporting_fold_locked(reporting_fold.tenant_id);
end;
$$;

--
-- Name: FUNCTION reporting_fold(tenant_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_fold(tenant_id text) IS 'Folds a tenant''s queued sales events into the sales read models (waits for the fold lock); returns how many.';

--
-- Name: reporting_fold_all(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_fold_all() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text;
  folded int := 0;
begin
  for tenant in select distinct q.tenant_id from app_private.reporting_queue q order by 1 loop
    if pg_try_advisory_xact_lock(app_private.reporting_lock_key(tenant)) then
      folded := folded + app_private.reporting_fold_locked(tenant);
    end if;
  end loop;
  return folded;
end;
$$;

--
-- Name: FUNCTION reporting_fold_all(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_fold_all() IS 'Folds the queued sales events of every tenant whose fold lock is free; returns how many (worker).';

--
-- Name: reporting_fold_locked(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_fold_locked(tenant_id text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant constant text := reporting_fold_locked.tenant_id;
  taken_ids text[];
begin
  with taken as (
    delete from app_private.reporting_queue q where q.tenant_id = tenant returning q.event_id
  )
  select array_agg(taken.event_id) into taken_ids from taken;
  perform app_private.reporting_apply_sales(tenant, taken_ids);
  return coalesce(cardinality(taken_ids), 0);
end;
$$;

--
-- Name: reporting_inventory_summary(text, text, boolean); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_inventory_summary(tenant_id text, location_id text DEFAULT NULL::text, low_only boolean DEFAULT false) RETURNS SETOF reporting.inventory_summary_row
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION reporting_inventory_summary(tenant_id text, location_id text, low_only boolean); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_inventory_summary(tenant_id text, location_id text, low_only boolean) IS 'Stock per location and inventory item of a tenant (exports, reporting.inventory_summary).';

--
-- Name: reporting_item_sales(text, date, date, text, reporting.item_sales_order); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_item_sales(tenant_id text, from_date date, to_date date, location_id text DEFAULT NULL::text, order_by reporting.item_sales_order DEFAULT 'revenue'::reporting.item_sales_order) RETURNS SETOF reporting.item_sales_row
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION reporting_item_sales(tenant_id text, from_date date, to_date date, location_id text, order_by reporting.item_sales_order); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_item_sales(tenant_id text, from_date date, to_date date, location_id text, order_by reporting.item_sales_order) IS 'Sales per catalog item of a tenant over a date range, best first (exports, reporting.item_sales).';

--
-- Name: reporting_lock_key(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_lock_key(tenant_id text) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select hashtextextended('reporting.fold:' || tenant_id, 0);
$$;

--
-- Name: reporting_pending_daily(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_pending_daily(tenant_id text) RETURNS TABLE(location_id text, business_date date, order_count bigint, gross_sales bigint, discount_total bigint, tax_total bigint, net_sales bigint, tender_cash bigint, tender_card bigint, refund_count bigint, refund_total bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  -- The queue is empty most of the time: then one index probe, not a plan over the tenant's events.
  if not exists (select 1 from app_private.reporting_queue q where q.tenant_id = reporting_pending_daily.tenant_id) then
    return;
  end if;
  return query
  select f.location_id, f.business_date, sum(f.order_count)::bigint, sum(f.gross_sales)::bigint, sum(f.discount_total)::bigint,
           sum(f.tax_total)::bigint, sum(f.net_sales)::bigint, sum(f.tender_cash)::bigint, sum(f.tender_card)::bigint,
           sum(f.refund_count)::bigint, sum(f.refund_total)::bigint
    from app_private.reporting_queue q
    join app_private.reporting_daily_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
    where q.tenant_id = reporting_pending_daily.tenant_id
    group by f.location_id, f.business_date;
end;
$$;

--
-- Name: FUNCTION reporting_pending_daily(tenant_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_pending_daily(tenant_id text) IS 'What the tenant''s queued events add to rm_daily_sales, per location and date.';

--
-- Name: reporting_pending_items(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_pending_items(tenant_id text) RETURNS TABLE(location_id text, business_date date, catalog_item_id text, catalog_item_name text, name_seq bigint, quantity_sold bigint, gross_revenue bigint, net_revenue bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  -- The queue is empty most of the time: then one index probe, not a plan over the tenant's events.
  if not exists (select 1 from app_private.reporting_queue q where q.tenant_id = reporting_pending_items.tenant_id) then
    return;
  end if;
  return query
  select f.location_id, f.business_date, f.catalog_item_id, (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1],
           max(f.name_seq), sum(f.quantity_sold)::bigint, sum(f.gross_revenue)::bigint, sum(f.net_revenue)::bigint
    from app_private.reporting_queue q
    join app_private.reporting_item_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
    where q.tenant_id = reporting_pending_items.tenant_id
    group by f.location_id, f.business_date, f.catalog_item_id;
end;
$$;

--
-- Name: FUNCTION reporting_pending_items(tenant_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_pending_items(tenant_id text) IS 'What the tenant''s queued events add to rm_item_sales, per location, date and item.';

--
-- Name: reporting_pending_stock(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_pending_stock(tenant_id text) RETURNS TABLE(location_id text, inventory_item_id text, on_hand bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  -- The queue is empty most of the time: then one index probe, not a plan over the tenant's events.
  if not exists (select 1 from app_private.reporting_queue q where q.tenant_id = reporting_pending_stock.tenant_id) then
    return;
  end if;
  return query
  select f.location_id, f.inventory_item_id, sum(f.on_hand)::bigint
    from app_private.reporting_queue q
    join app_private.reporting_stock_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
    where q.tenant_id = reporting_pending_stock.tenant_id
    group by f.location_id, f.inventory_item_id;
end;
$$;

--
-- Name: FUNCTION reporting_pending_stock(tenant_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_pending_stock(tenant_id text) IS 'What the tenant''s queued events add to rm_inventory_on_hand, per location and item.';

--
-- Name: reporting_percent_change(bigint, bigint); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_percent_change(current_value bigint, previous_value bigint) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select case when previous_value <> 0 then round(100.0 * (current_value - previous_value) / abs(previous_value), 1) end;
$$;

--
-- Name: FUNCTION reporting_percent_change(current_value bigint, previous_value bigint); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_percent_change(current_value bigint, previous_value bigint) IS 'current against previous in percent, one decimal, over |previous|; null when previous is 0 (or either is null).';

--
-- Name: reporting_sales__enqueue(app_private.events); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reporting_sales__enqueue(evt app_private.events) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  insert into app_private.reporting_queue (tenant_id, event_id, seq) values (evt.tenant_id, evt.id, evt.seq);
end;
$$;

--
-- Name: FUNCTION reporting_sales__enqueue(evt app_private.events); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reporting_sales__enqueue(evt app_private.events) IS 'Consumer reporting_sales: queues a sales event for the fold into the sales read models.';

--
-- Name: reset_consumer(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.reset_consumer(consumer text, tenant_id text DEFAULT NULL::text) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  with gone as (
    delete from app_private.processed_events pe
    where pe.consumer = reset_consumer.consumer
      and (reset_consumer.tenant_id is null or pe.tenant_id = reset_consumer.tenant_id)
    returning 1)
  select count(*)::int from gone;
$$;

--
-- Name: FUNCTION reset_consumer(consumer text, tenant_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.reset_consumer(consumer text, tenant_id text) IS 'Forgets which events a consumer applied, so that a replay rebuilds it from the log.';

--
-- Name: role_name(text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.role_name(tenant text, name text, role_id text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  clean text := app_hidden.assert_name('Role name', name, 100, 'name');
begin
  if exists (select 1 from app_public.roles r where r.tenant_id = tenant and lower(r.name) = lower(clean) and r.id is distinct from role_id) then
    perform app_hidden.raise_error('DUPLI', format('There is already a role named "%s".', clean), field => 'name');
  end if;
  return clean;
end;
$$;

--
-- Name: role_permissions(text[]); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.role_permissions(permissions text[]) RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: secure_table(regclass); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.secure_table(tbl regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  execute format('alter table %s enable row level security', tbl);
  execute format('alter table %s force row level security', tbl);
  execute format('create policy all_for_owner on %s to %I using (true) with check (true)', tbl, current_user);
end;
$$;

--
-- Name: FUNCTION secure_table(tbl regclass); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.secure_table(tbl regclass) IS 'Enables and forces row-level security on a new table and gives the owner role its policy (all_for_owner); every table calls it once, in the migration that creates it.';

--
-- Name: seed_tenant_customer_types(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.seed_tenant_customer_types(tenant text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  insert into app_public.customer_types (tenant_id, key, label, position)
  values (tenant, 'walk_in', 'Walk-in', 1), (tenant, 'regular', 'Regular', 2),
         (tenant, 'vip', 'VIP', 3), (tenant, 'wholesale', 'Wholesale', 4)
  on conflict do nothing;
$$;

--
-- Name: seed_tenant_roles(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.seed_tenant_roles(tenant text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  insert into app_public.roles (tenant_id, key, name, permissions) values
    (tenant, 'owner', 'Owner', app_hidden.all_permissions()),
    (tenant, 'manager', 'Manager', array(
      select p from unnest(app_hidden.all_permissions()) as p where p <> 'settings.update')),
    (tenant, 'cashier', 'Cashier', array['customers.view', 'customers.create', 'sales.sell']);
$$;

--
-- Name: set_customer_status(text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.set_customer_status(tenant_id text, customer_id text, new_status text) RETURNS app_public.customers
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  cur app_public.customers;
  result app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = set_customer_status.tenant_id and c.id = set_customer_status.customer_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(set_customer_status.customer_id, 40), '(none given)')));
  end if;
  if cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one.', cur.merged_into_id);
  end if;
  if cur.status = new_status then
    return cur;
  end if;
  update app_public.customers c set status = new_status
  where c.tenant_id = cur.tenant_id and c.id = cur.id
  returning * into result;
  perform app_private.emit_event(cur.tenant_id, 'customer.updated.v1', 'customer', result.id,
    jsonb_build_object('customer_id', result.id, 'customer_number', result.customer_number,
                       'display_name', result.display_name, 'status', result.status,
                       'changes', jsonb_build_object('status', jsonb_build_object('old', cur.status, 'new', result.status))));
  return result;
end;
$$;

--
-- Name: start_export(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.start_export(tenant_id text, export_id text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION start_export(tenant_id text, export_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.start_export(tenant_id text, export_id text) IS 'Marks an export running and returns its query (worker); null when it is gone or done.';

--
-- Name: store_plan_price(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.store_plan_price(plan_key text, price_id text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  update app_public.plans p set stripe_price_id = store_plan_price.price_id
  where p.key = store_plan_price.plan_key and p.stripe_price_id is distinct from store_plan_price.price_id;
$$;

--
-- Name: FUNCTION store_plan_price(plan_key text, price_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.store_plan_price(plan_key text, price_id text) IS 'Records the Stripe price id of a plan (worker).';

--
-- Name: store_stripe_customer(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.store_stripe_customer(tenant text, customer_id text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION store_stripe_customer(tenant text, customer_id text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.store_stripe_customer(tenant text, customer_id text) IS 'Records the Stripe customer of a tenant and queues its subscription (worker).';

--
-- Name: stripe_customer_params(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.stripe_customer_params(tenant text) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION stripe_customer_params(tenant text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.stripe_customer_params(tenant text) IS 'Name, owner email and Stripe customer id of a tenant (worker); null when the tenant is gone.';

--
-- Name: stripe_event_is_handled(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.stripe_event_is_handled(type text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select type in (
    'customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted',
    'customer.subscription.trial_will_end',
    'invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_failed',
    'invoice.payment_succeeded', 'invoice.voided', 'invoice.marked_uncollectible', 'invoice.updated');
$$;

--
-- Name: stripe_subscription_params(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.stripe_subscription_params(tenant text) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION stripe_subscription_params(tenant text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.stripe_subscription_params(tenant text) IS 'Customer, plan, price and trial end of the tenant''s subscription (worker); null when gone.';

--
-- Name: stripe_time(jsonb); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.stripe_time(value jsonb) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select case when jsonb_typeof(value) = 'number' then to_timestamp((value #>> '{}')::double precision) end;
$$;

--
-- Name: suspend_overdue_tenants(interval); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.suspend_overdue_tenants(grace interval DEFAULT '14 days'::interval) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text;
  n int := 0;
begin
  for tenant in
    select s.tenant_id from app_public.billing_subscriptions s
    join app_public.tenants t on t.id = s.tenant_id and t.status = 'active'
    where s.status = 'past_due' and s.past_due_since < now() - grace
    order by s.tenant_id
  loop
    perform app_private.suspend_tenant(tenant, 'nonpayment',
      format('The subscription has been past due for more than %s days.', extract(day from grace)::int));
    n := n + 1;
  end loop;
  return n;
end;
$$;

--
-- Name: FUNCTION suspend_overdue_tenants(grace interval); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.suspend_overdue_tenants(grace interval) IS 'Suspends businesses past due for longer than the grace period (14 days); daily cron.';

--
-- Name: suspend_tenant(text, text, text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.suspend_tenant(tenant text, type text, reason text, actor text DEFAULT NULL::text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  why text := app_hidden.assert_name('The reason for a suspension', suspend_tenant.reason, 500, 'reason');
  t app_public.tenants;
  open_one app_public.tenant_suspensions;
begin
  if suspend_tenant.type not in ('nonpayment', 'canceled', 'fraud', 'manual', 'technical') then
    perform app_hidden.raise_error('BADIN', 'A suspension is nonpayment, canceled, fraud, manual or technical.', field => 'type');
  end if;
  select x.* into t from app_public.tenants x where x.id = tenant for update;
  if not found or t.status = 'closed' then
    return;
  end if;
  select s.* into open_one from app_public.tenant_suspensions s where s.tenant_id = tenant and s.ended_at is null;
  if open_one.id is not null then
    if open_one.type = suspend_tenant.type
       or not ((open_one.type = 'nonpayment' and suspend_tenant.type = 'canceled')
               or (open_one.type in ('nonpayment', 'canceled') and suspend_tenant.type in ('fraud', 'manual', 'technical'))) then
      return;
    end if;
    update app_public.tenant_suspensions s set ended_at = now(), ended_by = actor,
      end_reason = format('Replaced by a %s suspension.', suspend_tenant.type)
    where s.tenant_id = tenant and s.id = open_one.id;
  end if;
  insert into app_public.tenant_suspensions (tenant_id, type, reason, suspended_by)
  values (tenant, suspend_tenant.type, why, actor);
  update app_public.tenants x set status = 'suspended', suspension_reason = suspend_tenant.type,
    suspended_at = coalesce(x.suspended_at, now())
  where x.id = tenant;
end;
$$;

--
-- Name: FUNCTION suspend_tenant(tenant text, type text, reason text, actor text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.suspend_tenant(tenant text, type text, reason text, actor text) IS 'Suspends a business (nonpayment, canceled, fraud, manual, technical) with a reason, keeping the history; platform and billing only.';

--
-- Name: suspend_tenant_for_billing(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.suspend_tenant_for_billing(tenant text, reason text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  perform app_private.suspend_tenant(tenant, reason,
    case reason when 'canceled' then 'The subscription ended.' else 'Payment failed.' end);
end;
$$;

--
-- Name: FUNCTION suspend_tenant_for_billing(tenant text, reason text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.suspend_tenant_for_billing(tenant text, reason text) IS 'Suspends the tenant (nonpayment or canceled).';

--
-- Name: suspension_exempt_tables(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.suspension_exempt_tables() RETURNS regclass[]
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select array[
    'app_public.memberships', 'app_public.roles',
    'app_public.billing_subscriptions', 'app_public.billing_invoices',
    'app_public.billing_notices', 'app_public.billing_requests', 'app_public.tenant_suspensions',
    'app_public.audit_entries'
  ]::regclass[];
$$;

--
-- Name: sync_tenant_with_subscription(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.sync_tenant_with_subscription(tenant text, status text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: take_back_items(text, text, jsonb); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.take_back_items(tenant_id text, customer_id text, lines jsonb) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  delete from app_public.customer_item_stats i
  using (select l ->> 'catalog_item_id' as catalog_item_id, sum((l ->> 'quantity')::int) as quantity
         from jsonb_array_elements(take_back_items.lines) l group by 1) l
  where i.tenant_id = take_back_items.tenant_id and i.customer_id = take_back_items.customer_id
    and i.catalog_item_id = l.catalog_item_id and i.quantity <= l.quantity;
  update app_public.customer_item_stats i set quantity = i.quantity - l.quantity
  from (select l ->> 'catalog_item_id' as catalog_item_id, sum((l ->> 'quantity')::int) as quantity
        from jsonb_array_elements(take_back_items.lines) l group by 1) l
  where i.tenant_id = take_back_items.tenant_id and i.customer_id = take_back_items.customer_id
    and i.catalog_item_id = l.catalog_item_id and i.quantity > l.quantity;
$$;

--
-- Name: FUNCTION take_back_items(tenant_id text, customer_id text, lines jsonb); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.take_back_items(tenant_id text, customer_id text, lines jsonb) IS 'Takes the units of order lines back out of a customer''s items bought (a void, a refund of lines).';

--
-- Name: tenant_currency(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tenant_currency(tenant_id text) RETURNS app_public.currencies
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select c.* from app_public.tenants t join app_public.currencies c on c.code = t.currency where t.id = tenant_currency.tenant_id;
$$;

--
-- Name: tenant_plan(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tenant_plan(tenant text) RETURNS app_public.plans
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select p.* from app_public.plans p
  where p.key = coalesce((select s.plan_key from app_public.billing_subscriptions s where s.tenant_id = tenant), 'starter');
$$;

--
-- Name: FUNCTION tenant_plan(tenant text); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tenant_plan(tenant text) IS 'The plan whose modules and limits apply to the tenant.';

--
-- Name: tenant_role(text, text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tenant_role(tenant text, role_id text) RETURNS app_public.roles
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: tenant_usage(text); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tenant_usage(tenant text, OUT seats integer, OUT locations integer, OUT devices integer) RETURNS record
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select (select count(*)::int from app_public.memberships m where m.tenant_id = tenant),
         -- Open locations: a closed one keeps its history and frees its place.
         (select count(*)::int from app_public.locations l where l.tenant_id = tenant and l.closed_at is null),
         (select count(*)::int from app_public.devices d where d.tenant_id = tenant);
$$;

--
-- Name: FUNCTION tenant_usage(tenant text, OUT seats integer, OUT locations integer, OUT devices integer); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tenant_usage(tenant text, OUT seats integer, OUT locations integer, OUT devices integer) IS 'Seats (memberships), open locations and devices the tenant has.';

--
-- Name: tenders; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.tenders (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    order_id text NOT NULL,
    type text NOT NULL,
    amount integer NOT NULL,
    change_given integer DEFAULT 0 NOT NULL,
    applied_amount integer GENERATED ALWAYS AS ((amount - change_given)) STORED,
    recorded_by_user_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    business_date date,
    cash_drawer_id text,
    CONSTRAINT tenders_amount_check CHECK ((amount > 0)),
    CONSTRAINT tenders_check CHECK (((change_given >= 0) AND (change_given < amount))),
    CONSTRAINT tenders_check1 CHECK (((type = 'cash'::text) OR (change_given = 0))),
    CONSTRAINT tenders_type_check CHECK ((type = ANY (ARRAY['cash'::text, 'card'::text])))
);

ALTER TABLE ONLY app_public.tenders FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE tenders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.tenders IS '@unique id
A payment towards an order. Written only by recordTender; never changed.';

--
-- Name: COLUMN tenders.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenders.tenant_id IS '@behavior -*';

--
-- Name: COLUMN tenders.type; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenders.type IS 'cash or card.';

--
-- Name: COLUMN tenders.amount; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenders.amount IS 'What the customer handed over (cash) or was charged (card), in cents.';

--
-- Name: COLUMN tenders.change_given; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenders.change_given IS 'Change handed back for cash, in cents.';

--
-- Name: COLUMN tenders.applied_amount; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenders.applied_amount IS '@notNull
amount − change_given: what went towards the order, in cents.';

--
-- Name: COLUMN tenders.recorded_by_user_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenders.recorded_by_user_id IS 'Who took the payment (a user id kept as it was).';

--
-- Name: COLUMN tenders.business_date; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenders.business_date IS 'The day the payment was taken at the order''s location (for a payment on an imported sale, the sale''s date).';

--
-- Name: COLUMN tenders.cash_drawer_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenders.cash_drawer_id IS 'The drawer a cash payment went into (null for card, or when no drawer was open at the location).';

--
-- Name: tender_event_payload(app_public.tenders, app_public.orders); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tender_event_payload(t app_public.tenders, o app_public.orders) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
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

--
-- Name: tg__append_only(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg__append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from app_public.tenants t where t.id = old.tenant_id) then
    return old;
  end if;
  perform app_hidden.raise_error('IMMUT', format(
    'Rows of %s are never changed or deleted; record a correcting entry instead.', tg_table_name));
  return null;
end;
$$;

--
-- Name: FUNCTION tg__append_only(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg__append_only() IS 'Trigger: refuses updates and deletes of ledger rows (IMMUT), except when their tenant is deleted.';

--
-- Name: tg__audit(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg__audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  old_row jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
  new_row jsonb := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
  row_data jsonb := coalesce(new_row, old_row);
  diff jsonb := app_hidden.jsonb_diff(old_row, new_row, coalesce(tg_argv, '{}'::text[]));
begin
  if tg_op = 'UPDATE' and diff = '{}'::jsonb then
    return null;
  end if;
  -- Rows removed because their whole tenant is being deleted leave no trail (nor could they:
  -- the trail belongs to that tenant).
  if tg_op = 'DELETE' and not exists (
    select 1 from app_public.tenants t
    where t.id = case when tg_table_name = 'tenants' then row_data ->> 'id' else row_data ->> 'tenant_id' end) then
    return null;
  end if;
  insert into app_public.audit_entries (tenant_id, entity, entity_id, action, actor_user_id, changes, command, reason)
  values (
    case when tg_table_name = 'tenants' then row_data ->> 'id' else row_data ->> 'tenant_id' end,
    tg_table_name,
    row_data ->> 'id',
    lower(tg_op),
    app_hidden.current_user_id(),
    diff,
    nullif(current_setting('app.change_command', true), ''),
    nullif(current_setting('app.change_reason', true), '')
  );
  return null;
end;
$$;

--
-- Name: FUNCTION tg__audit(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg__audit() IS 'Trigger: one audit entry per change, with the field-by-field diff.';

--
-- Name: tg__plan_limit(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg__plan_limit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  perform app_private.assert_within_plan_limit(new.tenant_id, tg_argv[0]);
  return new;
end;
$$;

--
-- Name: FUNCTION tg__plan_limit(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg__plan_limit() IS 'Trigger: LIMIT when the insert would exceed the plan (argument: seats, locations or devices).';

--
-- Name: tg__timestamps(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg__timestamps() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  new.created_at := case when tg_op = 'INSERT' then now() else old.created_at end;
  new.updated_at := case
    when tg_op = 'UPDATE' and old.updated_at >= now() then old.updated_at + interval '1 millisecond'
    else now() end;
  return new;
end;
$$;

--
-- Name: FUNCTION tg__timestamps(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg__timestamps() IS 'Trigger: keeps created_at and updated_at honest.';

--
-- Name: tg_billing_subscriptions__past_due_since(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_billing_subscriptions__past_due_since() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if new.status = 'past_due' then
    new.past_due_since := case when tg_op = 'UPDATE' and old.status = 'past_due' then old.past_due_since else now() end;
  else
    new.past_due_since := null;
  end if;
  return new;
end;
$$;

--
-- Name: tg_catalog_items__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_catalog_items__validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
begin
  new.name := app_hidden.assert_name('Item name', new.name, 200, 'name');
  new.sku := upper(btrim(coalesce(new.sku, '')));
  if new.sku !~ '^[A-Z0-9][A-Z0-9._-]{0,39}$' then
    perform app_hidden.raise_error('BADIN', 'A SKU is 1 to 40 letters, digits, dots, dashes or underscores, starting with a letter or digit.', field => 'sku');
  end if;
  if new.price is null or new.price not between 0 and 10000000 then
    perform app_hidden.raise_error('BADAM', 'The price must be between 0 and 10000000 cents.', field => 'price');
  end if;
  if new.active is null then
    new.active := true;
  end if;
  if exists (select 1 from app_public.catalog_items c
             where c.tenant_id = new.tenant_id and c.sku = new.sku and c.id <> new.id) then
    perform app_hidden.raise_error('DUSKU', format('Another item already has the SKU %s.', new.sku), field => 'sku');
  end if;
  return new;
end;
$_$;

--
-- Name: tg_customer_addresses__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_customer_addresses__validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
begin
  new.type := coalesce(lower(btrim(new.type)), 'home');
  if new.type not in ('home', 'work', 'billing', 'shipping', 'other') then
    perform app_hidden.raise_error('BADIN', 'Address type must be home, work, billing, shipping or other.', field => 'type');
  end if;
  new.line1 := app_hidden.assert_name('Address line 1', new.line1, 200, 'line1');
  new.line2 := app_hidden.optional_name('Address line 2', new.line2, 200, 'line2');
  new.city := app_hidden.assert_name('City', new.city, 100, 'city');
  new.region := app_hidden.optional_name('Region', new.region, 100, 'region');
  new.postal_code := upper(app_hidden.optional_name('Postal code', new.postal_code, 20, 'postal_code'));
  if new.country is null or btrim(new.country) = '' then
    select t.default_country into new.country from app_public.tenants t where t.id = new.tenant_id;
  end if;
  new.country := upper(btrim(new.country));
  if new.country !~ '^[A-Z]{2}$' then
    perform app_hidden.raise_error('BADIN', 'Country must be a two-letter ISO code, such as FR or US.', field => 'country');
  end if;
  if (new.latitude is null) <> (new.longitude is null) then
    perform app_hidden.raise_error('BADIN', 'Give both latitude and longitude, or neither.', field => 'latitude');
  elsif new.latitude not between -90 and 90 or new.longitude not between -180 and 180 then
    perform app_hidden.raise_error('BADIN', 'Latitude must be between -90 and 90 and longitude between -180 and 180.');
  end if;
  new.is_default := coalesce(new.is_default, false);
  if tg_op = 'INSERT' or new.customer_id is distinct from old.customer_id then
    perform app_hidden.assert_live_customer(new.tenant_id, new.customer_id);
  end if;
  if tg_op = 'INSERT' and (select count(*) from app_public.customer_addresses a
                           where a.tenant_id = new.tenant_id and a.customer_id = new.customer_id) >= 20 then
    perform app_hidden.raise_error('BADIN', 'A customer can have at most 20 addresses.');
  end if;
  if new.is_default then
    update app_public.customer_addresses a set is_default = false
    where a.tenant_id = new.tenant_id and a.customer_id = new.customer_id and a.is_default and a.id <> new.id;
  end if;
  return new;
end;
$_$;

--
-- Name: tg_customer_notes__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_customer_notes__validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  new.body := app_hidden.optional_text('Note', new.body, 2000, 'body');
  if new.body is null then
    perform app_hidden.raise_error('BADIN', 'Note is required.', field => 'body');
  end if;
  new.category := coalesce(lower(btrim(new.category)), 'general');
  if new.category not in ('general', 'preference', 'issue', 'feedback') then
    perform app_hidden.raise_error('BADIN', 'Note category must be general, preference, issue or feedback.', field => 'category');
  end if;
  if tg_op = 'INSERT' then
    new.author_user_id := app_hidden.current_user_id();
  else
    new.author_user_id := old.author_user_id;
  end if;
  if tg_op = 'INSERT' or new.customer_id is distinct from old.customer_id then
    perform app_hidden.assert_live_customer(new.tenant_id, new.customer_id);
  end if;
  return new;
end;
$$;

--
-- Name: tg_customer_order_queue__apply(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_customer_order_queue__apply() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if exists (select 1 from app_private.customer_order_queue q
             where q.tenant_id = new.tenant_id and q.consumer = new.consumer and q.event_id = new.event_id) then
    perform app_private.apply_customer_orders(new.tenant_id);
  end if;
  return null;
end;
$$;

--
-- Name: tg_customers__create_stats(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_customers__create_stats() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  insert into app_public.customer_stats (tenant_id, customer_id) values (new.tenant_id, new.id);
  return null;
end;
$$;

--
-- Name: tg_devices__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_devices__validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  new.name := app_hidden.assert_name('Device name', new.name, 100);
  if exists (select 1 from app_public.devices d
             where d.tenant_id = new.tenant_id and d.location_id = new.location_id and d.name = new.name and d.id <> new.id) then
    perform app_hidden.raise_error('DUPLI', format('There is already a device named "%s" at this location.', new.name));
  end if;
  return new;
end;
$$;

--
-- Name: tg_event_subscriptions__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_event_subscriptions__validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if not exists (select 1 from pg_catalog.pg_proc p
                 where p.oid = new.handler and p.pronargs = 1
                   and p.proargtypes[0] = 'app_private.events'::regtype and p.prokind = 'f') then
    perform app_hidden.raise_error('BADEV', format(
      'The handler %s of consumer %s must be a function taking one app_private.events row.', new.handler, new.consumer));
  end if;
  return new;
end;
$$;

--
-- Name: tg_inventory_items__reporting(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_inventory_items__reporting() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  perform pg_advisory_xact_lock(app_private.reporting_lock_key(new.tenant_id));
  update reporting.rm_inventory_on_hand r
    set item_name = new.name, low_stock_threshold = new.low_stock_threshold, updated_at = now()
    where r.tenant_id = new.tenant_id and r.inventory_item_id = new.id;
  return null;
end;
$$;

--
-- Name: tg_inventory_items__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_inventory_items__validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  new.name := app_hidden.assert_name('Inventory item name', new.name, 200, 'name');
  if new.low_stock_threshold is null or new.low_stock_threshold not between 0 and 1000000 then
    perform app_hidden.raise_error('BADQT', 'The low-stock threshold must be a whole number from 0 to 1000000.', field => 'low_stock_threshold');
  end if;
  if new.catalog_item_id is not null then
    if not exists (select 1 from app_public.catalog_items c
                   where c.tenant_id = new.tenant_id and c.id = new.catalog_item_id) then
      perform app_hidden.raise_error('NOTFD', format('There is no catalog item %s.', new.catalog_item_id));
    end if;
    if exists (select 1 from app_public.inventory_items i
               where i.tenant_id = new.tenant_id and i.catalog_item_id = new.catalog_item_id and i.id <> new.id) then
      perform app_hidden.raise_error('DUSTK', 'That catalog item is already linked to another inventory item.', field => 'catalog_item_id');
    end if;
  end if;
  return new;
end;
$$;

--
-- Name: tg_inventory_movements__emit_event(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_inventory_movements__emit_event() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  loc app_public.locations;
  item app_public.inventory_items;
begin
  select l.* into loc from app_public.locations l where l.tenant_id = new.tenant_id and l.id = new.location_id;
  select i.* into item from app_public.inventory_items i where i.tenant_id = new.tenant_id and i.id = new.inventory_item_id;
  perform app_private.emit_event(new.tenant_id, 'inventory.movement.created.v1', 'inventory_item', new.inventory_item_id,
    app_private.inventory_movement_event_payload(new, item, loc), new.actor_user_id);
  return null;
end;
$$;

--
-- Name: tg_locations__validate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_locations__validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: tg_reporting_queue__fold(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_reporting_queue__fold() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  -- An earlier firing of this transaction already folded this row.
  if not exists (select 1 from app_private.reporting_queue q where q.tenant_id = new.tenant_id and q.event_id = new.event_id) then
    return null;
  end if;
  if pg_try_advisory_xact_lock(app_private.reporting_lock_key(new.tenant_id)) then
    perform app_private.reporting_fold_locked(new.tenant_id);
  end if;
  return null;
end;
$$;

--
-- Name: tg_tenants__rescale_prices(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_tenants__rescale_prices() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  shift int := (select n.minor_units from app_public.currencies n where n.code = new.currency)
             - (select o.minor_units from app_public.currencies o where o.code = old.currency);
begin
  if shift <> 0 then
    update app_public.catalog_items i set price = round(i.price * power(10::numeric, shift))::int
    where i.tenant_id = new.id;
  end if;
  return null;
end;
$$;

--
-- Name: tg_tenants__start_trial(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_tenants__start_trial() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION tg_tenants__start_trial(); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.tg_tenants__start_trial() IS 'Trigger: a new tenant starts a 14-day Starter trial; queues the creation of its Stripe customer.';

--
-- Name: tg_tenants__validate_money(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_tenants__validate_money() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  new.currency := app_hidden.currency_code(new.currency);
  new.locale := app_hidden.language_tag('Locale', new.locale, 'locale');
  if new.locale is null then
    perform app_hidden.raise_error('BADIN', 'Locale: say how amounts are written, such as en-US or fr-FR.', field => 'locale');
  end if;
  if tg_op = 'UPDATE' and new.currency is distinct from old.currency
     and exists (select 1 from app_public.orders o where o.tenant_id = new.id) then
    perform app_hidden.raise_error('CURFX',
      format('The currency stays %s: the business has sales recorded in it.', old.currency), field => 'currency');
  end if;
  return new;
end;
$$;

--
-- Name: tg_tenants__validate_name(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_tenants__validate_name() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  new.name := app_hidden.assert_name('Business name', new.name, 200, 'name');
  return new;
end;
$$;

--
-- Name: tg_tenants__validate_receipt(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_tenants__validate_receipt() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: tg_tenants__validate_tax_rate(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_tenants__validate_tax_rate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
begin
  if new.tax_rate_bps is null or new.tax_rate_bps not between 0 and 10000 then
    perform app_hidden.raise_error('BADIN', 'The tax rate must be between 0 and 10000 basis points (0% to 100%).', field => 'tax_rate_bps');
  end if;
  return new;
end;
$$;

--
-- Name: tg_tenders__emit_event(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.tg_tenders__emit_event() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  o app_public.orders;
begin
  select * into o from app_public.orders x where x.tenant_id = new.tenant_id and x.id = new.order_id;
  perform app_private.emit_event(new.tenant_id, 'tender.recorded.v1', 'order', new.order_id,
    app_private.tender_event_payload(new, o), new.recorded_by_user_id);
  return null;
end;
$$;

--
-- Name: upsert_stripe_invoice(text, jsonb, timestamp with time zone); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.upsert_stripe_invoice(tenant text, inv jsonb, at timestamp with time zone) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION upsert_stripe_invoice(tenant text, inv jsonb, at timestamp with time zone); Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON FUNCTION app_private.upsert_stripe_invoice(tenant text, inv jsonb, at timestamp with time zone) IS 'Mirrors a Stripe invoice (older events, and same-second events moving the status backwards, change nothing).';

--
-- Name: worker_lock_ns(); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.worker_lock_ns() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  select 1651472242;
$$;

--
-- Name: worker_process_alive(integer); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.worker_process_alive(process_key integer) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select exists (
    select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.granted and l.objsubid = 2
      and l.database = (select d.oid from pg_database d where d.datname = current_database())
      and l.classid = app_private.worker_lock_ns()::oid and l.objid = worker_process_alive.process_key::oid
      and a.usename = current_user
      and a.application_name = 'backoffice-worker-alive:' || worker_process_alive.process_key);
$$;

--
-- Name: write_export_chunk(text, text, integer, bytea, bigint, bigint); Type: FUNCTION; Schema: app_private; Owner: -
--

CREATE FUNCTION app_private.write_export_chunk(tenant_id text, export_id text, chunk_no integer, data bytea, rows_written bigint, bytes_written bigint) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: customer_favourite_items; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.customer_favourite_items (
    tenant_id text NOT NULL,
    customer_id text NOT NULL,
    catalog_item_id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app_public.customer_favourite_items FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customer_favourite_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.customer_favourite_items IS '@name customer_favourite_items
@behavior -query:resource:list -query:resource:connection
A catalog item the customer told us is a favourite.';

--
-- Name: COLUMN customer_favourite_items.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_favourite_items.tenant_id IS '@behavior -*';

--
-- Name: COLUMN customer_favourite_items.customer_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_favourite_items.customer_id IS '@behavior -*';

--
-- Name: COLUMN customer_favourite_items.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_favourite_items.created_at IS 'When it was added.';

--
-- Name: add_customer_favourite_item(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.add_customer_favourite_item(customer_id text, catalog_item_id text) RETURNS app_public.customer_favourite_items
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  c app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  item app_public.catalog_items;
  result app_public.customer_favourite_items;
begin
  select i.* into item from app_public.catalog_items i where i.tenant_id = tenant and i.id = add_customer_favourite_item.catalog_item_id;
  if item.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no catalog item %s.', coalesce(left(catalog_item_id, 40), '(none given)')), field => 'catalog_item_id');
  end if;
  select f.* into result from app_public.customer_favourite_items f
  where f.tenant_id = tenant and f.customer_id = c.id and f.catalog_item_id = item.id;
  if found then
    return result;
  end if;
  if (select count(*) from app_public.customer_favourite_items f where f.tenant_id = tenant and f.customer_id = c.id) >= 20 then
    perform app_hidden.raise_error('BADIN', 'A customer can have at most 20 favourite items.', field => 'catalog_item_id');
  end if;
  insert into app_public.customer_favourite_items (tenant_id, customer_id, catalog_item_id)
  values (tenant, c.id, item.id)
  returning * into result;
  perform app_private.audit_customer_change(tenant, c.id,
    jsonb_build_object('favourite_items', jsonb_build_object('old', null, 'new', '+' || item.name)));
  return result;
end;
$$;

--
-- Name: FUNCTION add_customer_favourite_item(customer_id text, catalog_item_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.add_customer_favourite_item(customer_id text, catalog_item_id text) IS 'Adds a catalog item to a customer''s favourites (needs customers.update; at most 20).';

--
-- Name: archive_customer(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.archive_customer(customer_id text, reason text DEFAULT NULL::text) RETURNS app_public.customers
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select * from app_private.customer_status_command('archive_customer', customer_id, 'archived', reason);
$$;

--
-- Name: FUNCTION archive_customer(customer_id text, reason text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.archive_customer(customer_id text, reason text) IS 'Archives a customer instead of deleting it (needs customers.update): its orders and history stay, it keeps its email and phone, and restoreCustomer brings it back. The reason, if given, is kept in the audit log.';

--
-- Name: background_jobs(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.background_jobs() RETURNS SETOF app_public.background_job
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null or not app_hidden.has_permission('settings.view') then
    return;
  end if;
  return query
    select r.id, r.task, app_hidden.job_task_label(r.task), r.attempt, r.started_at, r.finished_at,
           (extract(epoch from coalesce(r.finished_at, now()) - r.started_at) * 1000)::bigint,
           r.rows_affected, r.outcome,
           case
             when r.outcome = 'succeeded' or r.outcome = 'running' then null
             when r.outcome = 'crashed' then r.error_message
             when r.error_code ~ '^[A-Z]{5}$' then r.error_message
             else 'It failed on our side; it is retried automatically, and we have been told.'
           end
    from app_private.job_runs r
    where r.tenant_id = tenant
    order by r.started_at desc, r.id desc;
end;
$_$;

--
-- Name: FUNCTION background_jobs(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.background_jobs() IS '@behavior +connection -list
Background jobs of the business (exports, billing, imports), newest first: state, duration and error (needs settings.view).';

--
-- Name: billing_subscriptions; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.billing_subscriptions (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    plan_key text DEFAULT 'starter'::text NOT NULL,
    status text DEFAULT 'trialing'::text NOT NULL,
    stripe_customer_id text,
    stripe_subscription_id text,
    stripe_subscription_created_at timestamp with time zone,
    current_period_start timestamp with time zone,
    current_period_end timestamp with time zone,
    trial_ends_at timestamp with time zone,
    cancel_at_period_end boolean DEFAULT false NOT NULL,
    canceled_at timestamp with time zone,
    grace_ends_at timestamp with time zone,
    last_stripe_event_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    past_due_since timestamp with time zone,
    CONSTRAINT billing_subscriptions_status_check CHECK ((status = ANY (ARRAY['trialing'::text, 'active'::text, 'past_due'::text, 'canceled'::text, 'unpaid'::text])))
);

ALTER TABLE ONLY app_public.billing_subscriptions FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE billing_subscriptions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.billing_subscriptions IS '@unique id
The subscription of a business (one per business), mirrored from Stripe.';

--
-- Name: COLUMN billing_subscriptions.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.tenant_id IS '@behavior -*';

--
-- Name: COLUMN billing_subscriptions.plan_key; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.plan_key IS 'The plan the business is on; its modules and limits apply.';

--
-- Name: COLUMN billing_subscriptions.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.status IS 'trialing, active, past_due (a payment failed, Stripe retries), canceled (ended) or unpaid (retries exhausted).';

--
-- Name: COLUMN billing_subscriptions.stripe_customer_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.stripe_customer_id IS '@behavior -*
The Stripe customer (also on the tenant).';

--
-- Name: COLUMN billing_subscriptions.stripe_subscription_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.stripe_subscription_id IS '@behavior -*
The Stripe subscription; null until the worker has created it.';

--
-- Name: COLUMN billing_subscriptions.stripe_subscription_created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.stripe_subscription_created_at IS '@behavior -*
Creation time of that Stripe subscription: a newer subscription of the customer replaces an older one, never the reverse.';

--
-- Name: COLUMN billing_subscriptions.current_period_start; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.current_period_start IS 'Start of the period paid for (or of the trial).';

--
-- Name: COLUMN billing_subscriptions.current_period_end; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.current_period_end IS 'End of the period paid for (or of the trial); the next invoice is made then.';

--
-- Name: COLUMN billing_subscriptions.trial_ends_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.trial_ends_at IS 'End of the free trial, if the subscription has or had one.';

--
-- Name: COLUMN billing_subscriptions.cancel_at_period_end; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.cancel_at_period_end IS 'The subscription was canceled and ends with the current period.';

--
-- Name: COLUMN billing_subscriptions.canceled_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.canceled_at IS 'When the subscription ended.';

--
-- Name: COLUMN billing_subscriptions.grace_ends_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.grace_ends_at IS 'After a cancellation: until then the data stays and choosing a plan reactivates the business.';

--
-- Name: COLUMN billing_subscriptions.last_stripe_event_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.last_stripe_event_at IS '@behavior -*
The created time of the newest Stripe event applied to this row: an older event never overwrites newer state.';

--
-- Name: COLUMN billing_subscriptions.past_due_since; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_subscriptions.past_due_since IS 'When the subscription fell past due (null unless past due); after 14 days the business is suspended.';

--
-- Name: billing_subscriptions_devices_used(app_public.billing_subscriptions); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.billing_subscriptions_devices_used(s app_public.billing_subscriptions) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select (app_private.tenant_usage(s.tenant_id)).devices where s.tenant_id = app_hidden.current_tenant_id();
$$;

--
-- Name: FUNCTION billing_subscriptions_devices_used(s app_public.billing_subscriptions); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.billing_subscriptions_devices_used(s app_public.billing_subscriptions) IS 'POS devices the business has, against the plan''s maxDevices.';

--
-- Name: billing_subscriptions_locations_used(app_public.billing_subscriptions); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.billing_subscriptions_locations_used(s app_public.billing_subscriptions) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select (app_private.tenant_usage(s.tenant_id)).locations where s.tenant_id = app_hidden.current_tenant_id();
$$;

--
-- Name: FUNCTION billing_subscriptions_locations_used(s app_public.billing_subscriptions); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.billing_subscriptions_locations_used(s app_public.billing_subscriptions) IS 'Locations the business has, against the plan''s maxLocations.';

--
-- Name: billing_subscriptions_seats_used(app_public.billing_subscriptions); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.billing_subscriptions_seats_used(s app_public.billing_subscriptions) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select (app_private.tenant_usage(s.tenant_id)).seats where s.tenant_id = app_hidden.current_tenant_id();
$$;

--
-- Name: FUNCTION billing_subscriptions_seats_used(s app_public.billing_subscriptions); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.billing_subscriptions_seats_used(s app_public.billing_subscriptions) IS 'Users (memberships) the business has, against the plan''s maxSeats.';

--
-- Name: cancel_order(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.cancel_order(order_id text, reason text) RETURNS app_public.orders
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION cancel_order(order_id text, reason text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.cancel_order(order_id text, reason text) IS '@resultFieldName order
Cancels an open order (needs sales.sell): a charge given up. It never was a sale and counts nowhere; what was paid on it goes back the way it was paid (refundTenders). A sale is voided instead (voidOrder).';

--
-- Name: cash_drawers; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.cash_drawers (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    location_id text NOT NULL,
    business_date date NOT NULL,
    opening_float integer NOT NULL,
    opened_at timestamp with time zone DEFAULT now() NOT NULL,
    opened_by_user_id text,
    closed_at timestamp with time zone,
    closed_by_user_id text,
    expected integer,
    counted integer,
    difference integer GENERATED ALWAYS AS ((counted - expected)) STORED,
    note text,
    CONSTRAINT cash_drawers_check CHECK ((((closed_at IS NULL) = (counted IS NULL)) AND ((closed_at IS NULL) = (expected IS NULL)))),
    CONSTRAINT cash_drawers_counted_check CHECK (((counted >= 0) AND (counted <= 100000000))),
    CONSTRAINT cash_drawers_note_check CHECK (((length(note) >= 1) AND (length(note) <= 500))),
    CONSTRAINT cash_drawers_opening_float_check CHECK (((opening_float >= 0) AND (opening_float <= 100000000)))
);

ALTER TABLE ONLY app_public.cash_drawers FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE cash_drawers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.cash_drawers IS '@unique id
A cash drawer session at a location: opened with a float, closed with the amount counted. Written only by openCashDrawer, recordCashDrawerEntry and closeCashDrawer.';

--
-- Name: COLUMN cash_drawers.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.cash_drawers.tenant_id IS '@behavior -*';

--
-- Name: COLUMN cash_drawers.business_date; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.cash_drawers.business_date IS 'The day it was opened, at the location: the day of the Drawer report it belongs to.';

--
-- Name: COLUMN cash_drawers.opening_float; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.cash_drawers.opening_float IS 'The cash in it when opened, in minor units of the business''s currency.';

--
-- Name: COLUMN cash_drawers.closed_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.cash_drawers.closed_at IS 'When it was closed (counted); null while open.';

--
-- Name: COLUMN cash_drawers.expected; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.cash_drawers.expected IS 'What should have been in it at the close: float + cash payments − cash refunds + cash put in − cash taken out.';

--
-- Name: COLUMN cash_drawers.counted; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.cash_drawers.counted IS 'The cash counted in it at the close.';

--
-- Name: COLUMN cash_drawers.difference; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.cash_drawers.difference IS 'counted − expected: negative when short, positive when over.';

--
-- Name: COLUMN cash_drawers.note; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.cash_drawers.note IS 'What the person closing it wrote (why it is short, say).';

--
-- Name: cash_drawers_cash_in(app_public.cash_drawers); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.cash_drawers_cash_in(d app_public.cash_drawers) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce(sum(e.amount), 0)::int from app_public.cash_drawer_entries e
  where e.tenant_id = d.tenant_id and e.cash_drawer_id = d.id and e.kind = 'in';
$$;

--
-- Name: FUNCTION cash_drawers_cash_in(d app_public.cash_drawers); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.cash_drawers_cash_in(d app_public.cash_drawers) IS '@notNull
Cash put in (entries of kind in).';

--
-- Name: cash_drawers_cash_out(app_public.cash_drawers); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.cash_drawers_cash_out(d app_public.cash_drawers) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce(sum(e.amount), 0)::int from app_public.cash_drawer_entries e
  where e.tenant_id = d.tenant_id and e.cash_drawer_id = d.id and e.kind = 'out';
$$;

--
-- Name: FUNCTION cash_drawers_cash_out(d app_public.cash_drawers); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.cash_drawers_cash_out(d app_public.cash_drawers) IS '@notNull
Cash taken out (entries of kind out).';

--
-- Name: cash_drawers_cash_payments(app_public.cash_drawers); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.cash_drawers_cash_payments(d app_public.cash_drawers) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce(sum(t.applied_amount), 0)::int from app_public.tenders t
  where t.tenant_id = d.tenant_id and t.cash_drawer_id = d.id;
$$;

--
-- Name: FUNCTION cash_drawers_cash_payments(d app_public.cash_drawers); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.cash_drawers_cash_payments(d app_public.cash_drawers) IS '@notNull
Cash payments that went into it (cash handed over minus change).';

--
-- Name: cash_drawers_cash_refunds(app_public.cash_drawers); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.cash_drawers_cash_refunds(d app_public.cash_drawers) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce(sum(r.amount), 0)::int from app_public.refund_tenders r
  where r.tenant_id = d.tenant_id and r.cash_drawer_id = d.id;
$$;

--
-- Name: FUNCTION cash_drawers_cash_refunds(d app_public.cash_drawers); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.cash_drawers_cash_refunds(d app_public.cash_drawers) IS '@notNull
Cash handed back from it (voids, cancelled orders).';

--
-- Name: cash_drawers_expected_now(app_public.cash_drawers); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.cash_drawers_expected_now(d app_public.cash_drawers) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select d.opening_float + app_public.cash_drawers_cash_payments(d) - app_public.cash_drawers_cash_refunds(d)
         + app_public.cash_drawers_cash_in(d) - app_public.cash_drawers_cash_out(d);
$$;

--
-- Name: FUNCTION cash_drawers_expected_now(d app_public.cash_drawers); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.cash_drawers_expected_now(d app_public.cash_drawers) IS '@notNull
What should be in it: float + cash payments − cash refunds + cash put in − cash taken out (for a closed drawer, the same as expected).';

--
-- Name: memberships; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.memberships (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    user_id text NOT NULL,
    role_id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app_public.memberships FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE memberships; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.memberships IS '@unique id
A user working for a tenant, with one role there.';

--
-- Name: COLUMN memberships.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.memberships.tenant_id IS '@behavior -filterBy -orderBy -insert -update';

--
-- Name: change_member_role(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.change_member_role(membership_id text, role_id text) RETURNS app_public.memberships
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION change_member_role(membership_id text, role_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.change_member_role(membership_id text, role_id text) IS '@resultFieldName membership
Gives a member another role (needs settings.update and the permissions of both roles). The business keeps at least one owner (LASTO).';

--
-- Name: billing_requests; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.billing_requests (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    kind text NOT NULL,
    plan_key text,
    status text DEFAULT 'pending'::text NOT NULL,
    url text,
    error_message text,
    requested_by text,
    finished_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT billing_requests_check CHECK (((kind = 'change_plan'::text) = (plan_key IS NOT NULL))),
    CONSTRAINT billing_requests_kind_check CHECK ((kind = ANY (ARRAY['portal'::text, 'change_plan'::text]))),
    CONSTRAINT billing_requests_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'done'::text, 'failed'::text])))
);

ALTER TABLE ONLY app_public.billing_requests FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE billing_requests; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.billing_requests IS '@unique id
A request to Stripe made from the admin (billing portal, plan change); poll it until it is done or failed.';

--
-- Name: COLUMN billing_requests.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_requests.tenant_id IS '@behavior -*';

--
-- Name: COLUMN billing_requests.kind; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_requests.kind IS 'portal (open the Stripe billing portal) or change_plan.';

--
-- Name: COLUMN billing_requests.plan_key; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_requests.plan_key IS 'The plan asked for (change_plan).';

--
-- Name: COLUMN billing_requests.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_requests.status IS 'pending while the worker talks to Stripe, then done or failed.';

--
-- Name: COLUMN billing_requests.url; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_requests.url IS 'Where to send the user when done (the billing portal).';

--
-- Name: COLUMN billing_requests.error_message; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_requests.error_message IS 'Why it failed, for the user.';

--
-- Name: COLUMN billing_requests.finished_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_requests.finished_at IS 'When it became done or failed.';

--
-- Name: change_plan(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.change_plan(plan_key text, reason text DEFAULT NULL::text) RETURNS app_public.billing_requests
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_billing_permission('settings.update');
  target app_public.plans;
  cur app_public.billing_subscriptions;
  problem text;
  result app_public.billing_requests;
begin
  select p.* into target from app_public.plans p where p.key = change_plan.plan_key;
  if not found then
    perform app_hidden.raise_error('BADPL', format('There is no plan named "%s".', left(coalesce(change_plan.plan_key, ''), 50)));
  end if;
  select s.* into cur from app_public.billing_subscriptions s where s.tenant_id = tenant;
  if cur.status = 'canceled' and cur.grace_ends_at < now() then
    perform app_hidden.raise_error('GRACE', 'Your subscription ended more than 30 days ago, so it can no longer be reactivated here. Please contact support.');
  end if;
  if cur.status is distinct from 'canceled' and cur.plan_key = target.key then
    perform app_hidden.raise_error('BADPL', format('You are already on the %s plan.', target.name));
  end if;
  problem := app_private.plan_change_problem(tenant, target.key);
  if problem is not null then
    perform app_hidden.raise_error('DOWNG', problem);
  end if;
  perform app_private.begin_change('change_plan', reason);
  insert into app_public.billing_requests (tenant_id, kind, plan_key, requested_by)
  values (tenant, 'change_plan', target.key, app_hidden.current_user_id())
  returning * into result;
  perform app_private.end_change();
  perform graphile_worker.add_job('stripe_change_plan',
    json_build_object('tenantId', tenant, 'requestId', result.id), max_attempts := 12);
  return result;
end;
$$;

--
-- Name: FUNCTION change_plan(plan_key text, reason text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.change_plan(plan_key text, reason text) IS '@resultFieldName billingRequest
Moves the business to another plan (settings.update), or reactivates a canceled subscription within its 30-day grace period. Refused with DOWNG when current usage exceeds the plan''s limits. Poll the returned request. The reason, if given, is kept in the audit log.';

--
-- Name: close_cash_drawer(text, integer, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.close_cash_drawer(cash_drawer_id text, counted integer, note text DEFAULT NULL::text) RETURNS app_public.cash_drawers
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION close_cash_drawer(cash_drawer_id text, counted integer, note text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.close_cash_drawer(cash_drawer_id text, counted integer, note text) IS '@resultFieldName cashDrawer
Closes an open drawer with the cash counted, in minor units (needs sales.sell), and an optional note: keeps what was expected (float + cash payments − cash refunds + cash in − cash out) and the difference (counted − expected).';

--
-- Name: close_location(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.close_location(location_id text) RETURNS app_public.locations
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION close_location(location_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.close_location(location_id text) IS '@resultFieldName location
Closes a location (needs settings.update): it sells nothing more and leaves the pickers; its history stays. Refused while its cash drawer or orders are open, and for the only open location.';

--
-- Name: tenants; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.tenants (
    id text DEFAULT public.gen_ulid() NOT NULL,
    name text NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    billing_customer_id text,
    default_country text DEFAULT 'US'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    tax_rate_bps integer DEFAULT 0 NOT NULL,
    suspension_reason text,
    suspended_at timestamp with time zone,
    currency text DEFAULT 'USD'::text NOT NULL,
    locale text DEFAULT 'en-US'::text NOT NULL,
    receipt_address text,
    receipt_footer text,
    CONSTRAINT tenants_default_country_check CHECK ((default_country ~ '^[A-Z]{2}$'::text)),
    CONSTRAINT tenants_locale_check CHECK (((length(locale) >= 2) AND (length(locale) <= 35))),
    CONSTRAINT tenants_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT tenants_receipt_address_check CHECK (((length(receipt_address) >= 1) AND (length(receipt_address) <= 500))),
    CONSTRAINT tenants_receipt_footer_check CHECK (((length(receipt_footer) >= 1) AND (length(receipt_footer) <= 500))),
    CONSTRAINT tenants_status_check CHECK ((status = ANY (ARRAY['active'::text, 'suspended'::text, 'closed'::text]))),
    CONSTRAINT tenants_suspension_consistent CHECK (((suspension_reason IS NULL) OR (status <> 'active'::text))),
    CONSTRAINT tenants_suspension_reason_check CHECK ((suspension_reason = ANY (ARRAY['nonpayment'::text, 'canceled'::text, 'fraud'::text, 'manual'::text, 'technical'::text]))),
    CONSTRAINT tenants_tax_rate_bps_check CHECK (((tax_rate_bps >= 0) AND (tax_rate_bps <= 10000)))
);

ALTER TABLE ONLY app_public.tenants FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE tenants; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.tenants IS 'A business using Backoffice. Every tenant-owned row belongs to exactly one tenant.';

--
-- Name: COLUMN tenants.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenants.name IS 'The business name shown in the admin.';

--
-- Name: COLUMN tenants.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenants.status IS 'active, suspended (unpaid: read-only billing access) or closed.';

--
-- Name: COLUMN tenants.billing_customer_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenants.billing_customer_id IS 'The Stripe customer id of this tenant.';

--
-- Name: COLUMN tenants.default_country; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenants.default_country IS 'ISO 3166 country used to read phone numbers written without a country code.';

--
-- Name: COLUMN tenants.tax_rate_bps; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenants.tax_rate_bps IS 'The default tax rate, added to prices, of locations without a tax rate of their own, in basis points (825 = 8.25%).';

--
-- Name: COLUMN tenants.suspension_reason; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenants.suspension_reason IS 'Why the business is suspended now: nonpayment, canceled, fraud, manual or technical (the whole story is in tenant_suspensions).';

--
-- Name: COLUMN tenants.suspended_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenants.suspended_at IS 'When the business was suspended; null when active.';

--
-- Name: COLUMN tenants.currency; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenants.currency IS 'The currency the business sells in (ISO 4217). Every amount of the business is in its minor units. Changes only while the business has no sale (CURFX).';

--
-- Name: COLUMN tenants.locale; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenants.locale IS 'How numbers, amounts and dates are written for the business (a BCP 47 tag such as en-US, fr-FR or ar-OM).';

--
-- Name: COLUMN tenants.receipt_address; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenants.receipt_address IS 'The address printed under the business name on receipts (several lines allowed).';

--
-- Name: COLUMN tenants.receipt_footer; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenants.receipt_footer IS 'Printed at the foot of receipts ("Thank you! Returns within 30 days with this receipt.").';

--
-- Name: create_business(text, text, text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.create_business(name text, timezone text, currency text DEFAULT NULL::text, locale text DEFAULT NULL::text) RETURNS app_public.tenants
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  me text := app_hidden.current_user_id();
  tenant text;
  result app_public.tenants;
begin
  if me is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  perform app_private.assert_may_create_business(me);
  -- Another shop of the same owner sells in the same currency unless told otherwise.
  tenant := app_private.create_tenant_for(me, name, timezone,
    coalesce(currency, (select t.currency from app_public.tenants t where t.id = app_hidden.current_tenant_id())),
    coalesce(locale, (select t.locale from app_public.tenants t where t.id = app_hidden.current_tenant_id())));
  update app_private.sessions s set active_tenant_id = tenant where s.id = app_hidden.current_session_id();
  select t.* into result from app_public.tenants t where t.id = tenant;
  return result;
end;
$$;

--
-- Name: FUNCTION create_business(name text, timezone text, currency text, locale text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.create_business(name text, timezone text, currency text, locale text) IS 'Creates another business owned by the signed-in user and switches to it; its currency and locale are those of the current business unless given.';

--
-- Name: create_customer(text, text, text, text, text, text[], boolean, text, jsonb); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.create_customer(email text DEFAULT NULL::text, phone text DEFAULT NULL::text, first_name text DEFAULT NULL::text, last_name text DEFAULT NULL::text, notes text DEFAULT NULL::text, tags text[] DEFAULT NULL::text[], marketing_consent boolean DEFAULT NULL::boolean, marketing_consent_source text DEFAULT NULL::text, metadata jsonb DEFAULT NULL::jsonb) RETURNS app_public.customers
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.create');
  country text;
  clean_tags jsonb;
  source text;
  violated text;
  violated_column text;
  result app_public.customers;
begin
  select t.default_country into country from app_public.tenants t where t.id = tenant;
  email := app_hidden.optional_email(email);
  phone := app_hidden.normalize_phone(phone, country);
  first_name := app_hidden.optional_name('First name', first_name, 100, 'first_name');
  last_name := app_hidden.optional_name('Last name', last_name, 100, 'last_name');
  notes := app_hidden.optional_text('About this customer', notes, 2000, 'notes');
  clean_tags := app_hidden.normalize_tags(tags);
  metadata := app_hidden.assert_customer_metadata(metadata);
  source := case when marketing_consent is not null then app_hidden.assert_consent_source(marketing_consent_source) end;

  begin
    insert into app_public.customers as c (
      tenant_id, customer_number, email, phone, first_name, last_name, notes, tags,
      marketing_consent, marketing_consent_updated_at, marketing_consent_source, metadata, created_by)
    values (
      tenant, app_hidden.format_customer_number(app_private.next_tenant_number(tenant, 'customer_number')),
      create_customer.email, create_customer.phone, create_customer.first_name, create_customer.last_name,
      create_customer.notes, clean_tags, create_customer.marketing_consent,
      case when create_customer.marketing_consent is not null then now() end, source,
      create_customer.metadata, app_hidden.current_user_id())
    returning * into result;
  exception when unique_violation or check_violation or not_null_violation then
    get stacked diagnostics violated = constraint_name, violated_column = column_name;
    perform app_private.raise_customer_constraint(tenant, violated, violated_column, create_customer.email, create_customer.phone);
    raise;
  end;

  perform app_private.emit_event(tenant, 'customer.created.v1', 'customer', result.id,
    app_private.customer_event_payload(result));
  return result;
end;
$$;

--
-- Name: FUNCTION create_customer(email text, phone text, first_name text, last_name text, notes text, tags text[], marketing_consent boolean, marketing_consent_source text, metadata jsonb); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.create_customer(email text, phone text, first_name text, last_name text, notes text, tags text[], marketing_consent boolean, marketing_consent_source text, metadata jsonb) IS 'Adds a customer (needs customers.create). Give at least an email, a phone or a first name. The email is lower-cased; the phone is stored in E.164, read with the business''s country unless it starts with + or 00. Email and phone must not belong to another customer (DUPEM, DUPPH). The customer gets the next number (CUST-00042).';

--
-- Name: customer_types; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.customer_types (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    key text,
    label text NOT NULL,
    "position" integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customer_types_key_check CHECK ((key = ANY (ARRAY['walk_in'::text, 'regular'::text, 'vip'::text, 'wholesale'::text]))),
    CONSTRAINT customer_types_label_check CHECK (((label = btrim(label)) AND ((length(label) >= 1) AND (length(label) <= 40))))
);

ALTER TABLE ONLY app_public.customer_types FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customer_types; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.customer_types IS '@name customer_types
Kinds of customers a business tells apart (walk-in, regular, VIP, wholesale, or its own).';

--
-- Name: COLUMN customer_types.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_types.tenant_id IS '@behavior -*';

--
-- Name: COLUMN customer_types.key; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_types.key IS 'walk_in, regular, vip or wholesale for the four every business starts with; null for its own.';

--
-- Name: COLUMN customer_types.label; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_types.label IS '@behavior +orderBy
The name shown (the business may rename it).';

--
-- Name: COLUMN customer_types."position"; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_types."position" IS '@behavior +orderBy
Order in lists.';

--
-- Name: create_customer_type(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.create_customer_type(label text) RETURNS app_public.customer_types
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  result app_public.customer_types;
begin
  insert into app_public.customer_types (tenant_id, label, position)
  values (tenant, app_private.assert_customer_type_label(tenant, label, null),
          (select coalesce(max(t.position), 0) + 1 from app_public.customer_types t where t.tenant_id = tenant))
  returning * into result;
  return result;
end;
$$;

--
-- Name: FUNCTION create_customer_type(label text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.create_customer_type(label text) IS 'Adds a customer type (needs settings.update); names are unique in the business (DUPLI).';

--
-- Name: create_role(text, text[]); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.create_role(name text, permissions text[]) RETURNS app_public.roles
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION create_role(name text, permissions text[]); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.create_role(name text, permissions text[]) IS '@resultFieldName role
Makes a custom role with a name and permissions (needs settings.update and every permission given).';

--
-- Name: tax_rates; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.tax_rates (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    name text NOT NULL,
    rate_bps integer NOT NULL,
    inclusive boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tax_rates_name_check CHECK (((name = btrim(name)) AND ((length(name) >= 1) AND (length(name) <= 60)))),
    CONSTRAINT tax_rates_rate_bps_check CHECK (((rate_bps >= 0) AND (rate_bps <= 10000)))
);

ALTER TABLE ONLY app_public.tax_rates FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE tax_rates; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.tax_rates IS '@unique id
A tax rate of the business that locations charge (createTaxRate, updateTaxRate, deleteTaxRate; setLocationTaxRate gives a location its rate).';

--
-- Name: COLUMN tax_rates.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tax_rates.tenant_id IS '@behavior -*';

--
-- Name: COLUMN tax_rates.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tax_rates.name IS 'What receipts call it ("Sales tax", "VAT"): 1 to 60 characters, unique in the business ignoring case.';

--
-- Name: COLUMN tax_rates.rate_bps; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tax_rates.rate_bps IS 'The rate in basis points: 825 is 8.25%.';

--
-- Name: COLUMN tax_rates.inclusive; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tax_rates.inclusive IS 'True when shelf prices include the tax (VAT style): the customer pays the price and the tax is the part of it; false when it is added to prices.';

--
-- Name: create_tax_rate(text, integer, boolean); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.create_tax_rate(name text, rate_bps integer, inclusive boolean DEFAULT false) RETURNS app_public.tax_rates
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  result app_public.tax_rates;
begin
  insert into app_public.tax_rates (tenant_id, name, rate_bps, inclusive)
  values (tenant, app_private.assert_tax_rate(tenant, create_tax_rate.name, create_tax_rate.rate_bps, null),
          create_tax_rate.rate_bps, coalesce(create_tax_rate.inclusive, false))
  returning * into result;
  return result;
end;
$$;

--
-- Name: FUNCTION create_tax_rate(name text, rate_bps integer, inclusive boolean); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.create_tax_rate(name text, rate_bps integer, inclusive boolean) IS '@resultFieldName taxRate
Adds a tax rate (needs settings.update): a name unique in the business (DUPLI), rateBps 0–10000 (825 = 8.25%), inclusive when shelf prices include it. No location charges it until setLocationTaxRate.';

--
-- Name: current_billing_subscription(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_billing_subscription() RETURNS app_public.billing_subscriptions
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select s.* from app_public.billing_subscriptions s where s.tenant_id = app_hidden.current_tenant_id();
$$;

--
-- Name: FUNCTION current_billing_subscription(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_billing_subscription() IS 'The subscription of the current business (needs settings.view).';

--
-- Name: current_loyalty_settings(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_loyalty_settings() RETURNS app_public.loyalty_settings
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select s.* from app_public.loyalty_settings s where s.tenant_id = app_hidden.current_tenant_id();
$$;

--
-- Name: FUNCTION current_loyalty_settings(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_loyalty_settings() IS 'The loyalty thresholds of the current business.';

--
-- Name: current_permissions(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_permissions() RETURNS text[]
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select app_hidden.current_permissions();
$$;

--
-- Name: FUNCTION current_permissions(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_permissions() IS 'What the signed-in user may do in the current tenant.';

--
-- Name: current_plan_modules(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_plan_modules() RETURNS text[]
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select (app_hidden.current_plan()).modules;
$$;

--
-- Name: FUNCTION current_plan_modules(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_plan_modules() IS 'The modules of the business''s plan (customers, reporting, inventory…), readable by every member: a screen of a module the plan lacks is hidden or offers the upgrade.';

--
-- Name: current_tenant(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.current_tenant() RETURNS app_public.tenants
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select t.* from app_public.tenants t where t.id = app_hidden.current_tenant_id();
$$;

--
-- Name: FUNCTION current_tenant(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.current_tenant() IS 'The tenant the signed-in user is working in, or null.';

--
-- Name: users; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.users (
    id text DEFAULT public.gen_ulid() NOT NULL,
    email public.citext NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT users_email_check CHECK (((email OPERATOR(public.~) '^[^\s@]+@[^\s@]+\.[^\s@]+$'::public.citext) AND (length((email)::text) <= 254))),
    CONSTRAINT users_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200)))
);

ALTER TABLE ONLY app_public.users FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE users; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.users IS 'A person who signs in to the admin.';

--
-- Name: COLUMN users.email; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.users.email IS 'Sign-in email, unique across Backoffice.';

--
-- Name: current_user(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public."current_user"() RETURNS app_public.users
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select u.* from app_public.users u where u.id = app_hidden.current_user_id();
$$;

--
-- Name: FUNCTION "current_user"(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public."current_user"() IS 'The signed-in user, or null.';

--
-- Name: customer_stats; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.customer_stats (
    tenant_id text NOT NULL,
    customer_id text NOT NULL,
    visits integer DEFAULT 0 NOT NULL,
    spend bigint DEFAULT 0 NOT NULL,
    items_bought bigint DEFAULT 0 NOT NULL,
    first_visit_at timestamp with time zone,
    last_visit_at timestamp with time zone,
    recent_visits timestamp with time zone[] DEFAULT '{}'::timestamp with time zone[] NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customer_stats_check CHECK (((visits = 0) = (last_visit_at IS NULL))),
    CONSTRAINT customer_stats_check1 CHECK (((first_visit_at IS NULL) = (last_visit_at IS NULL))),
    CONSTRAINT customer_stats_items_bought_check CHECK ((items_bought >= 0)),
    CONSTRAINT customer_stats_recent_visits_check CHECK ((cardinality(recent_visits) <= 20)),
    CONSTRAINT customer_stats_visits_check CHECK ((visits >= 0))
);

ALTER TABLE ONLY app_public.customer_stats FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customer_stats; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.customer_stats IS '@name customer_stats
The purchase history of a customer, kept by the database from the sales events (orders placed and voided, merges).';

--
-- Name: COLUMN customer_stats.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_stats.tenant_id IS '@behavior -*';

--
-- Name: COLUMN customer_stats.visits; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_stats.visits IS 'Orders of the customer that were not voided.';

--
-- Name: COLUMN customer_stats.spend; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_stats.spend IS 'Totals of those orders (tax included), in cents.';

--
-- Name: COLUMN customer_stats.items_bought; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_stats.items_bought IS 'Units bought in those orders.';

--
-- Name: COLUMN customer_stats.first_visit_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_stats.first_visit_at IS 'When the earliest of those orders was placed.';

--
-- Name: COLUMN customer_stats.last_visit_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_stats.last_visit_at IS 'When the latest of those orders was placed.';

--
-- Name: COLUMN customer_stats.recent_visits; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_stats.recent_visits IS '@behavior -*';

--
-- Name: COLUMN customer_stats.updated_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_stats.updated_at IS 'When this row last changed.';

--
-- Name: customer_stats_average_order_value(app_public.customer_stats); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.customer_stats_average_order_value(s app_public.customer_stats) RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select case when s.visits > 0 then round(s.spend::numeric / s.visits)::bigint else 0 end;
$$;

--
-- Name: FUNCTION customer_stats_average_order_value(s app_public.customer_stats); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.customer_stats_average_order_value(s app_public.customer_stats) IS '@notNull
Spend divided by visits, in cents (0 without visits).';

--
-- Name: customer_stats_days_since_last_visit(app_public.customer_stats, timestamp with time zone); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.customer_stats_days_since_last_visit(s app_public.customer_stats, at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select floor(extract(epoch from coalesce(at, now()) - s.last_visit_at) / 86400)::int;
$$;

--
-- Name: FUNCTION customer_stats_days_since_last_visit(s app_public.customer_stats, at timestamp with time zone); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.customer_stats_days_since_last_visit(s app_public.customer_stats, at timestamp with time zone) IS 'Whole days since the latest visit (at `at`, default now); null without visits.';

--
-- Name: customer_stats_is_repeat(app_public.customer_stats); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.customer_stats_is_repeat(s app_public.customer_stats) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select s.visits >= 2;
$$;

--
-- Name: FUNCTION customer_stats_is_repeat(s app_public.customer_stats); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.customer_stats_is_repeat(s app_public.customer_stats) IS '@notNull
A repeat customer: two visits or more.';

--
-- Name: customer_stats_loyalty_class(app_public.customer_stats, timestamp with time zone); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.customer_stats_loyalty_class(s app_public.customer_stats, at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS app_public.loyalty_class
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select app_hidden.loyalty_class(s.visits, s.last_visit_at, s.recent_visits,
    l.regular_min_visits, l.regular_window_days, l.lapsed_after_days, coalesce(at, now()))
  from app_hidden.loyalty_settings_of(s.tenant_id) l;
$$;

--
-- Name: FUNCTION customer_stats_loyalty_class(s app_public.customer_stats, at timestamp with time zone); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.customer_stats_loyalty_class(s app_public.customer_stats, at timestamp with time zone) IS 'How often the customer comes, at `at` (default now; a later time to see who will lapse — the history is today''s, so a past time would count visits made since): new, returning, regular, lapsed or one_time; null before the first visit. The thresholds are the business''s loyaltySettings.';

--
-- Name: customer_stats_loyalty_class_reason(app_public.customer_stats, timestamp with time zone); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.customer_stats_loyalty_class_reason(s app_public.customer_stats, at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  with x as (
    select app_public.customer_stats_loyalty_class(s, at) as class,
           app_public.customer_stats_days_since_last_visit(s, at) as days,
           app_hidden.visits_within(s.recent_visits, l.regular_window_days, coalesce(at, now())) as in_window,
           l.*
    from app_hidden.loyalty_settings_of(s.tenant_id) l
  )
  select case x.class
    when 'new' then 'First visit ' || app_hidden.days_ago(x.days)
    when 'one_time' then 'A single visit, ' || app_hidden.days_ago(x.days)
    when 'regular' then format('%s visits in the last %s days', least(x.in_window, 20), x.regular_window_days)
    when 'returning' then format('%s visits, the latest %s; %s in the last %s days (%s make a regular)',
      s.visits, app_hidden.days_ago(x.days), x.in_window, x.regular_window_days, x.regular_min_visits)
    when 'lapsed' then format('No visit for %s days, after %s visits', x.days, s.visits)
    else 'No visits yet'
  end
  from x;
$$;

--
-- Name: FUNCTION customer_stats_loyalty_class_reason(s app_public.customer_stats, at timestamp with time zone); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.customer_stats_loyalty_class_reason(s app_public.customer_stats, at timestamp with time zone) IS '@notNull
Why the customer has its loyalty class, in words (such as "5 visits in the last 90 days").';

--
-- Name: customer_item_stats; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.customer_item_stats (
    tenant_id text NOT NULL,
    customer_id text NOT NULL,
    catalog_item_id text NOT NULL,
    quantity bigint NOT NULL,
    CONSTRAINT customer_item_stats_quantity_check CHECK ((quantity > 0))
);

ALTER TABLE ONLY app_public.customer_item_stats FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customer_item_stats; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.customer_item_stats IS '@name customer_item_stats
@behavior -query:resource:list -query:resource:connection
Units of a catalog item a customer bought in orders that were not voided.';

--
-- Name: COLUMN customer_item_stats.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_item_stats.tenant_id IS '@behavior -*';

--
-- Name: COLUMN customer_item_stats.customer_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_item_stats.customer_id IS '@behavior -*';

--
-- Name: COLUMN customer_item_stats.quantity; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_item_stats.quantity IS 'Units bought.';

--
-- Name: customer_stats_top_items(app_public.customer_stats); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.customer_stats_top_items(s app_public.customer_stats) RETURNS SETOF app_public.customer_item_stats
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select i.* from app_public.customer_item_stats i
  where i.tenant_id = s.tenant_id and i.customer_id = s.customer_id
  order by i.quantity desc, i.catalog_item_id
  limit 3;
$$;

--
-- Name: FUNCTION customer_stats_top_items(s app_public.customer_stats); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.customer_stats_top_items(s app_public.customer_stats) IS '@behavior +list -connection
@listSuffix omit
The three items the customer bought most units of, most first.';

--
-- Name: customers_last_visit_at(app_public.customers); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.customers_last_visit_at(c app_public.customers) RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select s.last_visit_at from app_public.customer_stats s where s.tenant_id = c.tenant_id and s.customer_id = c.id;
$$;

--
-- Name: FUNCTION customers_last_visit_at(c app_public.customers); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.customers_last_visit_at(c app_public.customers) IS 'When the latest of those orders was placed (stats.lastVisitAt).';

--
-- Name: customers_may_contact(app_public.customers, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.customers_may_contact(c app_public.customers, channel text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select app_hidden.may_contact(c.tenant_id, c.id, channel);
$$;

--
-- Name: FUNCTION customers_may_contact(c app_public.customers, channel text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.customers_may_contact(c app_public.customers, channel text) IS '@notNull
Whether the business may contact the customer by this channel (email, sms or phone) now: agreed to, has the detail, and not do-not-contact.';

--
-- Name: customers_recent_orders(app_public.customers); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.customers_recent_orders(c app_public.customers) RETURNS SETOF app_public.orders
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select o.* from app_public.orders o
  where o.tenant_id = c.tenant_id
    and o.customer_id in (
      select c.id
      union all
      select m.id from app_public.customers m where m.tenant_id = c.tenant_id and m.merged_into_id = c.id)
  order by o.placed_at desc nulls last, o.id desc
  limit 10;
$$;

--
-- Name: FUNCTION customers_recent_orders(c app_public.customers); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.customers_recent_orders(c app_public.customers) IS '@behavior +list -connection
@listSuffix omit
The customer''s 10 latest orders (voided ones included), newest first.';

--
-- Name: customers_timeline(app_public.customers); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.customers_timeline(c app_public.customers) RETURNS SETOF app_public.customer_activity
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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
    -- Orders of the customer (and of customers merged into it); a sale at the time it was made (an
    -- import of a past sale is recorded now but happened then).
    select case when e.type = 'order.placed.v1' then coalesce((e.payload ->> 'placed_at')::timestamptz, e.occurred_at) else e.occurred_at end,
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

--
-- Name: FUNCTION customers_timeline(c app_public.customers); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.customers_timeline(c app_public.customers) IS 'What happened to the customer, newest first: created, changed, archived, merged, orders placed, voided and refunded, notes.';

--
-- Name: customers_total_spend(app_public.customers); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.customers_total_spend(c app_public.customers) RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select s.spend from app_public.customer_stats s where s.tenant_id = c.tenant_id and s.customer_id = c.id;
$$;

--
-- Name: FUNCTION customers_total_spend(c app_public.customers); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.customers_total_spend(c app_public.customers) IS '@notNull
Totals of those orders (tax included), in cents (stats.spend).';

--
-- Name: customers_total_visits(app_public.customers); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.customers_total_visits(c app_public.customers) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select s.visits from app_public.customer_stats s where s.tenant_id = c.tenant_id and s.customer_id = c.id;
$$;

--
-- Name: FUNCTION customers_total_visits(c app_public.customers); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.customers_total_visits(c app_public.customers) IS '@notNull
Orders attributed to the customer that were not voided (stats.visits).';

--
-- Name: delete_customer_type(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.delete_customer_type(id text) RETURNS app_public.customer_types
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  used int;
  result app_public.customer_types;
begin
  select t.* into result from app_public.customer_types t
  where t.tenant_id = tenant and t.id = delete_customer_type.id
  for update;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer type %s.', coalesce(left(delete_customer_type.id, 40), '(none given)')));
  end if;
  -- Archived customers keep their type; merged ones have none (their survivor took it).
  select count(*) into used from app_public.customers c where c.tenant_id = tenant and c.customer_type_id = result.id;
  if used > 0 then
    perform app_hidden.raise_error('TYPIU', format('"%s" is the type of %s customer%s; give them another type first, or rename it.',
      result.label, used, case when used = 1 then '' else 's' end), result.id);
  end if;
  delete from app_public.customer_types t where t.tenant_id = tenant and t.id = result.id;
  return result;
end;
$$;

--
-- Name: FUNCTION delete_customer_type(id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.delete_customer_type(id text) IS 'Deletes a customer type no customer has (needs settings.update; TYPIU while in use).';

--
-- Name: delete_role(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.delete_role(role_id text) RETURNS app_public.roles
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION delete_role(role_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.delete_role(role_id text) IS '@resultFieldName role
Deletes a custom role nobody has (needs settings.update).';

--
-- Name: delete_tax_rate(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.delete_tax_rate(id text) RETURNS app_public.tax_rates
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  result app_public.tax_rates;
begin
  -- Its locations go back to the business's default rate (the foreign key sets them to null).
  delete from app_public.tax_rates r where r.tenant_id = tenant and r.id = delete_tax_rate.id
  returning * into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no tax rate %s.', coalesce(left(delete_tax_rate.id, 40), '(none given)')));
  end if;
  return result;
end;
$$;

--
-- Name: FUNCTION delete_tax_rate(id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.delete_tax_rate(id text) IS '@resultFieldName taxRate
Deletes a tax rate (needs settings.update); the locations that charged it charge the business''s default rate again. Past orders keep the rate they were priced with.';

--
-- Name: billing_notices; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.billing_notices (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    kind text NOT NULL,
    message text NOT NULL,
    stripe_event_id text NOT NULL,
    dismissed_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT billing_notices_kind_check CHECK ((kind = ANY (ARRAY['trial_will_end'::text, 'payment_failed'::text, 'subscription_canceled'::text])))
);

ALTER TABLE ONLY app_public.billing_notices FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE billing_notices; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.billing_notices IS '@unique id
Billing news for the owner of the business (trial ending, failed payment, cancellation).';

--
-- Name: COLUMN billing_notices.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_notices.tenant_id IS '@behavior -*';

--
-- Name: COLUMN billing_notices.kind; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_notices.kind IS 'trial_will_end, payment_failed or subscription_canceled.';

--
-- Name: COLUMN billing_notices.message; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_notices.message IS 'What to tell the owner.';

--
-- Name: COLUMN billing_notices.stripe_event_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_notices.stripe_event_id IS '@behavior -*
The Stripe event behind the notice (one notice per event).';

--
-- Name: COLUMN billing_notices.dismissed_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_notices.dismissed_at IS 'When the owner dismissed it; null while it should be shown.';

--
-- Name: dismiss_billing_notice(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.dismiss_billing_notice(id text) RETURNS app_public.billing_notices
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION dismiss_billing_notice(id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.dismiss_billing_notice(id text) IS '@resultFieldName billingNotice
Hides a billing notice (owner).';

--
-- Name: dismiss_possible_duplicate(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.dismiss_possible_duplicate(customer_id text, duplicate_id text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  one app_public.customers;
  other app_public.customers;
  inserted int;
begin
  if customer_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the two customers that are not the same person.');
  end if;
  if customer_id = duplicate_id then
    perform app_hidden.raise_error('BADIN', 'Choose two different customers.', field => 'duplicate_id');
  end if;
  select c.* into one from app_public.customers c where c.tenant_id = tenant and c.id = dismiss_possible_duplicate.customer_id;
  select c.* into other from app_public.customers c where c.tenant_id = tenant and c.id = dismiss_possible_duplicate.duplicate_id;
  if one.id is null or other.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.',
      left(case when one.id is null then customer_id else duplicate_id end, 40)));
  end if;
  if one.status = 'merged' or other.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'One of these customers was already merged into another customer.',
      case when one.status = 'merged' then one.merged_into_id else other.merged_into_id end);
  end if;
  perform app_private.begin_change('dismiss_possible_duplicate', null);
  insert into app_private.customer_duplicate_dismissals (tenant_id, customer_id, other_customer_id, dismissed_by)
  values (tenant,
          least(one.id collate "C", other.id collate "C"),
          greatest(one.id collate "C", other.id collate "C"),
          app_hidden.current_user_id())
  on conflict on constraint customer_duplicate_dismissals_pair_key do nothing;
  get diagnostics inserted = row_count;
  perform app_private.end_change();
  return inserted > 0;
end;
$$;

--
-- Name: FUNCTION dismiss_possible_duplicate(customer_id text, duplicate_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.dismiss_possible_duplicate(customer_id text, duplicate_id text) IS 'Says that two customers are not the same person (needs customers.merge): the Possible duplicates page no longer lists the pair. True when newly dismissed, false when it already was. NOTFD for an unknown customer, CMRGD for a merged one.';

--
-- Name: inventory_items_is_low_stock(app_public.inventory_items, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.inventory_items_is_low_stock(item app_public.inventory_items, location_id text DEFAULT NULL::text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select app_public.inventory_items_on_hand(item, location_id) <= item.low_stock_threshold;
$$;

--
-- Name: FUNCTION inventory_items_is_low_stock(item app_public.inventory_items, location_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.inventory_items_is_low_stock(item app_public.inventory_items, location_id text) IS 'Whether on-hand (at one location, or at all of them) is at or below the low-stock threshold.';

--
-- Name: inventory_items_on_hand(app_public.inventory_items, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.inventory_items_on_hand(item app_public.inventory_items, location_id text DEFAULT NULL::text) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select coalesce(sum(m.quantity), 0)::int
  from app_public.inventory_movements m
  where m.tenant_id = item.tenant_id and m.inventory_item_id = item.id
    and (inventory_items_on_hand.location_id is null or m.location_id = inventory_items_on_hand.location_id);
$$;

--
-- Name: FUNCTION inventory_items_on_hand(item app_public.inventory_items, location_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.inventory_items_on_hand(item app_public.inventory_items, location_id text) IS 'Units on hand: the sum of the movements, at one location or (without a location) at all of them. Can be negative when more was sold than was recorded as received.';

--
-- Name: invitation_by_token(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.invitation_by_token(token text) RETURNS TABLE(business_name text, role_name text, email text, has_account boolean, expires_at timestamp with time zone)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select t.name, r.name, i.email::text, exists (select 1 from app_public.users u where u.email = i.email), i.expires_at
  from app_public.invitations i
  join app_public.tenants t on t.id = i.tenant_id
  join app_public.roles r on r.tenant_id = i.tenant_id and r.id = i.role_id
  where i.token_hash = public.digest(coalesce(invitation_by_token.token, ''), 'sha256')
    and i.accepted_at is null and i.revoked_at is null and i.expires_at > now();
$$;

--
-- Name: FUNCTION invitation_by_token(token text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.invitation_by_token(token text) IS '@behavior -connection +list
The invitation of a link, for its page: business, role, email and whether the email has an account. Empty when the link is used, revoked, expired or unknown.';

--
-- Name: invite_member(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.invite_member(email text, role_id text, OUT invitation_id text, OUT token text, OUT expires_at timestamp with time zone) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION invite_member(email text, role_id text, OUT invitation_id text, OUT token text, OUT expires_at timestamp with time zone); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.invite_member(email text, role_id text, OUT invitation_id text, OUT token text, OUT expires_at timestamp with time zone) IS 'Invites someone by email with a role (needs settings.update and the role''s permissions); returns the secret token of the link /invitations/<token> (shown once) and when it expires. Inviting the same email again replaces the pending invitation; members and pending invitations count against the plan''s seats.';

--
-- Name: likely_duplicates(text, text, text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.likely_duplicates(first_name text DEFAULT NULL::text, last_name text DEFAULT NULL::text, email text DEFAULT NULL::text, phone text DEFAULT NULL::text) RETURNS SETOF app_public.likely_duplicate
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $_$
declare
  tenant text := app_hidden.assert_customers_permission('customers.view');
  first_clean text := left(nullif(btrim(first_name), ''), 100);
  last_clean text := left(nullif(btrim(last_name), ''), 100);
  -- An email counts from its @ on (before it, "zelda" would share its name with zelda@…).
  email_clean text := case when lower(btrim(email)) ~ '^[^@[:space:]]+@[^@[:space:]]+$' then left(lower(btrim(email)), 254) end;
  e164 text;
  phone_key text;
  email_key text;
  surname_key text;
  given_key text;
begin
  if nullif(btrim(phone), '') is not null then
    begin
      e164 := app_hidden.normalize_phone(left(phone, 40), (select t.default_country from app_public.tenants t where t.id = tenant));
    exception when sqlstate 'BADPH' then
      e164 := null;
    end;
  end if;
  -- A key that 10 live customers already share says nothing (see the header): it is not used.
  phone_key := app_hidden.duplicate_phone_key(e164);
  if phone_key is not null and (select count(*) from (
      select 1 from app_public.customers c
      where c.tenant_id = tenant and c.status <> 'merged' and c.phone is not null and app_hidden.duplicate_phone_key(c.phone) = phone_key
      limit 10) x) >= 10 then
    phone_key := null;
  end if;
  email_key := app_hidden.duplicate_email_key(email_clean);
  if email_key is not null and (select count(*) from (
      select 1 from app_public.customers c
      where c.tenant_id = tenant and c.status <> 'merged' and c.email is not null and app_hidden.duplicate_email_key(c.email) = email_key
      limit 10) x) >= 10 then
    email_key := null;
  end if;
  surname_key := case when last_clean is not null then app_hidden.duplicate_surname_key(first_clean, last_clean) end;
  if surname_key is not null and (select count(*) from (
      select 1 from app_public.customers c
      where c.tenant_id = tenant and c.status <> 'merged' and c.last_name is not null
        and app_hidden.duplicate_surname_key(c.first_name, c.last_name) = surname_key
      limit 10) x) >= 10 then
    surname_key := null;
  end if;
  given_key := case when first_clean is not null then app_hidden.duplicate_given_name_key(first_clean, last_clean) end;
  if given_key is not null and (select count(*) from (
      select 1 from app_public.customers c
      where c.tenant_id = tenant and c.status <> 'merged' and c.first_name is not null
        and app_hidden.duplicate_given_name_key(c.first_name, c.last_name) = given_key
      limit 10) x) >= 10 then
    given_key := null;
  end if;

  return query
  with candidates as (
    select c.id from app_public.customers c
    where phone_key is not null and c.tenant_id = tenant and c.status <> 'merged' and c.phone is not null
      and app_hidden.duplicate_phone_key(c.phone) = phone_key
    union
    select c.id from app_public.customers c
    where email_key is not null and c.tenant_id = tenant and c.status <> 'merged' and c.email is not null
      and app_hidden.duplicate_email_key(c.email) = email_key
    union
    select c.id from app_public.customers c
    where surname_key is not null and c.tenant_id = tenant and c.status <> 'merged' and c.last_name is not null
      and app_hidden.duplicate_surname_key(c.first_name, c.last_name) = surname_key
    union
    select c.id from app_public.customers c
    where given_key is not null and c.tenant_id = tenant and c.status <> 'merged' and c.first_name is not null
      and app_hidden.duplicate_given_name_key(c.first_name, c.last_name) = given_key
    union
    select c.id from app_public.customers c
    where email_clean is not null and c.tenant_id = tenant and c.status <> 'merged' and c.email = email_clean
    union
    select c.id from app_public.customers c
    where e164 is not null and c.tenant_id = tenant and c.status <> 'merged' and c.phone = e164
  )
  select c.id, c.customer_number, c.display_name, c.email, c.phone, c.status, s.score, s.reasons
  from candidates x
  join app_public.customers c on c.tenant_id = tenant and c.id = x.id
  cross join lateral app_hidden.customer_duplicate_score(
    first_clean, last_clean, email_clean, e164, c.first_name, c.last_name, c.email, c.phone) s
  where s.score > 0
  order by s.score desc, c.display_name, c.id
  limit 5;
end;
$_$;

--
-- Name: FUNCTION likely_duplicates(first_name text, last_name text, email text, phone text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.likely_duplicates(first_name text, last_name text, email text, phone text) IS '@behavior +list -connection
@listSuffix omit
The live customers that a customer about to be created with these values would likely duplicate (needs customers.view): at most 5, best first, each with a score (0 to 1) and the reasons in words. Never an error for a value still being typed. Creating the customer is not blocked.';

--
-- Name: merge_customers(text, text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.merge_customers(primary_id text, duplicate_id text, reason text DEFAULT NULL::text) RETURNS app_public.customers
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  me text := app_hidden.current_user_id();
  p app_public.customers;
  d app_public.customers;
  m app_public.customers;
  result app_public.customers;
  order_ids text[];
  note_ids text[];
  address_ids text[];
  notes_note text;
  merge_row app_public.customer_merges;
  p_stats app_public.customer_stats;
  d_stats app_public.customer_stats;
begin
  perform app_private.begin_change('merge_customers', reason);
  -- Sales lock an order, then its customer: take the duplicate's orders first, then the customers.
  perform 1 from app_public.orders o
  where o.tenant_id = tenant and o.customer_id = merge_customers.duplicate_id
  order by o.id
  for update;
  perform app_private.lock_customers_for_merge(tenant, merge_customers.primary_id, merge_customers.duplicate_id);
  select c.* into p from app_public.customers c where c.tenant_id = tenant and c.id = merge_customers.primary_id;
  select c.* into d from app_public.customers c where c.tenant_id = tenant and c.id = merge_customers.duplicate_id;
  m := app_hidden.merged_customer(p, d);
  select s.* into d_stats from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id = d.id;

  with moved as (
    update app_public.orders o set customer_id = p.id
    where o.tenant_id = tenant and o.customer_id = d.id
    returning o.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into order_ids from moved;

  with moved as (
    update app_public.customer_notes n set customer_id = p.id
    where n.tenant_id = tenant and n.customer_id = d.id
    returning n.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into note_ids from moved;

  with moved as (
    update app_public.customer_addresses a
      set customer_id = p.id,
          is_default = a.is_default and not exists (
            select 1 from app_public.customer_addresses pa
            where pa.tenant_id = tenant and pa.customer_id = p.id and pa.is_default)
    where a.tenant_id = tenant and a.customer_id = d.id
    returning a.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into address_ids from moved;

  -- Notes that do not fit together: the duplicate's become a note on the primary.
  if d.notes is not null and m.notes is not distinct from p.notes and p.notes is not null then
    insert into app_public.customer_notes (tenant_id, customer_id, category, body)
    values (tenant, p.id, 'general', d.notes)
    returning id into notes_note;
  end if;

  -- Customers merged earlier into the duplicate now point at the primary.
  update app_public.customers c set merged_into_id = p.id
  where c.tenant_id = tenant and c.merged_into_id = d.id;

  -- The duplicate first, so that its email and phone leave the uniqueness of live customers.
  -- Its type went to the primary (a merged customer has none: customers_merged_without_type).
  update app_public.customers c
    set status = 'merged', merged_into_id = p.id, customer_type_id = null
  where c.tenant_id = tenant and c.id = d.id;

  update app_public.customers c set
    email = m.email, phone = m.phone, first_name = m.first_name, last_name = m.last_name, notes = m.notes,
    tags = m.tags, metadata = m.metadata, marketing_consent = m.marketing_consent,
    marketing_consent_updated_at = m.marketing_consent_updated_at, marketing_consent_source = m.marketing_consent_source,
    customer_type_id = m.customer_type_id
  where c.tenant_id = tenant and c.id = p.id
  returning * into result;

  perform app_private.merge_customer_history(tenant, p.id, d.id);
  select s.* into p_stats from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id = p.id;

  insert into app_public.customer_merges (tenant_id, primary_id, duplicate_id, primary_snapshot, duplicate_snapshot,
    result_snapshot, moved_order_ids, moved_note_ids, moved_address_ids, notes_note_id, merged_by_user_id)
  values (tenant, p.id, d.id, to_jsonb(p), to_jsonb(d), to_jsonb(result), order_ids, note_ids, address_ids, notes_note, me)
  returning * into merge_row;

  perform app_private.emit_event(tenant, 'customer.merged.v1', 'customer', p.id, jsonb_build_object(
    'merge_id', merge_row.id,
    'primary_id', p.id,
    'duplicate_id', d.id,
    'primary_customer_number', p.customer_number,
    'duplicate_customer_number', d.customer_number,
    'display_name', result.display_name,
    'moved_order_ids', to_jsonb(order_ids),
    'moved_note_ids', to_jsonb(note_ids),
    'moved_address_ids', to_jsonb(address_ids),
    'added_visits', d_stats.visits,
    'added_spend', d_stats.spend,
    'total_visits', p_stats.visits,
    'total_spend', p_stats.spend,
    'last_visit_at', app_hidden.iso_utc(p_stats.last_visit_at)));
  perform app_private.end_change();
  return result;
end;
$$;

--
-- Name: FUNCTION merge_customers(primary_id text, duplicate_id text, reason text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.merge_customers(primary_id text, duplicate_id text, reason text) IS 'Merges a duplicate customer into a primary one (needs customers.merge). The primary keeps its values and takes the duplicate''s where it has none; tags and notes are combined; visits and spend are added up; orders, notes and addresses move to the primary. The duplicate stays with status merged. Both must be live and different (NOTFD, CMRGD, MRGSM). The reason, if given, is kept in the audit log.';

--
-- Name: open_cash_drawer(text, integer); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.open_cash_drawer(location_id text, opening_float integer) RETURNS app_public.cash_drawers
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION open_cash_drawer(location_id text, opening_float integer); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.open_cash_drawer(location_id text, opening_float integer) IS '@resultFieldName cashDrawer
Opens the cash drawer of a location with a float in minor units (needs sales.sell). One drawer at a time per location: while it is open, cash payments and cash refunds there go into and out of it.';

--
-- Name: open_cash_drawer_at(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.open_cash_drawer_at(location_id text) RETURNS app_public.cash_drawers
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select d.* from app_public.cash_drawers d
  where d.tenant_id = (select app_hidden.current_tenant_id()) and d.location_id = open_cash_drawer_at.location_id and d.closed_at is null;
$$;

--
-- Name: FUNCTION open_cash_drawer_at(location_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.open_cash_drawer_at(location_id text) IS 'The open cash drawer of a location, or null when none is open.';

--
-- Name: open_orders(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.open_orders(location_id text) RETURNS SETOF app_public.orders
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select o.* from app_public.orders o
  where o.tenant_id = (select app_hidden.current_tenant_id()) and o.location_id = open_orders.location_id and o.status = 'open'
  order by o.created_at desc, o.id desc;
$$;

--
-- Name: FUNCTION open_orders(location_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.open_orders(location_id text) IS '@behavior -connection +list
The open orders (not paid in full yet) of a location, newest first: to resume their payment or cancel them.';

--
-- Name: orders_refundable_lines(app_public.orders); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.orders_refundable_lines(o app_public.orders) RETURNS TABLE(order_line_id text, line_no integer, name text, unit_price integer, quantity integer, refunded integer, refundable integer, total integer)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select l.id, l.line_no, l.name, l.unit_price, l.quantity, coalesce(r.refunded, 0)::int,
         case when o.status = 'placed' then (l.quantity - coalesce(r.refunded, 0))::int else 0 end, l.total
  from app_public.order_lines l
  left join (select rl.order_line_id, sum(rl.quantity) as refunded
             from app_public.order_refund_lines rl
             join app_public.order_refunds f on f.tenant_id = rl.tenant_id and f.id = rl.order_refund_id
             where f.tenant_id = o.tenant_id and f.order_id = o.id
             group by rl.order_line_id) r on r.order_line_id = l.id
  where l.tenant_id = o.tenant_id and l.order_id = o.id
  order by l.line_no;
$$;

--
-- Name: FUNCTION orders_refundable_lines(o app_public.orders); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.orders_refundable_lines(o app_public.orders) IS '@behavior -connection +list
@notNull
Each line of the order with the units already refunded and the units that can still be (a sale''s; an open or voided order takes no refund).';

--
-- Name: place_order(text, jsonb, text, integer, timestamp with time zone); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.place_order(location_id text, lines jsonb, customer_id text DEFAULT NULL::text, discount integer DEFAULT 0, placed_at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS app_public.orders
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  me text := app_hidden.current_user_id();
  loc app_public.locations;
  tax record;
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
  tax := app_private.location_tax(tenant, loc.id);
  select array_agg(p order by p.line_no), sum(p.total) into priced, total
  from app_private.price_lines(tenant, place_order.lines, order_discount, tax.rate_bps, tax.inclusive) p;
  -- An import is a sale of its time; an order with nothing to pay is a sale now; others are open.
  sale_time := case when place_order.placed_at is not null then place_order.placed_at when total = 0 then now() end;

  insert into app_public.orders (tenant_id, location_id, customer_id, status, subtotal, order_discount, discount_total,
                                 tax_rate_bps, tax_name, tax_inclusive, tax_total, total, placed_at, business_date, placed_by_user_id)
  select tenant, loc.id, customer, case when sale_time is null then 'open' else 'placed' end, sum(p.subtotal),
         sum(p.order_discount_share), sum(p.line_discount) + sum(p.order_discount_share), tax.rate_bps, tax.name, tax.inclusive,
         sum(p.tax), sum(p.total), sale_time, app_hidden.business_date(sale_time, loc.timezone), me
  from unnest(priced) p
  returning * into result;

  insert into app_public.order_lines (tenant_id, order_id, line_no, catalog_item_id, sku, name, unit_price, quantity,
                                      subtotal, line_discount, order_discount_share, net_total, tax, total, tax_inclusive)
  select tenant, result.id, p.line_no, p.catalog_item_id, p.sku, p.name, p.unit_price, p.quantity,
         p.subtotal, p.line_discount, p.order_discount_share, p.net_total, p.tax, p.total, tax.inclusive
  from unnest(priced) p
  order by p.line_no;

  if result.status = 'placed' then
    perform app_private.record_sale(result, me);
  end if;
  return result;
end;
$$;

--
-- Name: FUNCTION place_order(location_id text, lines jsonb, customer_id text, discount integer, placed_at timestamp with time zone); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.place_order(location_id text, lines jsonb, customer_id text, discount integer, placed_at timestamp with time zone) IS '@resultFieldName order
Opens an order (needs sales.sell). lines is a JSON list of {"catalog_item_id": "…", "quantity": 1, "discount": 0} (discount in minor units off that line); discount is off the whole order. Totals are computed from catalog prices and the tax rate the location charges: tax per line on the discounted amount, rounded half up (with a rate included in prices, the part of the amount that is tax; the lines are then kept without tax). The order is open — not a sale, no stock taken — until payments (recordTender) cover its total; an order with nothing to pay is a sale at once. placedAt records a past sale (an import, owners only): a sale at once.';

--
-- Name: plans_change_problem(app_public.plans); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.plans_change_problem(plan app_public.plans) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null or not app_hidden.has_permission('settings.view') then
    return null;
  end if;
  return app_private.plan_change_problem(tenant, plan.key);
end;
$$;

--
-- Name: FUNCTION plans_change_problem(plan app_public.plans); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.plans_change_problem(plan app_public.plans) IS 'Why the business could not move to this plan now (its usage over the plan''s limits, as changePlan would refuse it with DOWNG); null when it fits.';

--
-- Name: possible_duplicate_pairs(integer, integer); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.possible_duplicate_pairs(max_pairs integer DEFAULT 25, skip integer DEFAULT 0) RETURNS SETOF app_public.possible_duplicate_pair
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    SET jit TO 'off'
    SET plan_cache_mode TO 'force_custom_plan'
    AS $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  phone_keys text[];
  email_keys text[];
  surname_keys text[];
  given_name_keys text[];
begin
  if max_pairs is null or max_pairs < 1 or max_pairs > 100 then
    perform app_hidden.raise_error('BADIN', 'Ask for 1 to 100 pairs at a time.', field => 'max_pairs');
  end if;
  if skip is null or skip < 0 then
    perform app_hidden.raise_error('BADIN', 'The pairs to skip must be 0 or more.', field => 'skip');
  end if;
  -- The keys first, each into an array: the planner then knows how few they are (estimated from
  -- a GROUP BY it guessed millions of pairs, and read the whole tenant to fetch a few hundred).
  select coalesce(array_agg(k.key), '{}') into phone_keys from (
    select app_hidden.duplicate_phone_key(c.phone) as key
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.phone is not null
    group by 1 having count(*) between 2 and 10) k;
  select coalesce(array_agg(k.key), '{}') into email_keys from (
    select app_hidden.duplicate_email_key(c.email) as key
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.email is not null
    group by 1 having count(*) between 2 and 10) k;
  select coalesce(array_agg(k.key), '{}') into surname_keys from (
    select app_hidden.duplicate_surname_key(c.first_name, c.last_name) as key
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.last_name is not null
    group by 1 having count(*) between 2 and 10) k;
  select coalesce(array_agg(k.key), '{}') into given_name_keys from (
    select app_hidden.duplicate_given_name_key(c.first_name, c.last_name) as key
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.first_name is not null
    group by 1 having count(*) between 2 and 10) k;

  return query
  with contact_members as (
    select 1 as kind, app_hidden.duplicate_phone_key(c.phone) as key, c.id
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.phone is not null
      and app_hidden.duplicate_phone_key(c.phone) = any (phone_keys)
    union all
    select 2, app_hidden.duplicate_email_key(c.email), c.id
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.email is not null
      and app_hidden.duplicate_email_key(c.email) = any (email_keys)
  ),
  contact_pairs as (
    select distinct a.id as a_id, b.id as b_id
    from contact_members a
    join contact_members b on b.kind = a.kind and b.key = a.key and a.id collate "C" < b.id collate "C"
  ),
  name_members as (
    select 1 as kind, app_hidden.duplicate_surname_key(c.first_name, c.last_name) as key, c.id, c.first_name, c.last_name
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.last_name is not null
      and app_hidden.duplicate_surname_key(c.first_name, c.last_name) = any (surname_keys)
    union all
    select 2, app_hidden.duplicate_given_name_key(c.first_name, c.last_name), c.id, c.first_name, c.last_name
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.first_name is not null
      and app_hidden.duplicate_given_name_key(c.first_name, c.last_name) = any (given_name_keys)
  ),
  name_pairs as (
    select distinct a.id as a_id, b.id as b_id,
           a.first_name as a_first, a.last_name as a_last, b.first_name as b_first, b.last_name as b_last
    from name_members a
    join name_members b on b.kind = a.kind and b.key = a.key and a.id collate "C" < b.id collate "C"
    where public.similarity(app_hidden.duplicate_full_name(a.first_name, a.last_name),
                            app_hidden.duplicate_full_name(b.first_name, b.last_name)) >= 0.6
  ),
  scored as (
    -- Each pair's two customers looked up by id (offset 0 keeps it so: with a misestimate of
    -- the pairs, the planner hashed the tenant's every customer to read a few hundred).
    select x.a_id, x.b_id, s.score, s.reasons
    from contact_pairs x
    cross join lateral (
      select t.score, t.reasons
      from app_public.customers a
      join app_public.customers b on b.tenant_id = tenant and b.id = x.b_id
      cross join lateral app_hidden.customer_duplicate_score(
        a.first_name, a.last_name, a.email, a.phone, b.first_name, b.last_name, b.email, b.phone) t
      where a.tenant_id = tenant and a.id = x.a_id
      offset 0) s
    union all
    select x.a_id, x.b_id, s.score, s.reasons
    from name_pairs x
    cross join lateral app_hidden.customer_duplicate_score(
      x.a_first, x.a_last, null, null, x.b_first, x.b_last, null, null) s
    where not exists (select 1 from contact_pairs y where y.a_id = x.a_id and y.b_id = x.b_id)
  ),
  page as (
    select x.* from scored x
    where x.score > 0
      and not exists (
        select 1 from app_private.customer_duplicate_dismissals d
        where d.tenant_id = tenant and d.customer_id = x.a_id and d.other_customer_id = x.b_id)
    order by x.score desc, x.a_id, x.b_id
    limit max_pairs offset skip
  )
  select a.id, a.customer_number, a.display_name, a.email, a.phone,
         b.id, b.customer_number, b.display_name, b.email, b.phone,
         p.score, p.reasons
  from page p
  join app_public.customers a on a.tenant_id = tenant and a.id = p.a_id
  join app_public.customers b on b.tenant_id = tenant and b.id = p.b_id
  order by p.score desc, p.a_id, p.b_id;
end;
$$;

--
-- Name: FUNCTION possible_duplicate_pairs(max_pairs integer, skip integer); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.possible_duplicate_pairs(max_pairs integer, skip integer) IS '@behavior +list -connection
@listSuffix omit
A page of pairs of live customers that are likely the same person (needs customers.merge), best first: same phone digits, same email name at another domain, same or similar names. At most maxPairs (1 to 100, default 25) after the first skip. Dismissed pairs are left out; each pair can be merged (mergeCustomers) or dismissed (dismissPossibleDuplicate).';

--
-- Name: preview_customer_merge(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.preview_customer_merge(primary_id text, duplicate_id text) RETURNS app_public.customer_merge_preview
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  p app_public.customers;
  d app_public.customers;
  m app_public.customers;
  result app_public.customer_merge_preview;
begin
  if primary_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the customer to keep and the duplicate to merge into it.');
  end if;
  if primary_id = duplicate_id then
    perform app_hidden.raise_error('MRGSM', 'A customer cannot be merged with itself; choose two different customers.');
  end if;
  select c.* into p from app_public.customers c where c.tenant_id = tenant and c.id = preview_customer_merge.primary_id;
  select c.* into d from app_public.customers c where c.tenant_id = tenant and c.id = preview_customer_merge.duplicate_id;
  if p.id is null or d.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.',
      left(case when p.id is null then primary_id else duplicate_id end, 40)));
  end if;
  if p.status = 'merged' or d.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'One of these customers was already merged into another customer.');
  end if;
  m := app_hidden.merged_customer(p, d);
  result := row(m.display_name, m.email, m.phone, m.first_name, m.last_name, m.notes, m.tags, m.marketing_consent,
                (select sum(s.visits) from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id in (p.id, d.id)),
                (select sum(s.spend) from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id in (p.id, d.id)),
                (select max(s.last_visit_at) from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id in (p.id, d.id)),
                (select count(*) from app_public.orders o where o.tenant_id = tenant and o.customer_id = d.id),
                (select count(*) from app_public.customer_notes n where n.tenant_id = tenant and n.customer_id = d.id),
                (select count(*) from app_public.customer_addresses a where a.tenant_id = tenant and a.customer_id = d.id));
  return result;
end;
$$;

--
-- Name: FUNCTION preview_customer_merge(primary_id text, duplicate_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.preview_customer_merge(primary_id text, duplicate_id text) IS 'Shows what mergeCustomers would make of the two customers, without changing anything (needs customers.merge).';

--
-- Name: quote_order(jsonb, integer, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.quote_order(lines jsonb, discount integer DEFAULT 0, location_id text DEFAULT NULL::text) RETURNS app_public.order_quote
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  tax record;
  result app_public.order_quote;
begin
  if quote_order.location_id is not null
     and not exists (select 1 from app_public.locations l where l.tenant_id = tenant and l.id = quote_order.location_id) then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(quote_order.location_id, 40)));
  end if;
  tax := app_private.location_tax(tenant, quote_order.location_id);
  select sum(p.subtotal)::int, (sum(p.line_discount) + sum(p.order_discount_share))::int, tax.rate_bps,
         sum(p.tax)::int, sum(p.total)::int,
         jsonb_agg(to_jsonb(p) - 'inventory_item_id' order by p.line_no), tax.name, tax.inclusive
    into result
  from app_private.price_lines(tenant, quote_order.lines, coalesce(quote_order.discount, 0), tax.rate_bps, tax.inclusive) p;
  return result;
end;
$$;

--
-- Name: FUNCTION quote_order(lines jsonb, discount integer, location_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.quote_order(lines jsonb, discount integer, location_id text) IS 'Prices a cart without placing it (needs sales.sell): the same validation, totals and rounding as placeOrder, with the tax rate the location charges (the business''s default rate without a location). lines is a JSON list of {"catalog_item_id", "quantity", "discount"?}; discount is cents off the whole order.';

--
-- Name: cash_drawer_entries; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.cash_drawer_entries (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    cash_drawer_id text NOT NULL,
    kind text NOT NULL,
    amount integer NOT NULL,
    reason text NOT NULL,
    recorded_by_user_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT cash_drawer_entries_amount_check CHECK (((amount >= 1) AND (amount <= 100000000))),
    CONSTRAINT cash_drawer_entries_kind_check CHECK ((kind = ANY (ARRAY['in'::text, 'out'::text]))),
    CONSTRAINT cash_drawer_entries_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500)))
);

ALTER TABLE ONLY app_public.cash_drawer_entries FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE cash_drawer_entries; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.cash_drawer_entries IS '@unique id
Cash put into or taken out of a drawer for something other than a sale (change brought in, milk bought, a bank drop), with the reason. Never changed.';

--
-- Name: COLUMN cash_drawer_entries.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.cash_drawer_entries.tenant_id IS '@behavior -*';

--
-- Name: COLUMN cash_drawer_entries.kind; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.cash_drawer_entries.kind IS 'in (cash put in) or out (cash taken out).';

--
-- Name: COLUMN cash_drawer_entries.amount; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.cash_drawer_entries.amount IS 'In minor units of the business''s currency, > 0.';

--
-- Name: COLUMN cash_drawer_entries.recorded_by_user_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.cash_drawer_entries.recorded_by_user_id IS 'Who (a user id kept as it was).';

--
-- Name: record_cash_drawer_entry(text, text, integer, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.record_cash_drawer_entry(cash_drawer_id text, kind text, amount integer, reason text) RETURNS app_public.cash_drawer_entries
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION record_cash_drawer_entry(cash_drawer_id text, kind text, amount integer, reason text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.record_cash_drawer_entry(cash_drawer_id text, kind text, amount integer, reason text) IS '@resultFieldName entry
Cash put into (kind in) or taken out of (kind out) an open drawer, in minor units, with a reason (needs sales.sell). Taking out more than the drawer should hold is refused (BADAM).';

--
-- Name: record_inventory_movement(text, text, integer, text, text, timestamp with time zone); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.record_inventory_movement(location_id text, inventory_item_id text, quantity integer, reason text, note text DEFAULT NULL::text, occurred_at timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS app_public.inventory_movements
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('inventory.manage');
  result app_public.inventory_movements;
  available int;
begin
  if occurred_at is not null then
    if not app_hidden.has_permission('settings.update') then
      perform app_hidden.raise_error('DNIED', 'Only an owner (settings.update) can record stock changes with a past date.');
    end if;
    perform app_hidden.assert_recorded_time('The time of a stock change', occurred_at, 'occurred_at');
  end if;
  if not exists (select 1 from app_public.locations l
                 where l.tenant_id = tenant and l.id = record_inventory_movement.location_id) then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', record_inventory_movement.location_id));
  end if;
  -- Locks the item against other outflows (not against sales, whose foreign keys take KEY SHARE).
  perform 1 from app_public.inventory_items i
    where i.tenant_id = tenant and i.id = record_inventory_movement.inventory_item_id
    for no key update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no inventory item %s.', record_inventory_movement.inventory_item_id));
  end if;
  if reason is null or reason not in ('receive', 'adjustment', 'waste', 'transfer_in', 'transfer_out') then
    perform app_hidden.raise_error('BADIN', case when reason = 'sale'
      then 'Sales take stock out by themselves when an order is placed.'
      else 'The reason must be receive, adjustment, waste, transfer_in or transfer_out.' end);
  end if;
  if quantity is null or quantity = 0 or abs(quantity) > 1000000 then
    perform app_hidden.raise_error('BADQT', 'The quantity must be a whole number of units, not zero, at most 1000000 either way.');
  elsif reason in ('receive', 'transfer_in') and quantity < 0 then
    perform app_hidden.raise_error('BADQT', format('A %s adds stock: give a positive quantity.', replace(reason, '_', ' ')));
  elsif reason in ('waste', 'transfer_out') and quantity > 0 then
    perform app_hidden.raise_error('BADQT', format('A %s removes stock: give a negative quantity.', replace(reason, '_', ' ')));
  end if;
  if note is not null then
    note := nullif(btrim(note), '');
    if length(note) > 500 then
      perform app_hidden.raise_error('BADIN', 'The note must be at most 500 characters.', field => 'note');
    end if;
  end if;
  if quantity < 0 then
    available := app_private.on_hand(tenant, record_inventory_movement.location_id, record_inventory_movement.inventory_item_id);
    if available + quantity < 0 then
      perform app_hidden.raise_error('NOSTK', format(
        'Only %s on hand at this location; cannot take out %s.', greatest(available, 0), -quantity));
    end if;
  end if;
  insert into app_public.inventory_movements
    (tenant_id, location_id, inventory_item_id, quantity, reason, note, actor_user_id, occurred_at)
  values
    (tenant, record_inventory_movement.location_id, record_inventory_movement.inventory_item_id,
     record_inventory_movement.quantity, record_inventory_movement.reason, record_inventory_movement.note,
     app_hidden.current_user_id(), coalesce(record_inventory_movement.occurred_at, now()))
  returning * into result;
  return result;
end;
$$;

--
-- Name: FUNCTION record_inventory_movement(location_id text, inventory_item_id text, quantity integer, reason text, note text, occurred_at timestamp with time zone); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.record_inventory_movement(location_id text, inventory_item_id text, quantity integer, reason text, note text, occurred_at timestamp with time zone) IS '@resultFieldName inventoryMovement
Records a stock change other than a sale (needs inventory.manage). quantity is the signed change: receive and transfer_in positive, waste and transfer_out negative, adjustment either. Outflows cannot take on-hand below zero. occurredAt backdates an import (owners only).';

--
-- Name: record_tender(text, text, integer); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.record_tender(order_id text, type text, amount integer) RETURNS app_public.tenders
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION record_tender(order_id text, type text, amount integer); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.record_tender(order_id text, type text, amount integer) IS '@resultFieldName tender
Records a payment towards an order (needs sales.sell). type is cash or card; amount in minor units of the business''s currency. Cash above the amount due gives change (changeGiven); card cannot exceed the amount due. The payment that covers an open order''s total makes it a sale (status placed, placedAt now). Voided, cancelled or fully paid orders take no payment.';

--
-- Name: refund_order_lines(text, jsonb, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.refund_order_lines(order_id text, lines jsonb, reason text) RETURNS app_public.order_refunds
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('sales.void');
  me text := app_hidden.current_user_id();
  why text;
  o app_public.orders;
  loc app_public.locations;
  refund app_public.order_refunds;
  elem jsonb;
  n int;
  unknown_key text;
  qty numeric;
  line_ids text[] := '{}';
  qtys int[] := '{}';
  over record;
  left_to_give bigint;
begin
  why := app_hidden.assert_name('The reason for the refund', refund_order_lines.reason, 500, 'reason');
  perform app_private.begin_change('refund_order_lines', why);
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = refund_order_lines.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(refund_order_lines.order_id, 40)));
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order was voided: everything on it was refunded already.');
  end if;
  if o.status <> 'placed' then
    perform app_hidden.raise_error('BADIN', 'Only a sale can be refunded (an open order is cancelled instead).');
  end if;

  if lines is null or jsonb_typeof(lines) <> 'array' or jsonb_array_length(lines) = 0 then
    perform app_hidden.raise_error('BADIN', 'Say what to refund: a list such as [{"order_line_id": "…", "quantity": 1}].');
  end if;
  if jsonb_array_length(lines) > 200 then
    perform app_hidden.raise_error('BADIN', 'A refund can have at most 200 lines.');
  end if;
  for elem, n in select e.value, e.ordinality from jsonb_array_elements(lines) with ordinality as e order by e.ordinality loop
    if jsonb_typeof(elem) <> 'object' then
      perform app_hidden.raise_error('BADIN', format('Line %s must be an object such as {"order_line_id": "…", "quantity": 1}.', n));
    end if;
    select k into unknown_key from jsonb_object_keys(elem) as k where k not in ('order_line_id', 'quantity') order by k limit 1;
    if unknown_key is not null then
      perform app_hidden.raise_error('BADIN', format('Line %s: unknown field "%s" (use order_line_id and quantity).', n, left(unknown_key, 40)));
    end if;
    if jsonb_typeof(elem -> 'order_line_id') is distinct from 'string' then
      perform app_hidden.raise_error('BADIN', format('Line %s: order_line_id is required.', n));
    end if;
    if (elem ->> 'order_line_id') = any(line_ids) then
      perform app_hidden.raise_error('BADIN', format('Line %s: that order line is already in this refund.', n));
    end if;
    if jsonb_typeof(elem -> 'quantity') is distinct from 'number' then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    qty := (elem ->> 'quantity')::numeric;
    if qty <> trunc(qty) or qty < 1 or qty > 10000 then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    line_ids := line_ids || (elem ->> 'order_line_id');
    qtys := qtys || qty::int;
  end loop;

  -- Every line is one of this order's, and no more units than are left to refund (the order's
  -- row lock makes concurrent refunds of one sale take turns).
  select r.ord, r.line_id into over
  from unnest(line_ids) with ordinality as r(line_id, ord)
  where not exists (select 1 from app_public.order_lines l where l.tenant_id = tenant and l.order_id = o.id and l.id = r.line_id)
  order by r.ord limit 1;
  if found then
    perform app_hidden.raise_error('NOTFD', format('Line %s: there is no line %s on this order.', over.ord, left(over.line_id, 40)));
  end if;
  select r.ord, r.qty, x.refundable, x.quantity, x.name into over
  from unnest(line_ids, qtys) with ordinality as r(line_id, qty, ord)
  join app_public.orders_refundable_lines(o) x on x.order_line_id = r.line_id
  where r.qty > x.refundable
  order by r.ord limit 1;
  if found then
    perform app_hidden.raise_error('BADQT', case when over.refundable = 0
      then format('Line %s: all %s of %s were refunded already.', over.ord, over.quantity, over.name)
      else format('Line %s: only %s of %s can still be refunded.', over.ord, over.refundable, over.name) end);
  end if;

  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;

  -- The refund and its lines in one statement (the lines' foreign key is checked at its end).
  with wanted as (
    select x.order_line_id, r.qty, x.refunded, x.quantity as units, l.unit_price, l.net_total::bigint as net,
           (l.line_discount + l.order_discount_share)::bigint as discount, l.tax::bigint as tax, l.line_no
    from unnest(line_ids, qtys) as r(line_id, qty)
    join app_public.orders_refundable_lines(o) x on x.order_line_id = r.line_id
    join app_public.order_lines l on l.tenant_id = tenant and l.id = r.line_id
  ), shares as (
    select w.order_line_id, w.qty, w.line_no, w.unit_price,
           app_hidden.unit_share(w.net, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.net, w.refunded, w.units) as net,
           app_hidden.unit_share(w.discount, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.discount, w.refunded, w.units) as discount,
           app_hidden.unit_share(w.tax, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.tax, w.refunded, w.units) as tax
    from wanted w
  ), priced as (
    select s.order_line_id, s.qty, s.line_no, s.discount, s.tax,
           case when o.tax_inclusive then s.net + s.discount else s.unit_price::bigint * s.qty end as subtotal
    from shares s
  ), head as (
    insert into app_public.order_refunds (tenant_id, order_id, reason, business_date, subtotal, discount_total, tax_total, total, refunded_by_user_id)
    select tenant, o.id, why, app_hidden.business_date(now(), loc.timezone), sum(p.subtotal), sum(p.discount), sum(p.tax),
           sum(p.subtotal - p.discount + p.tax), me
    from priced p
    returning *
  ), body as (
    insert into app_public.order_refund_lines (tenant_id, order_refund_id, order_line_id, quantity, subtotal, discount, tax, total)
    select tenant, h.id, p.order_line_id, p.qty, p.subtotal, p.discount, p.tax, p.subtotal - p.discount + p.tax
    from priced p cross join head h
    order by p.line_no
  )
  select h.* into refund from head h;

  update app_public.orders x set refunded_total = x.refunded_total + refund.total
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;

  -- The money: back to the cards first, then cash from the drawer, never more than was paid and not yet handed back.
  left_to_give := refund.total;
  for over in
    select p.type, p.paid - coalesce(b.back, 0) as available
    from (select t.type, sum(t.applied_amount) as paid from app_public.tenders t
          where t.tenant_id = tenant and t.order_id = o.id group by t.type) p
    left join (select r.type, sum(r.amount) as back from app_public.refund_tenders r
               where r.tenant_id = tenant and r.order_id = o.id group by r.type) b on b.type = p.type
    order by p.type = 'card' desc, p.type
  loop
    exit when left_to_give = 0;
    continue when over.available <= 0;
    insert into app_public.refund_tenders (tenant_id, order_id, order_refund_id, type, amount, reason, business_date, refunded_by_user_id, cash_drawer_id)
    values (tenant, o.id, refund.id, over.type, least(left_to_give, over.available), why, refund.business_date, me,
            -- Cash comes out of the location's open drawer (330-cash-drawers.sql).
            case when over.type = 'cash' then app_private.open_cash_drawer_id(tenant, o.location_id) end);
    left_to_give := left_to_give - least(left_to_give, over.available);
  end loop;

  perform app_private.emit_event(tenant, 'order.refunded.v1', 'order', o.id, app_private.order_refunded_event_payload(o, refund), me);

  -- Units the sale took out of stock go back on the shelf, each line with its movement (and its event).
  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason, note,
                                              order_id, order_line_id, actor_user_id)
  select tenant, m.location_id, m.inventory_item_id, rl.quantity, 'sale', 'Refund on order ' || o.id, o.id, rl.order_line_id, me
  from app_public.order_refund_lines rl
  join app_public.inventory_movements m
    on m.tenant_id = rl.tenant_id and m.order_id = o.id and m.order_line_id = rl.order_line_id and m.reason = 'sale' and m.quantity < 0
  where rl.tenant_id = tenant and rl.order_refund_id = refund.id
  order by m.id;

  perform app_private.end_change();
  return refund;
end;
$$;

--
-- Name: FUNCTION refund_order_lines(order_id text, lines jsonb, reason text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.refund_order_lines(order_id text, lines jsonb, reason text) IS '@resultFieldName refund
Refunds units of some lines of a sale (needs sales.void): lines is a list of {"order_line_id", "quantity"}, never more units than are left to refund. Each unit takes back its share of the line''s discount and tax; the money goes back card first, then cash from the drawer (refundTenders), and counts as a refund today; stocked units go back on the shelf. A voided sale takes no refund, and a sale with refunds is not voided.';

--
-- Name: remove_customer_favourite_item(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.remove_customer_favourite_item(customer_id text, catalog_item_id text) RETURNS app_public.customer_favourite_items
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  c app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  result app_public.customer_favourite_items;
begin
  delete from app_public.customer_favourite_items f
  where f.tenant_id = tenant and f.customer_id = c.id and f.catalog_item_id = remove_customer_favourite_item.catalog_item_id
  returning * into result;
  if result.catalog_item_id is null then
    perform app_hidden.raise_error('NOTFD', 'That item is not one of this customer''s favourites.', field => 'catalog_item_id');
  end if;
  perform app_private.audit_customer_change(tenant, c.id, jsonb_build_object('favourite_items', jsonb_build_object('old',
    '−' || (select i.name from app_public.catalog_items i where i.tenant_id = tenant and i.id = result.catalog_item_id), 'new', null)));
  return result;
end;
$$;

--
-- Name: FUNCTION remove_customer_favourite_item(customer_id text, catalog_item_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.remove_customer_favourite_item(customer_id text, catalog_item_id text) IS 'Removes a catalog item from a customer''s favourites (needs customers.update).';

--
-- Name: remove_member(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.remove_member(membership_id text) RETURNS app_public.memberships
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION remove_member(membership_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.remove_member(membership_id text) IS '@resultFieldName membership
Removes a member (needs settings.update and the permissions of their role): they lose access to the business at once. The business keeps at least one owner (LASTO).';

--
-- Name: rename_customer_type(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.rename_customer_type(id text, label text) RETURNS app_public.customer_types
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  result app_public.customer_types;
begin
  update app_public.customer_types t set label = app_private.assert_customer_type_label(tenant, rename_customer_type.label, rename_customer_type.id)
  where t.tenant_id = tenant and t.id = rename_customer_type.id
  returning * into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer type %s.', coalesce(left(rename_customer_type.id, 40), '(none given)')));
  end if;
  return result;
end;
$$;

--
-- Name: FUNCTION rename_customer_type(id text, label text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.rename_customer_type(id text, label text) IS 'Renames a customer type (needs settings.update); customers keep it.';

--
-- Name: reopen_location(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.reopen_location(location_id text) RETURNS app_public.locations
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION reopen_location(location_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.reopen_location(location_id text) IS '@resultFieldName location
Opens a closed location again (needs settings.update).';

--
-- Name: request_billing_portal(); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.request_billing_portal() RETURNS app_public.billing_requests
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_billing_permission('settings.update');
  result app_public.billing_requests;
begin
  insert into app_public.billing_requests (tenant_id, kind, requested_by)
  values (tenant, 'portal', app_hidden.current_user_id())
  returning * into result;
  perform graphile_worker.add_job('stripe_billing_portal',
    json_build_object('tenantId', tenant, 'requestId', result.id), max_attempts := 12);
  return result;
end;
$$;

--
-- Name: FUNCTION request_billing_portal(); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.request_billing_portal() IS '@resultFieldName billingRequest
Asks for a Stripe billing portal session (settings.update); poll the returned request for its url.';

--
-- Name: restore_customer(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.restore_customer(customer_id text, reason text DEFAULT NULL::text) RETURNS app_public.customers
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select * from app_private.customer_status_command('restore_customer', customer_id, 'active', reason);
$$;

--
-- Name: FUNCTION restore_customer(customer_id text, reason text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.restore_customer(customer_id text, reason text) IS 'Makes an archived customer active again (needs customers.update). The reason, if given, is kept in the audit log.';

--
-- Name: revoke_invitation(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.revoke_invitation(invitation_id text) RETURNS app_public.invitations
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION revoke_invitation(invitation_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.revoke_invitation(invitation_id text) IS '@resultFieldName invitation
Withdraws a pending invitation (needs settings.update): its link stops working.';

--
-- Name: search_customers(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.search_customers(q text) RETURNS SETOF app_public.customers
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    SET enable_bitmapscan TO 'off'
    AS $_$
declare
  tenant text := app_hidden.customers_reader_tenant();
  term text := lower(btrim(regexp_replace(coalesce(q, ''), '\s+', ' ', 'g')));
  escaped text;
  digits text;
  calling_code text;
  national text;
  phone_prefix text;
  phone_part text;
  branches text[] := '{}';
  prefix_hits int;
  live constant text := 'c.tenant_id = $1 and c.status <> ''merged''';
begin
  if tenant is null or term = '' then
    return;
  end if;
  term := left(term, 100);
  -- chr(92) is the backslash (written out: graphile-migrate's SQL minifier misreads '\').
  escaped := replace(replace(replace(term, chr(92), chr(92) || chr(92)), '%', chr(92) || '%'), '_', chr(92) || '_');

  branches := branches || format(
    '(select c.id, 1 as rank from app_public.customers c
      where %s and lower(c.display_name) like %L order by lower(c.display_name) using ~<~ limit 10)', live, escaped || '%');
  branches := branches || format(
    '(select c.id, 2 from app_public.customers c
      where %s and lower(c.last_name) like %L order by lower(c.last_name) using ~<~ limit 10)', live, escaped || '%');
  branches := branches || format(
    '(select c.id, 2 from app_public.customers c
      where %s and c.email like %L order by c.email using ~<~ limit 10)', live, escaped || '%');

  -- Something that looks like a phone number: match the stored E.164 form.
  if term ~ '^\+?[0-9 ().\-/]+$' then
    digits := regexp_replace(term, '[^0-9]', '', 'g');
    if left(term, 1) = '+' then
      phone_prefix := '+' || digits;
      phone_part := digits;
    elsif left(digits, 2) = '00' then
      phone_prefix := '+' || substr(digits, 3);
      phone_part := substr(digits, 3);
    else
      select app_hidden.country_calling_code(t.default_country) into calling_code
      from app_public.tenants t where t.id = tenant;
      national := case when calling_code = '39' then digits else ltrim(digits, '0') end;
      if calling_code is not null and national <> '' then
        phone_prefix := '+' || calling_code || national;
      end if;
      phone_part := national;
    end if;
    if phone_prefix is not null and length(phone_prefix) > 1 then
      branches := branches || format(
        '(select c.id, 2 from app_public.customers c
          where %s and c.phone like %L order by c.phone using ~<~ limit 10)', live, phone_prefix || '%');
    end if;
  end if;

  -- Substrings rank after every prefix match: when the prefixes alone give 10 customers, the
  -- substring lookup cannot change the answer, so it is skipped (it is the slow path).
  if length(term) >= 3 then
    execute format('select count(distinct h.id) from (%s) h', array_to_string(branches, ' union all '))
      into prefix_hits using tenant;
  end if;
  if length(term) >= 3 and prefix_hits < 10 then
    branches := branches || format(
      '(select x.id, 3 from app_private.customers_containing($1, %L, %L) as x(id))',
      '%' || escaped || '%',
      case when length(phone_part) >= 3 then '%' || phone_part || '%' end);
  end if;

  return query execute format(
    'with hits as (%s),
          best as (select h.id, min(h.rank) as rank from hits h group by h.id)
     select c.* from best join app_public.customers c on c.tenant_id = $1 and c.id = best.id
     order by best.rank, lower(c.display_name) using ~<~, c.id
     limit 10',
    array_to_string(branches, ' union all '))
  using tenant;
end;
$_$;

--
-- Name: FUNCTION search_customers(q text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.search_customers(q text) IS '@behavior +list -connection
@listSuffix omit
Type-ahead search of the live customers (needs customers.view): at most 10 whose name, last name, email or phone starts with q, then (from 3 characters) those that contain it anywhere; case does not matter, and phone numbers match however they are typed (national or international).';

--
-- Name: customer_contact_channels; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.customer_contact_channels (
    tenant_id text NOT NULL,
    customer_id text NOT NULL,
    channel text NOT NULL,
    allowed boolean NOT NULL,
    source text NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    recorded_by text,
    CONSTRAINT customer_contact_channels_channel_check CHECK ((channel = ANY (ARRAY['email'::text, 'sms'::text, 'phone'::text]))),
    CONSTRAINT customer_contact_channels_source_check CHECK ((source = ANY (ARRAY['pos'::text, 'admin'::text, 'online'::text, 'import'::text, 'merge'::text, 'other'::text])))
);

ALTER TABLE ONLY app_public.customer_contact_channels FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customer_contact_channels; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.customer_contact_channels IS '@name customer_contact_channels
@behavior -query:resource:list -query:resource:connection
A contact channel (email, sms, phone) the customer agreed to or refused, with the source and time of that consent.';

--
-- Name: COLUMN customer_contact_channels.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_contact_channels.tenant_id IS '@behavior -*';

--
-- Name: COLUMN customer_contact_channels.channel; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_contact_channels.channel IS 'email, sms or phone.';

--
-- Name: COLUMN customer_contact_channels.allowed; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_contact_channels.allowed IS 'Whether the customer agreed to be contacted this way.';

--
-- Name: COLUMN customer_contact_channels.source; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_contact_channels.source IS 'Where the customer said so: pos, admin, online, import, merge or other.';

--
-- Name: COLUMN customer_contact_channels.recorded_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_contact_channels.recorded_at IS 'When it was recorded.';

--
-- Name: set_customer_contact_channel(text, text, boolean, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.set_customer_contact_channel(customer_id text, channel text, allowed boolean, source text DEFAULT 'admin'::text) RETURNS app_public.customer_contact_channels
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
#variable_conflict use_column
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  c app_public.customers := app_private.live_customer_for_change(tenant, set_customer_contact_channel.customer_id);
  cur app_public.customer_contact_channels;
  result app_public.customer_contact_channels;
begin
  channel := lower(btrim(channel));
  if channel is null or channel not in ('email', 'sms', 'phone') then
    perform app_hidden.raise_error('BADIN', 'Channel: email, sms or phone.', field => 'channel');
  elsif allowed is null then
    perform app_hidden.raise_error('BADIN', 'Say whether the customer agreed to this channel.', field => 'allowed');
  end if;
  source := app_hidden.assert_consent_source(coalesce(source, 'admin'), field => 'source');
  select x.* into cur from app_public.customer_contact_channels x
  where x.tenant_id = tenant and x.customer_id = c.id and x.channel = set_customer_contact_channel.channel;
  if cur.allowed is not distinct from allowed and cur.source is not distinct from source then
    return cur;
  end if;
  insert into app_public.customer_contact_channels as x (tenant_id, customer_id, channel, allowed, source, recorded_at, recorded_by)
  values (tenant, c.id, channel, allowed, source, now(), app_hidden.current_user_id())
  on conflict (tenant_id, customer_id, channel) do update set
    allowed = excluded.allowed, source = excluded.source, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by
  returning * into result;
  -- Only what changed, named per channel (an SMS source change is not an email one).
  perform app_private.audit_customer_change(tenant, c.id, app_hidden.jsonb_diff(
    jsonb_build_object('contact_' || channel, cur.allowed, 'contact_' || channel || '_source', cur.source),
    jsonb_build_object('contact_' || channel, result.allowed, 'contact_' || channel || '_source', result.source)));
  return result;
end;
$$;

--
-- Name: FUNCTION set_customer_contact_channel(customer_id text, channel text, allowed boolean, source text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.set_customer_contact_channel(customer_id text, channel text, allowed boolean, source text) IS 'Records that a customer agreed to or refused being contacted by email, sms or phone, and where they said so (needs customers.update).';

--
-- Name: customer_preferences; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.customer_preferences (
    tenant_id text NOT NULL,
    customer_id text NOT NULL,
    do_not_contact boolean DEFAULT false NOT NULL,
    preferred_payment text,
    best_contact_time text,
    language text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customer_preferences_best_contact_time_check CHECK ((best_contact_time = ANY (ARRAY['morning'::text, 'afternoon'::text, 'evening'::text, 'anytime'::text]))),
    CONSTRAINT customer_preferences_language_check CHECK (((language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'::text) AND (length(language) <= 35))),
    CONSTRAINT customer_preferences_preferred_payment_check CHECK ((preferred_payment = ANY (ARRAY['cash'::text, 'card'::text])))
);

ALTER TABLE ONLY app_public.customer_preferences FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customer_preferences; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.customer_preferences IS '@name customer_preferences
How a customer likes to be contacted and served (setCustomerPreferences).';

--
-- Name: COLUMN customer_preferences.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_preferences.tenant_id IS '@behavior -*';

--
-- Name: COLUMN customer_preferences.do_not_contact; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_preferences.do_not_contact IS 'Never contact this customer, whatever the channels say (exports and campaign lists leave them out).';

--
-- Name: COLUMN customer_preferences.preferred_payment; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_preferences.preferred_payment IS 'cash or card.';

--
-- Name: COLUMN customer_preferences.best_contact_time; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_preferences.best_contact_time IS 'morning, afternoon, evening or anytime.';

--
-- Name: COLUMN customer_preferences.language; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_preferences.language IS 'The language to speak or write in, as a BCP 47 tag such as en, fr or ar-OM.';

--
-- Name: set_customer_preferences(text, boolean, text, text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.set_customer_preferences(customer_id text, do_not_contact boolean DEFAULT NULL::boolean, preferred_payment text DEFAULT NULL::text, best_contact_time text DEFAULT NULL::text, language text DEFAULT NULL::text) RETURNS app_public.customer_preferences
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  c app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  cur app_public.customer_preferences;
  nxt app_public.customer_preferences;
  result app_public.customer_preferences;
begin
  insert into app_public.customer_preferences (tenant_id, customer_id) values (tenant, c.id) on conflict do nothing;
  select p.* into cur from app_public.customer_preferences p where p.tenant_id = tenant and p.customer_id = c.id for update;
  nxt := cur;
  nxt.do_not_contact := coalesce(set_customer_preferences.do_not_contact, cur.do_not_contact);
  if preferred_payment is not null then
    nxt.preferred_payment := nullif(btrim(lower(preferred_payment)), '');
    if nxt.preferred_payment not in ('cash', 'card') then
      perform app_hidden.raise_error('BADIN', 'Preferred payment: cash or card.', field => 'preferred_payment');
    end if;
  end if;
  if best_contact_time is not null then
    nxt.best_contact_time := nullif(btrim(lower(best_contact_time)), '');
    if nxt.best_contact_time not in ('morning', 'afternoon', 'evening', 'anytime') then
      perform app_hidden.raise_error('BADIN', 'Best time to contact: morning, afternoon, evening or anytime.', field => 'best_contact_time');
    end if;
  end if;
  if language is not null then
    nxt.language := app_hidden.language_tag('Language', language, 'language');
  end if;
  if (nxt.do_not_contact, nxt.preferred_payment, nxt.best_contact_time, nxt.language)
     is not distinct from (cur.do_not_contact, cur.preferred_payment, cur.best_contact_time, cur.language) then
    return cur;  -- nothing changed: nothing written, updated_at kept
  end if;
  update app_public.customer_preferences p set
    do_not_contact = nxt.do_not_contact, preferred_payment = nxt.preferred_payment,
    best_contact_time = nxt.best_contact_time, language = nxt.language
  where p.tenant_id = tenant and p.customer_id = c.id
  returning * into result;
  perform app_private.audit_customer_change(tenant, c.id,
    app_hidden.jsonb_diff(to_jsonb(cur), to_jsonb(result), array['tenant_id', 'customer_id', 'created_at', 'updated_at']));
  return result;
end;
$$;

--
-- Name: FUNCTION set_customer_preferences(customer_id text, do_not_contact boolean, preferred_payment text, best_contact_time text, language text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.set_customer_preferences(customer_id text, do_not_contact boolean, preferred_payment text, best_contact_time text, language text) IS 'Sets how a customer likes to be contacted and served (needs customers.update): doNotContact, preferredPayment (cash, card), bestContactTime (morning, afternoon, evening, anytime), language (a BCP 47 tag). Null leaves a field; an empty string clears it.';

--
-- Name: set_customer_type(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.set_customer_type(customer_id text, customer_type_id text) RETURNS app_public.customers
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  cur app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  result app_public.customers;
begin
  if customer_type_id is not null and not exists (
      select 1 from app_public.customer_types t where t.tenant_id = tenant and t.id = set_customer_type.customer_type_id) then
    perform app_hidden.raise_error('NOTFD', format('There is no customer type %s.', left(customer_type_id, 40)), field => 'customer_type_id');
  end if;
  if cur.customer_type_id is not distinct from customer_type_id then
    return cur;
  end if;
  update app_public.customers c set customer_type_id = set_customer_type.customer_type_id
  where c.tenant_id = tenant and c.id = cur.id
  returning * into result;
  return result;
end;
$$;

--
-- Name: FUNCTION set_customer_type(customer_id text, customer_type_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.set_customer_type(customer_id text, customer_type_id text) IS 'Gives a customer a type, or none with null (needs customers.update).';

--
-- Name: set_location_tax_rate(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.set_location_tax_rate(location_id text, tax_rate_id text) RETURNS app_public.locations
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  rate text := nullif(btrim(set_location_tax_rate.tax_rate_id), '');
  result app_public.locations;
begin
  if rate is not null and not exists (select 1 from app_public.tax_rates r where r.tenant_id = tenant and r.id = rate) then
    perform app_hidden.raise_error('NOTFD', format('There is no tax rate %s.', left(rate, 40)), field => 'tax_rate_id');
  end if;
  update app_public.locations l set tax_rate_id = rate
  where l.tenant_id = tenant and l.id = set_location_tax_rate.location_id
  returning * into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', coalesce(left(set_location_tax_rate.location_id, 40), '(none given)')));
  end if;
  return result;
end;
$$;

--
-- Name: FUNCTION set_location_tax_rate(location_id text, tax_rate_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.set_location_tax_rate(location_id text, tax_rate_id text) IS '@resultFieldName location
Gives a location the tax rate it charges (needs settings.update); null: the business''s default rate. Orders placed from now on are priced with it.';

--
-- Name: switch_tenant(text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.switch_tenant(tenant_id text) RETURNS app_public.tenants
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  result app_public.tenants;
begin
  if app_hidden.current_user_id() is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  if not exists (select 1 from app_public.memberships m
                 where m.tenant_id = switch_tenant.tenant_id and m.user_id = app_hidden.current_user_id()) then
    perform app_hidden.raise_error('NOTMB', 'You are not a member of that business.');
  end if;
  update app_private.sessions s set active_tenant_id = switch_tenant.tenant_id
    where s.id = app_hidden.current_session_id();
  select t.* into result from app_public.tenants t where t.id = switch_tenant.tenant_id;
  return result;
end;
$$;

--
-- Name: FUNCTION switch_tenant(tenant_id text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.switch_tenant(tenant_id text) IS 'Work in another business you are a member of.';

--
-- Name: update_customer(text, app_public.customer_changes); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.update_customer(customer_id text, patch app_public.customer_changes) RETURNS app_public.customers
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  country text;
  cur app_public.customers;
  nxt app_public.customers;
  violated text;
  violated_column text;
  changes jsonb;
  result app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = tenant and c.id = update_customer.customer_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(update_customer.customer_id, 40), '(none given)')));
  end if;
  if cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one; change that customer instead.', cur.merged_into_id);
  end if;
  if patch is null then
    return cur;
  end if;
  select t.default_country into country from app_public.tenants t where t.id = tenant;

  nxt := cur;
  if patch.email is not null then
    nxt.email := app_hidden.optional_email(patch.email);
  end if;
  if patch.phone is not null then
    nxt.phone := app_hidden.normalize_phone(patch.phone, country);
  end if;
  if patch.first_name is not null then
    nxt.first_name := app_hidden.optional_name('First name', patch.first_name, 100, 'first_name');
  end if;
  if patch.last_name is not null then
    nxt.last_name := app_hidden.optional_name('Last name', patch.last_name, 100, 'last_name');
  end if;
  if patch.notes is not null then
    nxt.notes := app_hidden.optional_text('About this customer', patch.notes, 2000, 'notes');
  end if;
  if patch.tags is not null then
    nxt.tags := app_hidden.normalize_tags(patch.tags);
  end if;
  if patch.metadata is not null then
    nxt.metadata := app_hidden.assert_customer_metadata(patch.metadata);
  end if;
  if patch.marketing_consent is not null and patch.marketing_consent is distinct from cur.marketing_consent then
    nxt.marketing_consent := patch.marketing_consent;
    nxt.marketing_consent_updated_at := now();
    nxt.marketing_consent_source := app_hidden.assert_consent_source(patch.marketing_consent_source);
  end if;

  if (nxt.email, nxt.phone, nxt.first_name, nxt.last_name, nxt.notes, nxt.tags, nxt.metadata,
      nxt.marketing_consent, nxt.marketing_consent_source)
     is not distinct from
     (cur.email, cur.phone, cur.first_name, cur.last_name, cur.notes, cur.tags, cur.metadata,
      cur.marketing_consent, cur.marketing_consent_source)
     and nxt.marketing_consent_updated_at is not distinct from cur.marketing_consent_updated_at then
    return cur;
  end if;

  begin
    update app_public.customers c set
      email = nxt.email, phone = nxt.phone, first_name = nxt.first_name, last_name = nxt.last_name,
      notes = nxt.notes, tags = nxt.tags, metadata = nxt.metadata,
      marketing_consent = nxt.marketing_consent, marketing_consent_updated_at = nxt.marketing_consent_updated_at,
      marketing_consent_source = nxt.marketing_consent_source
    where c.tenant_id = tenant and c.id = cur.id
    returning * into result;
  exception when unique_violation or check_violation or not_null_violation then
    get stacked diagnostics violated = constraint_name, violated_column = column_name;
    perform app_private.raise_customer_constraint(tenant, violated, violated_column, nxt.email, nxt.phone);
    raise;
  end;

  changes := app_hidden.jsonb_diff(to_jsonb(cur), to_jsonb(result),
    array['created_at', 'updated_at']);
  perform app_private.emit_event(tenant, 'customer.updated.v1', 'customer', result.id,
    jsonb_build_object('customer_id', result.id, 'customer_number', result.customer_number,
                       'display_name', result.display_name, 'status', result.status, 'changes', changes));
  return result;
end;
$$;

--
-- Name: FUNCTION update_customer(customer_id text, patch app_public.customer_changes); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.update_customer(customer_id text, patch app_public.customer_changes) IS 'Changes a customer (needs customers.update). Fields left out stay as they are; an empty string clears email, phone, names or notes; tags and metadata are replaced. The display name follows. Email and phone must stay unique (DUPEM, DUPPH) and at least one of email, phone or first name must remain (NOIDN).';

--
-- Name: update_loyalty_settings(integer, integer, integer); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.update_loyalty_settings(regular_min_visits integer DEFAULT NULL::integer, regular_window_days integer DEFAULT NULL::integer, lapsed_after_days integer DEFAULT NULL::integer) RETURNS app_public.loyalty_settings
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  cur app_public.loyalty_settings;
  result app_public.loyalty_settings;
begin
  if regular_min_visits is not null and regular_min_visits not between 2 and 20 then
    perform app_hidden.raise_error('BADIN', 'Visits that make a regular: between 2 and 20.', field => 'regular_min_visits');
  elsif regular_window_days is not null and regular_window_days not between 7 and 730 then
    perform app_hidden.raise_error('BADIN', 'The window for regulars: between 7 and 730 days.', field => 'regular_window_days');
  elsif lapsed_after_days is not null and lapsed_after_days not between 7 and 730 then
    perform app_hidden.raise_error('BADIN', 'Lapsed after: between 7 and 730 days without a visit.', field => 'lapsed_after_days');
  end if;
  select s.* into cur from app_public.loyalty_settings s where s.tenant_id = tenant for update;
  update app_public.loyalty_settings s set
    regular_min_visits = coalesce(update_loyalty_settings.regular_min_visits, s.regular_min_visits),
    regular_window_days = coalesce(update_loyalty_settings.regular_window_days, s.regular_window_days),
    lapsed_after_days = coalesce(update_loyalty_settings.lapsed_after_days, s.lapsed_after_days),
    updated_at = now()
  where s.tenant_id = tenant
  returning * into result;
  -- The row is keyed by its tenant (no id): its audit entry names the tenant.
  insert into app_public.audit_entries (tenant_id, entity, entity_id, action, actor_user_id, changes)
  select tenant, 'loyalty_settings', tenant, 'update', app_hidden.current_user_id(), d.diff
  from (select app_hidden.jsonb_diff(to_jsonb(cur), to_jsonb(result), array['tenant_id', 'updated_at']) as diff) d
  where d.diff <> '{}'::jsonb;
  return result;
end;
$$;

--
-- Name: FUNCTION update_loyalty_settings(regular_min_visits integer, regular_window_days integer, lapsed_after_days integer); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.update_loyalty_settings(regular_min_visits integer, regular_window_days integer, lapsed_after_days integer) IS 'Changes when a customer counts as regular or lapsed (needs settings.update). Classes follow at once: nothing is stored per customer.';

--
-- Name: update_role(text, text, text[]); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.update_role(role_id text, name text, permissions text[]) RETURNS app_public.roles
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION update_role(role_id text, name text, permissions text[]); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.update_role(role_id text, name text, permissions text[]) IS '@resultFieldName role
Renames a custom role and sets its permissions (needs settings.update and the permissions it had and gets); its members have them at once. Built-in roles are fixed.';

--
-- Name: update_tax_rate(text, text, integer, boolean); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.update_tax_rate(id text, name text, rate_bps integer, inclusive boolean) RETURNS app_public.tax_rates
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  result app_public.tax_rates;
begin
  update app_public.tax_rates r
  set name = app_private.assert_tax_rate(tenant, update_tax_rate.name, update_tax_rate.rate_bps, update_tax_rate.id),
      rate_bps = update_tax_rate.rate_bps,
      inclusive = coalesce(update_tax_rate.inclusive, r.inclusive)
  where r.tenant_id = tenant and r.id = update_tax_rate.id
  returning * into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no tax rate %s.', coalesce(left(update_tax_rate.id, 40), '(none given)')));
  end if;
  return result;
end;
$$;

--
-- Name: FUNCTION update_tax_rate(id text, name text, rate_bps integer, inclusive boolean); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.update_tax_rate(id text, name text, rate_bps integer, inclusive boolean) IS '@resultFieldName taxRate
Changes a tax rate (needs settings.update); inclusive left out keeps what it was. Orders from now on are priced with it; past orders keep the rate they were priced with.';

--
-- Name: void_order(text, text); Type: FUNCTION; Schema: app_public; Owner: -
--

CREATE FUNCTION app_public.void_order(order_id text, reason text) RETURNS app_public.orders
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION void_order(order_id text, reason text); Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON FUNCTION app_public.void_order(order_id text, reason text) IS '@resultFieldName order
Voids a placed order, once (needs sales.void). The order keeps its lines and tenders; what was paid is handed back the way it was paid (refundTenders: cash from the drawer, card back to the card), counted as a refund today; stock sold is put back.';

--
-- Name: analyst_logins(); Type: FUNCTION; Schema: reporting; Owner: -
--

CREATE FUNCTION reporting.analyst_logins() RETURNS SETOF reporting.analyst_login
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_tenant_owner();
begin
  return query select a.role_name, a.label, a.created_at from app_private.analyst_logins a
    where a.tenant_id = tenant order by a.created_at, a.role_name;
end;
$$;

--
-- Name: FUNCTION analyst_logins(); Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON FUNCTION reporting.analyst_logins() IS '@name analyst_logins
@behavior -connection +list
@listSuffix omit
The analyst logins of the business (owners only).';

--
-- Name: create_analyst_login(text); Type: FUNCTION; Schema: reporting; Owner: -
--

CREATE FUNCTION reporting.create_analyst_login(name text) RETURNS reporting.analyst_credentials
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_tenant_owner();
  label text := app_hidden.assert_name('The login''s name', create_analyst_login.name, 60, 'name');
  -- An opaque name: every login of the cluster can read pg_roles, so the name must not carry
  -- what the owner called it (that stays in analyst_logins.label).
  login text := 'bo_analyst' || '_' || encode(public.gen_random_bytes(8), 'hex');
  secret text := translate(encode(public.gen_random_bytes(24), 'base64'), '+/', '-_');
  me text := app_hidden.current_user_id();
begin
  -- Logins are cluster roles with connections of their own: bounded per business and per person
  -- (one person may own many businesses), so nobody can create roles or take connections
  -- without end.
  perform pg_advisory_xact_lock(hashtext('app.analyst_logins'), hashtext(me));
  if (select count(*) from app_private.analyst_logins a where a.tenant_id = tenant) >= 20 then
    perform app_hidden.raise_error('ANLIM', 'A business can have at most 20 analyst logins; remove one first.');
  end if;
  if (select count(*) from app_private.analyst_logins a where a.created_by = me) >= 20 then
    perform app_hidden.raise_error('ANLIM', 'You have created 20 analyst logins across your businesses, the most one person may have; remove one first.');
  end if;
  begin
    execute format('create role %I with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls inherit connection limit 2 password %L',
                   login, secret);
    execute format('grant %I to %I', 'bo_analyst', login);
    execute format('alter role %I in database %I set search_path to reporting', login, current_database());
    -- Defaults only (a session can change them): app_private.enforce_analyst_limits, run by the
    -- worker every few seconds, is what holds them.
    execute format('alter role %I in database %I set statement_timeout to %L', login, current_database(), '60s');
    execute format('alter role %I in database %I set idle_in_transaction_session_timeout to %L', login, current_database(), '60s');
  exception when insufficient_privilege then
    perform app_hidden.raise_error('ANSET', 'Analyst logins cannot be created on this server: the database owner role needs CREATEROLE and the right to grant the analyst group (see db/REPORTING.md).');
  end;
  insert into app_private.analyst_logins (tenant_id, role_name, label, created_by)
  values (tenant, login, label, app_hidden.current_user_id());
  return row(login, secret, current_database())::reporting.analyst_credentials;
end;
$$;

--
-- Name: FUNCTION create_analyst_login(name text); Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON FUNCTION reporting.create_analyst_login(name text) IS '@name create_analyst_login
@resultFieldName credentials
Creates a PostgreSQL login with which analysts read this business''s reporting views (sales_by_day, item_sales_by_day, stock_levels, customer_activity) with psql, Metabase or a notebook. Owners only. The password is shown once. At most 20 per business, and 20 per person across businesses.';

--
-- Name: customer_class_counts(); Type: FUNCTION; Schema: reporting; Owner: -
--

CREATE FUNCTION reporting.customer_class_counts() RETURNS SETOF reporting.customer_class_row
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  return query select * from app_private.reporting_customer_classes(tenant);
end;
$$;

--
-- Name: FUNCTION customer_class_counts(); Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON FUNCTION reporting.customer_class_counts() IS '@name customer_class_counts
@behavior -connection +list
@listSuffix omit
Active customers in each loyalty class now, every class listed (loyaltyClass null: no visits yet). Needs reports.view.';

--
-- Name: customer_loyalty_days(date, date, text); Type: FUNCTION; Schema: reporting; Owner: -
--

CREATE FUNCTION reporting.customer_loyalty_days(from_date date, to_date date, location_id text DEFAULT NULL::text) RETURNS SETOF reporting.customer_loyalty_day_row
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  perform app_private.reporting_check_range(tenant, from_date, to_date, location_id);
  return query select * from app_private.reporting_customer_loyalty_days(tenant, from_date, to_date, location_id);
end;
$$;

--
-- Name: FUNCTION customer_loyalty_days(from_date date, to_date date, location_id text); Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON FUNCTION reporting.customer_loyalty_days(from_date date, to_date date, location_id text) IS '@name customer_loyalty_days
@behavior -connection +list
@listSuffix omit
Customers per business date from fromDate to toDate (at most 1096 days), new (first order ever that day) and returning (an order on an earlier day), and the repeat rate; at one location or all. Voided orders do not count. Needs reports.view.';

--
-- Name: daily_sales(date, date, text); Type: FUNCTION; Schema: reporting; Owner: -
--

CREATE FUNCTION reporting.daily_sales(from_date date, to_date date, location_id text DEFAULT NULL::text) RETURNS SETOF reporting.daily_sales_row
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  perform app_private.reporting_check_range(tenant, from_date, to_date, location_id);
  return query select * from app_private.reporting_daily_sales(tenant, from_date, to_date, location_id);
end;
$$;

--
-- Name: FUNCTION daily_sales(from_date date, to_date date, location_id text); Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON FUNCTION reporting.daily_sales(from_date date, to_date date, location_id text) IS '@name daily_sales
@behavior -connection +list
@listSuffix omit
Sales per business date from fromDate to toDate (both included, at most 1096 days), one row per date even without sales; at one location, or added up over all locations when locationId is not given (each location''s own dates). Needs reports.view.';

--
-- Name: dashboard_metrics(); Type: FUNCTION; Schema: reporting; Owner: -
--

CREATE FUNCTION reporting.dashboard_metrics() RETURNS reporting.dashboard_metrics
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION dashboard_metrics(); Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON FUNCTION reporting.dashboard_metrics() IS '@name dashboard_metrics
Today''s net sales (tax excluded, refunds taken out), sales and average sale against the same weekday a week ago, with the change in percent (null when a week ago had nothing), today and a week ago in each location''s own time zone; the number of low-stock items (0 on a plan without the inventory module), and the customers active in the last 30 days. Amounts in minor units of currency. Needs reports.view.';

--
-- Name: drop_analyst_login(text); Type: FUNCTION; Schema: reporting; Owner: -
--

CREATE FUNCTION reporting.drop_analyst_login(username text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_tenant_owner();
begin
  delete from app_private.analyst_logins a where a.tenant_id = tenant and a.role_name = drop_analyst_login.username;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no analyst login %s.', left(coalesce(username, ''), 63)));
  end if;
  -- Its open connections end now (from the mapping's removal they read nothing anyway), then
  -- the role goes.
  perform pg_terminate_backend(a.pid) from pg_stat_activity a where a.usename = drop_analyst_login.username;
  if exists (select 1 from pg_catalog.pg_roles r where r.rolname = drop_analyst_login.username) then
    execute format('drop role %I', drop_analyst_login.username);
  end if;
  return true;
end;
$$;

--
-- Name: FUNCTION drop_analyst_login(username text); Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON FUNCTION reporting.drop_analyst_login(username text) IS '@name drop_analyst_login
Removes an analyst login of the business (owners only): its open connections end and it can no longer connect.';

--
-- Name: exports_download_url(reporting.exports); Type: FUNCTION; Schema: reporting; Owner: -
--

CREATE FUNCTION reporting.exports_download_url(e reporting.exports) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
  select case when e.status = 'done' then '/exports/' || e.id end;
$$;

--
-- Name: FUNCTION exports_download_url(e reporting.exports); Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON FUNCTION reporting.exports_download_url(e reporting.exports) IS 'Where to download the file (GET, same site) once it is done; null before.';

--
-- Name: inventory_summary(text, boolean); Type: FUNCTION; Schema: reporting; Owner: -
--

CREATE FUNCTION reporting.inventory_summary(location_id text DEFAULT NULL::text, low_only boolean DEFAULT false) RETURNS SETOF reporting.inventory_summary_row
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  -- Stock levels are the inventory module's (NOMOD on a plan without it).
  perform app_hidden.assert_module('inventory');
  perform app_private.reporting_check_range(tenant, current_date, current_date, location_id);
  return query select * from app_private.reporting_inventory_summary(tenant, location_id, coalesce(low_only, false));
end;
$$;

--
-- Name: FUNCTION inventory_summary(location_id text, low_only boolean); Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON FUNCTION reporting.inventory_summary(location_id text, low_only boolean) IS '@name inventory_summary
@behavior -connection +list
@listSuffix omit
Stock of every inventory item at one location (or at each location), by location and item name; only the items at or below their low-stock threshold when lowOnly is true. An item appears at a location once stock has moved there. Needs reports.view and the inventory module.';

--
-- Name: item_sales(date, date, text, reporting.item_sales_order); Type: FUNCTION; Schema: reporting; Owner: -
--

CREATE FUNCTION reporting.item_sales(from_date date, to_date date, location_id text DEFAULT NULL::text, order_by reporting.item_sales_order DEFAULT 'revenue'::reporting.item_sales_order) RETURNS SETOF reporting.item_sales_row
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  perform app_private.reporting_check_range(tenant, from_date, to_date, location_id);
  return query select * from app_private.reporting_item_sales(tenant, from_date, to_date, location_id, coalesce(order_by, 'revenue'));
end;
$$;

--
-- Name: FUNCTION item_sales(from_date date, to_date date, location_id text, order_by reporting.item_sales_order); Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON FUNCTION reporting.item_sales(from_date date, to_date date, location_id text, order_by reporting.item_sales_order) IS '@name item_sales
@behavior -connection +list
@listSuffix omit
Top catalog items from fromDate to toDate (both included), at one location or all: by units sold (quantity) or by net revenue (revenue, the default), best first; ties go to the other figure, then the name. Items with no units and no net revenue left after refunds are left out. Needs reports.view.';

--
-- Name: rebuild(text); Type: FUNCTION; Schema: reporting; Owner: -
--

CREATE FUNCTION reporting.rebuild(tenant_id text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    SET work_mem TO '64MB'
    SET jit TO 'off'
    AS $$
#variable_conflict use_column
declare
  tenant constant text := rebuild.tenant_id;
  sales_types constant text[] := array['order.placed.v1', 'order.voided.v1', 'order.refunded.v1', 'order.cancelled.v1', 'tender.recorded.v1',
                                       'inventory.movement.created.v1'];
  customer_types constant text[] := array['order.placed.v1', 'order.voided.v1', 'order.refunded.v1', 'customer.created.v1',
                                          'customer.updated.v1', 'customer.merged.v1'];
  seen bigint;
begin
  perform pg_advisory_xact_lock(app_private.reporting_lock_key(tenant));
  perform 1 from app_public.tenants t where t.id = tenant for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no business %s.', left(coalesce(tenant, ''), 40)));
  end if;

  delete from app_private.reporting_queue q where q.tenant_id = tenant;
  delete from app_private.customer_order_queue q where q.tenant_id = tenant and q.consumer = 'reporting_customers';
  delete from reporting.rm_daily_sales r where r.tenant_id = tenant;
  delete from reporting.rm_item_sales r where r.tenant_id = tenant;
  delete from reporting.rm_inventory_on_hand r where r.tenant_id = tenant;
  delete from reporting.rm_customer_visits r where r.tenant_id = tenant;
  delete from reporting.rm_customer_activity r where r.tenant_id = tenant;

  -- Sales.
  insert into reporting.rm_daily_sales (tenant_id, location_id, business_date, order_count, gross_sales, discount_total,
                                        tax_total, net_sales, tender_cash, tender_card, refund_count, refund_total)
  select tenant, f.location_id, f.business_date, sum(f.order_count), sum(f.gross_sales), sum(f.discount_total), sum(f.tax_total),
         sum(f.net_sales), sum(f.tender_cash), sum(f.tender_card), sum(f.refund_count), sum(f.refund_total)
  from app_private.reporting_daily_facts f
  where f.tenant_id = tenant
  group by f.location_id, f.business_date;

  -- The name of the latest sale (the highest seq), looked up once per row rather than sorted out of every line.
  insert into reporting.rm_item_sales (tenant_id, location_id, business_date, catalog_item_id, catalog_item_name, name_seq,
                                       quantity_sold, gross_revenue, net_revenue)
  select tenant, g.location_id, g.business_date, g.catalog_item_id,
         coalesce((select l.name
                   from app_private.events e
                   cross join lateral jsonb_to_recordset(e.payload -> 'lines') as l(catalog_item_id text, name text)
                   where g.name_seq > 0 and e.tenant_id = tenant and e.seq = g.name_seq and l.catalog_item_id = g.catalog_item_id
                   limit 1), g.first_name),
         g.name_seq, g.quantity_sold, g.gross_revenue, g.net_revenue
  from (select f.location_id, f.business_date, f.catalog_item_id, max(f.name_seq) as name_seq, min(f.catalog_item_name) as first_name,
               sum(f.quantity_sold) as quantity_sold, sum(f.gross_revenue) as gross_revenue, sum(f.net_revenue) as net_revenue
        from app_private.reporting_item_facts f
        where f.tenant_id = tenant
        group by f.location_id, f.business_date, f.catalog_item_id) g;

  insert into reporting.rm_inventory_on_hand (tenant_id, location_id, inventory_item_id, item_name, on_hand, low_stock_threshold)
  select tenant, f.location_id, f.inventory_item_id, i.name, f.on_hand, i.low_stock_threshold
  from (select f.location_id, f.inventory_item_id, sum(f.on_hand) as on_hand
        from app_private.reporting_stock_facts f
        where f.tenant_id = tenant
        group by f.location_id, f.inventory_item_id) f
  join app_public.inventory_items i on i.tenant_id = tenant and i.id = f.inventory_item_id;

  -- Customers: the latest name of each (created, updated, or the result of a merge into it).
  insert into reporting.rm_customer_activity (tenant_id, customer_id, customer_name, name_seq)
  select distinct on (n.customer_id) tenant, n.customer_id, n.name, n.seq
  from (
    select e.payload ->> 'customer_id' as customer_id, e.payload ->> 'display_name' as name, e.seq
    from app_private.events e
    where e.tenant_id = tenant and e.type in ('customer.created.v1', 'customer.updated.v1')
    union all
    select e.payload ->> 'primary_id', e.payload ->> 'display_name', e.seq
    from app_private.events e
    where e.tenant_id = tenant and e.type = 'customer.merged.v1'
  ) n
  where n.customer_id is not null
  order by n.customer_id, n.seq desc;

  -- Where each merged customer ended up (merges chain: a customer merged into one that was merged later).
  drop table if exists reporting_rebuild_merged;
  create temp table reporting_rebuild_merged (customer_id text primary key, merged_into_id text not null) on commit drop;
  insert into reporting_rebuild_merged
  with recursive merges as (
    select e.payload ->> 'duplicate_id' as duplicate_id, e.payload ->> 'primary_id' as primary_id
    from app_private.events e
    where e.tenant_id = tenant and e.type = 'customer.merged.v1'
  ), chain (customer_id, merged_into_id, depth) as (
    select m.duplicate_id, m.primary_id, 1 from merges m
    union all
    select c.customer_id, m.primary_id, c.depth + 1 from chain c join merges m on m.duplicate_id = c.merged_into_id
    where c.depth < 1000
  )
  select distinct on (c.customer_id) c.customer_id, c.merged_into_id from chain c order by c.customer_id, c.depth desc;

  insert into reporting.rm_customer_activity (tenant_id, customer_id)
  select tenant, m.customer_id from reporting_rebuild_merged m
  union
  select tenant, m.merged_into_id from reporting_rebuild_merged m
  on conflict do nothing;
  update reporting.rm_customer_activity a set merged_into_id = m.merged_into_id
  from reporting_rebuild_merged m
  where a.tenant_id = tenant and a.customer_id = m.customer_id;

  -- Every order with a customer, counted for the customer it ended with; voided or not; its total
  -- less what refunds of some of its lines took back.
  insert into reporting.rm_customer_visits (tenant_id, order_id, customer_id, placed_at, total, is_voided, location_id, business_date)
  select tenant, e.payload ->> 'order_id', coalesce(m.merged_into_id, e.payload ->> 'customer_id'),
         (e.payload ->> 'placed_at')::timestamptz, (e.payload ->> 'total')::bigint - coalesce(r.total, 0), v.order_id is not null,
         e.payload ->> 'location_id', (e.payload ->> 'business_date')::date
  from app_private.events e
  left join reporting_rebuild_merged m on m.customer_id = e.payload ->> 'customer_id'
  left join (select distinct x.aggregate_id as order_id from app_private.events x
             where x.tenant_id = tenant and x.type = 'order.voided.v1') v on v.order_id = e.aggregate_id
  left join (select x.aggregate_id as order_id, sum((x.payload ->> 'total')::bigint) as total from app_private.events x
             where x.tenant_id = tenant and x.type = 'order.refunded.v1' group by x.aggregate_id) r on r.order_id = e.aggregate_id
  where e.tenant_id = tenant and e.type = 'order.placed.v1' and e.payload ->> 'customer_id' is not null;

  insert into reporting.rm_customer_activity as r (tenant_id, customer_id, total_visits, total_spend, last_visit_at)
  select tenant, v.customer_id, count(*) filter (where not v.is_voided), coalesce(sum(v.total) filter (where not v.is_voided), 0),
         max(v.placed_at) filter (where not v.is_voided)
  from reporting.rm_customer_visits v
  where v.tenant_id = tenant
  group by v.customer_id
  on conflict (tenant_id, customer_id) do update set
    total_visits = excluded.total_visits, total_spend = excluded.total_spend, last_visit_at = excluded.last_visit_at;

  -- Mark what was read as processed by the consumers (only what they never saw costs a write).
  insert into app_private.processed_events (tenant_id, event_id, consumer)
  select tenant, x.event_id, x.consumer
  from (
    select e.id as event_id, c.consumer
    from app_private.events e
    cross join lateral (values ('reporting_sales', e.type = any(sales_types)),
                               ('reporting_customers', e.type = any(customer_types))) as c(consumer, subscribed)
    where e.tenant_id = tenant and e.type = any(sales_types || customer_types) and c.subscribed
    except
    select p.event_id, p.consumer
    from app_private.processed_events p
    where p.tenant_id = tenant and p.consumer in ('reporting_sales', 'reporting_customers')
  ) x;

  select count(*) into seen from app_private.events e where e.tenant_id = tenant and e.type = any(sales_types || customer_types);
  return seen;
end;
$$;

--
-- Name: FUNCTION rebuild(tenant_id text); Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON FUNCTION reporting.rebuild(tenant_id text) IS 'Recomputes every read model of a tenant from its event log (owner only); returns how many events it read. The tenant''s writes wait while it runs.';

--
-- Name: request_export(reporting.export_kind, jsonb); Type: FUNCTION; Schema: reporting; Owner: -
--

CREATE FUNCTION reporting.request_export(kind reporting.export_kind, params jsonb DEFAULT '{}'::jsonb) RETURNS reporting.exports
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION request_export(kind reporting.export_kind, params jsonb); Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON FUNCTION reporting.request_export(kind reporting.export_kind, params jsonb) IS '@name request_export
@resultFieldName export
Asks the worker for a CSV file (needs reports.export). params: daily_sales and item_sales take {"from": "2025-03-01", "to": "2025-03-07", "location_id"?} (item_sales also "order_by": "quantity" or "revenue"); inventory takes {"location_id"?, "low_only"?}; customers takes nothing. Poll the returned export until its status is done, then download its downloadUrl.';

--
-- Name: analyst_logins; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.analyst_logins (
    tenant_id text NOT NULL,
    role_name text NOT NULL,
    label text NOT NULL,
    created_by text,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app_private.analyst_logins FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE analyst_logins; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.analyst_logins IS 'Which tenant each analyst login (a PostgreSQL LOGIN role, member of the analyst group) reads.';

--
-- Name: COLUMN analyst_logins.role_name; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.analyst_logins.role_name IS 'The PostgreSQL role (unique in the cluster).';

--
-- Name: COLUMN analyst_logins.label; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.analyst_logins.label IS 'What the owner called it (Metabase, Ann''s notebook…).';

--
-- Name: customer_duplicate_dismissals; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.customer_duplicate_dismissals (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    customer_id text NOT NULL,
    other_customer_id text NOT NULL,
    dismissed_by text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customer_duplicate_dismissals_canonical CHECK (((customer_id COLLATE "C") < (other_customer_id COLLATE "C")))
);

ALTER TABLE ONLY app_private.customer_duplicate_dismissals FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customer_duplicate_dismissals; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.customer_duplicate_dismissals IS 'Pairs of customers a person said are not the same person (dismissed from Possible duplicates); the smaller id first.';

--
-- Name: customer_order_queue; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.customer_order_queue (
    tenant_id text NOT NULL,
    consumer text NOT NULL,
    event_id text NOT NULL,
    seq bigint NOT NULL,
    CONSTRAINT customer_order_queue_consumer_check CHECK ((consumer = ANY (ARRAY['customer_counters'::text, 'reporting_customers'::text])))
);

ALTER TABLE ONLY app_private.customer_order_queue FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customer_order_queue; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.customer_order_queue IS 'Order events with a customer that this transaction''s per-customer consumers will apply at its commit (app_private.apply_customer_orders); empty outside a writing transaction.';

--
-- Name: customer_visits; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.customer_visits (
    tenant_id text NOT NULL,
    order_id text NOT NULL,
    customer_id text NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    total bigint NOT NULL,
    item_count integer NOT NULL,
    is_voided boolean DEFAULT false NOT NULL
);

ALTER TABLE ONLY app_private.customer_visits FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customer_visits; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.customer_visits IS 'Internal to the customer_counters consumer: each counted order, so that a void or merge can recompute first and last visit.';

--
-- Name: event_subscriptions; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.event_subscriptions (
    consumer text NOT NULL,
    event_type text NOT NULL,
    handler regprocedure NOT NULL,
    delivery text DEFAULT 'inline'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT event_subscriptions_consumer_check CHECK ((consumer ~ '^[a-z][a-z0-9_]{0,62}$'::text)),
    CONSTRAINT event_subscriptions_delivery_check CHECK ((delivery = ANY (ARRAY['inline'::text, 'async'::text]))),
    CONSTRAINT event_subscriptions_event_type_check CHECK ((event_type ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+\.v[1-9][0-9]*$'::text))
);

ALTER TABLE ONLY app_private.event_subscriptions FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE event_subscriptions; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.event_subscriptions IS 'Which SQL consumer function handles which event type. The same for every tenant.';

--
-- Name: COLUMN event_subscriptions.consumer; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.event_subscriptions.consumer IS 'Name of the consumer (a read model, a counter…); at most once per event and consumer.';

--
-- Name: COLUMN event_subscriptions.handler; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.event_subscriptions.handler IS 'A function taking one app_private.events row; it runs as the writer of the event (the owner).';

--
-- Name: COLUMN event_subscriptions.delivery; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.event_subscriptions.delivery IS 'inline: applied inside the transaction that appends the event; async: applied after commit by app_private.replay (a worker).';

--
-- Name: events_seq_seq; Type: SEQUENCE; Schema: app_private; Owner: -
--

ALTER TABLE app_private.events ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app_private.events_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: export_chunks; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.export_chunks (
    tenant_id text NOT NULL,
    export_id text NOT NULL,
    chunk_no integer NOT NULL,
    data bytea NOT NULL,
    CONSTRAINT export_chunks_chunk_no_check CHECK ((chunk_no >= 0))
);
ALTER TABLE ONLY app_private.export_chunks ALTER COLUMN data SET COMPRESSION lz4;

ALTER TABLE ONLY app_private.export_chunks FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE export_chunks; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.export_chunks IS 'The bytes of export files, in order, about 1 MB each.';

--
-- Name: job_runs; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.job_runs (
    id text DEFAULT public.gen_ulid() NOT NULL,
    task text NOT NULL,
    job_id bigint,
    attempt integer DEFAULT 1 NOT NULL,
    tenant_id text,
    pool_id text,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    outcome text DEFAULT 'running'::text NOT NULL,
    rows_affected bigint,
    error_code text,
    error_message text,
    CONSTRAINT job_runs_check CHECK (((outcome = 'running'::text) = (finished_at IS NULL))),
    CONSTRAINT job_runs_error_message_check CHECK ((length(error_message) <= 2000)),
    CONSTRAINT job_runs_outcome_check CHECK ((outcome = ANY (ARRAY['running'::text, 'succeeded'::text, 'failed'::text, 'crashed'::text])))
);

ALTER TABLE ONLY app_private.job_runs FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE job_runs; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.job_runs IS 'One row per run of a worker task (cron and queued): when, how long, what it did, how it ended. Platform runs have no tenant. Kept 90 days.';

--
-- Name: job_health; Type: VIEW; Schema: app_private; Owner: -
--

CREATE VIEW app_private.job_health AS
 WITH tasks AS (
         SELECT r.task
           FROM app_private.job_runs r
        UNION
         SELECT t_1.identifier
           FROM graphile_worker._private_tasks t_1
        ), last_run AS (
         SELECT DISTINCT ON (r.task) r.task,
            r.started_at,
            r.finished_at,
            r.outcome,
            r.error_message
           FROM app_private.job_runs r
          ORDER BY r.task, r.started_at DESC
        )
 SELECT t.task,
    l.started_at AS last_started_at,
    l.outcome AS last_outcome,
    round(EXTRACT(epoch FROM (l.finished_at - l.started_at)), 3) AS last_seconds,
    l.error_message AS last_error,
    ( SELECT count(*) AS count
           FROM app_private.job_runs r
          WHERE ((r.task = t.task) AND (r.started_at > (now() - '1 day'::interval)) AND (r.outcome = ANY (ARRAY['failed'::text, 'crashed'::text])))) AS failures_last_day,
    ( SELECT count(*) AS count
           FROM app_private.job_runs r
          WHERE ((r.task = t.task) AND (r.started_at > (now() - '1 day'::interval)))) AS runs_last_day,
    ( SELECT min(j.run_at) AS min
           FROM (graphile_worker._private_jobs j
             JOIN graphile_worker._private_tasks x ON ((x.id = j.task_id)))
          WHERE ((x.identifier = t.task) AND (j.locked_at IS NULL) AND (j.run_at <= now()))) AS oldest_queued_at
   FROM (tasks t
     LEFT JOIN last_run l ON ((l.task = t.task)))
  ORDER BY t.task;

--
-- Name: VIEW job_health; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON VIEW app_private.job_health IS 'Operators: each worker task''s last run, failures in the last day and the oldest job waiting (npm run ops:jobs).';

--
-- Name: login_throttle; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.login_throttle (
    ip text NOT NULL,
    window_started_at timestamp with time zone DEFAULT now() NOT NULL,
    attempts integer DEFAULT 0 NOT NULL
);

ALTER TABLE ONLY app_private.login_throttle FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE login_throttle; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.login_throttle IS 'Sign-in attempts per client IP address in the current 15-minute window (app_hidden.login_from); not tenant-owned: an address is no business''s.';

--
-- Name: processed_events; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.processed_events (
    tenant_id text NOT NULL,
    event_id text NOT NULL,
    consumer text NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY app_private.processed_events FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE processed_events; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.processed_events IS 'One row per event a consumer has applied; the row is written in the same transaction as the effect.';

--
-- Name: reporting_daily_facts; Type: VIEW; Schema: app_private; Owner: -
--

CREATE VIEW app_private.reporting_daily_facts AS
 SELECT e.tenant_id,
    e.id AS event_id,
    e.seq,
    (e.payload ->> 'location_id'::text) AS location_id,
        CASE
            WHEN (e.type = 'order.refunded.v1'::text) THEN ((e.payload ->> 'refund_business_date'::text))::date
            WHEN (x.refund = 1) THEN COALESCE(((e.payload ->> 'voided_business_date'::text))::date, ((e.payload ->> 'business_date'::text))::date)
            WHEN (e.type = 'order.cancelled.v1'::text) THEN ((e.payload ->> 'cancelled_business_date'::text))::date
            ELSE ((e.payload ->> 'business_date'::text))::date
        END AS business_date,
    x.sale AS order_count,
    (x.sale * x.gross) AS gross_sales,
    (x.sale * x.discounts) AS discount_total,
    ((x.sale - x.refund) * x.tax) AS tax_total,
    ((x.sale - x.refund) * (x.gross - x.discounts)) AS net_sales,
    ((
        CASE
            WHEN (x.tender = 'cash'::text) THEN ((e.payload ->> 'applied_amount'::text))::bigint
            ELSE (0)::bigint
        END)::numeric - x.cash_back) AS tender_cash,
    ((
        CASE
            WHEN (x.tender = 'card'::text) THEN ((e.payload ->> 'applied_amount'::text))::bigint
            ELSE (0)::bigint
        END)::numeric - x.card_back) AS tender_card,
    x.refund AS refund_count,
    (x.refund * (x.gross - x.discounts)) AS refund_total
   FROM (app_private.events e
     CROSS JOIN LATERAL ( SELECT
                CASE
                    WHEN (e.type = 'order.placed.v1'::text) THEN 1
                    ELSE 0
                END AS sale,
                CASE
                    WHEN (e.type = ANY (ARRAY['order.voided.v1'::text, 'order.refunded.v1'::text])) THEN 1
                    ELSE 0
                END AS refund,
            COALESCE(((e.payload ->> 'subtotal'::text))::bigint, (0)::bigint) AS gross,
            COALESCE(((e.payload ->> 'discount_total'::text))::bigint, (0)::bigint) AS discounts,
            COALESCE(((e.payload ->> 'tax_total'::text))::bigint, (0)::bigint) AS tax,
                CASE
                    WHEN (e.type = 'tender.recorded.v1'::text) THEN (e.payload ->> 'type'::text)
                    ELSE NULL::text
                END AS tender,
                CASE
                    WHEN (e.type = ANY (ARRAY['order.voided.v1'::text, 'order.refunded.v1'::text, 'order.cancelled.v1'::text])) THEN COALESCE(( SELECT sum(((r.value ->> 'amount'::text))::bigint) AS sum
                       FROM jsonb_array_elements((e.payload -> 'refund_tenders'::text)) r(value)
                      WHERE ((r.value ->> 'type'::text) = 'cash'::text)), (0)::numeric)
                    ELSE (0)::numeric
                END AS cash_back,
                CASE
                    WHEN (e.type = ANY (ARRAY['order.voided.v1'::text, 'order.refunded.v1'::text, 'order.cancelled.v1'::text])) THEN COALESCE(( SELECT sum(((r.value ->> 'amount'::text))::bigint) AS sum
                       FROM jsonb_array_elements((e.payload -> 'refund_tenders'::text)) r(value)
                      WHERE ((r.value ->> 'type'::text) = 'card'::text)), (0)::numeric)
                    ELSE (0)::numeric
                END AS card_back) x)
  WHERE (e.type = ANY (ARRAY['order.placed.v1'::text, 'order.voided.v1'::text, 'order.refunded.v1'::text, 'order.cancelled.v1'::text, 'tender.recorded.v1'::text]));

--
-- Name: VIEW reporting_daily_facts; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON VIEW app_private.reporting_daily_facts IS 'What each order or tender event adds to rm_daily_sales: a sale adds the order on its date; a void, or a refund of some lines, is a refund on the day it was made (net amount, tax and the money handed back taken out, one refund counted); a tender adds what went towards the order on the day it was taken; a cancelled open order takes back only the money handed back.';

--
-- Name: reporting_item_facts; Type: VIEW; Schema: app_private; Owner: -
--

CREATE VIEW app_private.reporting_item_facts AS
 SELECT e.tenant_id,
    e.id AS event_id,
    e.seq,
    (e.payload ->> 'location_id'::text) AS location_id,
        CASE
            WHEN (e.type = 'order.voided.v1'::text) THEN COALESCE(((e.payload ->> 'voided_business_date'::text))::date, ((e.payload ->> 'business_date'::text))::date)
            WHEN (e.type = 'order.refunded.v1'::text) THEN ((e.payload ->> 'refund_business_date'::text))::date
            ELSE ((e.payload ->> 'business_date'::text))::date
        END AS business_date,
    l.catalog_item_id,
    l.name AS catalog_item_name,
        CASE
            WHEN (e.type = 'order.placed.v1'::text) THEN e.seq
            ELSE (0)::bigint
        END AS name_seq,
    (x.sign * l.quantity) AS quantity_sold,
        CASE
            WHEN (e.type = 'order.placed.v1'::text) THEN l.subtotal
            ELSE (0)::bigint
        END AS gross_revenue,
    (x.sign * l.revenue) AS net_revenue
   FROM ((app_private.events e
     CROSS JOIN LATERAL jsonb_to_recordset((e.payload -> 'lines'::text)) l(catalog_item_id text, name text, quantity bigint, subtotal bigint, revenue bigint))
     CROSS JOIN LATERAL ( SELECT
                CASE e.type
                    WHEN 'order.placed.v1'::text THEN 1
                    ELSE '-1'::integer
                END AS sign) x)
  WHERE (e.type = ANY (ARRAY['order.placed.v1'::text, 'order.voided.v1'::text, 'order.refunded.v1'::text]));

--
-- Name: VIEW reporting_item_facts; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON VIEW app_private.reporting_item_facts IS 'What each line of an order event adds to rm_item_sales (a void, or a refund of some lines, takes its units and net revenue back out on the day of the refund).';

--
-- Name: reporting_queue; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.reporting_queue (
    tenant_id text NOT NULL,
    event_id text NOT NULL,
    seq bigint NOT NULL
);

ALTER TABLE ONLY app_private.reporting_queue FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE reporting_queue; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.reporting_queue IS 'Sales events accepted by the reporting_sales consumer and not yet folded into rm_daily_sales, rm_item_sales and rm_inventory_on_hand. Readers add them in (exact figures); folding empties it.';

--
-- Name: reporting_stock_facts; Type: VIEW; Schema: app_private; Owner: -
--

CREATE VIEW app_private.reporting_stock_facts AS
 SELECT e.tenant_id,
    e.id AS event_id,
    e.seq,
    (e.payload ->> 'location_id'::text) AS location_id,
    (e.payload ->> 'inventory_item_id'::text) AS inventory_item_id,
    ((e.payload ->> 'quantity'::text))::bigint AS on_hand
   FROM app_private.events e
  WHERE (e.type = 'inventory.movement.created.v1'::text);

--
-- Name: VIEW reporting_stock_facts; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON VIEW app_private.reporting_stock_facts IS 'What each stock movement event adds to rm_inventory_on_hand.';

--
-- Name: sessions; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.sessions (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id text NOT NULL,
    active_tenant_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone DEFAULT (now() + '14 days'::interval) NOT NULL,
    secret_hash bytea NOT NULL
);

ALTER TABLE ONLY app_private.sessions FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE sessions; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.sessions IS 'Signed-in sessions, found by the SHA-256 of the secret in the session cookie (never stored); active_tenant_id is the tenant the user works in.';

--
-- Name: COLUMN sessions.id; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.sessions.id IS 'A handle for the session row; not the secret.';

--
-- Name: COLUMN sessions.secret_hash; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.sessions.secret_hash IS 'SHA-256 of the session secret (app_hidden.session_secret_hash).';

--
-- Name: stripe_events; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.stripe_events (
    id text NOT NULL,
    type text NOT NULL,
    api_version text,
    livemode boolean DEFAULT false NOT NULL,
    stripe_created_at timestamp with time zone NOT NULL,
    customer_id text,
    object_id text,
    payload jsonb NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    outcome text,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    applied_at timestamp with time zone,
    CONSTRAINT stripe_events_id_check CHECK ((id ~ '^evt_'::text)),
    CONSTRAINT stripe_events_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'applied'::text, 'ignored'::text])))
);

ALTER TABLE ONLY app_private.stripe_events FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE stripe_events; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.stripe_events IS 'Every Stripe event received (verified), once; global because the tenant is found only when applying.';

--
-- Name: COLUMN stripe_events.stripe_created_at; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.stripe_events.stripe_created_at IS 'The event''s created time: the order in which Stripe''s state changed.';

--
-- Name: COLUMN stripe_events.customer_id; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.stripe_events.customer_id IS 'The Stripe customer the event is about (tenants.billing_customer_id).';

--
-- Name: COLUMN stripe_events.status; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.stripe_events.status IS 'pending (a job will apply it), applied, or ignored (a type we do not use, or not about one of our customers).';

--
-- Name: COLUMN stripe_events.outcome; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON COLUMN app_private.stripe_events.outcome IS 'What applying it did, for people reading the log.';

--
-- Name: tenant_counters; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.tenant_counters (
    tenant_id text NOT NULL,
    name text NOT NULL,
    value bigint NOT NULL,
    CONSTRAINT tenant_counters_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,62}$'::text)),
    CONSTRAINT tenant_counters_value_check CHECK ((value >= 0))
);

ALTER TABLE ONLY app_private.tenant_counters FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE tenant_counters; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.tenant_counters IS 'Per-tenant sequences without gaps: the last number handed out under each name.';

--
-- Name: user_secrets; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.user_secrets (
    user_id text NOT NULL,
    password_hash text NOT NULL,
    failed_login_attempts integer DEFAULT 0 NOT NULL,
    first_failed_login_at timestamp with time zone,
    locked_until timestamp with time zone
);

ALTER TABLE ONLY app_private.user_secrets FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE user_secrets; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.user_secrets IS 'Password hash (bcrypt) and the failed sign-in counter behind the lockout.';

--
-- Name: worker_pools; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.worker_pools (
    pool_id text NOT NULL,
    process_key integer NOT NULL,
    hostname text,
    pid integer,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    seen_dead_at timestamp with time zone,
    CONSTRAINT worker_pools_process_key_check CHECK ((process_key > 0))
);

ALTER TABLE ONLY app_private.worker_pools FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE worker_pools; Type: COMMENT; Schema: app_private; Owner: -
--

COMMENT ON TABLE app_private.worker_pools IS 'The graphile-worker pools of live (or crashed) worker processes, with the advisory lock key that proves the process alive.';

--
-- Name: audit_entries; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.audit_entries (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    entity text NOT NULL,
    entity_id text NOT NULL,
    action text NOT NULL,
    actor_user_id text,
    changes jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    command text,
    reason text,
    CONSTRAINT audit_entries_action_check CHECK ((action = ANY (ARRAY['insert'::text, 'update'::text, 'delete'::text]))),
    CONSTRAINT audit_entries_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500)))
);

ALTER TABLE ONLY app_public.audit_entries FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE audit_entries; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.audit_entries IS '@unique id
Audit trail: one row per change of an audited row, with who made it and what changed.';

--
-- Name: COLUMN audit_entries.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_entries.tenant_id IS '@behavior -*';

--
-- Name: COLUMN audit_entries.entity; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_entries.entity IS '@behavior +filterBy
Table of the changed row, such as customers or tenants.';

--
-- Name: COLUMN audit_entries.entity_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_entries.entity_id IS 'Id of the changed row.';

--
-- Name: COLUMN audit_entries.actor_user_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_entries.actor_user_id IS '@behavior +filterBy
Who made the change; null when the system did (worker, webhooks).';

--
-- Name: COLUMN audit_entries.changes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_entries.changes IS 'For each changed field: {"old": …, "new": …}.';

--
-- Name: COLUMN audit_entries.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_entries.created_at IS '@behavior +filterBy +orderBy
When the change was made.';

--
-- Name: COLUMN audit_entries.command; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_entries.command IS '@behavior +filterBy +orderBy
The command that made the change (merge_customers, archive_customer, void_order, change_plan, suspend_tenant…); null for plain edits.';

--
-- Name: COLUMN audit_entries.reason; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.audit_entries.reason IS 'Why, as the person who made the change wrote it (mandatory for suspensions).';

--
-- Name: billing_invoices; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.billing_invoices (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    stripe_invoice_id text NOT NULL,
    stripe_subscription_id text,
    number text,
    status text NOT NULL,
    billing_reason text,
    currency text NOT NULL,
    amount_due integer NOT NULL,
    amount_paid integer NOT NULL,
    attempt_count integer DEFAULT 0 NOT NULL,
    next_payment_attempt timestamp with time zone,
    period_start timestamp with time zone,
    period_end timestamp with time zone,
    hosted_invoice_url text,
    invoiced_at timestamp with time zone NOT NULL,
    paid_at timestamp with time zone,
    last_stripe_event_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT billing_invoices_status_check CHECK ((status = ANY (ARRAY['draft'::text, 'open'::text, 'paid'::text, 'uncollectible'::text, 'void'::text])))
);

ALTER TABLE ONLY app_public.billing_invoices FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE billing_invoices; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.billing_invoices IS '@unique id
Invoices of the business for its subscription, mirrored from Stripe.';

--
-- Name: COLUMN billing_invoices.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.tenant_id IS '@behavior -*';

--
-- Name: COLUMN billing_invoices.stripe_invoice_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.stripe_invoice_id IS '@behavior -*
The Stripe invoice.';

--
-- Name: COLUMN billing_invoices.stripe_subscription_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.stripe_subscription_id IS '@behavior -*
The Stripe subscription the invoice bills.';

--
-- Name: COLUMN billing_invoices.number; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.number IS 'Invoice number, set when the invoice is finalized.';

--
-- Name: COLUMN billing_invoices.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.status IS 'draft, open (to be paid), paid, uncollectible or void.';

--
-- Name: COLUMN billing_invoices.billing_reason; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.billing_reason IS 'Why Stripe made it: subscription_create, subscription_cycle, subscription_update…';

--
-- Name: COLUMN billing_invoices.currency; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.currency IS 'ISO 4217 currency, lower case.';

--
-- Name: COLUMN billing_invoices.amount_due; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.amount_due IS 'Amount to pay, in cents.';

--
-- Name: COLUMN billing_invoices.amount_paid; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.amount_paid IS 'Amount paid so far, in cents.';

--
-- Name: COLUMN billing_invoices.attempt_count; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.attempt_count IS 'How many times Stripe tried to charge it.';

--
-- Name: COLUMN billing_invoices.next_payment_attempt; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.next_payment_attempt IS 'When Stripe tries again; null when it will not.';

--
-- Name: COLUMN billing_invoices.period_start; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.period_start IS 'Start of the service period billed (from the subscription line).';

--
-- Name: COLUMN billing_invoices.period_end; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.period_end IS 'End of the service period billed.';

--
-- Name: COLUMN billing_invoices.hosted_invoice_url; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.hosted_invoice_url IS 'Stripe page where the invoice can be seen and paid.';

--
-- Name: COLUMN billing_invoices.invoiced_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.invoiced_at IS 'When Stripe created the invoice.';

--
-- Name: COLUMN billing_invoices.paid_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.paid_at IS 'When it was paid.';

--
-- Name: COLUMN billing_invoices.last_stripe_event_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.billing_invoices.last_stripe_event_at IS '@behavior -*
Created time of the newest Stripe event applied to this row.';

--
-- Name: catalog_items; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.catalog_items (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    name text NOT NULL,
    sku text NOT NULL,
    price integer NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT catalog_items_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT catalog_items_price_check CHECK (((price >= 0) AND (price <= 10000000))),
    CONSTRAINT catalog_items_sku_check CHECK ((sku ~ '^[A-Z0-9][A-Z0-9._-]{0,39}$'::text))
);

ALTER TABLE ONLY app_public.catalog_items FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE catalog_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.catalog_items IS '@unique id
Something the business sells, at a tax-exclusive price. Deactivate items rather than delete them: past orders keep pointing at them.';

--
-- Name: COLUMN catalog_items.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.catalog_items.tenant_id IS '@behavior -*';

--
-- Name: COLUMN catalog_items.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.catalog_items.name IS 'Name shown on the till and the receipt.';

--
-- Name: COLUMN catalog_items.sku; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.catalog_items.sku IS 'Stock-keeping unit, unique in the business; stored upper-case (A-Z, 0-9, dot, dash, underscore).';

--
-- Name: COLUMN catalog_items.price; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.catalog_items.price IS 'Unit price in cents, before tax.';

--
-- Name: COLUMN catalog_items.active; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.catalog_items.active IS '@behavior +filterBy
Only active items can be sold.';

--
-- Name: customer_addresses; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.customer_addresses (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    customer_id text NOT NULL,
    type text DEFAULT 'home'::text NOT NULL,
    line1 text NOT NULL,
    line2 text,
    city text NOT NULL,
    region text,
    postal_code text,
    country text DEFAULT app_hidden.current_tenant_country() NOT NULL,
    latitude numeric(9,6),
    longitude numeric(9,6),
    is_default boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customer_addresses_check CHECK (((latitude IS NULL) = (longitude IS NULL))),
    CONSTRAINT customer_addresses_city_check CHECK (((length(city) >= 1) AND (length(city) <= 100))),
    CONSTRAINT customer_addresses_country_check CHECK ((country ~ '^[A-Z]{2}$'::text)),
    CONSTRAINT customer_addresses_latitude_check CHECK (((latitude >= ('-90'::integer)::numeric) AND (latitude <= (90)::numeric))),
    CONSTRAINT customer_addresses_line1_check CHECK (((length(line1) >= 1) AND (length(line1) <= 200))),
    CONSTRAINT customer_addresses_line2_check CHECK (((length(line2) >= 1) AND (length(line2) <= 200))),
    CONSTRAINT customer_addresses_longitude_check CHECK (((longitude >= ('-180'::integer)::numeric) AND (longitude <= (180)::numeric))),
    CONSTRAINT customer_addresses_postal_code_check CHECK (((length(postal_code) >= 1) AND (length(postal_code) <= 20))),
    CONSTRAINT customer_addresses_region_check CHECK (((length(region) >= 1) AND (length(region) <= 100))),
    CONSTRAINT customer_addresses_type_check CHECK ((type = ANY (ARRAY['home'::text, 'work'::text, 'billing'::text, 'shipping'::text, 'other'::text])))
);

ALTER TABLE ONLY app_public.customer_addresses FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customer_addresses; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.customer_addresses IS '@unique id
A postal address of a customer. At most one per customer is the default; making another the default unsets the previous one.';

--
-- Name: COLUMN customer_addresses.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_addresses.tenant_id IS '@behavior -*';

--
-- Name: COLUMN customer_addresses.customer_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_addresses.customer_id IS 'The customer (fixed once written).';

--
-- Name: COLUMN customer_addresses.type; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_addresses.type IS 'home, work, billing, shipping or other.';

--
-- Name: COLUMN customer_addresses.line1; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_addresses.line1 IS 'First address line (street and number).';

--
-- Name: COLUMN customer_addresses.line2; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_addresses.line2 IS 'Second address line (building, floor…).';

--
-- Name: COLUMN customer_addresses.city; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_addresses.city IS 'City or town.';

--
-- Name: COLUMN customer_addresses.region; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_addresses.region IS 'State, province or region.';

--
-- Name: COLUMN customer_addresses.postal_code; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_addresses.postal_code IS 'Postal or ZIP code (upper-cased).';

--
-- Name: COLUMN customer_addresses.country; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_addresses.country IS 'ISO 3166 country code (two letters); defaults to the business''s country.';

--
-- Name: COLUMN customer_addresses.latitude; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_addresses.latitude IS 'Latitude in degrees (with longitude, or neither).';

--
-- Name: COLUMN customer_addresses.longitude; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_addresses.longitude IS 'Longitude in degrees (with latitude, or neither).';

--
-- Name: COLUMN customer_addresses.is_default; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_addresses.is_default IS 'Whether this is the customer''s default address (at most one).';

--
-- Name: customer_merges; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.customer_merges (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    primary_id text NOT NULL,
    duplicate_id text NOT NULL,
    primary_snapshot jsonb NOT NULL,
    duplicate_snapshot jsonb NOT NULL,
    result_snapshot jsonb NOT NULL,
    moved_order_ids text[] DEFAULT '{}'::text[] NOT NULL,
    moved_note_ids text[] DEFAULT '{}'::text[] NOT NULL,
    moved_address_ids text[] DEFAULT '{}'::text[] NOT NULL,
    notes_note_id text,
    merged_by_user_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customer_merges_check CHECK ((primary_id <> duplicate_id))
);

ALTER TABLE ONLY app_public.customer_merges FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customer_merges; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.customer_merges IS '@unique id
One merge of a duplicate customer into a primary one: what each looked like before, the result, and what moved.';

--
-- Name: COLUMN customer_merges.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merges.tenant_id IS '@behavior -*';

--
-- Name: COLUMN customer_merges.primary_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merges.primary_id IS 'The customer that remains.';

--
-- Name: COLUMN customer_merges.duplicate_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merges.duplicate_id IS 'The customer merged away (now status merged).';

--
-- Name: COLUMN customer_merges.primary_snapshot; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merges.primary_snapshot IS 'The primary customer as it was just before the merge.';

--
-- Name: COLUMN customer_merges.duplicate_snapshot; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merges.duplicate_snapshot IS 'The duplicate customer as it was just before the merge.';

--
-- Name: COLUMN customer_merges.result_snapshot; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merges.result_snapshot IS 'The primary customer just after the merge.';

--
-- Name: COLUMN customer_merges.moved_order_ids; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merges.moved_order_ids IS 'Orders moved from the duplicate to the primary.';

--
-- Name: COLUMN customer_merges.moved_note_ids; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merges.moved_note_ids IS 'Notes moved from the duplicate to the primary.';

--
-- Name: COLUMN customer_merges.moved_address_ids; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merges.moved_address_ids IS 'Addresses moved from the duplicate to the primary.';

--
-- Name: COLUMN customer_merges.notes_note_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merges.notes_note_id IS 'When both customers'' notes did not fit in 2000 characters: the note that now holds the duplicate''s notes.';

--
-- Name: COLUMN customer_merges.merged_by_user_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_merges.merged_by_user_id IS 'Who merged them.';

--
-- Name: customer_notes; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.customer_notes (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    customer_id text NOT NULL,
    category text DEFAULT 'general'::text NOT NULL,
    body text NOT NULL,
    author_user_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customer_notes_body_check CHECK (((length(body) >= 1) AND (length(body) <= 2000))),
    CONSTRAINT customer_notes_category_check CHECK ((category = ANY (ARRAY['general'::text, 'preference'::text, 'issue'::text, 'feedback'::text])))
);

ALTER TABLE ONLY app_public.customer_notes FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE customer_notes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.customer_notes IS '@unique id
A dated note about a customer, by a member of staff.';

--
-- Name: COLUMN customer_notes.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_notes.tenant_id IS '@behavior -*';

--
-- Name: COLUMN customer_notes.customer_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_notes.customer_id IS 'The customer the note is about (fixed once written).';

--
-- Name: COLUMN customer_notes.category; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_notes.category IS '@behavior +filterBy
general, preference, issue or feedback.';

--
-- Name: COLUMN customer_notes.body; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_notes.body IS 'The note (1 to 2000 characters; line breaks allowed).';

--
-- Name: COLUMN customer_notes.author_user_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_notes.author_user_id IS 'Who wrote the note (set by the database).';

--
-- Name: customer_rows; Type: VIEW; Schema: app_public; Owner: -
--

CREATE VIEW app_public.customer_rows WITH (security_invoker='true') AS
 SELECT c.tenant_id,
    c.id,
    c.customer_number,
    c.display_name,
    c.email,
    c.phone,
    c.tags,
    c.status,
    c.customer_type_id,
    c.created_at,
    s.visits AS total_visits,
    s.spend AS total_spend,
    s.first_visit_at,
    s.last_visit_at,
    (s.visits >= 2) AS is_repeat,
    app_hidden.loyalty_class(s.visits, s.last_visit_at, s.recent_visits, l.regular_min_visits, l.regular_window_days, l.lapsed_after_days, now()) AS loyalty_class
   FROM ((app_public.customers c
     JOIN app_public.customer_stats s ON (((s.tenant_id = c.tenant_id) AND (s.customer_id = c.id))))
     JOIN app_public.loyalty_settings l ON ((l.tenant_id = c.tenant_id)));

--
-- Name: VIEW customer_rows; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON VIEW app_public.customer_rows IS '@name customer_rows
@primaryKey tenant_id,id|@behavior -single
@unique id
@foreignKey (tenant_id, id) references app_public.customers (tenant_id, id)|@fieldName customer|@behavior -manyRelation:resource:list -manyRelation:resource:connection
@foreignKey (tenant_id, customer_type_id) references app_public.customer_types (tenant_id, id)|@fieldName customerType|@behavior -manyRelation:resource:list -manyRelation:resource:connection
@behavior -insert -update -delete
The Customers list: each customer with its counters and loyalty class, to filter and sort.';

--
-- Name: COLUMN customer_rows.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.tenant_id IS '@behavior -*';

--
-- Name: COLUMN customer_rows.id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.id IS '@notNull
@behavior +orderBy';

--
-- Name: COLUMN customer_rows.customer_number; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.customer_number IS '@notNull';

--
-- Name: COLUMN customer_rows.display_name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.display_name IS '@notNull
@behavior +orderBy +filterBy';

--
-- Name: COLUMN customer_rows.tags; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.tags IS '@notNull
@behavior +filterBy';

--
-- Name: COLUMN customer_rows.status; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.status IS '@notNull
@behavior +filterBy';

--
-- Name: COLUMN customer_rows.customer_type_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.customer_type_id IS '@behavior +filterBy
The customer''s type.';

--
-- Name: COLUMN customer_rows.created_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.created_at IS '@notNull';

--
-- Name: COLUMN customer_rows.total_visits; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.total_visits IS '@notNull
@behavior +orderBy +filterBy
Orders not voided.';

--
-- Name: COLUMN customer_rows.total_spend; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.total_spend IS '@notNull
@behavior +orderBy +filterBy
Totals of those orders, in cents.';

--
-- Name: COLUMN customer_rows.first_visit_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.first_visit_at IS 'When the earliest of those orders was placed.';

--
-- Name: COLUMN customer_rows.last_visit_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.last_visit_at IS '@behavior +orderBy +filterBy
When the latest of those orders was placed.';

--
-- Name: COLUMN customer_rows.is_repeat; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.is_repeat IS '@notNull
@behavior +filterBy
Two visits or more.';

--
-- Name: COLUMN customer_rows.loyalty_class; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.customer_rows.loyalty_class IS '@behavior +filterBy
The loyalty class now (see CustomerStats.loyaltyClass).';

--
-- Name: devices; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.devices (
    tenant_id text DEFAULT app_hidden.current_tenant_id() NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    location_id text NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT devices_name_check CHECK (((length(name) >= 1) AND (length(name) <= 100)))
);

ALTER TABLE ONLY app_public.devices FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE devices; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.devices IS '@unique id
A POS device (register) of a location. The plan limits how many a business may have.';

--
-- Name: COLUMN devices.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.devices.tenant_id IS '@behavior -*';

--
-- Name: COLUMN devices.location_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.devices.location_id IS 'The location where the device is.';

--
-- Name: COLUMN devices.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.devices.name IS 'Name of the device, unique at its location (such as Register 1).';

--
-- Name: order_lines; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.order_lines (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    order_id text NOT NULL,
    line_no integer NOT NULL,
    catalog_item_id text NOT NULL,
    sku text NOT NULL,
    name text NOT NULL,
    unit_price integer NOT NULL,
    quantity integer NOT NULL,
    subtotal integer NOT NULL,
    line_discount integer NOT NULL,
    order_discount_share integer NOT NULL,
    net_total integer NOT NULL,
    tax integer NOT NULL,
    total integer NOT NULL,
    tax_inclusive boolean DEFAULT false NOT NULL,
    CONSTRAINT order_lines_check1 CHECK ((net_total = ((subtotal - line_discount) - order_discount_share))),
    CONSTRAINT order_lines_check2 CHECK ((total = (net_total + tax))),
    CONSTRAINT order_lines_line_discount_check CHECK ((line_discount >= 0)),
    CONSTRAINT order_lines_line_no_check CHECK ((line_no >= 1)),
    CONSTRAINT order_lines_net_total_check CHECK ((net_total >= 0)),
    CONSTRAINT order_lines_order_discount_share_check CHECK ((order_discount_share >= 0)),
    CONSTRAINT order_lines_quantity_check CHECK ((quantity > 0)),
    CONSTRAINT order_lines_subtotal_check CHECK (((subtotal >= 0) AND (subtotal <= ((unit_price)::bigint * quantity)))),
    CONSTRAINT order_lines_subtotal_exact_check CHECK ((tax_inclusive OR (subtotal = ((unit_price)::bigint * quantity)))),
    CONSTRAINT order_lines_tax_check CHECK ((tax >= 0)),
    CONSTRAINT order_lines_unit_price_check CHECK ((unit_price >= 0))
);

ALTER TABLE ONLY app_public.order_lines FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE order_lines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.order_lines IS '@unique id
One item of an order, with the name and price it was sold at.';

--
-- Name: COLUMN order_lines.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.tenant_id IS '@behavior -*';

--
-- Name: COLUMN order_lines.line_no; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.line_no IS 'Position of the line in the order, from 1.';

--
-- Name: COLUMN order_lines.sku; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.sku IS 'SKU of the item when it was sold.';

--
-- Name: COLUMN order_lines.name; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.name IS 'Name of the item when it was sold.';

--
-- Name: COLUMN order_lines.unit_price; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.unit_price IS 'Price of one unit when it was sold, in cents: the shelf price, which holds the tax when the order''s prices included it.';

--
-- Name: COLUMN order_lines.quantity; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.quantity IS 'Units sold.';

--
-- Name: COLUMN order_lines.subtotal; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.subtotal IS 'unit_price × quantity in cents, less the tax that amount holds when the order''s prices included it.';

--
-- Name: COLUMN order_lines.line_discount; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.line_discount IS 'Cents taken off this line (without tax when the order''s prices included it).';

--
-- Name: COLUMN order_lines.order_discount_share; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.order_discount_share IS 'This line''s share of the order discount, in cents.';

--
-- Name: COLUMN order_lines.net_total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.net_total IS 'Revenue of the line: subtotal − line_discount − order_discount_share, in cents, before tax.';

--
-- Name: COLUMN order_lines.tax; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.tax IS 'The line''s tax, rounded half up: on net_total when added to prices; the part of what the customer paid for the line when the prices included it.';

--
-- Name: COLUMN order_lines.total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.total IS 'net_total + tax, in cents.';

--
-- Name: COLUMN order_lines.tax_inclusive; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_lines.tax_inclusive IS 'Whether the order''s prices included its tax: then the subtotal is unit price × quantity less the tax it held, else exactly unit price × quantity.';

--
-- Name: order_refund_lines; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.order_refund_lines (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    order_refund_id text NOT NULL,
    order_line_id text NOT NULL,
    quantity integer NOT NULL,
    subtotal integer NOT NULL,
    discount integer NOT NULL,
    tax integer NOT NULL,
    total integer NOT NULL,
    CONSTRAINT order_refund_lines_amounts_check CHECK (((subtotal >= discount) AND (total >= 0))),
    CONSTRAINT order_refund_lines_check CHECK ((total = ((subtotal - discount) + tax))),
    CONSTRAINT order_refund_lines_discount_check CHECK ((discount >= 0)),
    CONSTRAINT order_refund_lines_quantity_check CHECK (((quantity >= 1) AND (quantity <= 10000))),
    CONSTRAINT order_refund_lines_subtotal_check CHECK ((subtotal >= 0)),
    CONSTRAINT order_refund_lines_tax_check CHECK ((tax >= 0))
);

ALTER TABLE ONLY app_public.order_refund_lines FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE order_refund_lines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.order_refund_lines IS '@unique id
The units of one order line a refund took back, with their share of discount and tax.';

--
-- Name: COLUMN order_refund_lines.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refund_lines.tenant_id IS '@behavior -*';

--
-- Name: COLUMN order_refund_lines.quantity; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refund_lines.quantity IS 'Units refunded.';

--
-- Name: COLUMN order_refund_lines.subtotal; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refund_lines.subtotal IS 'Their share of the line''s subtotal: unit price × quantity (without tax when prices included it).';

--
-- Name: COLUMN order_refund_lines.discount; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refund_lines.discount IS 'Their share of the line''s discounts (order discount included).';

--
-- Name: COLUMN order_refund_lines.tax; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refund_lines.tax IS 'Their share of the line''s tax.';

--
-- Name: COLUMN order_refund_lines.total; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.order_refund_lines.total IS 'subtotal − discount + tax.';

--
-- Name: refund_tenders; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.refund_tenders (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    order_id text NOT NULL,
    type text NOT NULL,
    amount integer NOT NULL,
    reason text NOT NULL,
    business_date date NOT NULL,
    refunded_by_user_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    cash_drawer_id text,
    order_refund_id text,
    CONSTRAINT refund_tenders_amount_check CHECK ((amount > 0)),
    CONSTRAINT refund_tenders_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500))),
    CONSTRAINT refund_tenders_type_check CHECK ((type = ANY (ARRAY['cash'::text, 'card'::text])))
);

ALTER TABLE ONLY app_public.refund_tenders FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE refund_tenders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.refund_tenders IS '@unique id
Money handed back for an order, per tender type: cash from the drawer, card back to the card. Written by voidOrder and cancelOrder; never changed.';

--
-- Name: COLUMN refund_tenders.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.refund_tenders.tenant_id IS '@behavior -*';

--
-- Name: COLUMN refund_tenders.type; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.refund_tenders.type IS 'cash (from the drawer) or card (back to the card).';

--
-- Name: COLUMN refund_tenders.amount; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.refund_tenders.amount IS 'What was handed back, in minor units of the business''s currency.';

--
-- Name: COLUMN refund_tenders.reason; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.refund_tenders.reason IS 'Why (the reason of the void or the cancel).';

--
-- Name: COLUMN refund_tenders.business_date; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.refund_tenders.business_date IS 'The day the money left the till, at the order''s location.';

--
-- Name: COLUMN refund_tenders.refunded_by_user_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.refund_tenders.refunded_by_user_id IS 'Who refunded (a user id kept as it was).';

--
-- Name: COLUMN refund_tenders.cash_drawer_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.refund_tenders.cash_drawer_id IS 'The drawer cash handed back came out of (null for card, or when no drawer was open at the location).';

--
-- Name: COLUMN refund_tenders.order_refund_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.refund_tenders.order_refund_id IS 'The refund of lines that handed this back (null for a void or a cancel).';

--
-- Name: tenant_suspensions; Type: TABLE; Schema: app_public; Owner: -
--

CREATE TABLE app_public.tenant_suspensions (
    tenant_id text NOT NULL,
    id text DEFAULT public.gen_ulid() NOT NULL,
    type text NOT NULL,
    reason text NOT NULL,
    suspended_at timestamp with time zone DEFAULT now() NOT NULL,
    suspended_by text,
    ended_at timestamp with time zone,
    ended_by text,
    end_reason text,
    CONSTRAINT tenant_suspensions_check CHECK (((ended_at IS NULL) = (end_reason IS NULL))),
    CONSTRAINT tenant_suspensions_end_reason_check CHECK (((length(end_reason) >= 1) AND (length(end_reason) <= 500))),
    CONSTRAINT tenant_suspensions_reason_check CHECK (((length(reason) >= 1) AND (length(reason) <= 500))),
    CONSTRAINT tenant_suspensions_type_check CHECK ((type = ANY (ARRAY['nonpayment'::text, 'canceled'::text, 'fraud'::text, 'manual'::text, 'technical'::text])))
);

ALTER TABLE ONLY app_public.tenant_suspensions FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE tenant_suspensions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON TABLE app_public.tenant_suspensions IS '@unique id
@behavior -insert -update -delete
Every suspension of the business and its end: type, reason, when and by whom.';

--
-- Name: COLUMN tenant_suspensions.tenant_id; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenant_suspensions.tenant_id IS '@behavior -*';

--
-- Name: COLUMN tenant_suspensions.type; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenant_suspensions.type IS 'nonpayment, canceled (the subscription ended), fraud, manual or technical.';

--
-- Name: COLUMN tenant_suspensions.reason; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenant_suspensions.reason IS 'Why the business was suspended.';

--
-- Name: COLUMN tenant_suspensions.suspended_by; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenant_suspensions.suspended_by IS 'Who suspended it; null when billing did.';

--
-- Name: COLUMN tenant_suspensions.ended_at; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenant_suspensions.ended_at IS 'When it was reactivated; null while it lasts.';

--
-- Name: COLUMN tenant_suspensions.end_reason; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON COLUMN app_public.tenant_suspensions.end_reason IS 'Why it was reactivated.';

--
-- Name: rm_customer_activity; Type: TABLE; Schema: reporting; Owner: -
--

CREATE TABLE reporting.rm_customer_activity (
    tenant_id text NOT NULL,
    customer_id text NOT NULL,
    customer_name text,
    total_visits integer DEFAULT 0 NOT NULL,
    total_spend bigint DEFAULT 0 NOT NULL,
    last_visit_at timestamp with time zone,
    merged_into_id text,
    name_seq bigint DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY reporting.rm_customer_activity FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE rm_customer_activity; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TABLE reporting.rm_customer_activity IS '@name rm_customer_activity
Visits and spend of each customer, kept from the event log; follows renames and merges (a merged customer''s activity belongs to the one it was merged into).';

--
-- Name: COLUMN rm_customer_activity.tenant_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_customer_activity.tenant_id IS '@behavior -*';

--
-- Name: COLUMN rm_customer_activity.customer_name; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_customer_activity.customer_name IS 'The customer''s display name, as of their latest change.';

--
-- Name: COLUMN rm_customer_activity.total_visits; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_customer_activity.total_visits IS 'Orders attributed to the customer that were not voided.';

--
-- Name: COLUMN rm_customer_activity.total_spend; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_customer_activity.total_spend IS 'Totals of those orders (tax included), in cents.';

--
-- Name: COLUMN rm_customer_activity.last_visit_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_customer_activity.last_visit_at IS 'When the latest of those orders was placed.';

--
-- Name: COLUMN rm_customer_activity.merged_into_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_customer_activity.merged_into_id IS '@behavior -*';

--
-- Name: COLUMN rm_customer_activity.name_seq; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_customer_activity.name_seq IS '@behavior -*';

--
-- Name: COLUMN rm_customer_activity.updated_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_customer_activity.updated_at IS 'When this row last changed.';

--
-- Name: customer_activity; Type: VIEW; Schema: reporting; Owner: -
--

CREATE VIEW reporting.customer_activity WITH (security_barrier='true') AS
 SELECT a.customer_id,
    c.customer_number,
    a.customer_name,
    a.total_visits,
    cur.code AS currency,
    app_hidden.major_units((a.total_spend)::numeric, cur.minor_units) AS total_spend,
    app_hidden.major_units(
        CASE
            WHEN (a.total_visits > 0) THEN round(((a.total_spend)::numeric / (a.total_visits)::numeric))
            ELSE (0)::numeric
        END, cur.minor_units) AS avg_spend,
    a.last_visit_at
   FROM (((reporting.rm_customer_activity a
     JOIN app_public.customers c ON (((c.tenant_id = a.tenant_id) AND (c.id = a.customer_id))))
     JOIN app_public.tenants tn ON ((tn.id = a.tenant_id)))
     JOIN app_public.currencies cur ON ((cur.code = tn.currency)))
  WHERE (a.merged_into_id IS NULL);

--
-- Name: VIEW customer_activity; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON VIEW reporting.customer_activity IS 'Visits (orders not voided) and spend (tax included, in the business''s currency) of each customer; customers merged into another one are counted in that one.';

--
-- Name: customer_classes; Type: VIEW; Schema: reporting; Owner: -
--

CREATE VIEW reporting.customer_classes WITH (security_barrier='true') AS
 SELECT c.id AS customer_id,
    c.customer_number,
    c.display_name AS customer_name,
    c.status,
    t.label AS customer_type,
    app_hidden.analyst_loyalty_class(s.visits, s.last_visit_at, s.recent_visits, l.regular_min_visits, l.regular_window_days, l.lapsed_after_days, now()) AS loyalty_class,
    (s.visits >= 2) AS is_repeat,
    s.visits,
    app_hidden.visits_within(s.recent_visits, l.regular_window_days, now()) AS visits_in_window,
    cur.code AS currency,
    app_hidden.major_units((s.spend)::numeric, cur.minor_units) AS spend,
    s.first_visit_at,
    s.last_visit_at,
    COALESCE(p.do_not_contact, false) AS do_not_contact
   FROM ((((((app_public.customers c
     JOIN app_public.customer_stats s ON (((s.tenant_id = c.tenant_id) AND (s.customer_id = c.id))))
     JOIN app_public.loyalty_settings l ON ((l.tenant_id = c.tenant_id)))
     JOIN app_public.tenants tn ON ((tn.id = c.tenant_id)))
     JOIN app_public.currencies cur ON ((cur.code = tn.currency)))
     LEFT JOIN app_public.customer_types t ON (((t.tenant_id = c.tenant_id) AND (t.id = c.customer_type_id))))
     LEFT JOIN app_public.customer_preferences p ON (((p.tenant_id = c.tenant_id) AND (p.customer_id = c.id))))
  WHERE ((c.status <> 'merged'::text) AND ((CURRENT_USER = 'bo_owner'::name) OR (c.tenant_id = ( SELECT app_hidden.analyst_tenant_id() AS analyst_tenant_id))));

--
-- Name: VIEW customer_classes; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON VIEW reporting.customer_classes IS 'Each customer (not merged) with its loyalty class now (new, returning, regular, lapsed, one_time; null before the first visit), repeat flag (2+ visits), visits in the business''s regular window, spend in the business''s currency, type and do-not-contact.';

--
-- Name: rm_item_sales; Type: TABLE; Schema: reporting; Owner: -
--

CREATE TABLE reporting.rm_item_sales (
    tenant_id text NOT NULL,
    location_id text NOT NULL,
    business_date date NOT NULL,
    catalog_item_id text NOT NULL,
    catalog_item_name text NOT NULL,
    quantity_sold integer DEFAULT 0 NOT NULL,
    gross_revenue bigint DEFAULT 0 NOT NULL,
    net_revenue bigint DEFAULT 0 NOT NULL,
    name_seq bigint DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY reporting.rm_item_sales FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE rm_item_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TABLE reporting.rm_item_sales IS '@name rm_item_sales
What one catalog item sold at one location on one business date, kept from the event log. Voided orders are taken out.';

--
-- Name: COLUMN rm_item_sales.tenant_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_item_sales.tenant_id IS '@behavior -*';

--
-- Name: COLUMN rm_item_sales.catalog_item_name; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_item_sales.catalog_item_name IS 'The item''s name on its latest sale of that day.';

--
-- Name: COLUMN rm_item_sales.quantity_sold; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_item_sales.quantity_sold IS 'Units sold in orders that were not voided.';

--
-- Name: COLUMN rm_item_sales.gross_revenue; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_item_sales.gross_revenue IS 'Σ unit price × quantity, before discounts and tax, in cents.';

--
-- Name: COLUMN rm_item_sales.net_revenue; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_item_sales.net_revenue IS 'gross_revenue minus the line discounts and the lines'' shares of order discounts, before tax, in cents.';

--
-- Name: COLUMN rm_item_sales.name_seq; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_item_sales.name_seq IS '@behavior -*';

--
-- Name: COLUMN rm_item_sales.updated_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_item_sales.updated_at IS 'When this row last changed.';

--
-- Name: item_sales_by_day; Type: VIEW; Schema: reporting; Owner: -
--

CREATE VIEW reporting.item_sales_by_day WITH (security_barrier='true') AS
 SELECT s.business_date,
    s.location_id,
    l.name AS location_name,
    s.catalog_item_id,
    s.item_name,
    c.sku,
    s.quantity_sold,
    cur.code AS currency,
    app_hidden.major_units((s.gross_revenue)::numeric, cur.minor_units) AS gross_revenue,
    app_hidden.major_units((s.net_revenue)::numeric, cur.minor_units) AS net_revenue
   FROM ((((( SELECT f.tenant_id,
            f.location_id,
            f.business_date,
            f.catalog_item_id,
            (array_agg(f.catalog_item_name ORDER BY f.name_seq DESC, f.catalog_item_name))[1] AS item_name,
            (sum(f.quantity_sold))::bigint AS quantity_sold,
            (sum(f.gross_revenue))::bigint AS gross_revenue,
            (sum(f.net_revenue))::bigint AS net_revenue
           FROM ( SELECT r.tenant_id,
                    r.location_id,
                    r.business_date,
                    r.catalog_item_id,
                    r.catalog_item_name,
                    r.name_seq,
                    (r.quantity_sold)::bigint AS quantity_sold,
                    r.gross_revenue,
                    r.net_revenue
                   FROM reporting.rm_item_sales r
                UNION ALL
                 SELECT app_hidden.analyst_tenant_id() AS analyst_tenant_id,
                    d.location_id,
                    d.business_date,
                    d.catalog_item_id,
                    d.catalog_item_name,
                    d.name_seq,
                    d.quantity_sold,
                    d.gross_revenue,
                    d.net_revenue
                   FROM app_hidden.analyst_pending_items() d(location_id, business_date, catalog_item_id, catalog_item_name, name_seq, quantity_sold, gross_revenue, net_revenue)) f
          GROUP BY f.tenant_id, f.location_id, f.business_date, f.catalog_item_id) s
     JOIN app_public.locations l ON (((l.tenant_id = s.tenant_id) AND (l.id = s.location_id))))
     JOIN app_public.catalog_items c ON (((c.tenant_id = s.tenant_id) AND (c.id = s.catalog_item_id))))
     JOIN app_public.tenants tn ON ((tn.id = s.tenant_id)))
     JOIN app_public.currencies cur ON ((cur.code = tn.currency)));

--
-- Name: VIEW item_sales_by_day; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON VIEW reporting.item_sales_by_day IS 'What each catalog item sold per location and business date, in the business''s currency (refunds taken out on the day they were made). quantity_sold and net_revenue are net of refunds; gross_revenue is the day''s sales before discounts; both before tax. item_name is the name on its latest sale of the day; sku is the current one.';

--
-- Name: rm_customer_visits; Type: TABLE; Schema: reporting; Owner: -
--

CREATE TABLE reporting.rm_customer_visits (
    tenant_id text NOT NULL,
    order_id text NOT NULL,
    customer_id text NOT NULL,
    placed_at timestamp with time zone NOT NULL,
    total bigint NOT NULL,
    is_voided boolean DEFAULT false NOT NULL,
    location_id text NOT NULL,
    business_date date NOT NULL
);

ALTER TABLE ONLY reporting.rm_customer_visits FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE rm_customer_visits; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TABLE reporting.rm_customer_visits IS 'Internal to the customer-activity consumer (not granted to the API): the orders of each customer (after merges), so that voiding the latest visit can find the one before.';

--
-- Name: rm_daily_sales; Type: TABLE; Schema: reporting; Owner: -
--

CREATE TABLE reporting.rm_daily_sales (
    tenant_id text NOT NULL,
    location_id text NOT NULL,
    business_date date NOT NULL,
    order_count integer DEFAULT 0 NOT NULL,
    gross_sales bigint DEFAULT 0 NOT NULL,
    discount_total bigint DEFAULT 0 NOT NULL,
    tax_total bigint DEFAULT 0 NOT NULL,
    net_sales bigint DEFAULT 0 NOT NULL,
    tender_cash bigint DEFAULT 0 NOT NULL,
    tender_card bigint DEFAULT 0 NOT NULL,
    refund_count integer DEFAULT 0 NOT NULL,
    refund_total bigint DEFAULT 0 NOT NULL,
    avg_order_value bigint GENERATED ALWAYS AS (
CASE
    WHEN (order_count > 0) THEN (round(((net_sales)::numeric / (order_count)::numeric)))::bigint
    ELSE (0)::bigint
END) STORED,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    total_collected bigint GENERATED ALWAYS AS ((net_sales + tax_total)) STORED
);

ALTER TABLE ONLY reporting.rm_daily_sales FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE rm_daily_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TABLE reporting.rm_daily_sales IS '@name rm_daily_sales
Sales of one location on one business date (its own time zone), kept from the event log. Voids are taken out on the date of the original sale.';

--
-- Name: COLUMN rm_daily_sales.tenant_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.tenant_id IS '@behavior -*';

--
-- Name: COLUMN rm_daily_sales.location_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.location_id IS 'The location.';

--
-- Name: COLUMN rm_daily_sales.business_date; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.business_date IS 'The date on the location''s clock.';

--
-- Name: COLUMN rm_daily_sales.order_count; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.order_count IS 'Sales made that day (a refund of one is counted on the day of the refund).';

--
-- Name: COLUMN rm_daily_sales.gross_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.gross_sales IS 'Σ unit price × quantity of the day''s sales, before discounts and tax.';

--
-- Name: COLUMN rm_daily_sales.discount_total; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.discount_total IS 'Discounts of the day''s sales.';

--
-- Name: COLUMN rm_daily_sales.tax_total; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.tax_total IS 'Tax of the day''s sales minus tax refunded that day.';

--
-- Name: COLUMN rm_daily_sales.net_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.net_sales IS 'gross_sales − discount_total − refund_total: tax excluded.';

--
-- Name: COLUMN rm_daily_sales.tender_cash; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.tender_cash IS 'Cash taken that day (for the day''s sales) minus cash handed back that day.';

--
-- Name: COLUMN rm_daily_sales.tender_card; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.tender_card IS 'Card payments (for the day''s sales) minus card refunds made that day.';

--
-- Name: COLUMN rm_daily_sales.refund_count; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.refund_count IS 'Refunds made that day (voids included).';

--
-- Name: COLUMN rm_daily_sales.refund_total; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.refund_total IS 'What those refunds took back, after discounts and before tax.';

--
-- Name: COLUMN rm_daily_sales.avg_order_value; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.avg_order_value IS 'net_sales / order_count, rounded half up; 0 without sales.';

--
-- Name: COLUMN rm_daily_sales.updated_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.updated_at IS 'When this row last changed.';

--
-- Name: COLUMN rm_daily_sales.total_collected; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_daily_sales.total_collected IS 'net_sales + tax_total.';

--
-- Name: rm_inventory_on_hand; Type: TABLE; Schema: reporting; Owner: -
--

CREATE TABLE reporting.rm_inventory_on_hand (
    tenant_id text NOT NULL,
    location_id text NOT NULL,
    inventory_item_id text NOT NULL,
    item_name text NOT NULL,
    on_hand integer DEFAULT 0 NOT NULL,
    low_stock_threshold integer DEFAULT 0 NOT NULL,
    is_below_threshold boolean GENERATED ALWAYS AS ((on_hand <= low_stock_threshold)) STORED,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE ONLY reporting.rm_inventory_on_hand FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE rm_inventory_on_hand; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON TABLE reporting.rm_inventory_on_hand IS '@name rm_inventory_on_hand
Units on hand of a stocked item at a location (the sum of its stock movements), kept from the event log. An item appears at a location once stock has moved there.';

--
-- Name: COLUMN rm_inventory_on_hand.tenant_id; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_inventory_on_hand.tenant_id IS '@behavior -*';

--
-- Name: COLUMN rm_inventory_on_hand.item_name; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_inventory_on_hand.item_name IS 'Name of the inventory item.';

--
-- Name: COLUMN rm_inventory_on_hand.on_hand; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_inventory_on_hand.on_hand IS 'Units on hand; negative when more was sold than was recorded as received.';

--
-- Name: COLUMN rm_inventory_on_hand.low_stock_threshold; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_inventory_on_hand.low_stock_threshold IS 'The item''s low-stock threshold.';

--
-- Name: COLUMN rm_inventory_on_hand.is_below_threshold; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_inventory_on_hand.is_below_threshold IS '@notNull
@behavior +filterBy +orderBy
Low stock: on hand at or below the threshold (the rule of inventory items).';

--
-- Name: COLUMN rm_inventory_on_hand.updated_at; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON COLUMN reporting.rm_inventory_on_hand.updated_at IS 'When this row last changed.';

--
-- Name: sales_by_day; Type: VIEW; Schema: reporting; Owner: -
--

CREATE VIEW reporting.sales_by_day WITH (security_barrier='true') AS
 SELECT s.business_date,
    s.location_id,
    l.name AS location_name,
    s.order_count AS orders,
    cur.code AS currency,
    app_hidden.major_units((s.gross_sales)::numeric, cur.minor_units) AS gross_sales,
    app_hidden.major_units((s.discount_total)::numeric, cur.minor_units) AS discounts,
    app_hidden.major_units((s.tax_total)::numeric, cur.minor_units) AS tax,
    s.refund_count AS refunds,
    app_hidden.major_units((s.refund_total)::numeric, cur.minor_units) AS refunded,
    app_hidden.major_units((s.net_sales)::numeric, cur.minor_units) AS net_sales,
    app_hidden.major_units(((s.net_sales + s.tax_total))::numeric, cur.minor_units) AS total_collected,
    app_hidden.major_units((s.tender_cash)::numeric, cur.minor_units) AS cash,
    app_hidden.major_units((s.tender_card)::numeric, cur.minor_units) AS card,
    app_hidden.major_units(
        CASE
            WHEN (s.order_count > 0) THEN round(((s.net_sales)::numeric / (s.order_count)::numeric))
            ELSE (0)::numeric
        END, cur.minor_units) AS avg_order_value
   FROM (((( SELECT f.tenant_id,
            f.location_id,
            f.business_date,
            (sum(f.order_count))::bigint AS order_count,
            (sum(f.gross_sales))::bigint AS gross_sales,
            (sum(f.discount_total))::bigint AS discount_total,
            (sum(f.tax_total))::bigint AS tax_total,
            (sum(f.net_sales))::bigint AS net_sales,
            (sum(f.tender_cash))::bigint AS tender_cash,
            (sum(f.tender_card))::bigint AS tender_card,
            (sum(f.refund_count))::bigint AS refund_count,
            (sum(f.refund_total))::bigint AS refund_total
           FROM ( SELECT r.tenant_id,
                    r.location_id,
                    r.business_date,
                    (r.order_count)::bigint AS order_count,
                    r.gross_sales,
                    r.discount_total,
                    r.tax_total,
                    r.net_sales,
                    r.tender_cash,
                    r.tender_card,
                    (r.refund_count)::bigint AS refund_count,
                    r.refund_total
                   FROM reporting.rm_daily_sales r
                UNION ALL
                 SELECT app_hidden.analyst_tenant_id() AS analyst_tenant_id,
                    d.location_id,
                    d.business_date,
                    d.order_count,
                    d.gross_sales,
                    d.discount_total,
                    d.tax_total,
                    d.net_sales,
                    d.tender_cash,
                    d.tender_card,
                    d.refund_count,
                    d.refund_total
                   FROM app_hidden.analyst_pending_daily() d(location_id, business_date, order_count, gross_sales, discount_total, tax_total, net_sales, tender_cash, tender_card, refund_count, refund_total)) f
          GROUP BY f.tenant_id, f.location_id, f.business_date) s
     JOIN app_public.locations l ON (((l.tenant_id = s.tenant_id) AND (l.id = s.location_id))))
     JOIN app_public.tenants tn ON ((tn.id = s.tenant_id)))
     JOIN app_public.currencies cur ON ((cur.code = tn.currency)));

--
-- Name: VIEW sales_by_day; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON VIEW reporting.sales_by_day IS 'Sales per location and business date (the location''s own date), in the business''s currency (currency). Square''s definitions (db/REPORTING.md): orders, gross_sales and discounts are the day''s sales; refunds (voids included) count on the day they were made: refunded is their amount after discounts, before tax. net_sales = gross_sales − discounts − refunded (tax excluded); tax is net of tax refunded; total_collected = net_sales + tax; cash and card are what was taken minus what was handed back that day; avg_order_value = net_sales / orders.';

--
-- Name: stock_levels; Type: VIEW; Schema: reporting; Owner: -
--

CREATE VIEW reporting.stock_levels WITH (security_barrier='true') AS
 SELECT s.location_id,
    l.name AS location_name,
    s.inventory_item_id,
    i.name AS item_name,
    s.on_hand,
    i.low_stock_threshold,
    (s.on_hand <= i.low_stock_threshold) AS is_low_stock
   FROM ((( SELECT f.tenant_id,
            f.location_id,
            f.inventory_item_id,
            (sum(f.on_hand))::integer AS on_hand
           FROM ( SELECT r.tenant_id,
                    r.location_id,
                    r.inventory_item_id,
                    (r.on_hand)::bigint AS on_hand
                   FROM reporting.rm_inventory_on_hand r
                UNION ALL
                 SELECT app_hidden.analyst_tenant_id() AS analyst_tenant_id,
                    d.location_id,
                    d.inventory_item_id,
                    d.on_hand
                   FROM app_hidden.analyst_pending_stock() d(location_id, inventory_item_id, on_hand)) f
          GROUP BY f.tenant_id, f.location_id, f.inventory_item_id) s
     JOIN app_public.locations l ON (((l.tenant_id = s.tenant_id) AND (l.id = s.location_id))))
     JOIN app_public.inventory_items i ON (((i.tenant_id = s.tenant_id) AND (i.id = s.inventory_item_id))));

--
-- Name: VIEW stock_levels; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON VIEW reporting.stock_levels IS 'Units on hand per location and inventory item; is_low_stock when at or below the item''s threshold.';

--
-- Name: analyst_logins analyst_logins_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.analyst_logins
    ADD CONSTRAINT analyst_logins_pkey PRIMARY KEY (tenant_id, role_name);

--
-- Name: customer_duplicate_dismissals customer_duplicate_dismissals_pair_key; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.customer_duplicate_dismissals
    ADD CONSTRAINT customer_duplicate_dismissals_pair_key UNIQUE (tenant_id, customer_id, other_customer_id);

--
-- Name: customer_duplicate_dismissals customer_duplicate_dismissals_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.customer_duplicate_dismissals
    ADD CONSTRAINT customer_duplicate_dismissals_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: customer_order_queue customer_order_queue_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.customer_order_queue
    ADD CONSTRAINT customer_order_queue_pkey PRIMARY KEY (tenant_id, consumer, event_id);

--
-- Name: customer_visits customer_visits_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.customer_visits
    ADD CONSTRAINT customer_visits_pkey PRIMARY KEY (tenant_id, order_id);

--
-- Name: event_subscriptions event_subscriptions_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.event_subscriptions
    ADD CONSTRAINT event_subscriptions_pkey PRIMARY KEY (consumer, event_type);

--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: export_chunks export_chunks_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.export_chunks
    ADD CONSTRAINT export_chunks_pkey PRIMARY KEY (tenant_id, export_id, chunk_no);

--
-- Name: job_runs job_runs_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.job_runs
    ADD CONSTRAINT job_runs_pkey PRIMARY KEY (id);

--
-- Name: login_throttle login_throttle_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.login_throttle
    ADD CONSTRAINT login_throttle_pkey PRIMARY KEY (ip);

--
-- Name: processed_events processed_events_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.processed_events
    ADD CONSTRAINT processed_events_pkey PRIMARY KEY (tenant_id, event_id, consumer);

--
-- Name: reporting_queue reporting_queue_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.reporting_queue
    ADD CONSTRAINT reporting_queue_pkey PRIMARY KEY (tenant_id, event_id);

--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);

--
-- Name: stripe_events stripe_events_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.stripe_events
    ADD CONSTRAINT stripe_events_pkey PRIMARY KEY (id);

--
-- Name: tenant_counters tenant_counters_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.tenant_counters
    ADD CONSTRAINT tenant_counters_pkey PRIMARY KEY (tenant_id, name);

--
-- Name: user_secrets user_secrets_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.user_secrets
    ADD CONSTRAINT user_secrets_pkey PRIMARY KEY (user_id);

--
-- Name: worker_pools worker_pools_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.worker_pools
    ADD CONSTRAINT worker_pools_pkey PRIMARY KEY (pool_id);

--
-- Name: audit_entries audit_entries_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.audit_entries
    ADD CONSTRAINT audit_entries_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT audit_entries_pkey ON audit_entries; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT audit_entries_pkey ON app_public.audit_entries IS '@behavior -single -update -delete';

--
-- Name: billing_invoices billing_invoices_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_invoices
    ADD CONSTRAINT billing_invoices_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT billing_invoices_pkey ON billing_invoices; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT billing_invoices_pkey ON app_public.billing_invoices IS '@behavior -single -update -delete';

--
-- Name: billing_invoices billing_invoices_tenant_id_stripe_invoice_id_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_invoices
    ADD CONSTRAINT billing_invoices_tenant_id_stripe_invoice_id_key UNIQUE (tenant_id, stripe_invoice_id);

--
-- Name: CONSTRAINT billing_invoices_tenant_id_stripe_invoice_id_key ON billing_invoices; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT billing_invoices_tenant_id_stripe_invoice_id_key ON app_public.billing_invoices IS '@behavior -single -update -delete';

--
-- Name: billing_notices billing_notices_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_notices
    ADD CONSTRAINT billing_notices_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT billing_notices_pkey ON billing_notices; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT billing_notices_pkey ON app_public.billing_notices IS '@behavior -single -update -delete';

--
-- Name: billing_notices billing_notices_tenant_id_stripe_event_id_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_notices
    ADD CONSTRAINT billing_notices_tenant_id_stripe_event_id_key UNIQUE (tenant_id, stripe_event_id);

--
-- Name: CONSTRAINT billing_notices_tenant_id_stripe_event_id_key ON billing_notices; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT billing_notices_tenant_id_stripe_event_id_key ON app_public.billing_notices IS '@behavior -single -update -delete';

--
-- Name: billing_requests billing_requests_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_requests
    ADD CONSTRAINT billing_requests_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT billing_requests_pkey ON billing_requests; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT billing_requests_pkey ON app_public.billing_requests IS '@behavior -single -update -delete';

--
-- Name: billing_subscriptions billing_subscriptions_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_subscriptions
    ADD CONSTRAINT billing_subscriptions_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT billing_subscriptions_pkey ON billing_subscriptions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT billing_subscriptions_pkey ON app_public.billing_subscriptions IS '@behavior -single -update -delete';

--
-- Name: billing_subscriptions billing_subscriptions_tenant_id_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_subscriptions
    ADD CONSTRAINT billing_subscriptions_tenant_id_key UNIQUE (tenant_id);

--
-- Name: CONSTRAINT billing_subscriptions_tenant_id_key ON billing_subscriptions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT billing_subscriptions_tenant_id_key ON app_public.billing_subscriptions IS '@behavior -single -update -delete';

--
-- Name: billing_subscriptions billing_subscriptions_tenant_id_stripe_subscription_id_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_subscriptions
    ADD CONSTRAINT billing_subscriptions_tenant_id_stripe_subscription_id_key UNIQUE (tenant_id, stripe_subscription_id);

--
-- Name: CONSTRAINT billing_subscriptions_tenant_id_stripe_subscription_id_key ON billing_subscriptions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT billing_subscriptions_tenant_id_stripe_subscription_id_key ON app_public.billing_subscriptions IS '@behavior -single -update -delete';

--
-- Name: cash_drawer_entries cash_drawer_entries_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.cash_drawer_entries
    ADD CONSTRAINT cash_drawer_entries_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT cash_drawer_entries_pkey ON cash_drawer_entries; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT cash_drawer_entries_pkey ON app_public.cash_drawer_entries IS '@behavior -single -update -delete';

--
-- Name: cash_drawers cash_drawers_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.cash_drawers
    ADD CONSTRAINT cash_drawers_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT cash_drawers_pkey ON cash_drawers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT cash_drawers_pkey ON app_public.cash_drawers IS '@behavior -single -update -delete';

--
-- Name: catalog_items catalog_items_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.catalog_items
    ADD CONSTRAINT catalog_items_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT catalog_items_pkey ON catalog_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT catalog_items_pkey ON app_public.catalog_items IS '@behavior -single -update -delete';

--
-- Name: catalog_items catalog_items_tenant_id_sku_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.catalog_items
    ADD CONSTRAINT catalog_items_tenant_id_sku_key UNIQUE (tenant_id, sku);

--
-- Name: CONSTRAINT catalog_items_tenant_id_sku_key ON catalog_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT catalog_items_tenant_id_sku_key ON app_public.catalog_items IS '@behavior -single -update -delete';

--
-- Name: currencies currencies_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.currencies
    ADD CONSTRAINT currencies_pkey PRIMARY KEY (code);

--
-- Name: customer_addresses customer_addresses_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_addresses
    ADD CONSTRAINT customer_addresses_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT customer_addresses_pkey ON customer_addresses; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_addresses_pkey ON app_public.customer_addresses IS '@behavior -single -update -delete';

--
-- Name: customer_contact_channels customer_contact_channels_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_contact_channels
    ADD CONSTRAINT customer_contact_channels_pkey PRIMARY KEY (tenant_id, customer_id, channel);

--
-- Name: CONSTRAINT customer_contact_channels_pkey ON customer_contact_channels; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_contact_channels_pkey ON app_public.customer_contact_channels IS '@behavior -single -update -delete';

--
-- Name: customer_favourite_items customer_favourite_items_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_favourite_items
    ADD CONSTRAINT customer_favourite_items_pkey PRIMARY KEY (tenant_id, customer_id, catalog_item_id);

--
-- Name: CONSTRAINT customer_favourite_items_pkey ON customer_favourite_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_favourite_items_pkey ON app_public.customer_favourite_items IS '@behavior -single -update -delete';

--
-- Name: customer_item_stats customer_item_stats_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_item_stats
    ADD CONSTRAINT customer_item_stats_pkey PRIMARY KEY (tenant_id, customer_id, catalog_item_id);

--
-- Name: CONSTRAINT customer_item_stats_pkey ON customer_item_stats; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_item_stats_pkey ON app_public.customer_item_stats IS '@behavior -single -update -delete';

--
-- Name: customer_merges customer_merges_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_merges
    ADD CONSTRAINT customer_merges_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT customer_merges_pkey ON customer_merges; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_merges_pkey ON app_public.customer_merges IS '@behavior -single -update -delete';

--
-- Name: customer_merges customer_merges_tenant_id_duplicate_id_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_merges
    ADD CONSTRAINT customer_merges_tenant_id_duplicate_id_key UNIQUE (tenant_id, duplicate_id);

--
-- Name: CONSTRAINT customer_merges_tenant_id_duplicate_id_key ON customer_merges; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_merges_tenant_id_duplicate_id_key ON app_public.customer_merges IS '@behavior -single -update -delete';

--
-- Name: customer_notes customer_notes_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_notes
    ADD CONSTRAINT customer_notes_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT customer_notes_pkey ON customer_notes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_notes_pkey ON app_public.customer_notes IS '@behavior -single -update -delete';

--
-- Name: customer_preferences customer_preferences_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_preferences
    ADD CONSTRAINT customer_preferences_pkey PRIMARY KEY (tenant_id, customer_id);

--
-- Name: CONSTRAINT customer_preferences_pkey ON customer_preferences; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_preferences_pkey ON app_public.customer_preferences IS '@behavior -single -update -delete';

--
-- Name: customer_stats customer_stats_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_stats
    ADD CONSTRAINT customer_stats_pkey PRIMARY KEY (tenant_id, customer_id);

--
-- Name: CONSTRAINT customer_stats_pkey ON customer_stats; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_stats_pkey ON app_public.customer_stats IS '@behavior -single -update -delete';

--
-- Name: customer_types customer_types_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_types
    ADD CONSTRAINT customer_types_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT customer_types_pkey ON customer_types; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_types_pkey ON app_public.customer_types IS '@behavior -update -delete';

--
-- Name: customer_types customer_types_tenant_id_key_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_types
    ADD CONSTRAINT customer_types_tenant_id_key_key UNIQUE (tenant_id, key);

--
-- Name: CONSTRAINT customer_types_tenant_id_key_key ON customer_types; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_types_tenant_id_key_key ON app_public.customer_types IS '@behavior -*';

--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT customers_pkey ON customers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customers_pkey ON app_public.customers IS '@behavior -single -update -delete';

--
-- Name: customers customers_tenant_id_customer_number_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customers
    ADD CONSTRAINT customers_tenant_id_customer_number_key UNIQUE (tenant_id, customer_number);

--
-- Name: CONSTRAINT customers_tenant_id_customer_number_key ON customers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customers_tenant_id_customer_number_key ON app_public.customers IS '@behavior -single -update -delete';

--
-- Name: devices devices_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.devices
    ADD CONSTRAINT devices_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT devices_pkey ON devices; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT devices_pkey ON app_public.devices IS '@behavior -single -update -delete';

--
-- Name: devices devices_tenant_id_location_id_name_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.devices
    ADD CONSTRAINT devices_tenant_id_location_id_name_key UNIQUE (tenant_id, location_id, name);

--
-- Name: CONSTRAINT devices_tenant_id_location_id_name_key ON devices; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT devices_tenant_id_location_id_name_key ON app_public.devices IS '@behavior -single -update -delete';

--
-- Name: inventory_items inventory_items_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.inventory_items
    ADD CONSTRAINT inventory_items_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT inventory_items_pkey ON inventory_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT inventory_items_pkey ON app_public.inventory_items IS '@behavior -single -update -delete';

--
-- Name: inventory_items inventory_items_tenant_id_catalog_item_id_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.inventory_items
    ADD CONSTRAINT inventory_items_tenant_id_catalog_item_id_key UNIQUE (tenant_id, catalog_item_id);

--
-- Name: CONSTRAINT inventory_items_tenant_id_catalog_item_id_key ON inventory_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT inventory_items_tenant_id_catalog_item_id_key ON app_public.inventory_items IS '@behavior -single -update -delete';

--
-- Name: inventory_movements inventory_movements_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.inventory_movements
    ADD CONSTRAINT inventory_movements_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT inventory_movements_pkey ON inventory_movements; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT inventory_movements_pkey ON app_public.inventory_movements IS '@behavior -single -update -delete';

--
-- Name: invitations invitations_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.invitations
    ADD CONSTRAINT invitations_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT invitations_pkey ON invitations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT invitations_pkey ON app_public.invitations IS '@behavior -single -update -delete';

--
-- Name: invitations invitations_tenant_id_token_hash_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.invitations
    ADD CONSTRAINT invitations_tenant_id_token_hash_key UNIQUE (tenant_id, token_hash);

--
-- Name: CONSTRAINT invitations_tenant_id_token_hash_key ON invitations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT invitations_tenant_id_token_hash_key ON app_public.invitations IS '@behavior -single -update -delete';

--
-- Name: locations locations_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.locations
    ADD CONSTRAINT locations_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT locations_pkey ON locations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT locations_pkey ON app_public.locations IS '@behavior -single -update -delete';

--
-- Name: locations locations_tenant_id_name_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.locations
    ADD CONSTRAINT locations_tenant_id_name_key UNIQUE (tenant_id, name);

--
-- Name: CONSTRAINT locations_tenant_id_name_key ON locations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT locations_tenant_id_name_key ON app_public.locations IS '@behavior -single -update -delete';

--
-- Name: loyalty_settings loyalty_settings_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.loyalty_settings
    ADD CONSTRAINT loyalty_settings_pkey PRIMARY KEY (tenant_id);

--
-- Name: CONSTRAINT loyalty_settings_pkey ON loyalty_settings; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT loyalty_settings_pkey ON app_public.loyalty_settings IS '@behavior -update -delete';

--
-- Name: memberships memberships_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.memberships
    ADD CONSTRAINT memberships_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT memberships_pkey ON memberships; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT memberships_pkey ON app_public.memberships IS '@behavior -single -update -delete';

--
-- Name: memberships memberships_tenant_id_user_id_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.memberships
    ADD CONSTRAINT memberships_tenant_id_user_id_key UNIQUE (tenant_id, user_id);

--
-- Name: CONSTRAINT memberships_tenant_id_user_id_key ON memberships; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT memberships_tenant_id_user_id_key ON app_public.memberships IS '@behavior -single -update -delete';

--
-- Name: order_lines order_lines_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.order_lines
    ADD CONSTRAINT order_lines_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT order_lines_pkey ON order_lines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT order_lines_pkey ON app_public.order_lines IS '@behavior -single -update -delete';

--
-- Name: order_lines order_lines_tenant_id_order_id_line_no_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.order_lines
    ADD CONSTRAINT order_lines_tenant_id_order_id_line_no_key UNIQUE (tenant_id, order_id, line_no);

--
-- Name: CONSTRAINT order_lines_tenant_id_order_id_line_no_key ON order_lines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT order_lines_tenant_id_order_id_line_no_key ON app_public.order_lines IS '@behavior -single -update -delete';

--
-- Name: order_refund_lines order_refund_lines_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.order_refund_lines
    ADD CONSTRAINT order_refund_lines_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT order_refund_lines_pkey ON order_refund_lines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT order_refund_lines_pkey ON app_public.order_refund_lines IS '@behavior -single -update -delete';

--
-- Name: order_refunds order_refunds_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.order_refunds
    ADD CONSTRAINT order_refunds_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT order_refunds_pkey ON order_refunds; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT order_refunds_pkey ON app_public.order_refunds IS '@behavior -single -update -delete';

--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT orders_pkey ON orders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT orders_pkey ON app_public.orders IS '@behavior -single -update -delete';

--
-- Name: plans plans_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.plans
    ADD CONSTRAINT plans_pkey PRIMARY KEY (key);

--
-- Name: plans plans_stripe_lookup_key_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.plans
    ADD CONSTRAINT plans_stripe_lookup_key_key UNIQUE (stripe_lookup_key);

--
-- Name: CONSTRAINT plans_stripe_lookup_key_key ON plans; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT plans_stripe_lookup_key_key ON app_public.plans IS '@behavior -single -update -delete';

--
-- Name: plans plans_stripe_price_id_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.plans
    ADD CONSTRAINT plans_stripe_price_id_key UNIQUE (stripe_price_id);

--
-- Name: CONSTRAINT plans_stripe_price_id_key ON plans; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT plans_stripe_price_id_key ON app_public.plans IS '@behavior -single -update -delete';

--
-- Name: refund_tenders refund_tenders_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.refund_tenders
    ADD CONSTRAINT refund_tenders_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT refund_tenders_pkey ON refund_tenders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT refund_tenders_pkey ON app_public.refund_tenders IS '@behavior -single -update -delete';

--
-- Name: roles roles_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.roles
    ADD CONSTRAINT roles_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT roles_pkey ON roles; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT roles_pkey ON app_public.roles IS '@behavior -single -update -delete';

--
-- Name: roles roles_tenant_id_key_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.roles
    ADD CONSTRAINT roles_tenant_id_key_key UNIQUE (tenant_id, key);

--
-- Name: CONSTRAINT roles_tenant_id_key_key ON roles; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT roles_tenant_id_key_key ON app_public.roles IS '@behavior -single -update -delete';

--
-- Name: tax_rates tax_rates_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tax_rates
    ADD CONSTRAINT tax_rates_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT tax_rates_pkey ON tax_rates; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT tax_rates_pkey ON app_public.tax_rates IS '@behavior -single -update -delete';

--
-- Name: tenant_suspensions tenant_suspensions_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tenant_suspensions
    ADD CONSTRAINT tenant_suspensions_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT tenant_suspensions_pkey ON tenant_suspensions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT tenant_suspensions_pkey ON app_public.tenant_suspensions IS '@behavior -single -update -delete';

--
-- Name: tenants tenants_billing_customer_id_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tenants
    ADD CONSTRAINT tenants_billing_customer_id_key UNIQUE (billing_customer_id);

--
-- Name: CONSTRAINT tenants_billing_customer_id_key ON tenants; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT tenants_billing_customer_id_key ON app_public.tenants IS '@behavior -single -update -delete';

--
-- Name: tenants tenants_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tenants
    ADD CONSTRAINT tenants_pkey PRIMARY KEY (id);

--
-- Name: tenders tenders_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tenders
    ADD CONSTRAINT tenders_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT tenders_pkey ON tenders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT tenders_pkey ON app_public.tenders IS '@behavior -single -update -delete';

--
-- Name: users users_email_key; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.users
    ADD CONSTRAINT users_email_key UNIQUE (email);

--
-- Name: CONSTRAINT users_email_key ON users; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT users_email_key ON app_public.users IS '@behavior -single -update -delete';

--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

--
-- Name: exports exports_pkey; Type: CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.exports
    ADD CONSTRAINT exports_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: CONSTRAINT exports_pkey ON exports; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT exports_pkey ON reporting.exports IS '@behavior -single -update -delete';

--
-- Name: rm_customer_activity rm_customer_activity_pkey; Type: CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_customer_activity
    ADD CONSTRAINT rm_customer_activity_pkey PRIMARY KEY (tenant_id, customer_id);

--
-- Name: CONSTRAINT rm_customer_activity_pkey ON rm_customer_activity; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_customer_activity_pkey ON reporting.rm_customer_activity IS '@behavior -single -update -delete';

--
-- Name: rm_customer_visits rm_customer_visits_pkey; Type: CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_customer_visits
    ADD CONSTRAINT rm_customer_visits_pkey PRIMARY KEY (tenant_id, order_id);

--
-- Name: rm_daily_sales rm_daily_sales_pkey; Type: CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_daily_sales
    ADD CONSTRAINT rm_daily_sales_pkey PRIMARY KEY (tenant_id, location_id, business_date);

--
-- Name: CONSTRAINT rm_daily_sales_pkey ON rm_daily_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_daily_sales_pkey ON reporting.rm_daily_sales IS '@behavior -single -update -delete';

--
-- Name: rm_inventory_on_hand rm_inventory_on_hand_pkey; Type: CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_inventory_on_hand
    ADD CONSTRAINT rm_inventory_on_hand_pkey PRIMARY KEY (tenant_id, location_id, inventory_item_id);

--
-- Name: CONSTRAINT rm_inventory_on_hand_pkey ON rm_inventory_on_hand; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_inventory_on_hand_pkey ON reporting.rm_inventory_on_hand IS '@behavior -single -update -delete';

--
-- Name: rm_item_sales rm_item_sales_pkey; Type: CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_item_sales
    ADD CONSTRAINT rm_item_sales_pkey PRIMARY KEY (tenant_id, location_id, business_date, catalog_item_id);

--
-- Name: CONSTRAINT rm_item_sales_pkey ON rm_item_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_item_sales_pkey ON reporting.rm_item_sales IS '@behavior -single -update -delete';

--
-- Name: analyst_logins_role_name_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX analyst_logins_role_name_idx ON app_private.analyst_logins USING btree (role_name);

--
-- Name: customer_duplicate_dismissals_dismissed_by_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX customer_duplicate_dismissals_dismissed_by_idx ON app_private.customer_duplicate_dismissals USING btree (dismissed_by);

--
-- Name: customer_duplicate_dismissals_other_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX customer_duplicate_dismissals_other_idx ON app_private.customer_duplicate_dismissals USING btree (tenant_id, other_customer_id);

--
-- Name: customer_visits_customer_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX customer_visits_customer_idx ON app_private.customer_visits USING btree (tenant_id, customer_id, placed_at);

--
-- Name: event_subscriptions_event_type_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX event_subscriptions_event_type_idx ON app_private.event_subscriptions USING btree (event_type);

--
-- Name: events_aggregate_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX events_aggregate_idx ON app_private.events USING btree (tenant_id, aggregate_type, aggregate_id, seq);

--
-- Name: events_tenant_seq_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX events_tenant_seq_idx ON app_private.events USING btree (tenant_id, seq);

--
-- Name: events_type_seq_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX events_type_seq_idx ON app_private.events USING btree (type, seq);

--
-- Name: job_runs_running_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX job_runs_running_idx ON app_private.job_runs USING btree (pool_id) WHERE (outcome = 'running'::text);

--
-- Name: job_runs_started_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX job_runs_started_idx ON app_private.job_runs USING btree (started_at);

--
-- Name: job_runs_task_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX job_runs_task_idx ON app_private.job_runs USING btree (task, started_at DESC);

--
-- Name: job_runs_tenant_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX job_runs_tenant_idx ON app_private.job_runs USING btree (tenant_id, started_at DESC) WHERE (tenant_id IS NOT NULL);

--
-- Name: processed_events_consumer_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX processed_events_consumer_idx ON app_private.processed_events USING btree (consumer, tenant_id);

--
-- Name: reporting_queue_seq_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX reporting_queue_seq_idx ON app_private.reporting_queue USING btree (tenant_id, seq);

--
-- Name: sessions_active_tenant_id_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX sessions_active_tenant_id_idx ON app_private.sessions USING btree (active_tenant_id);

--
-- Name: sessions_secret_hash_key; Type: INDEX; Schema: app_private; Owner: -
--

CREATE UNIQUE INDEX sessions_secret_hash_key ON app_private.sessions USING btree (secret_hash);

--
-- Name: sessions_user_id_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX sessions_user_id_idx ON app_private.sessions USING btree (user_id);

--
-- Name: stripe_events_customer_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX stripe_events_customer_idx ON app_private.stripe_events USING btree (customer_id, stripe_created_at);

--
-- Name: stripe_events_pending_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX stripe_events_pending_idx ON app_private.stripe_events USING btree (received_at) WHERE (status = 'pending'::text);

--
-- Name: worker_pools_process_key_idx; Type: INDEX; Schema: app_private; Owner: -
--

CREATE INDEX worker_pools_process_key_idx ON app_private.worker_pools USING btree (process_key);

--
-- Name: audit_entries_actor_created_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_entries_actor_created_idx ON app_public.audit_entries USING btree (tenant_id, actor_user_id, created_at DESC);

--
-- Name: audit_entries_actor_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_entries_actor_idx ON app_public.audit_entries USING btree (actor_user_id);

--
-- Name: audit_entries_command_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_entries_command_idx ON app_public.audit_entries USING btree (tenant_id, command, created_at DESC);

--
-- Name: audit_entries_created_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_entries_created_idx ON app_public.audit_entries USING btree (tenant_id, created_at DESC, id);

--
-- Name: audit_entries_entity_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX audit_entries_entity_idx ON app_public.audit_entries USING btree (tenant_id, entity, entity_id, created_at);

--
-- Name: billing_invoices_invoiced_at_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX billing_invoices_invoiced_at_idx ON app_public.billing_invoices USING btree (tenant_id, invoiced_at);

--
-- Name: billing_notices_created_at_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX billing_notices_created_at_idx ON app_public.billing_notices USING btree (tenant_id, created_at);

--
-- Name: billing_requests_created_at_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX billing_requests_created_at_idx ON app_public.billing_requests USING btree (tenant_id, created_at);

--
-- Name: billing_requests_plan_key_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX billing_requests_plan_key_idx ON app_public.billing_requests USING btree (plan_key);

--
-- Name: billing_requests_requested_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX billing_requests_requested_by_idx ON app_public.billing_requests USING btree (requested_by);

--
-- Name: billing_subscriptions_plan_key_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX billing_subscriptions_plan_key_idx ON app_public.billing_subscriptions USING btree (plan_key);

--
-- Name: billing_subscriptions_stripe_subscription_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX billing_subscriptions_stripe_subscription_idx ON app_public.billing_subscriptions USING btree (stripe_subscription_id);

--
-- Name: cash_drawer_entries_drawer_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX cash_drawer_entries_drawer_idx ON app_public.cash_drawer_entries USING btree (tenant_id, cash_drawer_id, created_at);

--
-- Name: cash_drawers_closed_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX cash_drawers_closed_by_idx ON app_public.cash_drawers USING btree (closed_by_user_id);

--
-- Name: cash_drawers_day_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX cash_drawers_day_idx ON app_public.cash_drawers USING btree (tenant_id, business_date, location_id);

--
-- Name: cash_drawers_location_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX cash_drawers_location_idx ON app_public.cash_drawers USING btree (tenant_id, location_id, opened_at);

--
-- Name: cash_drawers_one_open_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE UNIQUE INDEX cash_drawers_one_open_idx ON app_public.cash_drawers USING btree (tenant_id, location_id) WHERE (closed_at IS NULL);

--
-- Name: cash_drawers_opened_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX cash_drawers_opened_by_idx ON app_public.cash_drawers USING btree (opened_by_user_id);

--
-- Name: catalog_items_name_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX catalog_items_name_idx ON app_public.catalog_items USING btree (tenant_id, name);

--
-- Name: customer_addresses_customer_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customer_addresses_customer_idx ON app_public.customer_addresses USING btree (tenant_id, customer_id);

--
-- Name: customer_addresses_default_key; Type: INDEX; Schema: app_public; Owner: -
--

CREATE UNIQUE INDEX customer_addresses_default_key ON app_public.customer_addresses USING btree (tenant_id, customer_id) WHERE is_default;

--
-- Name: customer_contact_channels_recorded_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customer_contact_channels_recorded_by_idx ON app_public.customer_contact_channels USING btree (recorded_by);

--
-- Name: customer_favourite_items_item_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customer_favourite_items_item_idx ON app_public.customer_favourite_items USING btree (tenant_id, catalog_item_id);

--
-- Name: customer_item_stats_item_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customer_item_stats_item_idx ON app_public.customer_item_stats USING btree (tenant_id, catalog_item_id);

--
-- Name: customer_merges_merged_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customer_merges_merged_by_idx ON app_public.customer_merges USING btree (merged_by_user_id);

--
-- Name: customer_merges_primary_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customer_merges_primary_idx ON app_public.customer_merges USING btree (tenant_id, primary_id, created_at);

--
-- Name: customer_notes_author_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customer_notes_author_idx ON app_public.customer_notes USING btree (author_user_id);

--
-- Name: customer_notes_customer_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customer_notes_customer_idx ON app_public.customer_notes USING btree (tenant_id, customer_id, created_at DESC);

--
-- Name: customer_stats_last_visit_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customer_stats_last_visit_idx ON app_public.customer_stats USING btree (tenant_id, last_visit_at DESC, customer_id);

--
-- Name: customer_stats_spend_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customer_stats_spend_idx ON app_public.customer_stats USING btree (tenant_id, spend DESC, customer_id);

--
-- Name: customer_types_label_key; Type: INDEX; Schema: app_public; Owner: -
--

CREATE UNIQUE INDEX customer_types_label_key ON app_public.customer_types USING btree (tenant_id, lower(label));

--
-- Name: customers_created_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_created_by_idx ON app_public.customers USING btree (created_by);

--
-- Name: customers_customer_type_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_customer_type_idx ON app_public.customers USING btree (tenant_id, customer_type_id);

--
-- Name: customers_display_name_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_display_name_idx ON app_public.customers USING btree (tenant_id, display_name, id);

--
-- Name: customers_duplicate_email_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_duplicate_email_idx ON app_public.customers USING btree (tenant_id, app_hidden.duplicate_email_key(email)) INCLUDE (id, email) WHERE ((status <> 'merged'::text) AND (email IS NOT NULL));

--
-- Name: customers_duplicate_given_name_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_duplicate_given_name_idx ON app_public.customers USING btree (tenant_id, app_hidden.duplicate_given_name_key(first_name, last_name)) INCLUDE (id, first_name, last_name) WHERE ((status <> 'merged'::text) AND (first_name IS NOT NULL));

--
-- Name: customers_duplicate_phone_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_duplicate_phone_idx ON app_public.customers USING btree (tenant_id, app_hidden.duplicate_phone_key(phone)) INCLUDE (id, phone) WHERE ((status <> 'merged'::text) AND (phone IS NOT NULL));

--
-- Name: customers_duplicate_surname_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_duplicate_surname_idx ON app_public.customers USING btree (tenant_id, app_hidden.duplicate_surname_key(first_name, last_name)) INCLUDE (id, first_name, last_name) WHERE ((status <> 'merged'::text) AND (last_name IS NOT NULL));

--
-- Name: customers_email_key; Type: INDEX; Schema: app_public; Owner: -
--

CREATE UNIQUE INDEX customers_email_key ON app_public.customers USING btree (tenant_id, email) WHERE ((email IS NOT NULL) AND (status <> 'merged'::text));

--
-- Name: customers_merged_into_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_merged_into_idx ON app_public.customers USING btree (tenant_id, merged_into_id);

--
-- Name: customers_phone_key; Type: INDEX; Schema: app_public; Owner: -
--

CREATE UNIQUE INDEX customers_phone_key ON app_public.customers USING btree (tenant_id, phone) WHERE ((phone IS NOT NULL) AND (status <> 'merged'::text));

--
-- Name: customers_search_email_prefix_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_search_email_prefix_idx ON app_public.customers USING btree (tenant_id, email text_pattern_ops);

--
-- Name: customers_search_email_trgm_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_search_email_trgm_idx ON app_public.customers USING gin (email public.gin_trgm_ops);

--
-- Name: customers_search_last_name_prefix_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_search_last_name_prefix_idx ON app_public.customers USING btree (tenant_id, lower(last_name) text_pattern_ops);

--
-- Name: customers_search_name_prefix_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_search_name_prefix_idx ON app_public.customers USING btree (tenant_id, lower(display_name) text_pattern_ops);

--
-- Name: customers_search_name_trgm_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_search_name_trgm_idx ON app_public.customers USING gin (lower(display_name) public.gin_trgm_ops);

--
-- Name: customers_search_phone_prefix_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_search_phone_prefix_idx ON app_public.customers USING btree (tenant_id, phone text_pattern_ops);

--
-- Name: customers_search_phone_trgm_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_search_phone_trgm_idx ON app_public.customers USING gin (phone public.gin_trgm_ops);

--
-- Name: customers_status_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_status_idx ON app_public.customers USING btree (tenant_id, status);

--
-- Name: customers_tags_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX customers_tags_idx ON app_public.customers USING gin (tags jsonb_path_ops);

--
-- Name: inventory_items_name_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX inventory_items_name_idx ON app_public.inventory_items USING btree (tenant_id, name);

--
-- Name: inventory_movements_item_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX inventory_movements_item_idx ON app_public.inventory_movements USING btree (tenant_id, inventory_item_id, location_id) INCLUDE (quantity);

--
-- Name: inventory_movements_location_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX inventory_movements_location_idx ON app_public.inventory_movements USING btree (tenant_id, location_id, occurred_at);

--
-- Name: inventory_movements_order_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX inventory_movements_order_idx ON app_public.inventory_movements USING btree (tenant_id, order_id);

--
-- Name: inventory_movements_order_line_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX inventory_movements_order_line_idx ON app_public.inventory_movements USING btree (tenant_id, order_line_id);

--
-- Name: invitations_accepted_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX invitations_accepted_by_idx ON app_public.invitations USING btree (accepted_by_user_id);

--
-- Name: invitations_invited_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX invitations_invited_by_idx ON app_public.invitations USING btree (invited_by_user_id);

--
-- Name: invitations_pending_email_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE UNIQUE INDEX invitations_pending_email_idx ON app_public.invitations USING btree (tenant_id, email) WHERE ((accepted_at IS NULL) AND (revoked_at IS NULL));

--
-- Name: invitations_role_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX invitations_role_idx ON app_public.invitations USING btree (tenant_id, role_id);

--
-- Name: invitations_token_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX invitations_token_idx ON app_public.invitations USING btree (token_hash);

--
-- Name: locations_tax_rate_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX locations_tax_rate_idx ON app_public.locations USING btree (tenant_id, tax_rate_id) WHERE (tax_rate_id IS NOT NULL);

--
-- Name: memberships_role_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX memberships_role_idx ON app_public.memberships USING btree (tenant_id, role_id);

--
-- Name: memberships_user_id_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX memberships_user_id_idx ON app_public.memberships USING btree (user_id);

--
-- Name: order_lines_catalog_item_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX order_lines_catalog_item_idx ON app_public.order_lines USING btree (tenant_id, catalog_item_id);

--
-- Name: order_refund_lines_line_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX order_refund_lines_line_idx ON app_public.order_refund_lines USING btree (tenant_id, order_line_id);

--
-- Name: order_refund_lines_refund_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX order_refund_lines_refund_idx ON app_public.order_refund_lines USING btree (tenant_id, order_refund_id);

--
-- Name: order_refunds_order_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX order_refunds_order_idx ON app_public.order_refunds USING btree (tenant_id, order_id, created_at);

--
-- Name: orders_cancelled_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX orders_cancelled_by_idx ON app_public.orders USING btree (cancelled_by_user_id);

--
-- Name: orders_customer_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX orders_customer_idx ON app_public.orders USING btree (tenant_id, customer_id, placed_at);

--
-- Name: orders_location_date_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX orders_location_date_idx ON app_public.orders USING btree (tenant_id, location_id, business_date);

--
-- Name: orders_open_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX orders_open_idx ON app_public.orders USING btree (tenant_id, location_id, created_at) WHERE (status = 'open'::text);

--
-- Name: orders_placed_at_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX orders_placed_at_idx ON app_public.orders USING btree (tenant_id, placed_at);

--
-- Name: orders_placed_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX orders_placed_by_idx ON app_public.orders USING btree (placed_by_user_id);

--
-- Name: orders_voided_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX orders_voided_by_idx ON app_public.orders USING btree (voided_by_user_id);

--
-- Name: refund_tenders_cash_drawer_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX refund_tenders_cash_drawer_idx ON app_public.refund_tenders USING btree (tenant_id, cash_drawer_id) WHERE (cash_drawer_id IS NOT NULL);

--
-- Name: refund_tenders_order_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX refund_tenders_order_idx ON app_public.refund_tenders USING btree (tenant_id, order_id, created_at);

--
-- Name: refund_tenders_refund_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX refund_tenders_refund_idx ON app_public.refund_tenders USING btree (tenant_id, order_refund_id);

--
-- Name: tax_rates_name_key; Type: INDEX; Schema: app_public; Owner: -
--

CREATE UNIQUE INDEX tax_rates_name_key ON app_public.tax_rates USING btree (tenant_id, lower(name));

--
-- Name: tenant_suspensions_ended_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX tenant_suspensions_ended_by_idx ON app_public.tenant_suspensions USING btree (ended_by);

--
-- Name: tenant_suspensions_open_key; Type: INDEX; Schema: app_public; Owner: -
--

CREATE UNIQUE INDEX tenant_suspensions_open_key ON app_public.tenant_suspensions USING btree (tenant_id) WHERE (ended_at IS NULL);

--
-- Name: tenant_suspensions_suspended_by_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX tenant_suspensions_suspended_by_idx ON app_public.tenant_suspensions USING btree (suspended_by);

--
-- Name: tenant_suspensions_suspended_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX tenant_suspensions_suspended_idx ON app_public.tenant_suspensions USING btree (tenant_id, suspended_at DESC);

--
-- Name: tenants_currency_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX tenants_currency_idx ON app_public.tenants USING btree (currency);

--
-- Name: tenders_cash_drawer_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX tenders_cash_drawer_idx ON app_public.tenders USING btree (tenant_id, cash_drawer_id) WHERE (cash_drawer_id IS NOT NULL);

--
-- Name: tenders_order_idx; Type: INDEX; Schema: app_public; Owner: -
--

CREATE INDEX tenders_order_idx ON app_public.tenders USING btree (tenant_id, order_id, created_at);

--
-- Name: exports_created_at_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX exports_created_at_idx ON reporting.exports USING btree (tenant_id, created_at);

--
-- Name: exports_id_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX exports_id_idx ON reporting.exports USING btree (id);

--
-- Name: exports_requested_by_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX exports_requested_by_idx ON reporting.exports USING btree (requested_by);

--
-- Name: rm_customer_activity_last_visit_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX rm_customer_activity_last_visit_idx ON reporting.rm_customer_activity USING btree (tenant_id, last_visit_at) WHERE (merged_into_id IS NULL);

--
-- Name: rm_customer_activity_merged_into_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX rm_customer_activity_merged_into_idx ON reporting.rm_customer_activity USING btree (tenant_id, merged_into_id) WHERE (merged_into_id IS NOT NULL);

--
-- Name: rm_customer_visits_customer_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX rm_customer_visits_customer_idx ON reporting.rm_customer_visits USING btree (tenant_id, customer_id, placed_at);

--
-- Name: rm_customer_visits_date_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX rm_customer_visits_date_idx ON reporting.rm_customer_visits USING btree (tenant_id, business_date) WHERE (NOT is_voided);

--
-- Name: rm_daily_sales_date_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX rm_daily_sales_date_idx ON reporting.rm_daily_sales USING btree (tenant_id, business_date);

--
-- Name: rm_inventory_on_hand_item_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX rm_inventory_on_hand_item_idx ON reporting.rm_inventory_on_hand USING btree (tenant_id, inventory_item_id);

--
-- Name: rm_inventory_on_hand_low_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX rm_inventory_on_hand_low_idx ON reporting.rm_inventory_on_hand USING btree (tenant_id, location_id) WHERE is_below_threshold;

--
-- Name: rm_item_sales_date_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX rm_item_sales_date_idx ON reporting.rm_item_sales USING btree (tenant_id, business_date);

--
-- Name: rm_item_sales_item_idx; Type: INDEX; Schema: reporting; Owner: -
--

CREATE INDEX rm_item_sales_item_idx ON reporting.rm_item_sales USING btree (tenant_id, catalog_item_id, business_date);

--
-- Name: events _010_append_only; Type: TRIGGER; Schema: app_private; Owner: -
--

CREATE TRIGGER _010_append_only BEFORE DELETE OR UPDATE ON app_private.events FOR EACH ROW EXECUTE FUNCTION app_private.tg__append_only();

--
-- Name: event_subscriptions _050_validate; Type: TRIGGER; Schema: app_private; Owner: -
--

CREATE TRIGGER _050_validate BEFORE INSERT OR UPDATE ON app_private.event_subscriptions FOR EACH ROW EXECUTE FUNCTION app_private.tg_event_subscriptions__validate();

--
-- Name: customer_duplicate_dismissals _500_audit; Type: TRIGGER; Schema: app_private; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR DELETE ON app_private.customer_duplicate_dismissals FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at');

--
-- Name: customer_order_queue _900_apply_at_commit; Type: TRIGGER; Schema: app_private; Owner: -
--

CREATE CONSTRAINT TRIGGER _900_apply_at_commit AFTER INSERT ON app_private.customer_order_queue DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION app_private.tg_customer_order_queue__apply();

--
-- Name: reporting_queue _900_fold_at_commit; Type: TRIGGER; Schema: app_private; Owner: -
--

CREATE CONSTRAINT TRIGGER _900_fold_at_commit AFTER INSERT ON app_private.reporting_queue DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION app_private.tg_reporting_queue__fold();

--
-- Name: cash_drawer_entries _010_append_only; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _010_append_only BEFORE DELETE OR UPDATE ON app_public.cash_drawer_entries FOR EACH ROW EXECUTE FUNCTION app_private.tg__append_only();

--
-- Name: inventory_movements _010_append_only; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _010_append_only BEFORE DELETE OR UPDATE ON app_public.inventory_movements FOR EACH ROW EXECUTE FUNCTION app_private.tg__append_only();

--
-- Name: order_lines _010_append_only; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _010_append_only BEFORE DELETE OR UPDATE ON app_public.order_lines FOR EACH ROW EXECUTE FUNCTION app_private.tg__append_only();

--
-- Name: order_refund_lines _010_append_only; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _010_append_only BEFORE DELETE OR UPDATE ON app_public.order_refund_lines FOR EACH ROW EXECUTE FUNCTION app_private.tg__append_only();

--
-- Name: order_refunds _010_append_only; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _010_append_only BEFORE DELETE OR UPDATE ON app_public.order_refunds FOR EACH ROW EXECUTE FUNCTION app_private.tg__append_only();

--
-- Name: refund_tenders _010_append_only; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _010_append_only BEFORE DELETE OR UPDATE ON app_public.refund_tenders FOR EACH ROW EXECUTE FUNCTION app_private.tg__append_only();

--
-- Name: tenders _010_append_only; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _010_append_only BEFORE DELETE OR UPDATE ON app_public.tenders FOR EACH ROW EXECUTE FUNCTION app_private.tg__append_only();

--
-- Name: billing_subscriptions _050_past_due_since; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _050_past_due_since BEFORE INSERT OR UPDATE OF status ON app_public.billing_subscriptions FOR EACH ROW EXECUTE FUNCTION app_private.tg_billing_subscriptions__past_due_since();

--
-- Name: catalog_items _050_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _050_validate BEFORE INSERT OR UPDATE ON app_public.catalog_items FOR EACH ROW EXECUTE FUNCTION app_private.tg_catalog_items__validate();

--
-- Name: customer_addresses _050_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _050_validate BEFORE INSERT OR UPDATE ON app_public.customer_addresses FOR EACH ROW EXECUTE FUNCTION app_private.tg_customer_addresses__validate();

--
-- Name: customer_notes _050_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _050_validate BEFORE INSERT OR UPDATE ON app_public.customer_notes FOR EACH ROW EXECUTE FUNCTION app_private.tg_customer_notes__validate();

--
-- Name: devices _050_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _050_validate BEFORE INSERT OR UPDATE ON app_public.devices FOR EACH ROW EXECUTE FUNCTION app_private.tg_devices__validate();

--
-- Name: inventory_items _050_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _050_validate BEFORE INSERT OR UPDATE ON app_public.inventory_items FOR EACH ROW EXECUTE FUNCTION app_private.tg_inventory_items__validate();

--
-- Name: locations _050_validate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _050_validate BEFORE INSERT OR UPDATE ON app_public.locations FOR EACH ROW EXECUTE FUNCTION app_private.tg_locations__validate();

--
-- Name: tenants _050_validate_money; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _050_validate_money BEFORE INSERT OR UPDATE OF currency, locale ON app_public.tenants FOR EACH ROW EXECUTE FUNCTION app_private.tg_tenants__validate_money();

--
-- Name: tenants _050_validate_name; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _050_validate_name BEFORE INSERT OR UPDATE OF name ON app_public.tenants FOR EACH ROW EXECUTE FUNCTION app_private.tg_tenants__validate_name();

--
-- Name: tenants _050_validate_receipt; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _050_validate_receipt BEFORE INSERT OR UPDATE OF receipt_address, receipt_footer ON app_public.tenants FOR EACH ROW EXECUTE FUNCTION app_private.tg_tenants__validate_receipt();

--
-- Name: tenants _050_validate_tax_rate; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _050_validate_tax_rate BEFORE INSERT OR UPDATE OF tax_rate_bps ON app_public.tenants FOR EACH ROW EXECUTE FUNCTION app_private.tg_tenants__validate_tax_rate();

--
-- Name: devices _060_plan_limit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _060_plan_limit BEFORE INSERT ON app_public.devices FOR EACH ROW EXECUTE FUNCTION app_private.tg__plan_limit('devices');

--
-- Name: locations _060_plan_limit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _060_plan_limit BEFORE INSERT ON app_public.locations FOR EACH ROW EXECUTE FUNCTION app_private.tg__plan_limit('locations');

--
-- Name: memberships _060_plan_limit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _060_plan_limit BEFORE INSERT ON app_public.memberships FOR EACH ROW EXECUTE FUNCTION app_private.tg__plan_limit('seats');

--
-- Name: billing_invoices _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.billing_invoices FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: billing_requests _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.billing_requests FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: billing_subscriptions _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.billing_subscriptions FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: catalog_items _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.catalog_items FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: customer_addresses _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.customer_addresses FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: customer_notes _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.customer_notes FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: customer_preferences _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.customer_preferences FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: customer_types _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.customer_types FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: customers _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.customers FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: devices _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.devices FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: inventory_items _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.inventory_items FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: locations _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.locations FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: memberships _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.memberships FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: orders _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.orders FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: plans _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.plans FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: roles _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.roles FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: tax_rates _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.tax_rates FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: tenants _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.tenants FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: users _100_timestamps; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON app_public.users FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: customers _200_create_stats; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_create_stats AFTER INSERT ON app_public.customers FOR EACH ROW EXECUTE FUNCTION app_private.tg_customers__create_stats();

--
-- Name: tenants _200_rescale_prices; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _200_rescale_prices AFTER UPDATE OF currency ON app_public.tenants FOR EACH ROW WHEN ((new.currency IS DISTINCT FROM old.currency)) EXECUTE FUNCTION app_private.tg_tenants__rescale_prices();

--
-- Name: billing_requests _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT ON app_public.billing_requests FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: billing_subscriptions _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR DELETE OR UPDATE ON app_public.billing_subscriptions FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at', 'last_stripe_event_at');

--
-- Name: catalog_items _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR UPDATE ON app_public.catalog_items FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: customer_addresses _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR DELETE OR UPDATE ON app_public.customer_addresses FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: customer_merges _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT ON app_public.customer_merges FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'primary_snapshot', 'duplicate_snapshot', 'result_snapshot');

--
-- Name: customer_notes _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR DELETE OR UPDATE ON app_public.customer_notes FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: customer_types _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR DELETE OR UPDATE ON app_public.customer_types FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: customers _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR UPDATE ON app_public.customers FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: devices _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR DELETE OR UPDATE ON app_public.devices FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: inventory_items _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR UPDATE ON app_public.inventory_items FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: invitations _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR DELETE OR UPDATE ON app_public.invitations FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'token_hash');

--
-- Name: locations _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR DELETE OR UPDATE ON app_public.locations FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: memberships _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR DELETE OR UPDATE ON app_public.memberships FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: orders _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER UPDATE ON app_public.orders FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: roles _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR DELETE OR UPDATE ON app_public.roles FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: tax_rates _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR DELETE OR UPDATE ON app_public.tax_rates FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: tenants _500_audit; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _500_audit AFTER INSERT OR UPDATE ON app_public.tenants FOR EACH ROW EXECUTE FUNCTION app_private.tg__audit('created_at', 'updated_at');

--
-- Name: inventory_items _600_reporting; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _600_reporting AFTER UPDATE OF name, low_stock_threshold ON app_public.inventory_items FOR EACH ROW WHEN (((old.name IS DISTINCT FROM new.name) OR (old.low_stock_threshold IS DISTINCT FROM new.low_stock_threshold))) EXECUTE FUNCTION app_private.tg_inventory_items__reporting();

--
-- Name: tenants _600_start_trial; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _600_start_trial AFTER INSERT ON app_public.tenants FOR EACH ROW EXECUTE FUNCTION app_private.tg_tenants__start_trial();

--
-- Name: inventory_movements _900_emit_event; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _900_emit_event AFTER INSERT ON app_public.inventory_movements FOR EACH ROW EXECUTE FUNCTION app_private.tg_inventory_movements__emit_event();

--
-- Name: tenders _900_emit_event; Type: TRIGGER; Schema: app_public; Owner: -
--

CREATE TRIGGER _900_emit_event AFTER INSERT ON app_public.tenders FOR EACH ROW EXECUTE FUNCTION app_private.tg_tenders__emit_event();

--
-- Name: exports _100_timestamps; Type: TRIGGER; Schema: reporting; Owner: -
--

CREATE TRIGGER _100_timestamps BEFORE INSERT OR UPDATE ON reporting.exports FOR EACH ROW EXECUTE FUNCTION app_private.tg__timestamps();

--
-- Name: analyst_logins analyst_logins_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.analyst_logins
    ADD CONSTRAINT analyst_logins_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: customer_duplicate_dismissals customer_duplicate_dismissals_dismissed_by_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.customer_duplicate_dismissals
    ADD CONSTRAINT customer_duplicate_dismissals_dismissed_by_fkey FOREIGN KEY (dismissed_by) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: customer_duplicate_dismissals customer_duplicate_dismissals_tenant_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.customer_duplicate_dismissals
    ADD CONSTRAINT customer_duplicate_dismissals_tenant_id_customer_id_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES app_public.customers(tenant_id, id) ON DELETE CASCADE;

--
-- Name: customer_duplicate_dismissals customer_duplicate_dismissals_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.customer_duplicate_dismissals
    ADD CONSTRAINT customer_duplicate_dismissals_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: customer_duplicate_dismissals customer_duplicate_dismissals_tenant_id_other_customer_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.customer_duplicate_dismissals
    ADD CONSTRAINT customer_duplicate_dismissals_tenant_id_other_customer_id_fkey FOREIGN KEY (tenant_id, other_customer_id) REFERENCES app_public.customers(tenant_id, id) ON DELETE CASCADE;

--
-- Name: customer_order_queue customer_order_queue_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.customer_order_queue
    ADD CONSTRAINT customer_order_queue_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: customer_visits customer_visits_tenant_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.customer_visits
    ADD CONSTRAINT customer_visits_tenant_id_customer_id_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES app_public.customers(tenant_id, id) ON DELETE CASCADE;

--
-- Name: customer_visits customer_visits_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.customer_visits
    ADD CONSTRAINT customer_visits_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: events events_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.events
    ADD CONSTRAINT events_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: export_chunks export_chunks_tenant_id_export_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.export_chunks
    ADD CONSTRAINT export_chunks_tenant_id_export_id_fkey FOREIGN KEY (tenant_id, export_id) REFERENCES reporting.exports(tenant_id, id) ON DELETE CASCADE;

--
-- Name: job_runs job_runs_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.job_runs
    ADD CONSTRAINT job_runs_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: processed_events processed_events_tenant_id_event_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.processed_events
    ADD CONSTRAINT processed_events_tenant_id_event_id_fkey FOREIGN KEY (tenant_id, event_id) REFERENCES app_private.events(tenant_id, id) ON DELETE CASCADE;

--
-- Name: processed_events processed_events_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.processed_events
    ADD CONSTRAINT processed_events_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: reporting_queue reporting_queue_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.reporting_queue
    ADD CONSTRAINT reporting_queue_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: sessions sessions_active_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.sessions
    ADD CONSTRAINT sessions_active_tenant_id_fkey FOREIGN KEY (active_tenant_id) REFERENCES app_public.tenants(id) ON DELETE SET NULL;

--
-- Name: sessions sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES app_public.users(id) ON DELETE CASCADE;

--
-- Name: tenant_counters tenant_counters_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.tenant_counters
    ADD CONSTRAINT tenant_counters_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: user_secrets user_secrets_user_id_fkey; Type: FK CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.user_secrets
    ADD CONSTRAINT user_secrets_user_id_fkey FOREIGN KEY (user_id) REFERENCES app_public.users(id) ON DELETE CASCADE;

--
-- Name: audit_entries audit_entries_actor_user_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.audit_entries
    ADD CONSTRAINT audit_entries_actor_user_id_fkey FOREIGN KEY (actor_user_id) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT audit_entries_actor_user_id_fkey ON audit_entries; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT audit_entries_actor_user_id_fkey ON app_public.audit_entries IS '@fieldName actor
@foreignFieldName auditEntries';

--
-- Name: audit_entries audit_entries_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.audit_entries
    ADD CONSTRAINT audit_entries_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: billing_invoices billing_invoices_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_invoices
    ADD CONSTRAINT billing_invoices_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: billing_notices billing_notices_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_notices
    ADD CONSTRAINT billing_notices_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: billing_requests billing_requests_plan_key_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_requests
    ADD CONSTRAINT billing_requests_plan_key_fkey FOREIGN KEY (plan_key) REFERENCES app_public.plans(key);

--
-- Name: CONSTRAINT billing_requests_plan_key_fkey ON billing_requests; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT billing_requests_plan_key_fkey ON app_public.billing_requests IS '@fieldName plan
@foreignFieldName billingRequests';

--
-- Name: billing_requests billing_requests_requested_by_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_requests
    ADD CONSTRAINT billing_requests_requested_by_fkey FOREIGN KEY (requested_by) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT billing_requests_requested_by_fkey ON billing_requests; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT billing_requests_requested_by_fkey ON app_public.billing_requests IS '@fieldName requester
@foreignFieldName billingRequests';

--
-- Name: billing_requests billing_requests_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_requests
    ADD CONSTRAINT billing_requests_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: billing_subscriptions billing_subscriptions_plan_key_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_subscriptions
    ADD CONSTRAINT billing_subscriptions_plan_key_fkey FOREIGN KEY (plan_key) REFERENCES app_public.plans(key);

--
-- Name: CONSTRAINT billing_subscriptions_plan_key_fkey ON billing_subscriptions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT billing_subscriptions_plan_key_fkey ON app_public.billing_subscriptions IS '@fieldName plan
@foreignFieldName billingSubscriptions';

--
-- Name: billing_subscriptions billing_subscriptions_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.billing_subscriptions
    ADD CONSTRAINT billing_subscriptions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT billing_subscriptions_tenant_id_fkey ON billing_subscriptions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT billing_subscriptions_tenant_id_fkey ON app_public.billing_subscriptions IS '@fieldName tenant
@foreignFieldName billingSubscriptions
@foreignSingleFieldName billingSubscription';

--
-- Name: cash_drawer_entries cash_drawer_entries_tenant_id_cash_drawer_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.cash_drawer_entries
    ADD CONSTRAINT cash_drawer_entries_tenant_id_cash_drawer_id_fkey FOREIGN KEY (tenant_id, cash_drawer_id) REFERENCES app_public.cash_drawers(tenant_id, id);

--
-- Name: CONSTRAINT cash_drawer_entries_tenant_id_cash_drawer_id_fkey ON cash_drawer_entries; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT cash_drawer_entries_tenant_id_cash_drawer_id_fkey ON app_public.cash_drawer_entries IS '@fieldName cashDrawer
@foreignFieldName entries';

--
-- Name: cash_drawer_entries cash_drawer_entries_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.cash_drawer_entries
    ADD CONSTRAINT cash_drawer_entries_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT cash_drawer_entries_tenant_id_fkey ON cash_drawer_entries; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT cash_drawer_entries_tenant_id_fkey ON app_public.cash_drawer_entries IS '@fieldName tenant
@foreignFieldName cashDrawerEntries';

--
-- Name: cash_drawers cash_drawers_closed_by_user_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.cash_drawers
    ADD CONSTRAINT cash_drawers_closed_by_user_id_fkey FOREIGN KEY (closed_by_user_id) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT cash_drawers_closed_by_user_id_fkey ON cash_drawers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT cash_drawers_closed_by_user_id_fkey ON app_public.cash_drawers IS '@fieldName closedBy
@foreignFieldName closedCashDrawers';

--
-- Name: cash_drawers cash_drawers_opened_by_user_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.cash_drawers
    ADD CONSTRAINT cash_drawers_opened_by_user_id_fkey FOREIGN KEY (opened_by_user_id) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT cash_drawers_opened_by_user_id_fkey ON cash_drawers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT cash_drawers_opened_by_user_id_fkey ON app_public.cash_drawers IS '@fieldName openedBy
@foreignFieldName openedCashDrawers';

--
-- Name: cash_drawers cash_drawers_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.cash_drawers
    ADD CONSTRAINT cash_drawers_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT cash_drawers_tenant_id_fkey ON cash_drawers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT cash_drawers_tenant_id_fkey ON app_public.cash_drawers IS '@fieldName tenant
@foreignFieldName cashDrawers';

--
-- Name: cash_drawers cash_drawers_tenant_id_location_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.cash_drawers
    ADD CONSTRAINT cash_drawers_tenant_id_location_id_fkey FOREIGN KEY (tenant_id, location_id) REFERENCES app_public.locations(tenant_id, id);

--
-- Name: CONSTRAINT cash_drawers_tenant_id_location_id_fkey ON cash_drawers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT cash_drawers_tenant_id_location_id_fkey ON app_public.cash_drawers IS '@fieldName location
@foreignFieldName cashDrawers';

--
-- Name: catalog_items catalog_items_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.catalog_items
    ADD CONSTRAINT catalog_items_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT catalog_items_tenant_id_fkey ON catalog_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT catalog_items_tenant_id_fkey ON app_public.catalog_items IS '@fieldName tenant
@foreignFieldName catalogItems';

--
-- Name: customer_addresses customer_addresses_tenant_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_addresses
    ADD CONSTRAINT customer_addresses_tenant_id_customer_id_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES app_public.customers(tenant_id, id);

--
-- Name: CONSTRAINT customer_addresses_tenant_id_customer_id_fkey ON customer_addresses; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_addresses_tenant_id_customer_id_fkey ON app_public.customer_addresses IS '@fieldName customer
@foreignFieldName addresses';

--
-- Name: customer_addresses customer_addresses_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_addresses
    ADD CONSTRAINT customer_addresses_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_addresses_tenant_id_fkey ON customer_addresses; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_addresses_tenant_id_fkey ON app_public.customer_addresses IS '@fieldName tenant
@foreignFieldName customerAddresses';

--
-- Name: customer_contact_channels customer_contact_channels_recorded_by_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_contact_channels
    ADD CONSTRAINT customer_contact_channels_recorded_by_fkey FOREIGN KEY (recorded_by) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT customer_contact_channels_recorded_by_fkey ON customer_contact_channels; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_contact_channels_recorded_by_fkey ON app_public.customer_contact_channels IS '@fieldName recordedByUser
@behavior -manyRelation:resource:list -manyRelation:resource:connection';

--
-- Name: customer_contact_channels customer_contact_channels_tenant_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_contact_channels
    ADD CONSTRAINT customer_contact_channels_tenant_id_customer_id_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES app_public.customers(tenant_id, id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_contact_channels_tenant_id_customer_id_fkey ON customer_contact_channels; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_contact_channels_tenant_id_customer_id_fkey ON app_public.customer_contact_channels IS '@fieldName customer
@foreignFieldName contactChannels';

--
-- Name: customer_contact_channels customer_contact_channels_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_contact_channels
    ADD CONSTRAINT customer_contact_channels_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_contact_channels_tenant_id_fkey ON customer_contact_channels; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_contact_channels_tenant_id_fkey ON app_public.customer_contact_channels IS '@behavior -*';

--
-- Name: customer_favourite_items customer_favourite_items_tenant_id_catalog_item_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_favourite_items
    ADD CONSTRAINT customer_favourite_items_tenant_id_catalog_item_id_fkey FOREIGN KEY (tenant_id, catalog_item_id) REFERENCES app_public.catalog_items(tenant_id, id);

--
-- Name: CONSTRAINT customer_favourite_items_tenant_id_catalog_item_id_fkey ON customer_favourite_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_favourite_items_tenant_id_catalog_item_id_fkey ON app_public.customer_favourite_items IS '@fieldName catalogItem
@behavior -manyRelation:resource:list -manyRelation:resource:connection';

--
-- Name: customer_favourite_items customer_favourite_items_tenant_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_favourite_items
    ADD CONSTRAINT customer_favourite_items_tenant_id_customer_id_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES app_public.customers(tenant_id, id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_favourite_items_tenant_id_customer_id_fkey ON customer_favourite_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_favourite_items_tenant_id_customer_id_fkey ON app_public.customer_favourite_items IS '@fieldName customer
@foreignFieldName favouriteItems';

--
-- Name: customer_favourite_items customer_favourite_items_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_favourite_items
    ADD CONSTRAINT customer_favourite_items_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_favourite_items_tenant_id_fkey ON customer_favourite_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_favourite_items_tenant_id_fkey ON app_public.customer_favourite_items IS '@behavior -*';

--
-- Name: customer_item_stats customer_item_stats_tenant_id_catalog_item_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_item_stats
    ADD CONSTRAINT customer_item_stats_tenant_id_catalog_item_id_fkey FOREIGN KEY (tenant_id, catalog_item_id) REFERENCES app_public.catalog_items(tenant_id, id);

--
-- Name: CONSTRAINT customer_item_stats_tenant_id_catalog_item_id_fkey ON customer_item_stats; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_item_stats_tenant_id_catalog_item_id_fkey ON app_public.customer_item_stats IS '@fieldName catalogItem
@behavior -manyRelation:resource:list -manyRelation:resource:connection';

--
-- Name: customer_item_stats customer_item_stats_tenant_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_item_stats
    ADD CONSTRAINT customer_item_stats_tenant_id_customer_id_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES app_public.customers(tenant_id, id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_item_stats_tenant_id_customer_id_fkey ON customer_item_stats; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_item_stats_tenant_id_customer_id_fkey ON app_public.customer_item_stats IS '@behavior -*';

--
-- Name: customer_item_stats customer_item_stats_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_item_stats
    ADD CONSTRAINT customer_item_stats_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_item_stats_tenant_id_fkey ON customer_item_stats; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_item_stats_tenant_id_fkey ON app_public.customer_item_stats IS '@behavior -*';

--
-- Name: customer_merges customer_merges_merged_by_user_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_merges
    ADD CONSTRAINT customer_merges_merged_by_user_id_fkey FOREIGN KEY (merged_by_user_id) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT customer_merges_merged_by_user_id_fkey ON customer_merges; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_merges_merged_by_user_id_fkey ON app_public.customer_merges IS '@fieldName mergedBy
@foreignFieldName customerMerges';

--
-- Name: customer_merges customer_merges_tenant_id_duplicate_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_merges
    ADD CONSTRAINT customer_merges_tenant_id_duplicate_id_fkey FOREIGN KEY (tenant_id, duplicate_id) REFERENCES app_public.customers(tenant_id, id);

--
-- Name: CONSTRAINT customer_merges_tenant_id_duplicate_id_fkey ON customer_merges; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_merges_tenant_id_duplicate_id_fkey ON app_public.customer_merges IS '@fieldName duplicate
@foreignFieldName mergesAsDuplicate
@foreignSingleFieldName mergeAsDuplicate';

--
-- Name: customer_merges customer_merges_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_merges
    ADD CONSTRAINT customer_merges_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_merges_tenant_id_fkey ON customer_merges; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_merges_tenant_id_fkey ON app_public.customer_merges IS '@fieldName tenant
@foreignFieldName customerMerges';

--
-- Name: customer_merges customer_merges_tenant_id_primary_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_merges
    ADD CONSTRAINT customer_merges_tenant_id_primary_id_fkey FOREIGN KEY (tenant_id, primary_id) REFERENCES app_public.customers(tenant_id, id);

--
-- Name: CONSTRAINT customer_merges_tenant_id_primary_id_fkey ON customer_merges; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_merges_tenant_id_primary_id_fkey ON app_public.customer_merges IS '@fieldName primary
@foreignFieldName merges';

--
-- Name: customer_notes customer_notes_author_user_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_notes
    ADD CONSTRAINT customer_notes_author_user_id_fkey FOREIGN KEY (author_user_id) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT customer_notes_author_user_id_fkey ON customer_notes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_notes_author_user_id_fkey ON app_public.customer_notes IS '@fieldName author
@foreignFieldName authoredCustomerNotes';

--
-- Name: customer_notes customer_notes_tenant_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_notes
    ADD CONSTRAINT customer_notes_tenant_id_customer_id_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES app_public.customers(tenant_id, id);

--
-- Name: CONSTRAINT customer_notes_tenant_id_customer_id_fkey ON customer_notes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_notes_tenant_id_customer_id_fkey ON app_public.customer_notes IS '@fieldName customer
@foreignFieldName customerNotes';

--
-- Name: customer_notes customer_notes_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_notes
    ADD CONSTRAINT customer_notes_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_notes_tenant_id_fkey ON customer_notes; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_notes_tenant_id_fkey ON app_public.customer_notes IS '@fieldName tenant
@foreignFieldName customerNotes';

--
-- Name: customer_preferences customer_preferences_tenant_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_preferences
    ADD CONSTRAINT customer_preferences_tenant_id_customer_id_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES app_public.customers(tenant_id, id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_preferences_tenant_id_customer_id_fkey ON customer_preferences; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_preferences_tenant_id_customer_id_fkey ON app_public.customer_preferences IS '@fieldName customer
@foreignFieldName preferences';

--
-- Name: customer_preferences customer_preferences_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_preferences
    ADD CONSTRAINT customer_preferences_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_preferences_tenant_id_fkey ON customer_preferences; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_preferences_tenant_id_fkey ON app_public.customer_preferences IS '@behavior -*';

--
-- Name: customer_stats customer_stats_tenant_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_stats
    ADD CONSTRAINT customer_stats_tenant_id_customer_id_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES app_public.customers(tenant_id, id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_stats_tenant_id_customer_id_fkey ON customer_stats; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_stats_tenant_id_customer_id_fkey ON app_public.customer_stats IS '@fieldName customer
@foreignFieldName stats';

--
-- Name: customer_stats customer_stats_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_stats
    ADD CONSTRAINT customer_stats_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_stats_tenant_id_fkey ON customer_stats; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_stats_tenant_id_fkey ON app_public.customer_stats IS '@behavior -*';

--
-- Name: customer_types customer_types_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customer_types
    ADD CONSTRAINT customer_types_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customer_types_tenant_id_fkey ON customer_types; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customer_types_tenant_id_fkey ON app_public.customer_types IS '@behavior -*';

--
-- Name: customers customers_created_by_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customers
    ADD CONSTRAINT customers_created_by_fkey FOREIGN KEY (created_by) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT customers_created_by_fkey ON customers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customers_created_by_fkey ON app_public.customers IS '@fieldName creator
@foreignFieldName createdCustomers';

--
-- Name: customers customers_customer_type_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customers
    ADD CONSTRAINT customers_customer_type_fkey FOREIGN KEY (tenant_id, customer_type_id) REFERENCES app_public.customer_types(tenant_id, id);

--
-- Name: CONSTRAINT customers_customer_type_fkey ON customers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customers_customer_type_fkey ON app_public.customers IS '@fieldName customerType
@behavior -manyRelation:resource:list -manyRelation:resource:connection';

--
-- Name: customers customers_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customers
    ADD CONSTRAINT customers_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT customers_tenant_id_fkey ON customers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customers_tenant_id_fkey ON app_public.customers IS '@fieldName tenant
@foreignFieldName customers';

--
-- Name: customers customers_tenant_id_merged_into_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.customers
    ADD CONSTRAINT customers_tenant_id_merged_into_id_fkey FOREIGN KEY (tenant_id, merged_into_id) REFERENCES app_public.customers(tenant_id, id);

--
-- Name: CONSTRAINT customers_tenant_id_merged_into_id_fkey ON customers; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT customers_tenant_id_merged_into_id_fkey ON app_public.customers IS '@fieldName mergedInto
@foreignFieldName mergedCustomers';

--
-- Name: devices devices_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.devices
    ADD CONSTRAINT devices_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: devices devices_tenant_id_location_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.devices
    ADD CONSTRAINT devices_tenant_id_location_id_fkey FOREIGN KEY (tenant_id, location_id) REFERENCES app_public.locations(tenant_id, id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT devices_tenant_id_location_id_fkey ON devices; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT devices_tenant_id_location_id_fkey ON app_public.devices IS '@fieldName location
@foreignFieldName devices';

--
-- Name: inventory_items inventory_items_tenant_id_catalog_item_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.inventory_items
    ADD CONSTRAINT inventory_items_tenant_id_catalog_item_id_fkey FOREIGN KEY (tenant_id, catalog_item_id) REFERENCES app_public.catalog_items(tenant_id, id);

--
-- Name: CONSTRAINT inventory_items_tenant_id_catalog_item_id_fkey ON inventory_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT inventory_items_tenant_id_catalog_item_id_fkey ON app_public.inventory_items IS '@fieldName catalogItem
@foreignFieldName inventoryItem';

--
-- Name: inventory_items inventory_items_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.inventory_items
    ADD CONSTRAINT inventory_items_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT inventory_items_tenant_id_fkey ON inventory_items; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT inventory_items_tenant_id_fkey ON app_public.inventory_items IS '@fieldName tenant
@foreignFieldName inventoryItems';

--
-- Name: inventory_movements inventory_movements_order_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.inventory_movements
    ADD CONSTRAINT inventory_movements_order_fkey FOREIGN KEY (tenant_id, order_id) REFERENCES app_public.orders(tenant_id, id);

--
-- Name: CONSTRAINT inventory_movements_order_fkey ON inventory_movements; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT inventory_movements_order_fkey ON app_public.inventory_movements IS '@fieldName order
@foreignFieldName inventoryMovements';

--
-- Name: inventory_movements inventory_movements_order_line_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.inventory_movements
    ADD CONSTRAINT inventory_movements_order_line_fkey FOREIGN KEY (tenant_id, order_line_id) REFERENCES app_public.order_lines(tenant_id, id);

--
-- Name: CONSTRAINT inventory_movements_order_line_fkey ON inventory_movements; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT inventory_movements_order_line_fkey ON app_public.inventory_movements IS '@fieldName orderLine
@foreignFieldName inventoryMovements';

--
-- Name: inventory_movements inventory_movements_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.inventory_movements
    ADD CONSTRAINT inventory_movements_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT inventory_movements_tenant_id_fkey ON inventory_movements; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT inventory_movements_tenant_id_fkey ON app_public.inventory_movements IS '@fieldName tenant
@foreignFieldName inventoryMovements';

--
-- Name: inventory_movements inventory_movements_tenant_id_inventory_item_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.inventory_movements
    ADD CONSTRAINT inventory_movements_tenant_id_inventory_item_id_fkey FOREIGN KEY (tenant_id, inventory_item_id) REFERENCES app_public.inventory_items(tenant_id, id);

--
-- Name: CONSTRAINT inventory_movements_tenant_id_inventory_item_id_fkey ON inventory_movements; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT inventory_movements_tenant_id_inventory_item_id_fkey ON app_public.inventory_movements IS '@fieldName inventoryItem
@foreignFieldName movements';

--
-- Name: inventory_movements inventory_movements_tenant_id_location_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.inventory_movements
    ADD CONSTRAINT inventory_movements_tenant_id_location_id_fkey FOREIGN KEY (tenant_id, location_id) REFERENCES app_public.locations(tenant_id, id);

--
-- Name: CONSTRAINT inventory_movements_tenant_id_location_id_fkey ON inventory_movements; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT inventory_movements_tenant_id_location_id_fkey ON app_public.inventory_movements IS '@fieldName location
@foreignFieldName inventoryMovements';

--
-- Name: invitations invitations_accepted_by_user_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.invitations
    ADD CONSTRAINT invitations_accepted_by_user_id_fkey FOREIGN KEY (accepted_by_user_id) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT invitations_accepted_by_user_id_fkey ON invitations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT invitations_accepted_by_user_id_fkey ON app_public.invitations IS '@fieldName acceptedBy
@foreignFieldName acceptedInvitations
@behavior -manyRelation:resource:list -manyRelation:resource:connection';

--
-- Name: invitations invitations_invited_by_user_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.invitations
    ADD CONSTRAINT invitations_invited_by_user_id_fkey FOREIGN KEY (invited_by_user_id) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT invitations_invited_by_user_id_fkey ON invitations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT invitations_invited_by_user_id_fkey ON app_public.invitations IS '@fieldName invitedBy
@foreignFieldName sentInvitations
@behavior -manyRelation:resource:list -manyRelation:resource:connection';

--
-- Name: invitations invitations_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.invitations
    ADD CONSTRAINT invitations_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT invitations_tenant_id_fkey ON invitations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT invitations_tenant_id_fkey ON app_public.invitations IS '@fieldName tenant
@foreignFieldName invitations';

--
-- Name: invitations invitations_tenant_id_role_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.invitations
    ADD CONSTRAINT invitations_tenant_id_role_id_fkey FOREIGN KEY (tenant_id, role_id) REFERENCES app_public.roles(tenant_id, id);

--
-- Name: CONSTRAINT invitations_tenant_id_role_id_fkey ON invitations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT invitations_tenant_id_role_id_fkey ON app_public.invitations IS '@fieldName role
@foreignFieldName invitations';

--
-- Name: locations locations_tax_rate_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.locations
    ADD CONSTRAINT locations_tax_rate_fkey FOREIGN KEY (tenant_id, tax_rate_id) REFERENCES app_public.tax_rates(tenant_id, id) ON DELETE SET NULL (tax_rate_id);

--
-- Name: CONSTRAINT locations_tax_rate_fkey ON locations; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT locations_tax_rate_fkey ON app_public.locations IS '@fieldName taxRate
@foreignFieldName locations
@behavior -manyRelation:resource:connection';

--
-- Name: locations locations_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.locations
    ADD CONSTRAINT locations_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: loyalty_settings loyalty_settings_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.loyalty_settings
    ADD CONSTRAINT loyalty_settings_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT loyalty_settings_tenant_id_fkey ON loyalty_settings; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT loyalty_settings_tenant_id_fkey ON app_public.loyalty_settings IS '@behavior -*';

--
-- Name: memberships memberships_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.memberships
    ADD CONSTRAINT memberships_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT memberships_tenant_id_fkey ON memberships; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT memberships_tenant_id_fkey ON app_public.memberships IS '@fieldName tenant
@foreignFieldName memberships';

--
-- Name: memberships memberships_tenant_id_role_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.memberships
    ADD CONSTRAINT memberships_tenant_id_role_id_fkey FOREIGN KEY (tenant_id, role_id) REFERENCES app_public.roles(tenant_id, id);

--
-- Name: CONSTRAINT memberships_tenant_id_role_id_fkey ON memberships; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT memberships_tenant_id_role_id_fkey ON app_public.memberships IS '@fieldName role
@foreignFieldName memberships';

--
-- Name: memberships memberships_user_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.memberships
    ADD CONSTRAINT memberships_user_id_fkey FOREIGN KEY (user_id) REFERENCES app_public.users(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT memberships_user_id_fkey ON memberships; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT memberships_user_id_fkey ON app_public.memberships IS '@fieldName user
@foreignFieldName memberships';

--
-- Name: order_lines order_lines_tenant_id_catalog_item_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.order_lines
    ADD CONSTRAINT order_lines_tenant_id_catalog_item_id_fkey FOREIGN KEY (tenant_id, catalog_item_id) REFERENCES app_public.catalog_items(tenant_id, id);

--
-- Name: CONSTRAINT order_lines_tenant_id_catalog_item_id_fkey ON order_lines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT order_lines_tenant_id_catalog_item_id_fkey ON app_public.order_lines IS '@fieldName catalogItem
@foreignFieldName orderLines';

--
-- Name: order_lines order_lines_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.order_lines
    ADD CONSTRAINT order_lines_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT order_lines_tenant_id_fkey ON order_lines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT order_lines_tenant_id_fkey ON app_public.order_lines IS '@fieldName tenant
@foreignFieldName orderLines';

--
-- Name: order_lines order_lines_tenant_id_order_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.order_lines
    ADD CONSTRAINT order_lines_tenant_id_order_id_fkey FOREIGN KEY (tenant_id, order_id) REFERENCES app_public.orders(tenant_id, id);

--
-- Name: CONSTRAINT order_lines_tenant_id_order_id_fkey ON order_lines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT order_lines_tenant_id_order_id_fkey ON app_public.order_lines IS '@fieldName order
@foreignFieldName lines';

--
-- Name: order_refund_lines order_refund_lines_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.order_refund_lines
    ADD CONSTRAINT order_refund_lines_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT order_refund_lines_tenant_id_fkey ON order_refund_lines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT order_refund_lines_tenant_id_fkey ON app_public.order_refund_lines IS '@fieldName tenant
@foreignFieldName orderRefundLines
@behavior -manyRelation:resource:list -manyRelation:resource:connection';

--
-- Name: order_refund_lines order_refund_lines_tenant_id_order_line_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.order_refund_lines
    ADD CONSTRAINT order_refund_lines_tenant_id_order_line_id_fkey FOREIGN KEY (tenant_id, order_line_id) REFERENCES app_public.order_lines(tenant_id, id);

--
-- Name: CONSTRAINT order_refund_lines_tenant_id_order_line_id_fkey ON order_refund_lines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT order_refund_lines_tenant_id_order_line_id_fkey ON app_public.order_refund_lines IS '@fieldName orderLine
@foreignFieldName refundLines
@behavior -manyRelation:resource:list -manyRelation:resource:connection';

--
-- Name: order_refund_lines order_refund_lines_tenant_id_order_refund_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.order_refund_lines
    ADD CONSTRAINT order_refund_lines_tenant_id_order_refund_id_fkey FOREIGN KEY (tenant_id, order_refund_id) REFERENCES app_public.order_refunds(tenant_id, id);

--
-- Name: CONSTRAINT order_refund_lines_tenant_id_order_refund_id_fkey ON order_refund_lines; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT order_refund_lines_tenant_id_order_refund_id_fkey ON app_public.order_refund_lines IS '@fieldName refund
@foreignFieldName lines';

--
-- Name: order_refunds order_refunds_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.order_refunds
    ADD CONSTRAINT order_refunds_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT order_refunds_tenant_id_fkey ON order_refunds; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT order_refunds_tenant_id_fkey ON app_public.order_refunds IS '@fieldName tenant
@foreignFieldName orderRefunds
@behavior -manyRelation:resource:list -manyRelation:resource:connection';

--
-- Name: order_refunds order_refunds_tenant_id_order_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.order_refunds
    ADD CONSTRAINT order_refunds_tenant_id_order_id_fkey FOREIGN KEY (tenant_id, order_id) REFERENCES app_public.orders(tenant_id, id);

--
-- Name: CONSTRAINT order_refunds_tenant_id_order_id_fkey ON order_refunds; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT order_refunds_tenant_id_order_id_fkey ON app_public.order_refunds IS '@fieldName order
@foreignFieldName refunds';

--
-- Name: orders orders_cancelled_by_user_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.orders
    ADD CONSTRAINT orders_cancelled_by_user_id_fkey FOREIGN KEY (cancelled_by_user_id) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT orders_cancelled_by_user_id_fkey ON orders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT orders_cancelled_by_user_id_fkey ON app_public.orders IS '@fieldName cancelledBy
@foreignFieldName cancelledOrders';

--
-- Name: orders orders_customer_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.orders
    ADD CONSTRAINT orders_customer_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES app_public.customers(tenant_id, id);

--
-- Name: CONSTRAINT orders_customer_fkey ON orders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT orders_customer_fkey ON app_public.orders IS '@fieldName customer
@foreignFieldName orders';

--
-- Name: orders orders_placed_by_user_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.orders
    ADD CONSTRAINT orders_placed_by_user_id_fkey FOREIGN KEY (placed_by_user_id) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT orders_placed_by_user_id_fkey ON orders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT orders_placed_by_user_id_fkey ON app_public.orders IS '@fieldName placedBy
@foreignFieldName placedOrders';

--
-- Name: orders orders_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.orders
    ADD CONSTRAINT orders_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT orders_tenant_id_fkey ON orders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT orders_tenant_id_fkey ON app_public.orders IS '@fieldName tenant
@foreignFieldName orders';

--
-- Name: orders orders_tenant_id_location_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.orders
    ADD CONSTRAINT orders_tenant_id_location_id_fkey FOREIGN KEY (tenant_id, location_id) REFERENCES app_public.locations(tenant_id, id);

--
-- Name: CONSTRAINT orders_tenant_id_location_id_fkey ON orders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT orders_tenant_id_location_id_fkey ON app_public.orders IS '@fieldName location
@foreignFieldName orders';

--
-- Name: orders orders_voided_by_user_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.orders
    ADD CONSTRAINT orders_voided_by_user_id_fkey FOREIGN KEY (voided_by_user_id) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT orders_voided_by_user_id_fkey ON orders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT orders_voided_by_user_id_fkey ON app_public.orders IS '@fieldName voidedBy
@foreignFieldName voidedOrders';

--
-- Name: refund_tenders refund_tenders_cash_drawer_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.refund_tenders
    ADD CONSTRAINT refund_tenders_cash_drawer_fkey FOREIGN KEY (tenant_id, cash_drawer_id) REFERENCES app_public.cash_drawers(tenant_id, id);

--
-- Name: CONSTRAINT refund_tenders_cash_drawer_fkey ON refund_tenders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT refund_tenders_cash_drawer_fkey ON app_public.refund_tenders IS '@fieldName cashDrawer
@foreignFieldName refundTenders';

--
-- Name: refund_tenders refund_tenders_order_refund_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.refund_tenders
    ADD CONSTRAINT refund_tenders_order_refund_fkey FOREIGN KEY (tenant_id, order_refund_id) REFERENCES app_public.order_refunds(tenant_id, id);

--
-- Name: CONSTRAINT refund_tenders_order_refund_fkey ON refund_tenders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT refund_tenders_order_refund_fkey ON app_public.refund_tenders IS '@fieldName refund
@foreignFieldName refundTenders';

--
-- Name: refund_tenders refund_tenders_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.refund_tenders
    ADD CONSTRAINT refund_tenders_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT refund_tenders_tenant_id_fkey ON refund_tenders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT refund_tenders_tenant_id_fkey ON app_public.refund_tenders IS '@fieldName tenant
@foreignFieldName refundTenders';

--
-- Name: refund_tenders refund_tenders_tenant_id_order_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.refund_tenders
    ADD CONSTRAINT refund_tenders_tenant_id_order_id_fkey FOREIGN KEY (tenant_id, order_id) REFERENCES app_public.orders(tenant_id, id);

--
-- Name: CONSTRAINT refund_tenders_tenant_id_order_id_fkey ON refund_tenders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT refund_tenders_tenant_id_order_id_fkey ON app_public.refund_tenders IS '@fieldName order
@foreignFieldName refundTenders';

--
-- Name: roles roles_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.roles
    ADD CONSTRAINT roles_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: tax_rates tax_rates_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tax_rates
    ADD CONSTRAINT tax_rates_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT tax_rates_tenant_id_fkey ON tax_rates; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT tax_rates_tenant_id_fkey ON app_public.tax_rates IS '@fieldName tenant
@foreignFieldName taxRates
@behavior -manyRelation:resource:connection';

--
-- Name: tenant_suspensions tenant_suspensions_ended_by_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tenant_suspensions
    ADD CONSTRAINT tenant_suspensions_ended_by_fkey FOREIGN KEY (ended_by) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT tenant_suspensions_ended_by_fkey ON tenant_suspensions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT tenant_suspensions_ended_by_fkey ON app_public.tenant_suspensions IS '@fieldName endedByUser
@foreignFieldName tenantSuspensionsEnded';

--
-- Name: tenant_suspensions tenant_suspensions_suspended_by_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tenant_suspensions
    ADD CONSTRAINT tenant_suspensions_suspended_by_fkey FOREIGN KEY (suspended_by) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT tenant_suspensions_suspended_by_fkey ON tenant_suspensions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT tenant_suspensions_suspended_by_fkey ON app_public.tenant_suspensions IS '@fieldName suspendedByUser
@foreignFieldName tenantSuspensionsMade';

--
-- Name: tenant_suspensions tenant_suspensions_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tenant_suspensions
    ADD CONSTRAINT tenant_suspensions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT tenant_suspensions_tenant_id_fkey ON tenant_suspensions; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT tenant_suspensions_tenant_id_fkey ON app_public.tenant_suspensions IS '@fieldName tenant
@foreignFieldName suspensions';

--
-- Name: tenants tenants_currency_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tenants
    ADD CONSTRAINT tenants_currency_fkey FOREIGN KEY (currency) REFERENCES app_public.currencies(code);

--
-- Name: CONSTRAINT tenants_currency_fkey ON tenants; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT tenants_currency_fkey ON app_public.tenants IS '@fieldName currencyInfo
@behavior -manyRelation:resource:list -manyRelation:resource:connection';

--
-- Name: tenders tenders_cash_drawer_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tenders
    ADD CONSTRAINT tenders_cash_drawer_fkey FOREIGN KEY (tenant_id, cash_drawer_id) REFERENCES app_public.cash_drawers(tenant_id, id);

--
-- Name: CONSTRAINT tenders_cash_drawer_fkey ON tenders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT tenders_cash_drawer_fkey ON app_public.tenders IS '@fieldName cashDrawer
@foreignFieldName tenders';

--
-- Name: tenders tenders_tenant_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tenders
    ADD CONSTRAINT tenders_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT tenders_tenant_id_fkey ON tenders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT tenders_tenant_id_fkey ON app_public.tenders IS '@fieldName tenant
@foreignFieldName tenders';

--
-- Name: tenders tenders_tenant_id_order_id_fkey; Type: FK CONSTRAINT; Schema: app_public; Owner: -
--

ALTER TABLE ONLY app_public.tenders
    ADD CONSTRAINT tenders_tenant_id_order_id_fkey FOREIGN KEY (tenant_id, order_id) REFERENCES app_public.orders(tenant_id, id);

--
-- Name: CONSTRAINT tenders_tenant_id_order_id_fkey ON tenders; Type: COMMENT; Schema: app_public; Owner: -
--

COMMENT ON CONSTRAINT tenders_tenant_id_order_id_fkey ON app_public.tenders IS '@fieldName order
@foreignFieldName tenders';

--
-- Name: exports exports_requested_by_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.exports
    ADD CONSTRAINT exports_requested_by_fkey FOREIGN KEY (requested_by) REFERENCES app_public.users(id) ON DELETE SET NULL;

--
-- Name: CONSTRAINT exports_requested_by_fkey ON exports; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT exports_requested_by_fkey ON reporting.exports IS '@fieldName requester
@foreignFieldName exports';

--
-- Name: exports exports_tenant_id_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.exports
    ADD CONSTRAINT exports_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT exports_tenant_id_fkey ON exports; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT exports_tenant_id_fkey ON reporting.exports IS '@behavior -*';

--
-- Name: rm_customer_activity rm_customer_activity_tenant_id_customer_id_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_customer_activity
    ADD CONSTRAINT rm_customer_activity_tenant_id_customer_id_fkey FOREIGN KEY (tenant_id, customer_id) REFERENCES app_public.customers(tenant_id, id);

--
-- Name: CONSTRAINT rm_customer_activity_tenant_id_customer_id_fkey ON rm_customer_activity; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_customer_activity_tenant_id_customer_id_fkey ON reporting.rm_customer_activity IS '@fieldName customer
@foreignFieldName activity';

--
-- Name: rm_customer_activity rm_customer_activity_tenant_id_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_customer_activity
    ADD CONSTRAINT rm_customer_activity_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT rm_customer_activity_tenant_id_fkey ON rm_customer_activity; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_customer_activity_tenant_id_fkey ON reporting.rm_customer_activity IS '@behavior -*';

--
-- Name: rm_customer_visits rm_customer_visits_tenant_id_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_customer_visits
    ADD CONSTRAINT rm_customer_visits_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: rm_daily_sales rm_daily_sales_tenant_id_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_daily_sales
    ADD CONSTRAINT rm_daily_sales_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT rm_daily_sales_tenant_id_fkey ON rm_daily_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_daily_sales_tenant_id_fkey ON reporting.rm_daily_sales IS '@behavior -*';

--
-- Name: rm_daily_sales rm_daily_sales_tenant_id_location_id_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_daily_sales
    ADD CONSTRAINT rm_daily_sales_tenant_id_location_id_fkey FOREIGN KEY (tenant_id, location_id) REFERENCES app_public.locations(tenant_id, id);

--
-- Name: CONSTRAINT rm_daily_sales_tenant_id_location_id_fkey ON rm_daily_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_daily_sales_tenant_id_location_id_fkey ON reporting.rm_daily_sales IS '@fieldName location
@foreignFieldName dailySales';

--
-- Name: rm_inventory_on_hand rm_inventory_on_hand_tenant_id_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_inventory_on_hand
    ADD CONSTRAINT rm_inventory_on_hand_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT rm_inventory_on_hand_tenant_id_fkey ON rm_inventory_on_hand; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_inventory_on_hand_tenant_id_fkey ON reporting.rm_inventory_on_hand IS '@behavior -*';

--
-- Name: rm_inventory_on_hand rm_inventory_on_hand_tenant_id_inventory_item_id_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_inventory_on_hand
    ADD CONSTRAINT rm_inventory_on_hand_tenant_id_inventory_item_id_fkey FOREIGN KEY (tenant_id, inventory_item_id) REFERENCES app_public.inventory_items(tenant_id, id);

--
-- Name: CONSTRAINT rm_inventory_on_hand_tenant_id_inventory_item_id_fkey ON rm_inventory_on_hand; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_inventory_on_hand_tenant_id_inventory_item_id_fkey ON reporting.rm_inventory_on_hand IS '@fieldName inventoryItem
@foreignFieldName stockOnHand';

--
-- Name: rm_inventory_on_hand rm_inventory_on_hand_tenant_id_location_id_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_inventory_on_hand
    ADD CONSTRAINT rm_inventory_on_hand_tenant_id_location_id_fkey FOREIGN KEY (tenant_id, location_id) REFERENCES app_public.locations(tenant_id, id);

--
-- Name: CONSTRAINT rm_inventory_on_hand_tenant_id_location_id_fkey ON rm_inventory_on_hand; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_inventory_on_hand_tenant_id_location_id_fkey ON reporting.rm_inventory_on_hand IS '@fieldName location
@foreignFieldName stockOnHand';

--
-- Name: rm_item_sales rm_item_sales_tenant_id_catalog_item_id_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_item_sales
    ADD CONSTRAINT rm_item_sales_tenant_id_catalog_item_id_fkey FOREIGN KEY (tenant_id, catalog_item_id) REFERENCES app_public.catalog_items(tenant_id, id);

--
-- Name: CONSTRAINT rm_item_sales_tenant_id_catalog_item_id_fkey ON rm_item_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_item_sales_tenant_id_catalog_item_id_fkey ON reporting.rm_item_sales IS '@fieldName catalogItem
@foreignFieldName sales';

--
-- Name: rm_item_sales rm_item_sales_tenant_id_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_item_sales
    ADD CONSTRAINT rm_item_sales_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.tenants(id) ON DELETE CASCADE;

--
-- Name: CONSTRAINT rm_item_sales_tenant_id_fkey ON rm_item_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_item_sales_tenant_id_fkey ON reporting.rm_item_sales IS '@behavior -*';

--
-- Name: rm_item_sales rm_item_sales_tenant_id_location_id_fkey; Type: FK CONSTRAINT; Schema: reporting; Owner: -
--

ALTER TABLE ONLY reporting.rm_item_sales
    ADD CONSTRAINT rm_item_sales_tenant_id_location_id_fkey FOREIGN KEY (tenant_id, location_id) REFERENCES app_public.locations(tenant_id, id);

--
-- Name: CONSTRAINT rm_item_sales_tenant_id_location_id_fkey ON rm_item_sales; Type: COMMENT; Schema: reporting; Owner: -
--

COMMENT ON CONSTRAINT rm_item_sales_tenant_id_location_id_fkey ON reporting.rm_item_sales IS '@fieldName location
@foreignFieldName itemSales';

--
-- Name: customer_duplicate_dismissals active_tenant_delete; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY active_tenant_delete ON app_private.customer_duplicate_dismissals AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_duplicate_dismissals active_tenant_insert; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY active_tenant_insert ON app_private.customer_duplicate_dismissals AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_duplicate_dismissals active_tenant_only; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY active_tenant_only ON app_private.customer_duplicate_dismissals AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_duplicate_dismissals active_tenant_update; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY active_tenant_update ON app_private.customer_duplicate_dismissals AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: analyst_logins all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.analyst_logins TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customer_duplicate_dismissals all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.customer_duplicate_dismissals TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customer_order_queue all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.customer_order_queue TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customer_visits all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.customer_visits TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: event_subscriptions all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.event_subscriptions TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: events all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.events TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: export_chunks all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.export_chunks TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: job_runs all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.job_runs TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: login_throttle all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.login_throttle TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: processed_events all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.processed_events TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: reporting_queue all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.reporting_queue TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: sessions all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.sessions TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: stripe_events all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.stripe_events TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: tenant_counters all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.tenant_counters TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: user_secrets all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.user_secrets TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: worker_pools all_for_owner; Type: POLICY; Schema: app_private; Owner: -
--

CREATE POLICY all_for_owner ON app_private.worker_pools TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: analyst_logins; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.analyst_logins ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_duplicate_dismissals; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.customer_duplicate_dismissals ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_order_queue; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.customer_order_queue ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_visits; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.customer_visits ENABLE ROW LEVEL SECURITY;

--
-- Name: event_subscriptions; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.event_subscriptions ENABLE ROW LEVEL SECURITY;

--
-- Name: events; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.events ENABLE ROW LEVEL SECURITY;

--
-- Name: export_chunks; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.export_chunks ENABLE ROW LEVEL SECURITY;

--
-- Name: job_runs; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.job_runs ENABLE ROW LEVEL SECURITY;

--
-- Name: login_throttle; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.login_throttle ENABLE ROW LEVEL SECURITY;

--
-- Name: processed_events; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.processed_events ENABLE ROW LEVEL SECURITY;

--
-- Name: reporting_queue; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.reporting_queue ENABLE ROW LEVEL SECURITY;

--
-- Name: sessions; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.sessions ENABLE ROW LEVEL SECURITY;

--
-- Name: stripe_events; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.stripe_events ENABLE ROW LEVEL SECURITY;

--
-- Name: tenant_counters; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.tenant_counters ENABLE ROW LEVEL SECURITY;

--
-- Name: user_secrets; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.user_secrets ENABLE ROW LEVEL SECURITY;

--
-- Name: worker_pools; Type: ROW SECURITY; Schema: app_private; Owner: -
--

ALTER TABLE app_private.worker_pools ENABLE ROW LEVEL SECURITY;

--
-- Name: cash_drawer_entries active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.cash_drawer_entries AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: cash_drawers active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.cash_drawers AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: catalog_items active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.catalog_items AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_addresses active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.customer_addresses AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_contact_channels active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.customer_contact_channels AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_favourite_items active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.customer_favourite_items AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_item_stats active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.customer_item_stats AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_merges active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.customer_merges AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_notes active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.customer_notes AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_preferences active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.customer_preferences AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_stats active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.customer_stats AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_types active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.customer_types AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customers active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.customers AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: devices active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.devices AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: inventory_items active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.inventory_items AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: inventory_movements active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.inventory_movements AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: invitations active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.invitations AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: locations active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.locations AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: loyalty_settings active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.loyalty_settings AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: order_lines active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.order_lines AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: order_refund_lines active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.order_refund_lines AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: order_refunds active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.order_refunds AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: orders active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.orders AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: refund_tenders active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.refund_tenders AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: tax_rates active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.tax_rates AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: tenders active_tenant_delete; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_delete ON app_public.tenders AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: cash_drawer_entries active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.cash_drawer_entries AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: cash_drawers active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.cash_drawers AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: catalog_items active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.catalog_items AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_addresses active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.customer_addresses AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_contact_channels active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.customer_contact_channels AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_favourite_items active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.customer_favourite_items AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_item_stats active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.customer_item_stats AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_merges active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.customer_merges AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_notes active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.customer_notes AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_preferences active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.customer_preferences AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_stats active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.customer_stats AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_types active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.customer_types AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customers active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.customers AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: devices active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.devices AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: inventory_items active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.inventory_items AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: inventory_movements active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.inventory_movements AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: invitations active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.invitations AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: locations active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.locations AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: loyalty_settings active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.loyalty_settings AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: order_lines active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.order_lines AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: order_refund_lines active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.order_refund_lines AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: order_refunds active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.order_refunds AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: orders active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.orders AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: refund_tenders active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.refund_tenders AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: tax_rates active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.tax_rates AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: tenders active_tenant_insert; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_insert ON app_public.tenders AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: cash_drawer_entries active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.cash_drawer_entries AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: cash_drawers active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.cash_drawers AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: catalog_items active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.catalog_items AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_addresses active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.customer_addresses AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_contact_channels active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.customer_contact_channels AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_favourite_items active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.customer_favourite_items AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_item_stats active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.customer_item_stats AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_merges active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.customer_merges AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_notes active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.customer_notes AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_preferences active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.customer_preferences AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_stats active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.customer_stats AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_types active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.customer_types AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customers active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.customers AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: devices active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.devices AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: inventory_items active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.inventory_items AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: inventory_movements active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.inventory_movements AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: invitations active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.invitations AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: locations active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.locations AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: loyalty_settings active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.loyalty_settings AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: order_lines active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.order_lines AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: order_refund_lines active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.order_refund_lines AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: order_refunds active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.order_refunds AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: orders active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.orders AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: refund_tenders active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.refund_tenders AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: tax_rates active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.tax_rates AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: tenants active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.tenants AS RESTRICTIVE FOR UPDATE TO bo_visitor USING (
CASE
    WHEN (id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: tenders active_tenant_only; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_only ON app_public.tenders AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: cash_drawer_entries active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.cash_drawer_entries AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: cash_drawers active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.cash_drawers AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: catalog_items active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.catalog_items AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_addresses active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.customer_addresses AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_contact_channels active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.customer_contact_channels AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_favourite_items active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.customer_favourite_items AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_item_stats active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.customer_item_stats AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_merges active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.customer_merges AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_notes active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.customer_notes AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_preferences active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.customer_preferences AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_stats active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.customer_stats AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customer_types active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.customer_types AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: customers active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.customers AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: devices active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.devices AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: inventory_items active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.inventory_items AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: inventory_movements active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.inventory_movements AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: invitations active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.invitations AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: locations active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.locations AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: loyalty_settings active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.loyalty_settings AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: order_lines active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.order_lines AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: order_refund_lines active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.order_refund_lines AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: order_refunds active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.order_refunds AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: orders active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.orders AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: refund_tenders active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.refund_tenders AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: tax_rates active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.tax_rates AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: tenders active_tenant_update; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY active_tenant_update ON app_public.tenders AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: audit_entries all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.audit_entries TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: billing_invoices all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.billing_invoices TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: billing_notices all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.billing_notices TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: billing_requests all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.billing_requests TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: billing_subscriptions all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.billing_subscriptions TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: cash_drawer_entries all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.cash_drawer_entries TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: cash_drawers all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.cash_drawers TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: catalog_items all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.catalog_items TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: currencies all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.currencies TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customer_addresses all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.customer_addresses TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customer_contact_channels all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.customer_contact_channels TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customer_favourite_items all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.customer_favourite_items TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customer_item_stats all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.customer_item_stats TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customer_merges all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.customer_merges TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customer_notes all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.customer_notes TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customer_preferences all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.customer_preferences TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customer_stats all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.customer_stats TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customer_types all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.customer_types TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: customers all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.customers TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: devices all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.devices TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: inventory_items all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.inventory_items TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: inventory_movements all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.inventory_movements TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: invitations all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.invitations TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: locations all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.locations TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: loyalty_settings all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.loyalty_settings TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: memberships all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.memberships TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: order_lines all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.order_lines TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: order_refund_lines all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.order_refund_lines TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: order_refunds all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.order_refunds TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: orders all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.orders TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: plans all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.plans TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: refund_tenders all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.refund_tenders TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: roles all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.roles TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: tax_rates all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.tax_rates TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: tenant_suspensions all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.tenant_suspensions TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: tenants all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.tenants TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: tenders all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.tenders TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: users all_for_owner; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY all_for_owner ON app_public.users TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: audit_entries; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.audit_entries ENABLE ROW LEVEL SECURITY;

--
-- Name: billing_invoices; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.billing_invoices ENABLE ROW LEVEL SECURITY;

--
-- Name: billing_notices; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.billing_notices ENABLE ROW LEVEL SECURITY;

--
-- Name: billing_requests; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.billing_requests ENABLE ROW LEVEL SECURITY;

--
-- Name: billing_subscriptions; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.billing_subscriptions ENABLE ROW LEVEL SECURITY;

--
-- Name: cash_drawer_entries; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.cash_drawer_entries ENABLE ROW LEVEL SECURITY;

--
-- Name: cash_drawers; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.cash_drawers ENABLE ROW LEVEL SECURITY;

--
-- Name: catalog_items; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.catalog_items ENABLE ROW LEVEL SECURITY;

--
-- Name: currencies; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.currencies ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_addresses; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.customer_addresses ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_contact_channels; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.customer_contact_channels ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_favourite_items; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.customer_favourite_items ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_item_stats; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.customer_item_stats ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_merges; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.customer_merges ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_notes; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.customer_notes ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_preferences; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.customer_preferences ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_stats; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.customer_stats ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_types; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.customer_types ENABLE ROW LEVEL SECURITY;

--
-- Name: customers; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.customers ENABLE ROW LEVEL SECURITY;

--
-- Name: customer_addresses delete_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY delete_with_permission ON app_public.customer_addresses FOR DELETE TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.update'::text) AS has_permission)));

--
-- Name: customer_notes delete_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY delete_with_permission ON app_public.customer_notes FOR DELETE TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.update'::text) AS has_permission)));

--
-- Name: devices delete_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY delete_with_permission ON app_public.devices FOR DELETE TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('settings.update'::text)));

--
-- Name: devices; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.devices ENABLE ROW LEVEL SECURITY;

--
-- Name: catalog_items insert_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY insert_with_permission ON app_public.catalog_items FOR INSERT TO bo_visitor WITH CHECK (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('catalog.manage'::text)));

--
-- Name: customer_addresses insert_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY insert_with_permission ON app_public.customer_addresses FOR INSERT TO bo_visitor WITH CHECK (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.update'::text) AS has_permission)));

--
-- Name: customer_notes insert_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY insert_with_permission ON app_public.customer_notes FOR INSERT TO bo_visitor WITH CHECK (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.update'::text) AS has_permission)));

--
-- Name: devices insert_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY insert_with_permission ON app_public.devices FOR INSERT TO bo_visitor WITH CHECK (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('settings.update'::text)));

--
-- Name: inventory_items insert_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY insert_with_permission ON app_public.inventory_items FOR INSERT TO bo_visitor WITH CHECK (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('inventory.manage'::text)));

--
-- Name: locations insert_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY insert_with_permission ON app_public.locations FOR INSERT TO bo_visitor WITH CHECK (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('settings.update'::text)));

--
-- Name: inventory_items; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.inventory_items ENABLE ROW LEVEL SECURITY;

--
-- Name: inventory_movements; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.inventory_movements ENABLE ROW LEVEL SECURITY;

--
-- Name: invitations; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.invitations ENABLE ROW LEVEL SECURITY;

--
-- Name: locations; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.locations ENABLE ROW LEVEL SECURITY;

--
-- Name: loyalty_settings; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.loyalty_settings ENABLE ROW LEVEL SECURITY;

--
-- Name: memberships; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.memberships ENABLE ROW LEVEL SECURITY;

--
-- Name: order_lines; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.order_lines ENABLE ROW LEVEL SECURITY;

--
-- Name: order_refund_lines; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.order_refund_lines ENABLE ROW LEVEL SECURITY;

--
-- Name: order_refunds; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.order_refunds ENABLE ROW LEVEL SECURITY;

--
-- Name: orders; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.orders ENABLE ROW LEVEL SECURITY;

--
-- Name: plans; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.plans ENABLE ROW LEVEL SECURITY;

--
-- Name: refund_tenders; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.refund_tenders ENABLE ROW LEVEL SECURITY;

--
-- Name: roles; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.roles ENABLE ROW LEVEL SECURITY;

--
-- Name: currencies select_all; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_all ON app_public.currencies FOR SELECT TO bo_visitor USING (true);

--
-- Name: plans select_all; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_all ON app_public.plans FOR SELECT TO bo_visitor USING (true);

--
-- Name: loyalty_settings select_in_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_in_tenant ON app_public.loyalty_settings FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: tenants select_member; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_member ON app_public.tenants FOR SELECT TO bo_visitor USING ((id IN ( SELECT app_hidden.current_user_tenant_ids() AS current_user_tenant_ids)));

--
-- Name: memberships select_own_and_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_and_tenant ON app_public.memberships FOR SELECT TO bo_visitor USING (((user_id = ( SELECT app_hidden.current_user_id() AS current_user_id)) OR (tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id))));

--
-- Name: roles select_own_memberships; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_memberships ON app_public.roles FOR SELECT TO bo_visitor USING (((tenant_id, id) IN ( SELECT current_user_roles.tenant_id,
    current_user_roles.role_id
   FROM app_hidden.current_user_roles() current_user_roles(tenant_id, role_id))));

--
-- Name: billing_requests select_own_requests; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_requests ON app_public.billing_requests FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND (requested_by = ( SELECT app_hidden.current_user_id() AS current_user_id))));

--
-- Name: cash_drawer_entries select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.cash_drawer_entries FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: cash_drawers select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.cash_drawers FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: catalog_items select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.catalog_items FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: devices select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.devices FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: inventory_items select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.inventory_items FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: inventory_movements select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.inventory_movements FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: locations select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.locations FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: order_lines select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.order_lines FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: order_refund_lines select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.order_refund_lines FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: order_refunds select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.order_refunds FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: orders select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.orders FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: refund_tenders select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.refund_tenders FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: roles select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.roles FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: tax_rates select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.tax_rates FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: tenders select_own_tenant; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_own_tenant ON app_public.tenders FOR SELECT TO bo_visitor USING ((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)));

--
-- Name: users select_self_and_colleagues; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_self_and_colleagues ON app_public.users FOR SELECT TO bo_visitor USING (((id = ( SELECT app_hidden.current_user_id() AS current_user_id)) OR (id IN ( SELECT m.user_id
   FROM app_public.memberships m
  WHERE (m.tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id))))));

--
-- Name: audit_entries select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.audit_entries FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('settings.view'::text)));

--
-- Name: billing_invoices select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.billing_invoices FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('settings.view'::text)));

--
-- Name: billing_notices select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.billing_notices FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('settings.update'::text)));

--
-- Name: billing_subscriptions select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.billing_subscriptions FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('settings.view'::text)));

--
-- Name: customer_addresses select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.customer_addresses FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.view'::text) AS has_permission)));

--
-- Name: customer_contact_channels select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.customer_contact_channels FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.view'::text) AS has_permission)));

--
-- Name: customer_favourite_items select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.customer_favourite_items FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.view'::text) AS has_permission)));

--
-- Name: customer_item_stats select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.customer_item_stats FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.view'::text) AS has_permission)));

--
-- Name: customer_merges select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.customer_merges FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.view'::text) AS has_permission)));

--
-- Name: customer_notes select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.customer_notes FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.view'::text) AS has_permission)));

--
-- Name: customer_preferences select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.customer_preferences FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.view'::text) AS has_permission)));

--
-- Name: customer_stats select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.customer_stats FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.view'::text) AS has_permission)));

--
-- Name: customer_types select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.customer_types FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.view'::text) AS has_permission)));

--
-- Name: customers select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.customers FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.view'::text) AS has_permission)));

--
-- Name: invitations select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.invitations FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('settings.view'::text) AS has_permission)));

--
-- Name: tenant_suspensions select_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY select_with_permission ON app_public.tenant_suspensions FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('settings.view'::text)));

--
-- Name: tax_rates; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.tax_rates ENABLE ROW LEVEL SECURITY;

--
-- Name: tenant_suspensions; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.tenant_suspensions ENABLE ROW LEVEL SECURITY;

--
-- Name: tenants; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.tenants ENABLE ROW LEVEL SECURITY;

--
-- Name: tenders; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.tenders ENABLE ROW LEVEL SECURITY;

--
-- Name: users update_self; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_self ON app_public.users FOR UPDATE TO bo_visitor USING ((id = ( SELECT app_hidden.current_user_id() AS current_user_id)));

--
-- Name: catalog_items update_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_with_permission ON app_public.catalog_items FOR UPDATE TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('catalog.manage'::text)));

--
-- Name: customer_addresses update_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_with_permission ON app_public.customer_addresses FOR UPDATE TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.update'::text) AS has_permission)));

--
-- Name: customer_notes update_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_with_permission ON app_public.customer_notes FOR UPDATE TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('customers.update'::text) AS has_permission)));

--
-- Name: devices update_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_with_permission ON app_public.devices FOR UPDATE TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('settings.update'::text)));

--
-- Name: inventory_items update_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_with_permission ON app_public.inventory_items FOR UPDATE TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('inventory.manage'::text)));

--
-- Name: locations update_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_with_permission ON app_public.locations FOR UPDATE TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('settings.update'::text)));

--
-- Name: tenants update_with_permission; Type: POLICY; Schema: app_public; Owner: -
--

CREATE POLICY update_with_permission ON app_public.tenants FOR UPDATE TO bo_visitor USING (((id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND app_hidden.has_permission('settings.update'::text)));

--
-- Name: users; Type: ROW SECURITY; Schema: app_public; Owner: -
--

ALTER TABLE app_public.users ENABLE ROW LEVEL SECURITY;

--
-- Name: exports active_tenant_delete; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_delete ON reporting.exports AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_customer_activity active_tenant_delete; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_delete ON reporting.rm_customer_activity AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_customer_visits active_tenant_delete; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_delete ON reporting.rm_customer_visits AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_daily_sales active_tenant_delete; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_delete ON reporting.rm_daily_sales AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_inventory_on_hand active_tenant_delete; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_delete ON reporting.rm_inventory_on_hand AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_item_sales active_tenant_delete; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_delete ON reporting.rm_item_sales AS RESTRICTIVE FOR DELETE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: exports active_tenant_insert; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_insert ON reporting.exports AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_customer_activity active_tenant_insert; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_insert ON reporting.rm_customer_activity AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_customer_visits active_tenant_insert; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_insert ON reporting.rm_customer_visits AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_daily_sales active_tenant_insert; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_insert ON reporting.rm_daily_sales AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_inventory_on_hand active_tenant_insert; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_insert ON reporting.rm_inventory_on_hand AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_item_sales active_tenant_insert; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_insert ON reporting.rm_item_sales AS RESTRICTIVE FOR INSERT TO bo_owner WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: exports active_tenant_only; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_only ON reporting.exports AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_customer_activity active_tenant_only; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_only ON reporting.rm_customer_activity AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_customer_visits active_tenant_only; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_only ON reporting.rm_customer_visits AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_daily_sales active_tenant_only; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_only ON reporting.rm_daily_sales AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_inventory_on_hand active_tenant_only; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_only ON reporting.rm_inventory_on_hand AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_item_sales active_tenant_only; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_only ON reporting.rm_item_sales AS RESTRICTIVE TO bo_visitor USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: exports active_tenant_update; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_update ON reporting.exports AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_customer_activity active_tenant_update; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_update ON reporting.rm_customer_activity AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_customer_visits active_tenant_update; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_update ON reporting.rm_customer_visits AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_daily_sales active_tenant_update; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_update ON reporting.rm_daily_sales AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_inventory_on_hand active_tenant_update; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_update ON reporting.rm_inventory_on_hand AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: rm_item_sales active_tenant_update; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY active_tenant_update ON reporting.rm_item_sales AS RESTRICTIVE FOR UPDATE TO bo_owner USING (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END) WITH CHECK (
CASE
    WHEN (tenant_id IS DISTINCT FROM ( SELECT app_hidden.current_suspended_tenant_id() AS current_suspended_tenant_id)) THEN true
    ELSE app_hidden.tenant_suspended_error()
END);

--
-- Name: exports all_for_owner; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY all_for_owner ON reporting.exports TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: rm_customer_activity all_for_owner; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY all_for_owner ON reporting.rm_customer_activity TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: rm_customer_visits all_for_owner; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY all_for_owner ON reporting.rm_customer_visits TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: rm_daily_sales all_for_owner; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY all_for_owner ON reporting.rm_daily_sales TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: rm_inventory_on_hand all_for_owner; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY all_for_owner ON reporting.rm_inventory_on_hand TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: rm_item_sales all_for_owner; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY all_for_owner ON reporting.rm_item_sales TO bo_owner USING (true) WITH CHECK (true);

--
-- Name: rm_customer_activity analyst_own_tenant; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY analyst_own_tenant ON reporting.rm_customer_activity AS RESTRICTIVE FOR SELECT TO bo_owner USING (((CURRENT_USER = 'bo_owner'::name) OR (tenant_id = ( SELECT app_hidden.analyst_tenant_id() AS analyst_tenant_id))));

--
-- Name: rm_daily_sales analyst_own_tenant; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY analyst_own_tenant ON reporting.rm_daily_sales AS RESTRICTIVE FOR SELECT TO bo_owner USING (((CURRENT_USER = 'bo_owner'::name) OR (tenant_id = ( SELECT app_hidden.analyst_tenant_id() AS analyst_tenant_id))));

--
-- Name: rm_inventory_on_hand analyst_own_tenant; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY analyst_own_tenant ON reporting.rm_inventory_on_hand AS RESTRICTIVE FOR SELECT TO bo_owner USING (((CURRENT_USER = 'bo_owner'::name) OR (tenant_id = ( SELECT app_hidden.analyst_tenant_id() AS analyst_tenant_id))));

--
-- Name: rm_item_sales analyst_own_tenant; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY analyst_own_tenant ON reporting.rm_item_sales AS RESTRICTIVE FOR SELECT TO bo_owner USING (((CURRENT_USER = 'bo_owner'::name) OR (tenant_id = ( SELECT app_hidden.analyst_tenant_id() AS analyst_tenant_id))));

--
-- Name: exports; Type: ROW SECURITY; Schema: reporting; Owner: -
--

ALTER TABLE reporting.exports ENABLE ROW LEVEL SECURITY;

--
-- Name: rm_customer_activity; Type: ROW SECURITY; Schema: reporting; Owner: -
--

ALTER TABLE reporting.rm_customer_activity ENABLE ROW LEVEL SECURITY;

--
-- Name: rm_customer_visits; Type: ROW SECURITY; Schema: reporting; Owner: -
--

ALTER TABLE reporting.rm_customer_visits ENABLE ROW LEVEL SECURITY;

--
-- Name: rm_daily_sales; Type: ROW SECURITY; Schema: reporting; Owner: -
--

ALTER TABLE reporting.rm_daily_sales ENABLE ROW LEVEL SECURITY;

--
-- Name: rm_inventory_on_hand; Type: ROW SECURITY; Schema: reporting; Owner: -
--

ALTER TABLE reporting.rm_inventory_on_hand ENABLE ROW LEVEL SECURITY;

--
-- Name: rm_item_sales; Type: ROW SECURITY; Schema: reporting; Owner: -
--

ALTER TABLE reporting.rm_item_sales ENABLE ROW LEVEL SECURITY;

--
-- Name: exports select_with_permission; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY select_with_permission ON reporting.exports FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.has_permission('reports.export'::text) AS has_permission)));

--
-- Name: rm_customer_activity select_with_permission; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY select_with_permission ON reporting.rm_customer_activity FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.can_view_reports() AS can_view_reports) AND (merged_into_id IS NULL)));

--
-- Name: rm_daily_sales select_with_permission; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY select_with_permission ON reporting.rm_daily_sales FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.can_view_reports() AS can_view_reports)));

--
-- Name: rm_inventory_on_hand select_with_permission; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY select_with_permission ON reporting.rm_inventory_on_hand FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.can_view_reports() AS can_view_reports)));

--
-- Name: rm_item_sales select_with_permission; Type: POLICY; Schema: reporting; Owner: -
--

CREATE POLICY select_with_permission ON reporting.rm_item_sales FOR SELECT TO bo_visitor USING (((tenant_id = ( SELECT app_hidden.current_tenant_id() AS current_tenant_id)) AND ( SELECT app_hidden.can_view_reports() AS can_view_reports)));

--
-- Name: SCHEMA app_hidden; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA app_hidden TO bo_visitor;
GRANT USAGE ON SCHEMA app_hidden TO bo_authenticator;

--
-- Name: SCHEMA app_public; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA app_public TO bo_visitor;

--
-- Name: SCHEMA public; Type: ACL; Schema: -; Owner: -
--

REVOKE USAGE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO bo_visitor;
GRANT USAGE ON SCHEMA public TO bo_analyst;

--
-- Name: SCHEMA reporting; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA reporting TO bo_visitor;
GRANT USAGE ON SCHEMA reporting TO bo_analyst;

--
-- Name: FUNCTION accept_invitation(token text, name text, password text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.accept_invitation(token text, name text, password text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.accept_invitation(token text, name text, password text) TO bo_visitor;

--
-- Name: FUNCTION all_permissions(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.all_permissions() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.all_permissions() TO bo_visitor;

--
-- Name: FUNCTION analyst_loyalty_class(visits integer, last_visit_at timestamp with time zone, recent_visits timestamp with time zone[], regular_min_visits integer, regular_window_days integer, lapsed_after_days integer, at timestamp with time zone); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.analyst_loyalty_class(visits integer, last_visit_at timestamp with time zone, recent_visits timestamp with time zone[], regular_min_visits integer, regular_window_days integer, lapsed_after_days integer, at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.analyst_loyalty_class(visits integer, last_visit_at timestamp with time zone, recent_visits timestamp with time zone[], regular_min_visits integer, regular_window_days integer, lapsed_after_days integer, at timestamp with time zone) TO bo_analyst;

--
-- Name: FUNCTION analyst_pending_daily(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.analyst_pending_daily() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.analyst_pending_daily() TO bo_visitor;
GRANT ALL ON FUNCTION app_hidden.analyst_pending_daily() TO bo_analyst;

--
-- Name: FUNCTION analyst_pending_items(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.analyst_pending_items() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.analyst_pending_items() TO bo_visitor;
GRANT ALL ON FUNCTION app_hidden.analyst_pending_items() TO bo_analyst;

--
-- Name: FUNCTION analyst_pending_stock(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.analyst_pending_stock() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.analyst_pending_stock() TO bo_visitor;
GRANT ALL ON FUNCTION app_hidden.analyst_pending_stock() TO bo_analyst;

--
-- Name: FUNCTION analyst_tenant_id(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.analyst_tenant_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.analyst_tenant_id() TO bo_visitor;
GRANT ALL ON FUNCTION app_hidden.analyst_tenant_id() TO bo_analyst;

--
-- Name: FUNCTION assert_billing_permission(permission text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_billing_permission(permission text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_billing_permission(permission text) TO bo_visitor;

--
-- Name: FUNCTION assert_consent_source(source text, field text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_consent_source(source text, field text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_consent_source(source text, field text) TO bo_visitor;

--
-- Name: FUNCTION assert_customer_metadata(metadata jsonb); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_customer_metadata(metadata jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_customer_metadata(metadata jsonb) TO bo_visitor;

--
-- Name: FUNCTION assert_customers_permission(permission text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_customers_permission(permission text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_customers_permission(permission text) TO bo_visitor;

--
-- Name: FUNCTION assert_live_customer(tenant_id text, customer_id text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_live_customer(tenant_id text, customer_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_live_customer(tenant_id text, customer_id text) TO bo_visitor;

--
-- Name: FUNCTION assert_module(module text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_module(module text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_module(module text) TO bo_visitor;

--
-- Name: FUNCTION assert_name(field text, value text, max_length integer, column_name text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_name(field text, value text, max_length integer, column_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_name(field text, value text, max_length integer, column_name text) TO bo_visitor;

--
-- Name: FUNCTION assert_permission(permission text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_permission(permission text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_permission(permission text) TO bo_visitor;

--
-- Name: FUNCTION assert_recorded_time(what text, instant timestamp with time zone, column_name text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_recorded_time(what text, instant timestamp with time zone, column_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_recorded_time(what text, instant timestamp with time zone, column_name text) TO bo_visitor;

--
-- Name: FUNCTION assert_reports_permission(permission text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_reports_permission(permission text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_reports_permission(permission text) TO bo_visitor;

--
-- Name: FUNCTION assert_strong_password(password text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_strong_password(password text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_strong_password(password text) TO bo_visitor;

--
-- Name: FUNCTION assert_tenant_active(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_tenant_active() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_tenant_active() TO bo_visitor;

--
-- Name: FUNCTION assert_tenant_owner(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_tenant_owner() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_tenant_owner() TO bo_visitor;

--
-- Name: FUNCTION assert_valid_email(email text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_valid_email(email text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_valid_email(email text) TO bo_visitor;

--
-- Name: FUNCTION assert_valid_timezone(tz text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.assert_valid_timezone(tz text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.assert_valid_timezone(tz text) TO bo_visitor;

--
-- Name: FUNCTION business_date(instant timestamp with time zone, timezone text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.business_date(instant timestamp with time zone, timezone text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.business_date(instant timestamp with time zone, timezone text) TO bo_visitor;

--
-- Name: FUNCTION can_view_reports(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.can_view_reports() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.can_view_reports() TO bo_visitor;

--
-- Name: FUNCTION contact_allowed(do_not_contact boolean, channel_allowed boolean, has_detail boolean, status text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.contact_allowed(do_not_contact boolean, channel_allowed boolean, has_detail boolean, status text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.contact_allowed(do_not_contact boolean, channel_allowed boolean, has_detail boolean, status text) TO bo_visitor;

--
-- Name: FUNCTION country_calling_code(country text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.country_calling_code(country text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.country_calling_code(country text) TO bo_visitor;

--
-- Name: FUNCTION csv_text(value text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.csv_text(value text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.csv_text(value text) TO bo_visitor;

--
-- Name: FUNCTION currency_code(code text, column_name text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.currency_code(code text, column_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.currency_code(code text, column_name text) TO bo_visitor;

--
-- Name: FUNCTION current_permissions(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_permissions() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_permissions() TO bo_visitor;

--
-- Name: TABLE plans; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.plans TO bo_visitor;

--
-- Name: FUNCTION current_plan(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_plan() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_plan() TO bo_visitor;

--
-- Name: FUNCTION current_session_hash(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_session_hash() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_session_hash() TO bo_visitor;

--
-- Name: FUNCTION current_session_id(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_session_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_session_id() TO bo_visitor;

--
-- Name: FUNCTION current_suspended_tenant_id(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_suspended_tenant_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_suspended_tenant_id() TO bo_visitor;

--
-- Name: FUNCTION current_tenant_country(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_tenant_country() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_tenant_country() TO bo_visitor;

--
-- Name: FUNCTION current_tenant_id(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_tenant_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_tenant_id() TO bo_visitor;

--
-- Name: FUNCTION current_user_id(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_user_id() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_user_id() TO bo_visitor;

--
-- Name: FUNCTION current_user_roles(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_user_roles() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_user_roles() TO bo_visitor;

--
-- Name: FUNCTION current_user_tenant_ids(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.current_user_tenant_ids() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.current_user_tenant_ids() TO bo_visitor;

--
-- Name: FUNCTION customer_change_text(field text, change jsonb); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.customer_change_text(field text, change jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.customer_change_text(field text, change jsonb) TO bo_visitor;

--
-- Name: FUNCTION customer_display_name(first_name text, last_name text, email text, phone text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.customer_display_name(first_name text, last_name text, email text, phone text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.customer_display_name(first_name text, last_name text, email text, phone text) TO bo_visitor;

--
-- Name: FUNCTION customer_duplicate_score(first_name text, last_name text, email text, phone text, other_first_name text, other_last_name text, other_email text, other_phone text, OUT score double precision, OUT reasons text[]); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.customer_duplicate_score(first_name text, last_name text, email text, phone text, other_first_name text, other_last_name text, other_email text, other_phone text, OUT score double precision, OUT reasons text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.customer_duplicate_score(first_name text, last_name text, email text, phone text, other_first_name text, other_last_name text, other_email text, other_phone text, OUT score double precision, OUT reasons text[]) TO bo_visitor;

--
-- Name: FUNCTION customer_field_label(field text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.customer_field_label(field text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.customer_field_label(field text) TO bo_visitor;

--
-- Name: FUNCTION customers_reader_tenant(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.customers_reader_tenant() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.customers_reader_tenant() TO bo_visitor;

--
-- Name: FUNCTION days_ago(days integer); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.days_ago(days integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.days_ago(days integer) TO bo_visitor;

--
-- Name: FUNCTION gen_ulid(); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.gen_ulid() FROM PUBLIC;
GRANT ALL ON FUNCTION public.gen_ulid() TO bo_visitor;

--
-- Name: TABLE exports; Type: ACL; Schema: reporting; Owner: -
--

GRANT SELECT ON TABLE reporting.exports TO bo_visitor;

--
-- Name: FUNCTION downloadable_export(export_id text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.downloadable_export(export_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.downloadable_export(export_id text) TO bo_visitor;

--
-- Name: FUNCTION duplicate_email_key(email text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.duplicate_email_key(email text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.duplicate_email_key(email text) TO bo_visitor;

--
-- Name: FUNCTION duplicate_full_name(first_name text, last_name text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.duplicate_full_name(first_name text, last_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.duplicate_full_name(first_name text, last_name text) TO bo_visitor;

--
-- Name: FUNCTION duplicate_given_name_key(first_name text, last_name text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.duplicate_given_name_key(first_name text, last_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.duplicate_given_name_key(first_name text, last_name text) TO bo_visitor;

--
-- Name: FUNCTION duplicate_phone_key(phone text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.duplicate_phone_key(phone text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.duplicate_phone_key(phone text) TO bo_visitor;

--
-- Name: FUNCTION duplicate_surname_key(first_name text, last_name text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.duplicate_surname_key(first_name text, last_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.duplicate_surname_key(first_name text, last_name text) TO bo_visitor;

--
-- Name: FUNCTION export_chunk(export_id text, chunk_no integer); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.export_chunk(export_id text, chunk_no integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.export_chunk(export_id text, chunk_no integer) TO bo_visitor;

--
-- Name: FUNCTION export_file(export_id text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.export_file(export_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.export_file(export_id text) TO bo_visitor;

--
-- Name: FUNCTION format_customer_number(n bigint); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.format_customer_number(n bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.format_customer_number(n bigint) TO bo_visitor;

--
-- Name: TABLE currencies; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.currencies TO bo_visitor;

--
-- Name: FUNCTION format_money(amount bigint, currency app_public.currencies); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.format_money(amount bigint, currency app_public.currencies) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.format_money(amount bigint, currency app_public.currencies) TO bo_visitor;

--
-- Name: FUNCTION has_module(module text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.has_module(module text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.has_module(module text) TO bo_visitor;

--
-- Name: FUNCTION has_permission(permission text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.has_permission(permission text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.has_permission(permission text) TO bo_visitor;

--
-- Name: FUNCTION iso_utc(instant timestamp with time zone); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.iso_utc(instant timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.iso_utc(instant timestamp with time zone) TO bo_visitor;

--
-- Name: FUNCTION job_task_label(task text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.job_task_label(task text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.job_task_label(task text) TO bo_visitor;

--
-- Name: FUNCTION jsonb_diff(old_row jsonb, new_row jsonb, ignored text[]); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.jsonb_diff(old_row jsonb, new_row jsonb, ignored text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.jsonb_diff(old_row jsonb, new_row jsonb, ignored text[]) TO bo_visitor;

--
-- Name: FUNCTION jsonb_strings(value jsonb); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.jsonb_strings(value jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.jsonb_strings(value jsonb) TO bo_visitor;

--
-- Name: FUNCTION language_tag(what text, tag text, column_name text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.language_tag(what text, tag text, column_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.language_tag(what text, tag text, column_name text) TO bo_visitor;

--
-- Name: FUNCTION latest_visits(visits timestamp with time zone[]); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.latest_visits(visits timestamp with time zone[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.latest_visits(visits timestamp with time zone[]) TO bo_visitor;

--
-- Name: FUNCTION login(email text, password text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.login(email text, password text) FROM PUBLIC;

--
-- Name: FUNCTION login_from(ip text, email text, password text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.login_from(ip text, email text, password text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.login_from(ip text, email text, password text) TO bo_authenticator;

--
-- Name: FUNCTION logout(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.logout() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.logout() TO bo_visitor;

--
-- Name: FUNCTION loyalty_class(visits integer, last_visit_at timestamp with time zone, recent_visits timestamp with time zone[], regular_min_visits integer, regular_window_days integer, lapsed_after_days integer, at timestamp with time zone); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.loyalty_class(visits integer, last_visit_at timestamp with time zone, recent_visits timestamp with time zone[], regular_min_visits integer, regular_window_days integer, lapsed_after_days integer, at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.loyalty_class(visits integer, last_visit_at timestamp with time zone, recent_visits timestamp with time zone[], regular_min_visits integer, regular_window_days integer, lapsed_after_days integer, at timestamp with time zone) TO bo_visitor;

--
-- Name: TABLE loyalty_settings; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.loyalty_settings TO bo_visitor;

--
-- Name: FUNCTION loyalty_settings_of(tenant_id text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.loyalty_settings_of(tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.loyalty_settings_of(tenant_id text) TO bo_visitor;

--
-- Name: FUNCTION major_units(amount numeric, minor_units integer); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.major_units(amount numeric, minor_units integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.major_units(amount numeric, minor_units integer) TO bo_visitor;
GRANT ALL ON FUNCTION app_hidden.major_units(amount numeric, minor_units integer) TO bo_analyst;

--
-- Name: FUNCTION may_contact(tenant_id text, customer_id text, channel text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.may_contact(tenant_id text, customer_id text, channel text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.may_contact(tenant_id text, customer_id text, channel text) TO bo_visitor;

--
-- Name: FUNCTION may_download_exports_of(tenant_id text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.may_download_exports_of(tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.may_download_exports_of(tenant_id text) TO bo_visitor;

--
-- Name: TABLE customers; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.customers TO bo_visitor;

--
-- Name: FUNCTION merged_customer(p app_public.customers, d app_public.customers); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.merged_customer(p app_public.customers, d app_public.customers) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.merged_customer(p app_public.customers, d app_public.customers) TO bo_visitor;

--
-- Name: FUNCTION normalize_phone(phone text, country text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.normalize_phone(phone text, country text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.normalize_phone(phone text, country text) TO bo_visitor;

--
-- Name: FUNCTION normalize_tags(tags text[]); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.normalize_tags(tags text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.normalize_tags(tags text[]) TO bo_visitor;

--
-- Name: FUNCTION onboard(company_name text, owner_name text, email text, password text, timezone text, currency text, locale text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.onboard(company_name text, owner_name text, email text, password text, timezone text, currency text, locale text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.onboard(company_name text, owner_name text, email text, password text, timezone text, currency text, locale text) TO bo_visitor;

--
-- Name: FUNCTION optional_email(email text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.optional_email(email text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.optional_email(email text) TO bo_visitor;

--
-- Name: FUNCTION optional_name(field text, value text, max_length integer, column_name text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.optional_name(field text, value text, max_length integer, column_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.optional_name(field text, value text, max_length integer, column_name text) TO bo_visitor;

--
-- Name: FUNCTION optional_text(field text, value text, max_length integer, column_name text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.optional_text(field text, value text, max_length integer, column_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.optional_text(field text, value text, max_length integer, column_name text) TO bo_visitor;

--
-- Name: FUNCTION raise_error(code text, message text, detail text, field text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.raise_error(code text, message text, detail text, field text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.raise_error(code text, message text, detail text, field text) TO bo_visitor;

--
-- Name: FUNCTION receive_stripe_event(event jsonb); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.receive_stripe_event(event jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.receive_stripe_event(event jsonb) TO bo_authenticator;

--
-- Name: FUNCTION receive_stripe_events(events jsonb[]); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.receive_stripe_events(events jsonb[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.receive_stripe_events(events jsonb[]) TO bo_authenticator;

--
-- Name: FUNCTION session_secret_hash(secret uuid); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.session_secret_hash(secret uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.session_secret_hash(secret uuid) TO bo_visitor;

--
-- Name: FUNCTION tenant_suspended_error(); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.tenant_suspended_error() FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.tenant_suspended_error() TO bo_visitor;

--
-- Name: FUNCTION trim_blank(value text); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.trim_blank(value text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.trim_blank(value text) TO bo_visitor;

--
-- Name: FUNCTION unit_share(x bigint, k bigint, n bigint); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.unit_share(x bigint, k bigint, n bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.unit_share(x bigint, k bigint, n bigint) TO bo_visitor;

--
-- Name: FUNCTION visits_within(visits timestamp with time zone[], days integer, at timestamp with time zone); Type: ACL; Schema: app_hidden; Owner: -
--

REVOKE ALL ON FUNCTION app_hidden.visits_within(visits timestamp with time zone[], days integer, at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app_hidden.visits_within(visits timestamp with time zone[], days integer, at timestamp with time zone) TO bo_visitor;
GRANT ALL ON FUNCTION app_hidden.visits_within(visits timestamp with time zone[], days integer, at timestamp with time zone) TO bo_analyst;

--
-- Name: FUNCTION add_billing_notice(tenant text, kind text, message text, stripe_event_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.add_billing_notice(tenant text, kind text, message text, stripe_event_id text) FROM PUBLIC;

--
-- Name: FUNCTION apply_customer_orders(tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.apply_customer_orders(tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION apply_stripe_event(event_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.apply_stripe_event(event_id text) FROM PUBLIC;

--
-- Name: FUNCTION apply_stripe_invoice(tenant text, inv jsonb, event_type text, at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.apply_stripe_invoice(tenant text, inv jsonb, event_type text, at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION apply_stripe_subscription(tenant text, sub jsonb, at timestamp with time zone, source text, deleted boolean); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.apply_stripe_subscription(tenant text, sub jsonb, at timestamp with time zone, source text, deleted boolean) FROM PUBLIC;

--
-- Name: FUNCTION assert_customer_type_label(tenant_id text, label text, except_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.assert_customer_type_label(tenant_id text, label text, except_id text) FROM PUBLIC;

--
-- Name: FUNCTION assert_holds_permissions(permissions text[], what text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.assert_holds_permissions(permissions text[], what text) FROM PUBLIC;

--
-- Name: FUNCTION assert_keeps_an_owner(tenant text, leaving text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.assert_keeps_an_owner(tenant text, leaving text) FROM PUBLIC;

--
-- Name: TABLE locations; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.locations TO bo_visitor;

--
-- Name: COLUMN locations.name; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(name),UPDATE(name) ON TABLE app_public.locations TO bo_visitor;

--
-- Name: COLUMN locations.timezone; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(timezone),UPDATE(timezone) ON TABLE app_public.locations TO bo_visitor;

--
-- Name: FUNCTION assert_location_open(loc app_public.locations); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.assert_location_open(loc app_public.locations) FROM PUBLIC;

--
-- Name: FUNCTION assert_may_create_business(user_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.assert_may_create_business(user_id text) FROM PUBLIC;

--
-- Name: FUNCTION assert_tax_rate(tenant_id text, name text, rate_bps integer, except_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.assert_tax_rate(tenant_id text, name text, rate_bps integer, except_id text) FROM PUBLIC;

--
-- Name: FUNCTION assert_within_plan_limit(tenant text, what text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.assert_within_plan_limit(tenant text, what text) FROM PUBLIC;

--
-- Name: FUNCTION audit_customer_change(tenant_id text, customer_id text, changes jsonb); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.audit_customer_change(tenant_id text, customer_id text, changes jsonb) FROM PUBLIC;

--
-- Name: FUNCTION begin_change(command text, reason text, required boolean); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.begin_change(command text, reason text, required boolean) FROM PUBLIC;

--
-- Name: FUNCTION billing_request_params(tenant text, request_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.billing_request_params(tenant text, request_id text) FROM PUBLIC;

--
-- Name: FUNCTION billing_status_of(stripe_status text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.billing_status_of(stripe_status text) FROM PUBLIC;

--
-- Name: FUNCTION create_tenant_for(owner_user_id text, company_name text, timezone text, currency text, locale text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.create_tenant_for(owner_user_id text, company_name text, timezone text, currency text, locale text) FROM PUBLIC;

--
-- Name: TABLE roles; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.roles TO bo_visitor;

--
-- Name: FUNCTION custom_role(tenant text, role_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.custom_role(tenant text, role_id text) FROM PUBLIC;

--
-- Name: FUNCTION customer_counters__enqueue(evt app_private.events); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.customer_counters__enqueue(evt app_private.events) FROM PUBLIC;

--
-- Name: FUNCTION customer_counters__order_placed(evt app_private.events); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.customer_counters__order_placed(evt app_private.events) FROM PUBLIC;

--
-- Name: FUNCTION customer_counters__order_refunded(evt app_private.events); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.customer_counters__order_refunded(evt app_private.events) FROM PUBLIC;

--
-- Name: FUNCTION customer_counters__order_voided(evt app_private.events); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.customer_counters__order_voided(evt app_private.events) FROM PUBLIC;

--
-- Name: FUNCTION customer_event_payload(c app_public.customers); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.customer_event_payload(c app_public.customers) FROM PUBLIC;

--
-- Name: FUNCTION customer_history_ids(tenant_id text, customer_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.customer_history_ids(tenant_id text, customer_id text) FROM PUBLIC;

--
-- Name: FUNCTION customer_status_command(command text, customer_id text, new_status text, reason text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.customer_status_command(command text, customer_id text, new_status text, reason text) FROM PUBLIC;

--
-- Name: FUNCTION customers_containing(tenant_id text, pattern text, phone_pattern text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.customers_containing(tenant_id text, pattern text, phone_pattern text) FROM PUBLIC;

--
-- Name: FUNCTION delete_expired_exports(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.delete_expired_exports() FROM PUBLIC;

--
-- Name: FUNCTION delete_expired_sessions(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.delete_expired_sessions() FROM PUBLIC;

--
-- Name: FUNCTION delete_old_job_runs(keep interval); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.delete_old_job_runs(keep interval) FROM PUBLIC;

--
-- Name: FUNCTION dispatch(evt app_private.events, only_consumer text, delivery text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.dispatch(evt app_private.events, only_consumer text, delivery text) FROM PUBLIC;

--
-- Name: FUNCTION emit_event(tenant_id text, type text, aggregate_type text, aggregate_id text, payload jsonb, actor_user_id text, occurred_at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.emit_event(tenant_id text, type text, aggregate_type text, aggregate_id text, payload jsonb, actor_user_id text, occurred_at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION end_change(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.end_change() FROM PUBLIC;

--
-- Name: FUNCTION enforce_active_tenant(tbl regclass); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.enforce_active_tenant(tbl regclass) FROM PUBLIC;

--
-- Name: FUNCTION enforce_analyst_limits(statement_limit interval, idle_limit interval); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.enforce_analyst_limits(statement_limit interval, idle_limit interval) FROM PUBLIC;

--
-- Name: FUNCTION export_date_param(params jsonb, field text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.export_date_param(params jsonb, field text) FROM PUBLIC;

--
-- Name: FUNCTION export_file_name(kind reporting.export_kind, params jsonb); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.export_file_name(kind reporting.export_kind, params jsonb) FROM PUBLIC;

--
-- Name: FUNCTION export_params(tenant_id text, kind reporting.export_kind, params jsonb); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.export_params(tenant_id text, kind reporting.export_kind, params jsonb) FROM PUBLIC;

--
-- Name: FUNCTION export_query(tenant_id text, kind reporting.export_kind, params jsonb); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.export_query(tenant_id text, kind reporting.export_kind, params jsonb) FROM PUBLIC;

--
-- Name: FUNCTION fail_export(tenant_id text, export_id text, message text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.fail_export(tenant_id text, export_id text, message text) FROM PUBLIC;

--
-- Name: FUNCTION finish_billing_request(tenant text, request_id text, status text, url text, error_message text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.finish_billing_request(tenant text, request_id text, status text, url text, error_message text) FROM PUBLIC;

--
-- Name: FUNCTION finish_export(tenant_id text, export_id text, chunk_count integer, rows_written bigint, bytes_written bigint); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.finish_export(tenant_id text, export_id text, chunk_count integer, rows_written bigint, bytes_written bigint) FROM PUBLIC;

--
-- Name: TABLE inventory_items; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.inventory_items TO bo_visitor;

--
-- Name: COLUMN inventory_items.catalog_item_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(catalog_item_id),UPDATE(catalog_item_id) ON TABLE app_public.inventory_items TO bo_visitor;

--
-- Name: COLUMN inventory_items.name; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(name),UPDATE(name) ON TABLE app_public.inventory_items TO bo_visitor;

--
-- Name: COLUMN inventory_items.low_stock_threshold; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(low_stock_threshold),UPDATE(low_stock_threshold) ON TABLE app_public.inventory_items TO bo_visitor;

--
-- Name: TABLE inventory_movements; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.inventory_movements TO bo_visitor;

--
-- Name: FUNCTION inventory_movement_event_payload(m app_public.inventory_movements, item app_public.inventory_items, loc app_public.locations); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.inventory_movement_event_payload(m app_public.inventory_movements, item app_public.inventory_items, loc app_public.locations) FROM PUBLIC;

--
-- Name: FUNCTION job_run_finished(run_id text, outcome text, rows_affected bigint, error_code text, error_message text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.job_run_finished(run_id text, outcome text, rows_affected bigint, error_code text, error_message text) FROM PUBLIC;

--
-- Name: FUNCTION job_run_started(task text, job_id bigint, attempt integer, tenant_id text, pool_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.job_run_started(task text, job_id bigint, attempt integer, tenant_id text, pool_id text) FROM PUBLIC;

--
-- Name: FUNCTION live_customer_for_change(tenant_id text, customer_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.live_customer_for_change(tenant_id text, customer_id text) FROM PUBLIC;

--
-- Name: FUNCTION live_customer_id(tenant_id text, customer_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.live_customer_id(tenant_id text, customer_id text) FROM PUBLIC;

--
-- Name: FUNCTION location_tax(tenant_id text, location_id text, OUT name text, OUT rate_bps integer, OUT inclusive boolean); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.location_tax(tenant_id text, location_id text, OUT name text, OUT rate_bps integer, OUT inclusive boolean) FROM PUBLIC;

--
-- Name: FUNCTION lock_counted_customer(evt app_private.events); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.lock_counted_customer(evt app_private.events) FROM PUBLIC;

--
-- Name: FUNCTION lock_customers_for_merge(tenant_id text, primary_id text, duplicate_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.lock_customers_for_merge(tenant_id text, primary_id text, duplicate_id text) FROM PUBLIC;

--
-- Name: FUNCTION mark_crashed_runs(pool_ids text[]); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.mark_crashed_runs(pool_ids text[]) FROM PUBLIC;

--
-- Name: FUNCTION merge_customer_history(tenant_id text, primary_id text, duplicate_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.merge_customer_history(tenant_id text, primary_id text, duplicate_id text) FROM PUBLIC;

--
-- Name: FUNCTION new_session(user_id text, tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.new_session(user_id text, tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION next_tenant_number(tenant_id text, name text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.next_tenant_number(tenant_id text, name text) FROM PUBLIC;

--
-- Name: FUNCTION on_hand(tenant_id text, location_id text, inventory_item_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.on_hand(tenant_id text, location_id text, inventory_item_id text) FROM PUBLIC;

--
-- Name: FUNCTION open_cash_drawer_id(tenant_id text, location_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.open_cash_drawer_id(tenant_id text, location_id text) FROM PUBLIC;

--
-- Name: TABLE orders; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.orders TO bo_visitor;

--
-- Name: FUNCTION order_cancelled_event_payload(o app_public.orders, loc app_public.locations); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.order_cancelled_event_payload(o app_public.orders, loc app_public.locations) FROM PUBLIC;

--
-- Name: FUNCTION order_customer_id(tenant_id text, customer_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.order_customer_id(tenant_id text, customer_id text) FROM PUBLIC;

--
-- Name: FUNCTION order_event_payload(o app_public.orders); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.order_event_payload(o app_public.orders) FROM PUBLIC;

--
-- Name: TABLE order_refunds; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.order_refunds TO bo_visitor;

--
-- Name: FUNCTION order_refunded_event_payload(o app_public.orders, f app_public.order_refunds); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.order_refunded_event_payload(o app_public.orders, f app_public.order_refunds) FROM PUBLIC;

--
-- Name: FUNCTION order_voided_event_payload(o app_public.orders, loc app_public.locations); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.order_voided_event_payload(o app_public.orders, loc app_public.locations) FROM PUBLIC;

--
-- Name: COLUMN invitations.tenant_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT(tenant_id) ON TABLE app_public.invitations TO bo_visitor;

--
-- Name: COLUMN invitations.id; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT(id) ON TABLE app_public.invitations TO bo_visitor;

--
-- Name: COLUMN invitations.email; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT(email) ON TABLE app_public.invitations TO bo_visitor;

--
-- Name: COLUMN invitations.role_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT(role_id) ON TABLE app_public.invitations TO bo_visitor;

--
-- Name: COLUMN invitations.invited_by_user_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT(invited_by_user_id) ON TABLE app_public.invitations TO bo_visitor;

--
-- Name: COLUMN invitations.created_at; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT(created_at) ON TABLE app_public.invitations TO bo_visitor;

--
-- Name: COLUMN invitations.expires_at; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT(expires_at) ON TABLE app_public.invitations TO bo_visitor;

--
-- Name: COLUMN invitations.accepted_at; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT(accepted_at) ON TABLE app_public.invitations TO bo_visitor;

--
-- Name: COLUMN invitations.accepted_by_user_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT(accepted_by_user_id) ON TABLE app_public.invitations TO bo_visitor;

--
-- Name: COLUMN invitations.revoked_at; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT(revoked_at) ON TABLE app_public.invitations TO bo_visitor;

--
-- Name: FUNCTION pending_invitation(token text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.pending_invitation(token text) FROM PUBLIC;

--
-- Name: FUNCTION plan_change_problem(tenant text, target_plan text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.plan_change_problem(tenant text, target_plan text) FROM PUBLIC;

--
-- Name: FUNCTION plan_for_stripe_price(price jsonb); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.plan_for_stripe_price(price jsonb) FROM PUBLIC;

--
-- Name: FUNCTION plans_for_stripe(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.plans_for_stripe() FROM PUBLIC;

--
-- Name: FUNCTION price_lines(tenant_id text, lines jsonb, order_discount integer, tax_rate_bps integer, tax_inclusive boolean); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.price_lines(tenant_id text, lines jsonb, order_discount integer, tax_rate_bps integer, tax_inclusive boolean) FROM PUBLIC;

--
-- Name: FUNCTION queue_customer_order(evt app_private.events, consumer text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.queue_customer_order(evt app_private.events, consumer text) FROM PUBLIC;

--
-- Name: FUNCTION raise_customer_constraint(tenant_id text, constraint_name text, column_name text, email text, phone text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.raise_customer_constraint(tenant_id text, constraint_name text, column_name text, email text, phone text) FROM PUBLIC;

--
-- Name: FUNCTION reactivate_tenant(tenant text, types text[], reason text, actor text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reactivate_tenant(tenant text, types text[], reason text, actor text) FROM PUBLIC;

--
-- Name: FUNCTION reactivate_tenant_for_billing(tenant text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reactivate_tenant_for_billing(tenant text) FROM PUBLIC;

--
-- Name: FUNCTION rebuild_customer_counters(tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.rebuild_customer_counters(tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION record_sale(o app_public.orders, actor text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.record_sale(o app_public.orders, actor text) FROM PUBLIC;

--
-- Name: FUNCTION recover_crashed_workers(grace interval); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.recover_crashed_workers(grace interval) FROM PUBLIC;

--
-- Name: FUNCTION refund_payments(o app_public.orders, loc app_public.locations, reason text, actor text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.refund_payments(o app_public.orders, loc app_public.locations, reason text, actor text) FROM PUBLIC;

--
-- Name: FUNCTION register_worker_pool(pool_id text, process_key integer, hostname text, pid integer); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.register_worker_pool(pool_id text, process_key integer, hostname text, pid integer) FROM PUBLIC;

--
-- Name: FUNCTION replay(consumer text, tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.replay(consumer text, tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION reporting_apply_customers(tenant_id text, evts app_private.events[]); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_apply_customers(tenant_id text, evts app_private.events[]) FROM PUBLIC;

--
-- Name: FUNCTION reporting_apply_sales(tenant_id text, event_ids text[]); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_apply_sales(tenant_id text, event_ids text[]) FROM PUBLIC;

--
-- Name: FUNCTION reporting_average_sale(net_sales bigint, order_count bigint); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_average_sale(net_sales bigint, order_count bigint) FROM PUBLIC;

--
-- Name: FUNCTION reporting_check_range(tenant_id text, from_date date, to_date date, location_id text, max_days integer); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_check_range(tenant_id text, from_date date, to_date date, location_id text, max_days integer) FROM PUBLIC;

--
-- Name: FUNCTION reporting_customer_classes(tenant_id text, at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_customer_classes(tenant_id text, at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION reporting_customer_loyalty_days(tenant_id text, from_date date, to_date date, location_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_customer_loyalty_days(tenant_id text, from_date date, to_date date, location_id text) FROM PUBLIC;

--
-- Name: FUNCTION reporting_customer_orders(tenant_id text, evts app_private.events[]); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_customer_orders(tenant_id text, evts app_private.events[]) FROM PUBLIC;

--
-- Name: FUNCTION reporting_customers__apply(evt app_private.events); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_customers__apply(evt app_private.events) FROM PUBLIC;

--
-- Name: FUNCTION reporting_customers__enqueue(evt app_private.events); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_customers__enqueue(evt app_private.events) FROM PUBLIC;

--
-- Name: FUNCTION reporting_daily_sales(tenant_id text, from_date date, to_date date, location_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_daily_sales(tenant_id text, from_date date, to_date date, location_id text) FROM PUBLIC;

--
-- Name: FUNCTION reporting_dashboard_metrics(tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_dashboard_metrics(tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION reporting_fold(tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_fold(tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION reporting_fold_all(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_fold_all() FROM PUBLIC;

--
-- Name: FUNCTION reporting_fold_locked(tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_fold_locked(tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION reporting_inventory_summary(tenant_id text, location_id text, low_only boolean); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_inventory_summary(tenant_id text, location_id text, low_only boolean) FROM PUBLIC;

--
-- Name: FUNCTION reporting_item_sales(tenant_id text, from_date date, to_date date, location_id text, order_by reporting.item_sales_order); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_item_sales(tenant_id text, from_date date, to_date date, location_id text, order_by reporting.item_sales_order) FROM PUBLIC;

--
-- Name: FUNCTION reporting_lock_key(tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_lock_key(tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION reporting_pending_daily(tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_pending_daily(tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION reporting_pending_items(tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_pending_items(tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION reporting_pending_stock(tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_pending_stock(tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION reporting_percent_change(current_value bigint, previous_value bigint); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_percent_change(current_value bigint, previous_value bigint) FROM PUBLIC;

--
-- Name: FUNCTION reporting_sales__enqueue(evt app_private.events); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reporting_sales__enqueue(evt app_private.events) FROM PUBLIC;

--
-- Name: FUNCTION reset_consumer(consumer text, tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.reset_consumer(consumer text, tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION role_name(tenant text, name text, role_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.role_name(tenant text, name text, role_id text) FROM PUBLIC;

--
-- Name: FUNCTION role_permissions(permissions text[]); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.role_permissions(permissions text[]) FROM PUBLIC;

--
-- Name: FUNCTION secure_table(tbl regclass); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.secure_table(tbl regclass) FROM PUBLIC;

--
-- Name: FUNCTION seed_tenant_customer_types(tenant text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.seed_tenant_customer_types(tenant text) FROM PUBLIC;

--
-- Name: FUNCTION seed_tenant_roles(tenant text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.seed_tenant_roles(tenant text) FROM PUBLIC;

--
-- Name: FUNCTION set_customer_status(tenant_id text, customer_id text, new_status text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.set_customer_status(tenant_id text, customer_id text, new_status text) FROM PUBLIC;

--
-- Name: FUNCTION start_export(tenant_id text, export_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.start_export(tenant_id text, export_id text) FROM PUBLIC;

--
-- Name: FUNCTION store_plan_price(plan_key text, price_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.store_plan_price(plan_key text, price_id text) FROM PUBLIC;

--
-- Name: FUNCTION store_stripe_customer(tenant text, customer_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.store_stripe_customer(tenant text, customer_id text) FROM PUBLIC;

--
-- Name: FUNCTION stripe_customer_params(tenant text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.stripe_customer_params(tenant text) FROM PUBLIC;

--
-- Name: FUNCTION stripe_event_is_handled(type text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.stripe_event_is_handled(type text) FROM PUBLIC;

--
-- Name: FUNCTION stripe_subscription_params(tenant text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.stripe_subscription_params(tenant text) FROM PUBLIC;

--
-- Name: FUNCTION stripe_time(value jsonb); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.stripe_time(value jsonb) FROM PUBLIC;

--
-- Name: FUNCTION suspend_overdue_tenants(grace interval); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.suspend_overdue_tenants(grace interval) FROM PUBLIC;

--
-- Name: FUNCTION suspend_tenant(tenant text, type text, reason text, actor text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.suspend_tenant(tenant text, type text, reason text, actor text) FROM PUBLIC;

--
-- Name: FUNCTION suspend_tenant_for_billing(tenant text, reason text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.suspend_tenant_for_billing(tenant text, reason text) FROM PUBLIC;

--
-- Name: FUNCTION suspension_exempt_tables(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.suspension_exempt_tables() FROM PUBLIC;

--
-- Name: FUNCTION sync_tenant_with_subscription(tenant text, status text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.sync_tenant_with_subscription(tenant text, status text) FROM PUBLIC;

--
-- Name: FUNCTION take_back_items(tenant_id text, customer_id text, lines jsonb); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.take_back_items(tenant_id text, customer_id text, lines jsonb) FROM PUBLIC;

--
-- Name: FUNCTION tenant_currency(tenant_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tenant_currency(tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION tenant_plan(tenant text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tenant_plan(tenant text) FROM PUBLIC;

--
-- Name: FUNCTION tenant_role(tenant text, role_id text); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tenant_role(tenant text, role_id text) FROM PUBLIC;

--
-- Name: FUNCTION tenant_usage(tenant text, OUT seats integer, OUT locations integer, OUT devices integer); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tenant_usage(tenant text, OUT seats integer, OUT locations integer, OUT devices integer) FROM PUBLIC;

--
-- Name: TABLE tenders; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.tenders TO bo_visitor;

--
-- Name: FUNCTION tender_event_payload(t app_public.tenders, o app_public.orders); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tender_event_payload(t app_public.tenders, o app_public.orders) FROM PUBLIC;

--
-- Name: FUNCTION tg__append_only(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg__append_only() FROM PUBLIC;

--
-- Name: FUNCTION tg__audit(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg__audit() FROM PUBLIC;

--
-- Name: FUNCTION tg__plan_limit(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg__plan_limit() FROM PUBLIC;

--
-- Name: FUNCTION tg__timestamps(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg__timestamps() FROM PUBLIC;

--
-- Name: FUNCTION tg_billing_subscriptions__past_due_since(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_billing_subscriptions__past_due_since() FROM PUBLIC;

--
-- Name: FUNCTION tg_catalog_items__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_catalog_items__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_customer_addresses__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_customer_addresses__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_customer_notes__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_customer_notes__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_customer_order_queue__apply(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_customer_order_queue__apply() FROM PUBLIC;

--
-- Name: FUNCTION tg_customers__create_stats(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_customers__create_stats() FROM PUBLIC;

--
-- Name: FUNCTION tg_devices__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_devices__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_event_subscriptions__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_event_subscriptions__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_inventory_items__reporting(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_inventory_items__reporting() FROM PUBLIC;

--
-- Name: FUNCTION tg_inventory_items__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_inventory_items__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_inventory_movements__emit_event(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_inventory_movements__emit_event() FROM PUBLIC;

--
-- Name: FUNCTION tg_locations__validate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_locations__validate() FROM PUBLIC;

--
-- Name: FUNCTION tg_reporting_queue__fold(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_reporting_queue__fold() FROM PUBLIC;

--
-- Name: FUNCTION tg_tenants__rescale_prices(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_tenants__rescale_prices() FROM PUBLIC;

--
-- Name: FUNCTION tg_tenants__start_trial(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_tenants__start_trial() FROM PUBLIC;

--
-- Name: FUNCTION tg_tenants__validate_money(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_tenants__validate_money() FROM PUBLIC;

--
-- Name: FUNCTION tg_tenants__validate_name(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_tenants__validate_name() FROM PUBLIC;

--
-- Name: FUNCTION tg_tenants__validate_receipt(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_tenants__validate_receipt() FROM PUBLIC;

--
-- Name: FUNCTION tg_tenants__validate_tax_rate(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_tenants__validate_tax_rate() FROM PUBLIC;

--
-- Name: FUNCTION tg_tenders__emit_event(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.tg_tenders__emit_event() FROM PUBLIC;

--
-- Name: FUNCTION upsert_stripe_invoice(tenant text, inv jsonb, at timestamp with time zone); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.upsert_stripe_invoice(tenant text, inv jsonb, at timestamp with time zone) FROM PUBLIC;

--
-- Name: FUNCTION worker_lock_ns(); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.worker_lock_ns() FROM PUBLIC;

--
-- Name: FUNCTION worker_process_alive(process_key integer); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.worker_process_alive(process_key integer) FROM PUBLIC;

--
-- Name: FUNCTION write_export_chunk(tenant_id text, export_id text, chunk_no integer, data bytea, rows_written bigint, bytes_written bigint); Type: ACL; Schema: app_private; Owner: -
--

REVOKE ALL ON FUNCTION app_private.write_export_chunk(tenant_id text, export_id text, chunk_no integer, data bytea, rows_written bigint, bytes_written bigint) FROM PUBLIC;

--
-- Name: TABLE customer_favourite_items; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.customer_favourite_items TO bo_visitor;

--
-- Name: FUNCTION add_customer_favourite_item(customer_id text, catalog_item_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.add_customer_favourite_item(customer_id text, catalog_item_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.add_customer_favourite_item(customer_id text, catalog_item_id text) TO bo_visitor;

--
-- Name: FUNCTION archive_customer(customer_id text, reason text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.archive_customer(customer_id text, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.archive_customer(customer_id text, reason text) TO bo_visitor;

--
-- Name: FUNCTION background_jobs(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.background_jobs() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.background_jobs() TO bo_visitor;

--
-- Name: TABLE billing_subscriptions; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.billing_subscriptions TO bo_visitor;

--
-- Name: FUNCTION billing_subscriptions_devices_used(s app_public.billing_subscriptions); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.billing_subscriptions_devices_used(s app_public.billing_subscriptions) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.billing_subscriptions_devices_used(s app_public.billing_subscriptions) TO bo_visitor;

--
-- Name: FUNCTION billing_subscriptions_locations_used(s app_public.billing_subscriptions); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.billing_subscriptions_locations_used(s app_public.billing_subscriptions) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.billing_subscriptions_locations_used(s app_public.billing_subscriptions) TO bo_visitor;

--
-- Name: FUNCTION billing_subscriptions_seats_used(s app_public.billing_subscriptions); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.billing_subscriptions_seats_used(s app_public.billing_subscriptions) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.billing_subscriptions_seats_used(s app_public.billing_subscriptions) TO bo_visitor;

--
-- Name: FUNCTION cancel_order(order_id text, reason text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.cancel_order(order_id text, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.cancel_order(order_id text, reason text) TO bo_visitor;

--
-- Name: TABLE cash_drawers; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.cash_drawers TO bo_visitor;

--
-- Name: FUNCTION cash_drawers_cash_in(d app_public.cash_drawers); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.cash_drawers_cash_in(d app_public.cash_drawers) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.cash_drawers_cash_in(d app_public.cash_drawers) TO bo_visitor;

--
-- Name: FUNCTION cash_drawers_cash_out(d app_public.cash_drawers); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.cash_drawers_cash_out(d app_public.cash_drawers) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.cash_drawers_cash_out(d app_public.cash_drawers) TO bo_visitor;

--
-- Name: FUNCTION cash_drawers_cash_payments(d app_public.cash_drawers); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.cash_drawers_cash_payments(d app_public.cash_drawers) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.cash_drawers_cash_payments(d app_public.cash_drawers) TO bo_visitor;

--
-- Name: FUNCTION cash_drawers_cash_refunds(d app_public.cash_drawers); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.cash_drawers_cash_refunds(d app_public.cash_drawers) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.cash_drawers_cash_refunds(d app_public.cash_drawers) TO bo_visitor;

--
-- Name: FUNCTION cash_drawers_expected_now(d app_public.cash_drawers); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.cash_drawers_expected_now(d app_public.cash_drawers) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.cash_drawers_expected_now(d app_public.cash_drawers) TO bo_visitor;

--
-- Name: TABLE memberships; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.memberships TO bo_visitor;

--
-- Name: FUNCTION change_member_role(membership_id text, role_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.change_member_role(membership_id text, role_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.change_member_role(membership_id text, role_id text) TO bo_visitor;

--
-- Name: TABLE billing_requests; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.billing_requests TO bo_visitor;

--
-- Name: FUNCTION change_plan(plan_key text, reason text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.change_plan(plan_key text, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.change_plan(plan_key text, reason text) TO bo_visitor;

--
-- Name: FUNCTION close_cash_drawer(cash_drawer_id text, counted integer, note text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.close_cash_drawer(cash_drawer_id text, counted integer, note text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.close_cash_drawer(cash_drawer_id text, counted integer, note text) TO bo_visitor;

--
-- Name: FUNCTION close_location(location_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.close_location(location_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.close_location(location_id text) TO bo_visitor;

--
-- Name: TABLE tenants; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.tenants TO bo_visitor;

--
-- Name: COLUMN tenants.name; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(name) ON TABLE app_public.tenants TO bo_visitor;

--
-- Name: COLUMN tenants.default_country; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(default_country) ON TABLE app_public.tenants TO bo_visitor;

--
-- Name: COLUMN tenants.tax_rate_bps; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(tax_rate_bps) ON TABLE app_public.tenants TO bo_visitor;

--
-- Name: COLUMN tenants.currency; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(currency) ON TABLE app_public.tenants TO bo_visitor;

--
-- Name: COLUMN tenants.locale; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(locale) ON TABLE app_public.tenants TO bo_visitor;

--
-- Name: COLUMN tenants.receipt_address; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(receipt_address) ON TABLE app_public.tenants TO bo_visitor;

--
-- Name: COLUMN tenants.receipt_footer; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(receipt_footer) ON TABLE app_public.tenants TO bo_visitor;

--
-- Name: FUNCTION create_business(name text, timezone text, currency text, locale text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.create_business(name text, timezone text, currency text, locale text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.create_business(name text, timezone text, currency text, locale text) TO bo_visitor;

--
-- Name: FUNCTION create_customer(email text, phone text, first_name text, last_name text, notes text, tags text[], marketing_consent boolean, marketing_consent_source text, metadata jsonb); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.create_customer(email text, phone text, first_name text, last_name text, notes text, tags text[], marketing_consent boolean, marketing_consent_source text, metadata jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.create_customer(email text, phone text, first_name text, last_name text, notes text, tags text[], marketing_consent boolean, marketing_consent_source text, metadata jsonb) TO bo_visitor;

--
-- Name: TABLE customer_types; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.customer_types TO bo_visitor;

--
-- Name: FUNCTION create_customer_type(label text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.create_customer_type(label text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.create_customer_type(label text) TO bo_visitor;

--
-- Name: FUNCTION create_role(name text, permissions text[]); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.create_role(name text, permissions text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.create_role(name text, permissions text[]) TO bo_visitor;

--
-- Name: TABLE tax_rates; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.tax_rates TO bo_visitor;

--
-- Name: FUNCTION create_tax_rate(name text, rate_bps integer, inclusive boolean); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.create_tax_rate(name text, rate_bps integer, inclusive boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.create_tax_rate(name text, rate_bps integer, inclusive boolean) TO bo_visitor;

--
-- Name: FUNCTION current_billing_subscription(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_billing_subscription() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_billing_subscription() TO bo_visitor;

--
-- Name: FUNCTION current_loyalty_settings(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_loyalty_settings() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_loyalty_settings() TO bo_visitor;

--
-- Name: FUNCTION current_permissions(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_permissions() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_permissions() TO bo_visitor;

--
-- Name: FUNCTION current_plan_modules(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_plan_modules() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_plan_modules() TO bo_visitor;

--
-- Name: FUNCTION current_tenant(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.current_tenant() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.current_tenant() TO bo_visitor;

--
-- Name: TABLE users; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.users TO bo_visitor;

--
-- Name: COLUMN users.name; Type: ACL; Schema: app_public; Owner: -
--

GRANT UPDATE(name) ON TABLE app_public.users TO bo_visitor;

--
-- Name: FUNCTION "current_user"(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public."current_user"() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public."current_user"() TO bo_visitor;

--
-- Name: TABLE customer_stats; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.customer_stats TO bo_visitor;

--
-- Name: FUNCTION customer_stats_average_order_value(s app_public.customer_stats); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.customer_stats_average_order_value(s app_public.customer_stats) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.customer_stats_average_order_value(s app_public.customer_stats) TO bo_visitor;

--
-- Name: FUNCTION customer_stats_days_since_last_visit(s app_public.customer_stats, at timestamp with time zone); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.customer_stats_days_since_last_visit(s app_public.customer_stats, at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.customer_stats_days_since_last_visit(s app_public.customer_stats, at timestamp with time zone) TO bo_visitor;

--
-- Name: FUNCTION customer_stats_is_repeat(s app_public.customer_stats); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.customer_stats_is_repeat(s app_public.customer_stats) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.customer_stats_is_repeat(s app_public.customer_stats) TO bo_visitor;

--
-- Name: FUNCTION customer_stats_loyalty_class(s app_public.customer_stats, at timestamp with time zone); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.customer_stats_loyalty_class(s app_public.customer_stats, at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.customer_stats_loyalty_class(s app_public.customer_stats, at timestamp with time zone) TO bo_visitor;

--
-- Name: FUNCTION customer_stats_loyalty_class_reason(s app_public.customer_stats, at timestamp with time zone); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.customer_stats_loyalty_class_reason(s app_public.customer_stats, at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.customer_stats_loyalty_class_reason(s app_public.customer_stats, at timestamp with time zone) TO bo_visitor;

--
-- Name: TABLE customer_item_stats; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.customer_item_stats TO bo_visitor;

--
-- Name: FUNCTION customer_stats_top_items(s app_public.customer_stats); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.customer_stats_top_items(s app_public.customer_stats) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.customer_stats_top_items(s app_public.customer_stats) TO bo_visitor;

--
-- Name: FUNCTION customers_last_visit_at(c app_public.customers); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.customers_last_visit_at(c app_public.customers) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.customers_last_visit_at(c app_public.customers) TO bo_visitor;

--
-- Name: FUNCTION customers_may_contact(c app_public.customers, channel text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.customers_may_contact(c app_public.customers, channel text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.customers_may_contact(c app_public.customers, channel text) TO bo_visitor;

--
-- Name: FUNCTION customers_recent_orders(c app_public.customers); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.customers_recent_orders(c app_public.customers) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.customers_recent_orders(c app_public.customers) TO bo_visitor;

--
-- Name: FUNCTION customers_timeline(c app_public.customers); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.customers_timeline(c app_public.customers) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.customers_timeline(c app_public.customers) TO bo_visitor;

--
-- Name: FUNCTION customers_total_spend(c app_public.customers); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.customers_total_spend(c app_public.customers) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.customers_total_spend(c app_public.customers) TO bo_visitor;

--
-- Name: FUNCTION customers_total_visits(c app_public.customers); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.customers_total_visits(c app_public.customers) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.customers_total_visits(c app_public.customers) TO bo_visitor;

--
-- Name: FUNCTION delete_customer_type(id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.delete_customer_type(id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.delete_customer_type(id text) TO bo_visitor;

--
-- Name: FUNCTION delete_role(role_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.delete_role(role_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.delete_role(role_id text) TO bo_visitor;

--
-- Name: FUNCTION delete_tax_rate(id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.delete_tax_rate(id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.delete_tax_rate(id text) TO bo_visitor;

--
-- Name: TABLE billing_notices; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.billing_notices TO bo_visitor;

--
-- Name: FUNCTION dismiss_billing_notice(id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.dismiss_billing_notice(id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.dismiss_billing_notice(id text) TO bo_visitor;

--
-- Name: FUNCTION dismiss_possible_duplicate(customer_id text, duplicate_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.dismiss_possible_duplicate(customer_id text, duplicate_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.dismiss_possible_duplicate(customer_id text, duplicate_id text) TO bo_visitor;

--
-- Name: FUNCTION inventory_items_is_low_stock(item app_public.inventory_items, location_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.inventory_items_is_low_stock(item app_public.inventory_items, location_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.inventory_items_is_low_stock(item app_public.inventory_items, location_id text) TO bo_visitor;

--
-- Name: FUNCTION inventory_items_on_hand(item app_public.inventory_items, location_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.inventory_items_on_hand(item app_public.inventory_items, location_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.inventory_items_on_hand(item app_public.inventory_items, location_id text) TO bo_visitor;

--
-- Name: FUNCTION invitation_by_token(token text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.invitation_by_token(token text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.invitation_by_token(token text) TO bo_visitor;

--
-- Name: FUNCTION invite_member(email text, role_id text, OUT invitation_id text, OUT token text, OUT expires_at timestamp with time zone); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.invite_member(email text, role_id text, OUT invitation_id text, OUT token text, OUT expires_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.invite_member(email text, role_id text, OUT invitation_id text, OUT token text, OUT expires_at timestamp with time zone) TO bo_visitor;

--
-- Name: FUNCTION likely_duplicates(first_name text, last_name text, email text, phone text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.likely_duplicates(first_name text, last_name text, email text, phone text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.likely_duplicates(first_name text, last_name text, email text, phone text) TO bo_visitor;

--
-- Name: FUNCTION merge_customers(primary_id text, duplicate_id text, reason text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.merge_customers(primary_id text, duplicate_id text, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.merge_customers(primary_id text, duplicate_id text, reason text) TO bo_visitor;

--
-- Name: FUNCTION open_cash_drawer(location_id text, opening_float integer); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.open_cash_drawer(location_id text, opening_float integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.open_cash_drawer(location_id text, opening_float integer) TO bo_visitor;

--
-- Name: FUNCTION open_cash_drawer_at(location_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.open_cash_drawer_at(location_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.open_cash_drawer_at(location_id text) TO bo_visitor;

--
-- Name: FUNCTION open_orders(location_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.open_orders(location_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.open_orders(location_id text) TO bo_visitor;

--
-- Name: FUNCTION orders_refundable_lines(o app_public.orders); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.orders_refundable_lines(o app_public.orders) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.orders_refundable_lines(o app_public.orders) TO bo_visitor;

--
-- Name: FUNCTION place_order(location_id text, lines jsonb, customer_id text, discount integer, placed_at timestamp with time zone); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.place_order(location_id text, lines jsonb, customer_id text, discount integer, placed_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.place_order(location_id text, lines jsonb, customer_id text, discount integer, placed_at timestamp with time zone) TO bo_visitor;

--
-- Name: FUNCTION plans_change_problem(plan app_public.plans); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.plans_change_problem(plan app_public.plans) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.plans_change_problem(plan app_public.plans) TO bo_visitor;

--
-- Name: FUNCTION possible_duplicate_pairs(max_pairs integer, skip integer); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.possible_duplicate_pairs(max_pairs integer, skip integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.possible_duplicate_pairs(max_pairs integer, skip integer) TO bo_visitor;

--
-- Name: FUNCTION preview_customer_merge(primary_id text, duplicate_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.preview_customer_merge(primary_id text, duplicate_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.preview_customer_merge(primary_id text, duplicate_id text) TO bo_visitor;

--
-- Name: FUNCTION quote_order(lines jsonb, discount integer, location_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.quote_order(lines jsonb, discount integer, location_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.quote_order(lines jsonb, discount integer, location_id text) TO bo_visitor;

--
-- Name: TABLE cash_drawer_entries; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.cash_drawer_entries TO bo_visitor;

--
-- Name: FUNCTION record_cash_drawer_entry(cash_drawer_id text, kind text, amount integer, reason text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.record_cash_drawer_entry(cash_drawer_id text, kind text, amount integer, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.record_cash_drawer_entry(cash_drawer_id text, kind text, amount integer, reason text) TO bo_visitor;

--
-- Name: FUNCTION record_inventory_movement(location_id text, inventory_item_id text, quantity integer, reason text, note text, occurred_at timestamp with time zone); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.record_inventory_movement(location_id text, inventory_item_id text, quantity integer, reason text, note text, occurred_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.record_inventory_movement(location_id text, inventory_item_id text, quantity integer, reason text, note text, occurred_at timestamp with time zone) TO bo_visitor;

--
-- Name: FUNCTION record_tender(order_id text, type text, amount integer); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.record_tender(order_id text, type text, amount integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.record_tender(order_id text, type text, amount integer) TO bo_visitor;

--
-- Name: FUNCTION refund_order_lines(order_id text, lines jsonb, reason text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.refund_order_lines(order_id text, lines jsonb, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.refund_order_lines(order_id text, lines jsonb, reason text) TO bo_visitor;

--
-- Name: FUNCTION remove_customer_favourite_item(customer_id text, catalog_item_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.remove_customer_favourite_item(customer_id text, catalog_item_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.remove_customer_favourite_item(customer_id text, catalog_item_id text) TO bo_visitor;

--
-- Name: FUNCTION remove_member(membership_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.remove_member(membership_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.remove_member(membership_id text) TO bo_visitor;

--
-- Name: FUNCTION rename_customer_type(id text, label text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.rename_customer_type(id text, label text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.rename_customer_type(id text, label text) TO bo_visitor;

--
-- Name: FUNCTION reopen_location(location_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.reopen_location(location_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.reopen_location(location_id text) TO bo_visitor;

--
-- Name: FUNCTION request_billing_portal(); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.request_billing_portal() FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.request_billing_portal() TO bo_visitor;

--
-- Name: FUNCTION restore_customer(customer_id text, reason text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.restore_customer(customer_id text, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.restore_customer(customer_id text, reason text) TO bo_visitor;

--
-- Name: FUNCTION revoke_invitation(invitation_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.revoke_invitation(invitation_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.revoke_invitation(invitation_id text) TO bo_visitor;

--
-- Name: FUNCTION search_customers(q text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.search_customers(q text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.search_customers(q text) TO bo_visitor;

--
-- Name: TABLE customer_contact_channels; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.customer_contact_channels TO bo_visitor;

--
-- Name: FUNCTION set_customer_contact_channel(customer_id text, channel text, allowed boolean, source text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.set_customer_contact_channel(customer_id text, channel text, allowed boolean, source text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.set_customer_contact_channel(customer_id text, channel text, allowed boolean, source text) TO bo_visitor;

--
-- Name: TABLE customer_preferences; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.customer_preferences TO bo_visitor;

--
-- Name: FUNCTION set_customer_preferences(customer_id text, do_not_contact boolean, preferred_payment text, best_contact_time text, language text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.set_customer_preferences(customer_id text, do_not_contact boolean, preferred_payment text, best_contact_time text, language text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.set_customer_preferences(customer_id text, do_not_contact boolean, preferred_payment text, best_contact_time text, language text) TO bo_visitor;

--
-- Name: FUNCTION set_customer_type(customer_id text, customer_type_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.set_customer_type(customer_id text, customer_type_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.set_customer_type(customer_id text, customer_type_id text) TO bo_visitor;

--
-- Name: FUNCTION set_location_tax_rate(location_id text, tax_rate_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.set_location_tax_rate(location_id text, tax_rate_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.set_location_tax_rate(location_id text, tax_rate_id text) TO bo_visitor;

--
-- Name: FUNCTION switch_tenant(tenant_id text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.switch_tenant(tenant_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.switch_tenant(tenant_id text) TO bo_visitor;

--
-- Name: FUNCTION update_customer(customer_id text, patch app_public.customer_changes); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.update_customer(customer_id text, patch app_public.customer_changes) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.update_customer(customer_id text, patch app_public.customer_changes) TO bo_visitor;

--
-- Name: FUNCTION update_loyalty_settings(regular_min_visits integer, regular_window_days integer, lapsed_after_days integer); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.update_loyalty_settings(regular_min_visits integer, regular_window_days integer, lapsed_after_days integer) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.update_loyalty_settings(regular_min_visits integer, regular_window_days integer, lapsed_after_days integer) TO bo_visitor;

--
-- Name: FUNCTION update_role(role_id text, name text, permissions text[]); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.update_role(role_id text, name text, permissions text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.update_role(role_id text, name text, permissions text[]) TO bo_visitor;

--
-- Name: FUNCTION update_tax_rate(id text, name text, rate_bps integer, inclusive boolean); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.update_tax_rate(id text, name text, rate_bps integer, inclusive boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.update_tax_rate(id text, name text, rate_bps integer, inclusive boolean) TO bo_visitor;

--
-- Name: FUNCTION void_order(order_id text, reason text); Type: ACL; Schema: app_public; Owner: -
--

REVOKE ALL ON FUNCTION app_public.void_order(order_id text, reason text) FROM PUBLIC;
GRANT ALL ON FUNCTION app_public.void_order(order_id text, reason text) TO bo_visitor;

--
-- Name: FUNCTION pg_advisory_lock(bigint); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_lock(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_lock(bigint) TO bo_owner;

--
-- Name: FUNCTION pg_advisory_lock(integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_lock(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_lock(integer, integer) TO bo_owner;

--
-- Name: FUNCTION pg_advisory_lock_shared(bigint); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_lock_shared(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_lock_shared(bigint) TO bo_owner;

--
-- Name: FUNCTION pg_advisory_lock_shared(integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_lock_shared(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_lock_shared(integer, integer) TO bo_owner;

--
-- Name: FUNCTION pg_advisory_unlock(bigint); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_unlock(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_unlock(bigint) TO bo_owner;

--
-- Name: FUNCTION pg_advisory_unlock(integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_unlock(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_unlock(integer, integer) TO bo_owner;

--
-- Name: FUNCTION pg_advisory_unlock_all(); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_unlock_all() FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_unlock_all() TO bo_owner;

--
-- Name: FUNCTION pg_advisory_unlock_shared(bigint); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_unlock_shared(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_unlock_shared(bigint) TO bo_owner;

--
-- Name: FUNCTION pg_advisory_unlock_shared(integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_unlock_shared(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_unlock_shared(integer, integer) TO bo_owner;

--
-- Name: FUNCTION pg_advisory_xact_lock(bigint); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock(bigint) TO bo_owner;

--
-- Name: FUNCTION pg_advisory_xact_lock(integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock(integer, integer) TO bo_owner;

--
-- Name: FUNCTION pg_advisory_xact_lock_shared(bigint); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock_shared(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock_shared(bigint) TO bo_owner;

--
-- Name: FUNCTION pg_advisory_xact_lock_shared(integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock_shared(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_advisory_xact_lock_shared(integer, integer) TO bo_owner;

--
-- Name: FUNCTION pg_try_advisory_lock(bigint); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_lock(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_lock(bigint) TO bo_owner;

--
-- Name: FUNCTION pg_try_advisory_lock(integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_lock(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_lock(integer, integer) TO bo_owner;

--
-- Name: FUNCTION pg_try_advisory_lock_shared(bigint); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_lock_shared(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_lock_shared(bigint) TO bo_owner;

--
-- Name: FUNCTION pg_try_advisory_lock_shared(integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_lock_shared(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_lock_shared(integer, integer) TO bo_owner;

--
-- Name: FUNCTION pg_try_advisory_xact_lock(bigint); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock(bigint) TO bo_owner;

--
-- Name: FUNCTION pg_try_advisory_xact_lock(integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock(integer, integer) TO bo_owner;

--
-- Name: FUNCTION pg_try_advisory_xact_lock_shared(bigint); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock_shared(bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock_shared(bigint) TO bo_owner;

--
-- Name: FUNCTION pg_try_advisory_xact_lock_shared(integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock_shared(integer, integer) FROM PUBLIC;
GRANT ALL ON FUNCTION pg_catalog.pg_try_advisory_xact_lock_shared(integer, integer) TO bo_owner;

--
-- Name: FUNCTION analyst_logins(); Type: ACL; Schema: reporting; Owner: -
--

REVOKE ALL ON FUNCTION reporting.analyst_logins() FROM PUBLIC;
GRANT ALL ON FUNCTION reporting.analyst_logins() TO bo_visitor;

--
-- Name: FUNCTION create_analyst_login(name text); Type: ACL; Schema: reporting; Owner: -
--

REVOKE ALL ON FUNCTION reporting.create_analyst_login(name text) FROM PUBLIC;
GRANT ALL ON FUNCTION reporting.create_analyst_login(name text) TO bo_visitor;

--
-- Name: FUNCTION customer_class_counts(); Type: ACL; Schema: reporting; Owner: -
--

REVOKE ALL ON FUNCTION reporting.customer_class_counts() FROM PUBLIC;
GRANT ALL ON FUNCTION reporting.customer_class_counts() TO bo_visitor;

--
-- Name: FUNCTION customer_loyalty_days(from_date date, to_date date, location_id text); Type: ACL; Schema: reporting; Owner: -
--

REVOKE ALL ON FUNCTION reporting.customer_loyalty_days(from_date date, to_date date, location_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION reporting.customer_loyalty_days(from_date date, to_date date, location_id text) TO bo_visitor;

--
-- Name: FUNCTION daily_sales(from_date date, to_date date, location_id text); Type: ACL; Schema: reporting; Owner: -
--

REVOKE ALL ON FUNCTION reporting.daily_sales(from_date date, to_date date, location_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION reporting.daily_sales(from_date date, to_date date, location_id text) TO bo_visitor;

--
-- Name: FUNCTION dashboard_metrics(); Type: ACL; Schema: reporting; Owner: -
--

REVOKE ALL ON FUNCTION reporting.dashboard_metrics() FROM PUBLIC;
GRANT ALL ON FUNCTION reporting.dashboard_metrics() TO bo_visitor;

--
-- Name: FUNCTION drop_analyst_login(username text); Type: ACL; Schema: reporting; Owner: -
--

REVOKE ALL ON FUNCTION reporting.drop_analyst_login(username text) FROM PUBLIC;
GRANT ALL ON FUNCTION reporting.drop_analyst_login(username text) TO bo_visitor;

--
-- Name: FUNCTION exports_download_url(e reporting.exports); Type: ACL; Schema: reporting; Owner: -
--

REVOKE ALL ON FUNCTION reporting.exports_download_url(e reporting.exports) FROM PUBLIC;
GRANT ALL ON FUNCTION reporting.exports_download_url(e reporting.exports) TO bo_visitor;

--
-- Name: FUNCTION inventory_summary(location_id text, low_only boolean); Type: ACL; Schema: reporting; Owner: -
--

REVOKE ALL ON FUNCTION reporting.inventory_summary(location_id text, low_only boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION reporting.inventory_summary(location_id text, low_only boolean) TO bo_visitor;

--
-- Name: FUNCTION item_sales(from_date date, to_date date, location_id text, order_by reporting.item_sales_order); Type: ACL; Schema: reporting; Owner: -
--

REVOKE ALL ON FUNCTION reporting.item_sales(from_date date, to_date date, location_id text, order_by reporting.item_sales_order) FROM PUBLIC;
GRANT ALL ON FUNCTION reporting.item_sales(from_date date, to_date date, location_id text, order_by reporting.item_sales_order) TO bo_visitor;

--
-- Name: FUNCTION rebuild(tenant_id text); Type: ACL; Schema: reporting; Owner: -
--

REVOKE ALL ON FUNCTION reporting.rebuild(tenant_id text) FROM PUBLIC;

--
-- Name: FUNCTION request_export(kind reporting.export_kind, params jsonb); Type: ACL; Schema: reporting; Owner: -
--

REVOKE ALL ON FUNCTION reporting.request_export(kind reporting.export_kind, params jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION reporting.request_export(kind reporting.export_kind, params jsonb) TO bo_visitor;

--
-- Name: TABLE audit_entries; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.audit_entries TO bo_visitor;

--
-- Name: TABLE billing_invoices; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.billing_invoices TO bo_visitor;

--
-- Name: TABLE catalog_items; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.catalog_items TO bo_visitor;

--
-- Name: COLUMN catalog_items.name; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(name),UPDATE(name) ON TABLE app_public.catalog_items TO bo_visitor;

--
-- Name: COLUMN catalog_items.sku; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(sku),UPDATE(sku) ON TABLE app_public.catalog_items TO bo_visitor;

--
-- Name: COLUMN catalog_items.price; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(price),UPDATE(price) ON TABLE app_public.catalog_items TO bo_visitor;

--
-- Name: COLUMN catalog_items.active; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(active),UPDATE(active) ON TABLE app_public.catalog_items TO bo_visitor;

--
-- Name: TABLE customer_addresses; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT,DELETE ON TABLE app_public.customer_addresses TO bo_visitor;

--
-- Name: COLUMN customer_addresses.customer_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(customer_id) ON TABLE app_public.customer_addresses TO bo_visitor;

--
-- Name: COLUMN customer_addresses.type; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(type),UPDATE(type) ON TABLE app_public.customer_addresses TO bo_visitor;

--
-- Name: COLUMN customer_addresses.line1; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(line1),UPDATE(line1) ON TABLE app_public.customer_addresses TO bo_visitor;

--
-- Name: COLUMN customer_addresses.line2; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(line2),UPDATE(line2) ON TABLE app_public.customer_addresses TO bo_visitor;

--
-- Name: COLUMN customer_addresses.city; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(city),UPDATE(city) ON TABLE app_public.customer_addresses TO bo_visitor;

--
-- Name: COLUMN customer_addresses.region; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(region),UPDATE(region) ON TABLE app_public.customer_addresses TO bo_visitor;

--
-- Name: COLUMN customer_addresses.postal_code; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(postal_code),UPDATE(postal_code) ON TABLE app_public.customer_addresses TO bo_visitor;

--
-- Name: COLUMN customer_addresses.country; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(country),UPDATE(country) ON TABLE app_public.customer_addresses TO bo_visitor;

--
-- Name: COLUMN customer_addresses.latitude; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(latitude),UPDATE(latitude) ON TABLE app_public.customer_addresses TO bo_visitor;

--
-- Name: COLUMN customer_addresses.longitude; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(longitude),UPDATE(longitude) ON TABLE app_public.customer_addresses TO bo_visitor;

--
-- Name: COLUMN customer_addresses.is_default; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(is_default),UPDATE(is_default) ON TABLE app_public.customer_addresses TO bo_visitor;

--
-- Name: TABLE customer_merges; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.customer_merges TO bo_visitor;

--
-- Name: TABLE customer_notes; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT,DELETE ON TABLE app_public.customer_notes TO bo_visitor;

--
-- Name: COLUMN customer_notes.customer_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(customer_id) ON TABLE app_public.customer_notes TO bo_visitor;

--
-- Name: COLUMN customer_notes.category; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(category),UPDATE(category) ON TABLE app_public.customer_notes TO bo_visitor;

--
-- Name: COLUMN customer_notes.body; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(body),UPDATE(body) ON TABLE app_public.customer_notes TO bo_visitor;

--
-- Name: TABLE customer_rows; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.customer_rows TO bo_visitor;

--
-- Name: TABLE devices; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT,DELETE ON TABLE app_public.devices TO bo_visitor;

--
-- Name: COLUMN devices.location_id; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(location_id),UPDATE(location_id) ON TABLE app_public.devices TO bo_visitor;

--
-- Name: COLUMN devices.name; Type: ACL; Schema: app_public; Owner: -
--

GRANT INSERT(name),UPDATE(name) ON TABLE app_public.devices TO bo_visitor;

--
-- Name: TABLE order_lines; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.order_lines TO bo_visitor;

--
-- Name: TABLE order_refund_lines; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.order_refund_lines TO bo_visitor;

--
-- Name: TABLE refund_tenders; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.refund_tenders TO bo_visitor;

--
-- Name: TABLE tenant_suspensions; Type: ACL; Schema: app_public; Owner: -
--

GRANT SELECT ON TABLE app_public.tenant_suspensions TO bo_visitor;

--
-- Name: TABLE rm_customer_activity; Type: ACL; Schema: reporting; Owner: -
--

GRANT SELECT ON TABLE reporting.rm_customer_activity TO bo_visitor;

--
-- Name: TABLE customer_activity; Type: ACL; Schema: reporting; Owner: -
--

GRANT SELECT ON TABLE reporting.customer_activity TO bo_analyst;

--
-- Name: TABLE customer_classes; Type: ACL; Schema: reporting; Owner: -
--

GRANT SELECT ON TABLE reporting.customer_classes TO bo_analyst;

--
-- Name: TABLE rm_item_sales; Type: ACL; Schema: reporting; Owner: -
--

GRANT SELECT ON TABLE reporting.rm_item_sales TO bo_visitor;

--
-- Name: TABLE item_sales_by_day; Type: ACL; Schema: reporting; Owner: -
--

GRANT SELECT ON TABLE reporting.item_sales_by_day TO bo_analyst;

--
-- Name: TABLE rm_daily_sales; Type: ACL; Schema: reporting; Owner: -
--

GRANT SELECT ON TABLE reporting.rm_daily_sales TO bo_visitor;

--
-- Name: TABLE rm_inventory_on_hand; Type: ACL; Schema: reporting; Owner: -
--

GRANT SELECT ON TABLE reporting.rm_inventory_on_hand TO bo_visitor;

--
-- Name: TABLE sales_by_day; Type: ACL; Schema: reporting; Owner: -
--

GRANT SELECT ON TABLE reporting.sales_by_day TO bo_analyst;

--
-- Name: TABLE stock_levels; Type: ACL; Schema: reporting; Owner: -
--

GRANT SELECT ON TABLE reporting.stock_levels TO bo_analyst;

--
-- Name: DEFAULT PRIVILEGES FOR SEQUENCES; Type: DEFAULT ACL; Schema: app_hidden; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE bo_owner IN SCHEMA app_hidden GRANT SELECT,USAGE ON SEQUENCES  TO bo_visitor;

--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: app_hidden; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE bo_owner IN SCHEMA app_hidden GRANT ALL ON FUNCTIONS  TO bo_visitor;

--
-- Name: DEFAULT PRIVILEGES FOR SEQUENCES; Type: DEFAULT ACL; Schema: app_public; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE bo_owner IN SCHEMA app_public GRANT SELECT,USAGE ON SEQUENCES  TO bo_visitor;

--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: app_public; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE bo_owner IN SCHEMA app_public GRANT ALL ON FUNCTIONS  TO bo_visitor;

--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: -; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE bo_owner REVOKE ALL ON FUNCTIONS  FROM PUBLIC;

--
-- PostgreSQL database dump complete
--

