// The phone formatter for the business the viewer works in (its default country).
import { useCallback } from "react";
import { useViewer } from "../shell/ViewerContext.tsx";
import { formatPhone } from "./phone.ts";

export function usePhone(): (phone: string | null | undefined) => string {
  const country = useViewer().tenant?.defaultCountry ?? null;
  return useCallback((phone) => formatPhone(phone, country), [country]);
}
