// Focus an input once its dialog is open. The `autoFocus` attribute is not enough inside MUI
// dialogs in development: React's StrictMode re-runs the dialog's focus trap, which first gives
// the focus back to the button that opened it and then to the dialog itself. An effect of the
// input runs again as well (and before the trap's), so the focus ends up in the input.
import { useEffect, useRef } from "react";

export function useFocusOnMount<T extends HTMLElement>(enabled = true) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (enabled) ref.current?.focus();
  }, [enabled]);
  return ref;
}
