// How the audit log reads on screen: the changed table and the command in words, who made the
// change, and each changed field as "Status: active → archived". The trail stores rows as
// PostgreSQL has them (snake_case columns, cents, JSON); nothing here decides what happened, it
// only words it.
import { formatDateTime } from "../customers/format.ts";
import { DOLLARS, formatMoney, type MoneyFormat } from "../ui/money.ts";

/** The audited tables (the _500_audit triggers) as people call them, one and many, in the order a shop thinks of them. */
const ENTITIES: { value: string; one: string; many: string }[] = [
  { value: "customers", one: "Customer", many: "Customers" },
  { value: "customer_notes", one: "Customer note", many: "Customer notes" },
  { value: "customer_addresses", one: "Customer address", many: "Customer addresses" },
  { value: "customer_contacts", one: "Company contact", many: "Company contacts" },
  { value: "phone_codes", one: "Phone verification code", many: "Phone verification codes" },
  { value: "customer_interactions", one: "Logged call, email or meeting", many: "Logged calls, emails and meetings" },
  { value: "customer_merges", one: "Customer merge", many: "Customer merges" },
  { value: "customer_duplicate_dismissals", one: "Dismissed possible duplicate", many: "Dismissed possible duplicates" },
  { value: "orders", one: "Order", many: "Orders" },
  { value: "catalog_items", one: "Catalog item", many: "Catalog items" },
  { value: "inventory_items", one: "Inventory item", many: "Inventory items" },
  { value: "tenants", one: "Business", many: "Business" },
  { value: "customer_types", one: "Customer type", many: "Customer types" },
  { value: "customer_tiers", one: "Customer tier", many: "Customer tiers" },
  { value: "loyalty_point_rewards", one: "Loyalty reward", many: "Loyalty rewards" },
  { value: "locations", one: "Location", many: "Locations" },
  { value: "tax_rates", one: "Tax rate", many: "Tax rates" },
  { value: "memberships", one: "Staff membership", many: "Staff memberships" },
  { value: "invitations", one: "Staff invitation", many: "Staff invitations" },
  { value: "roles", one: "Role", many: "Roles" },
  { value: "devices", one: "POS device", many: "POS devices" },
  { value: "billing_subscriptions", one: "Subscription", many: "Subscription" },
  { value: "billing_requests", one: "Billing request", many: "Billing requests" },
];

/** The record filter's choices. */
export const ENTITY_CHOICES = ENTITIES.map((e) => ({ value: e.value, label: e.many }));

/** The commands that name themselves on the entries they cause (app_private.begin_change). */
export const COMMAND_LABEL: Record<string, string> = {
  merge_customers: "Merge customers",
  dismiss_possible_duplicate: "Not a duplicate",
  archive_customer: "Archive customer",
  restore_customer: "Restore customer",
  set_customer_tier: "Change tier",
  request_customer_data: "Customer's data request (download)",
  erase_customer: "Customer's data request (erase)",
  void_order: "Void order",
  change_plan: "Change plan",
  request_phone_code: "Send phone code",
  verify_phone_code: "Verify phone",
};

const ACTION_LABEL: Record<string, string> = { insert: "added", update: "changed", delete: "removed" };

/** "snake_case_words" → "Snake case words". */
export function words(key: string): string {
  const text = key.replaceAll("_", " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const entityLabel = (entity: string) => ENTITIES.find((e) => e.value === entity)?.one ?? words(entity);
export const commandLabel = (command: string) => COMMAND_LABEL[command] ?? words(command);

/** "Customer changed", "Location added", "Staff membership removed". */
export const whatChanged = (entity: string, action: string) => `${entityLabel(entity)} ${ACTION_LABEL[action] ?? action}`;

/** Columns that say nothing to a person (the row's own keys) or that the trail never diffs. */
const HIDDEN_FIELDS = new Set(["id", "tenant_id"]);

/**
 * Fields whose words alone read wrong, named as the customer timeline names them
 * (app_hidden.customer_field_label): the consent recorded per contact channel.
 */
const FIELD_LABEL: Record<string, string> = {
  customer_type_id: "Type",
  tier_id: "Tier",
  contact_email: "Email consent",
  contact_sms: "SMS consent",
  contact_phone: "Phone consent",
  contact_email_source: "Email consent source",
  contact_sms_source: "SMS consent source",
  contact_phone_source: "Phone consent source",
  best_contact_time: "Best time to contact",
};

/** Columns holding cents. */
const MONEY_FIELDS = new Set([
  "price",
  "subtotal",
  "order_discount",
  "discount_total",
  "tier_discount",
  "min_annual_spend",
  "tax_total",
  "total",
  "paid_total",
  "amount_due",
  "total_spend",
]);

const TIME_FIELD = /_at$/;
const MAX_TEXT = 60;

const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/** A reference to another record (user_id, created_by…), which `names` may know by name. */
const REFERENCE_FIELD = /(_id|_by)$/;

/** Names of the records an entry may point at (staff, roles, locations), by id. */
export type Names = ReadonlyMap<string, string>;

/** One value of a changed field, short: "active", "12.50", "yes", "vip, local", "—" for none. */
export function formatValue(field: string, value: unknown, names: Names = new Map(), money: MoneyFormat = DOLLARS): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string" && REFERENCE_FIELD.test(field) && names.has(value)) return names.get(value)!;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (MONEY_FIELDS.has(field) && (typeof value === "number" || (typeof value === "string" && /^-?\d+$/.test(value)))) {
    return formatMoney(value, money);
  }
  if (typeof value === "string" && TIME_FIELD.test(field) && !Number.isNaN(Date.parse(value))) return formatDateTime(value);
  if (typeof value === "string" || typeof value === "number") return clip(String(value));
  if (Array.isArray(value)) return value.length ? clip(value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ")) : "none";
  return clip(JSON.stringify(value));
}

const isEmpty = (value: unknown) =>
  value === null ||
  value === undefined ||
  value === "" ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);

export interface FieldChange {
  field: string;
  label: string;
  /** "active → archived" for a change; the value alone for an added or removed row. */
  text: string;
}

/** Fields that say which record it is, shown before the others. */
const FIRST_FIELDS = ["display_name", "name", "customer_number", "status"];
const rank = (field: string) => {
  const i = FIRST_FIELDS.indexOf(field);
  return i < 0 ? FIRST_FIELDS.length : i;
};

/**
 * The changes of an entry ({field: {old, new}}), in words, the fields naming the record first. An
 * added row lists the values it was given (not its empty ones), a removed row the values it had, a
 * change each old → new.
 */
export function fieldChanges(action: string, changes: unknown, names: Names = new Map(), money: MoneyFormat = DOLLARS): FieldChange[] {
  if (typeof changes !== "object" || changes === null || Array.isArray(changes)) return [];
  const out: FieldChange[] = [];
  for (const [field, change] of Object.entries(changes as Record<string, { old?: unknown; new?: unknown } | null>)) {
    if (HIDDEN_FIELDS.has(field)) continue;
    const before = change?.old;
    const after = change?.new;
    let text: string;
    if (action === "insert") {
      if (isEmpty(after)) continue;
      text = formatValue(field, after, names, money);
    } else if (action === "delete") {
      if (isEmpty(before)) continue;
      text = formatValue(field, before, names, money);
    } else {
      text = `${formatValue(field, before, names, money)} → ${formatValue(field, after, names, money)}`;
    }
    // "Role: Manager" rather than "Role id: Manager" once the id reads as a name.
    const named = field.endsWith("_id") && [before, after].some((v) => typeof v === "string" && names.has(v));
    out.push({ field, label: FIELD_LABEL[field] ?? words(named ? field.slice(0, -3) : field), text });
  }
  return out.sort((x, y) => rank(x.field) - rank(y.field));
}

/** The day a YYYY-MM-DD date starts on the browser's clock, as an instant (ISO); `plusDays` moves it. */
export function startOfDay(date: string, plusDays = 0): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + plusDays).toISOString();
}
