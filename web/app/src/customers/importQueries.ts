// GraphQL operations of customer imports (SQL: migrations/fixtures/customers/485-import.sql). The
// file itself is uploaded to POST /imports/customers (lib/rest.ts postFile); everything after that
// is here: the import as the worker reads and commits it, its rows, the fields a column can fill,
// the mapping and the commit.
import { graphql, type ResultOf } from "../graphql.ts";

const CustomerImportFields = graphql(`
  fragment CustomerImportFields on CustomerImport {
    id
    rowId
    fileName
    status
    header
    mapping
    onDuplicate
    rowsRead
    rowsTotal
    rowsDone
    newCount
    duplicateCount
    fileDuplicateCount
    invalidCount
    createdCount
    updatedCount
    skippedCount
    failedCount
    errorCode
    errorMessage
    reportUrl
    createdAt
    finishedAt
  }
`);

export const CustomerImportHistoryQuery = graphql(
  `
    query CustomerImportHistory($first: Int!) {
      customerImportHistory(first: $first) {
        totalCount
        pageInfo {
          hasNextPage
        }
        nodes {
          ...CustomerImportFields
        }
      }
    }
  `,
  [CustomerImportFields],
);

const ImportRowFields = graphql(`
  fragment ImportRowFields on CustomerImportRow {
    rowNo
    cells
    state
    reason
    firstName
    lastName
    email
    phone
    tags
    company
    city
    customer {
      rowId
      displayName
      customerNumber
    }
  }
`);

export const CustomerImportQuery = graphql(
  `
    query CustomerImport($id: String!) {
      customerImportByRowId(rowId: $id) {
        ...CustomerImportFields
        sample: rows(first: 8) {
          nodes {
            ...ImportRowFields
            likelyDuplicates(first: 1) {
              nodes {
                customerId
                customerNumber
                displayName
                reasons
              }
            }
          }
        }
        firstCells: rows(first: 1) {
          nodes {
            cells
          }
        }
        refused: rows(state: "invalid", first: 8) {
          nodes {
            ...ImportRowFields
          }
        }
      }
      customerImportFields {
        nodes {
          field
          label
        }
      }
    }
  `,
  [CustomerImportFields, ImportRowFields],
);

export const SetCustomerImportMappingMutation = graphql(
  `
    mutation SetCustomerImportMapping($importId: String!, $mapping: [String]!, $onDuplicate: String!) {
      setCustomerImportMapping(input: { importId: $importId, mapping: $mapping, onDuplicate: $onDuplicate }) {
        customerImport {
          ...CustomerImportFields
        }
      }
    }
  `,
  [CustomerImportFields],
);

export const CommitCustomerImportMutation = graphql(
  `
    mutation CommitCustomerImport($importId: String!) {
      commitCustomerImport(input: { importId: $importId }) {
        customerImport {
          ...CustomerImportFields
        }
      }
    }
  `,
  [CustomerImportFields],
);

export type CustomerImport = ResultOf<typeof CustomerImportFields>;
export type ImportRow = ResultOf<typeof ImportRowFields>;
export type ImportStatus = "uploading" | "parsing" | "ready" | "committing" | "done" | "failed";
export type OnDuplicate = "skip" | "fill" | "overwrite";
