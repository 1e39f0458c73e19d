-- Customer tiers (issue 16, items 3 and 4): the rules, after 3-companies.sql (the list view names kind, company_name and tier_id).

--!include sales/320-orders.sql
--!include customers/460-timeline.sql
--!include customers/470-loyalty-classes.sql
--!include customers/475-tiers.sql
