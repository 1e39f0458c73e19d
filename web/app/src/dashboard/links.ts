// Where each figure of the home page is explained in full.

export type ReportTab = "sales" | "items" | "inventory" | "customers";

/**
 * The Reports page on one tab. ReportsPage keeps its tab in state and does not read `?tab=` yet:
 * until it does, these open the Sales tab.
 */
export const reportLink = (tab: ReportTab) => `/reports?tab=${tab}`;
