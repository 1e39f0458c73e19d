// Sign-in, business creation, accepting an invitation and sign-out. The SQL functions
// (app_hidden.login/onboard/accept_invitation/logout) do the work; this file only moves the
// session secret between them and the HttpOnly cookie.
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import { asVisitor } from "./db.ts";
import { HttpError, readJsonObject, sendJson, stringField } from "./http.ts";
import { clientAddress, readSessionId, setSessionCookie } from "./session.ts";

export async function handleAuth(pool: pg.Pool, req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  if (req.method !== "POST") return false;
  switch (path) {
    case "/auth/login": {
      const body = await readJsonObject(req);
      // Rate-limited per client address in SQL (app_hidden.login_from). It runs as the
      // authenticator role itself: only the server may say which address is signing in.
      const session = await pool
        .query("select app_hidden.login_from($1, $2, $3) as id", [clientAddress(req), stringField(body, "email"), stringField(body, "password")])
        .then(({ rows }) => rows[0].id as string | null)
        .catch((err) => {
          // RATEL carries the seconds to wait in its detail.
          const wait = (err as { code?: string; detail?: string }).code === "RATEL" ? Number((err as { detail?: string }).detail) : NaN;
          if (Number.isInteger(wait) && wait > 0) res.setHeader("retry-after", String(wait));
          throw err;
        });
      if (!session) throw new HttpError("CREDS", "Incorrect email or password.");
      setSessionCookie(req, res, session);
      sendJson(res, 200, { ok: true });
      return true;
    }
    case "/auth/onboard": {
      const body = await readJsonObject(req);
      const session = await asVisitor(pool, null, async (c) => {
        const { rows } = await c.query("select app_hidden.onboard($1, $2, $3, $4, $5, $6, $7) as id", [
          stringField(body, "companyName"),
          stringField(body, "ownerName"),
          stringField(body, "email"),
          stringField(body, "password"),
          stringField(body, "timezone"),
          stringField(body, "currency"), // null: US dollars
          stringField(body, "locale"), // null: en-US
        ]);
        return rows[0].id as string;
      });
      setSessionCookie(req, res, session);
      sendJson(res, 200, { ok: true });
      return true;
    }
    case "/auth/invitations/accept": {
      // Someone new gives a name and a password; someone with an account, their password (a
      // wrong one is counted as at sign-in, so it must commit: the function returns null).
      const body = await readJsonObject(req);
      const session = await asVisitor(pool, null, async (c) => {
        const { rows } = await c.query("select app_hidden.accept_invitation($1, $2, $3) as id", [
          stringField(body, "token"),
          stringField(body, "name"),
          stringField(body, "password"),
        ]);
        return rows[0].id as string | null;
      });
      if (!session) throw new HttpError("CREDS", "Incorrect password for this email.");
      setSessionCookie(req, res, session);
      sendJson(res, 200, { ok: true });
      return true;
    }
    case "/auth/logout": {
      await asVisitor(pool, readSessionId(req), (c) => c.query("select app_hidden.logout()"));
      setSessionCookie(req, res, null);
      sendJson(res, 200, { ok: true });
      return true;
    }
    default:
      return false;
  }
}
