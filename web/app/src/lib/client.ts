// The urql client: same-origin POSTs to /graphql with the session cookie, urql's document
// cache, and hooks for two answers that change what the whole app shows: "the session has
// gone" (LOGIN: back to sign-in) and "the business is suspended" (TSUSP: the shell re-reads the
// viewer and shows the suspended screen). Subscriptions (live updates) go over one WebSocket to
// the same /graphql, opened with the same cookie (graphql-ws; it opens when a page subscribes).
import { createClient as createWsClient } from "graphql-ws";
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from "urql";
import { errorCode } from "./errors.ts";

export interface ClientHooks {
  onSignedOut(): void;
  onSuspended(): void;
}

export function makeClient(hooks: ClientHooks): Client {
  const ws = createWsClient({
    url: `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`,
    lazy: true,
    // A dropped socket (a deploy, a laptop waking up) comes back by itself.
    retryAttempts: Infinity,
    shouldRetry: () => true,
  });
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
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? "" }, sink) }),
        }),
      }),
    ],
  });
}
