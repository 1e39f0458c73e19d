// Closes the drawer with the cash counted. The database works out what should be there (float +
// cash payments − cash refunds + cash in − cash out) and keeps it with the difference; the
// dialog shows the same figures while counting, so a short or over drawer is seen before closing.
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, Typography } from "@mui/material";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { useMoney } from "../ui/useMoney.ts";
import { differenceText } from "./drawer.ts";
import { MoneyField } from "./MoneyField.tsx";
import { CloseCashDrawerMutation, type CashDrawer } from "./queries.ts";

interface Props {
  drawer: CashDrawer;
  onClose(): void;
  onClosed(drawer: CashDrawer): void;
}

export function CloseDrawerDialog({ drawer, onClose, onClosed }: Props) {
  const money = useMoney();
  const form = useForm({ counted: 0, note: "" });
  const [, closeDrawer] = useMutation(CloseCashDrawerMutation);
  const difference = form.values.counted - drawer.expectedNow;

  const submit = form.submit(async () => {
    const result = await closeDrawer({ cashDrawerId: drawer.rowId, counted: form.values.counted, note: form.values.note.trim() || null });
    const closed = result.data?.closeCashDrawer?.cashDrawer;
    if (result.error) return void form.fail(result.error);
    if (!closed) return form.say("The drawer was not closed.");
    onClosed(closed);
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Close the cash drawer</DialogTitle>
        <DialogContent>
          {form.formError && (
            <Alert severity="error" sx={{ mb: 2 }}>
              {form.formError.message}
            </Alert>
          )}
          <Typography sx={{ mb: 2 }}>
            Count the cash in the drawer. It should hold <strong data-testid="close-expected">{money.format(drawer.expectedNow)}</strong>.
          </Typography>
          <Stack spacing={2}>
            <MoneyField
              label="Cash counted"
              cents={form.values.counted}
              onCents={(cents) => form.set("counted", cents)}
              problem={form.errorOf("counted")?.message}
              autoFocus
              fullWidth
            />
            <Box data-testid="close-difference" sx={{ color: difference === 0 ? "success.main" : "warning.main", fontWeight: 600 }}>
              {differenceText(difference, money.format)}
            </Box>
            <TextField label="Note (optional)" {...form.text("note", "For example, why the drawer is short.")} />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Keep it open</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Close drawer
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
