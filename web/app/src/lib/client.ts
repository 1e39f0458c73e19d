// The urql client: same-origin POSTs to /graphql with the session cookie, urql's document
// cache, and hooks for two answers that change what the whole app shows: "the session has
// gone" (LOGIN: back to sign-in) and "the business is suspended" (TSUSP: the shell re-reads the
// viewer and shows the suspended screen).
import { Client, cacheExchange, fetchExchange, mapExchange } from "urql";
import { errorCode } from "./errors.ts";

export interface ClientHooks {
  onSignedOut(): void;
  onSuspended(): void;
}

export function makeClient(hooks: ClientHooks): Client {
  return new Client({
    url: "/graphql",
    preferGetMethod: false,
    fetchOptions: { credentials: "same-origin" },
    exchanges: [
      mapExchange({
        onError(error) {
          const code = errorCode(error);
          if (code === "LOGIN") hooks.onSignedOut();
          else if (code === "TSUSP") hooks.onSuspended();
        },
      }),
      cacheExchange,
      fetchExchange,
    ],
  });
}
