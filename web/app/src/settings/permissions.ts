// The permissions a role can carry (app_hidden.all_permissions), in words and in the order a
// shop thinks of them, and the built-in roles every business starts with (fixed: the server
// refuses to change or delete them).

export interface PermissionGroup {
  label: string;
  permissions: { key: string; label: string }[];
}

export const PERMISSION_GROUPS: PermissionGroup[] = [
  {
    label: "Customers",
    permissions: [
      { key: "customers.view", label: "See customers" },
      { key: "customers.create", label: "Add customers" },
      { key: "customers.update", label: "Edit customers" },
      { key: "customers.merge", label: "Merge duplicate customers" },
      { key: "customers.import", label: "Import customers from a file" },
      { key: "customers.erase", label: "Answer customers' data requests (download, erase)" },
      { key: "customers.view_contact", label: "See customers' phone numbers in full (otherwise +968 •••• 3456)" },
    ],
  },
  {
    label: "Sales",
    permissions: [
      { key: "sales.sell", label: "Sell at the POS" },
      { key: "sales.void", label: "Void and refund sales" },
    ],
  },
  {
    label: "Accounts",
    permissions: [
      { key: "accounts.view", label: "See customer accounts, invoices and statements" },
      { key: "accounts.manage", label: "Open accounts, take payments, invoice, suspend" },
    ],
  },
  {
    label: "Catalog and stock",
    permissions: [
      { key: "catalog.manage", label: "Manage the catalog" },
      { key: "inventory.manage", label: "Manage stock" },
    ],
  },
  {
    label: "Reports",
    permissions: [
      { key: "reports.view", label: "View reports" },
      { key: "reports.export", label: "Export reports" },
    ],
  },
  {
    label: "Settings",
    permissions: [
      { key: "settings.view", label: "See settings and staff" },
      { key: "settings.update", label: "Change settings and staff" },
    ],
  },
];

const ORDER = PERMISSION_GROUPS.flatMap((g) => g.permissions.map((p) => p.key));
const LABEL = new Map(PERMISSION_GROUPS.flatMap((g) => g.permissions.map((p) => [p.key, p.label] as const)));

/** "View reports" for reports.view; an unknown permission as it is. */
export const permissionLabel = (key: string) => LABEL.get(key) ?? key;

/** The permissions in the checklist's order (unknown ones last). */
export function sortPermissions(keys: readonly (string | null)[]): string[] {
  const rank = (k: string) => (ORDER.includes(k) ? ORDER.indexOf(k) : ORDER.length);
  return keys.filter((k): k is string => Boolean(k)).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The roles every business starts with (app_private.seed_tenant_roles); custom roles have keys custom_…. */
export const isBuiltInRole = (key: string) => key === "owner" || key === "manager" || key === "cashier";
