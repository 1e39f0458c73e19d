// Holds the urql client and lets any part of the app replace it. A new client means an empty
// cache: we do that whenever who is signed in, or which business they work in, changes
// (sign-in, sign-out, switching or creating a business). The subtree is remounted as well, so
// no component keeps state that belonged to the previous business.
import { createContext, Fragment, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { Provider } from "urql";
import { makeClient } from "./client.ts";

const ResetContext = createContext<() => void>(() => {});
const SuspendedContext = createContext<{ listeners: Set<() => void> }>({ listeners: new Set() });

export function ClientProvider({ children }: { children: ReactNode }) {
  const resetRef = useRef<() => void>(() => {});
  const suspended = useRef({ listeners: new Set<() => void>(), last: 0 });
  const [state, setState] = useState(() => ({ client: create(), generation: 0 }));
  function create() {
    return makeClient({
      onSignedOut: () => resetRef.current(),
      onSuspended: () => {
        // Several queries of one page fail together: tell the listeners once.
        if (Date.now() - suspended.current.last < 2000) return;
        suspended.current.last = Date.now();
        for (const listener of suspended.current.listeners) listener();
      },
    });
  }
  const reset = useCallback(() => {
    setState((s) => ({ client: create(), generation: s.generation + 1 }));
  }, []);
  resetRef.current = reset;
  return (
    <Provider value={state.client}>
      <ResetContext.Provider value={reset}>
        <SuspendedContext.Provider value={suspended.current}>
          <Fragment key={state.generation}>{children}</Fragment>
        </SuspendedContext.Provider>
      </ResetContext.Provider>
    </Provider>
  );
}

/** Drops every cached result and reloads what is on screen (a fresh client). */
export function useResetClient(): () => void {
  return useContext(ResetContext);
}

/** Calls `onSuspended` whenever a GraphQL answer says the business is suspended (TSUSP). */
export function useOnSuspended(onSuspended: () => void): void {
  const { listeners } = useContext(SuspendedContext);
  const callback = useRef(onSuspended);
  callback.current = onSuspended;
  useEffect(() => {
    const listener = () => callback.current();
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, [listeners]);
}
