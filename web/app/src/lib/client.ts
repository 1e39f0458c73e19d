// The urql client: same-origin POSTs to /graphql with the session cookie, urql's document
// cache, and a hook for "the session has gone" (LOGIN) so the app can send the person to sign-in.
import { Client, cacheExchange, fetchExchange, mapExchange } from "urql";
import { errorCode } from "./errors.ts";

export function makeClient(onSignedOut: () => void): Client {
  return new Client({
    url: "/graphql",
    preferGetMethod: false,
    fetchOptions: { credentials: "same-origin" },
    exchanges: [
      mapExchange({
        onError(error) {
          if (errorCode(error) === "LOGIN") onSignedOut();
        },
      }),
      cacheExchange,
      fetchExchange,
    ],
  });
}
