// Holds the urql client and lets any part of the app replace it. A new client means an empty
// cache: we do that whenever who is signed in, or which business they work in, changes
// (sign-in, sign-out, switching or creating a business). The subtree is remounted as well, so
// no component keeps state that belonged to the previous business.
import { createContext, Fragment, useCallback, useContext, useRef, useState, type ReactNode } from "react";
import { Provider } from "urql";
import { makeClient } from "./client.ts";

const ResetContext = createContext<() => void>(() => {});

export function ClientProvider({ children }: { children: ReactNode }) {
  const resetRef = useRef<() => void>(() => {});
  const [state, setState] = useState(() => ({ client: makeClient(() => resetRef.current()), generation: 0 }));
  const reset = useCallback(() => {
    setState((s) => ({ client: makeClient(() => resetRef.current()), generation: s.generation + 1 }));
  }, []);
  resetRef.current = reset;
  return (
    <Provider value={state.client}>
      <ResetContext.Provider value={reset}>
        <Fragment key={state.generation}>{children}</Fragment>
      </ResetContext.Provider>
    </Provider>
  );
}

/** Drops every cached result and reloads what is on screen (a fresh client). */
export function useResetClient(): () => void {
  return useContext(ResetContext);
}
