-- Customer tiers (issue 16, items 3 and 4): the rules, after 3-companies.sql (the list view names kind, company_name and tier_id).

--!include sales/320-orders.sql
--!include customers/470-loyalty-classes.sql
--!include customers/475-tiers.sql
-- (customers/460-timeline.sql, which names the tier change, is included by 5-timeline.sql after the tables it reads.)
