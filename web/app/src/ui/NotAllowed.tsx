// Shown instead of a page the person's role does not include.
import { Alert } from "@mui/material";

export function NotAllowed({ what }: { what: string }) {
  return <Alert severity="info">Your role in this business does not include {what}. Ask an owner if you need it.</Alert>;
}
