// Serves the built admin (production) with sirv: the files of dist/app as listed at start-up (a
// request names one of them or nothing: no path is joined onto the folder), index.html for client
// routes. Hashed files under /assets/ are cached for good; everything else is revalidated.
import type { IncomingMessage, ServerResponse } from "node:http";
import sirv from "sirv";
import { sendError } from "./http.ts";

const notFound = (_req: IncomingMessage, res: ServerResponse) => sendError(res, { code: "NOTFD", message: "Not found." });

export function staticFiles(root: string) {
  const serve = sirv(root, {
    // index.html for a path with no file: a client route of the admin. A path that names a file
    // (an extension) or anything under /assets/ that is not there is a 404, never index.html.
    single: true,
    ignores: ["^/assets/"],
    etag: true,
    onNoMatch: notFound,
    setHeaders(res, pathname) {
      res.setHeader("cache-control", pathname.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
      res.setHeader("x-content-type-options", "nosniff");
    },
  });
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "GET" && req.method !== "HEAD") return notFound(req, res);
    serve(req, res);
  };
}
