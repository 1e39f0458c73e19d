// The receipt of an earlier order, from today's list.
import { Button, Dialog, DialogActions, DialogContent, DialogTitle } from "@mui/material";
import { Receipt } from "./Receipt.tsx";

export function ReceiptDialog({ orderId, onClose }: { orderId: string; onClose(): void }) {
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>Receipt</DialogTitle>
      <DialogContent>
        <Receipt orderId={orderId} />
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
