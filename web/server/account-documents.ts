// GET /account-documents/:id — the PDF of an account invoice or statement (issue 18; SQL:
// migrations/fixtures/accounts/750-documents.sql). The database decides
// (app_hidden.account_document_file / account_document_chunk): only a member of the business with
// accounts.view gets it, and only once it is done; anything else is 404.
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import { sendError } from "./http.ts";
import { sendStoredFile } from "./stored-files.ts";

const DOCUMENT_PATH = /^\/account-documents\/([0-9A-Za-z]{26})$/;

export async function handleAccountDocumentDownload(pool: pg.Pool, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const match = DOCUMENT_PATH.exec(path);
  if (!match) return sendError(res, { code: "NOTFD", message: "Not found." });
  return sendStoredFile(pool, req, res, match[1], {
    file: "app_hidden.account_document_file",
    chunk: "app_hidden.account_document_chunk",
    contentType: "application/pdf",
  });
}
