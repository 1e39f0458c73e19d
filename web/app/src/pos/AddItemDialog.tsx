// Adds a catalog item (needs catalog.manage), so that a business with an empty catalog can sell
// at once. The database checks the name, the SKU (format: BADIN, unique: DUSKU) and the price
// (BADAM); its message appears under the input it names (`field`), or above the form. Only
// reading the price as money is done here: the database takes cents.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, InputAdornment, Stack, TextField } from "@mui/material";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { currencySymbol, exampleAmount, parseMoney } from "../ui/money.ts";
import { CreateCatalogItemMutation } from "./queries.ts";
import { useMoney } from "../ui/useMoney.ts";

const blank = () => ({ name: "", sku: "", price: "" });

export function AddItemDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const money = useMoney();
  const form = useForm(blank);
  const [, create] = useMutation(CreateCatalogItemMutation);

  function close() {
    form.reset(blank());
    onClose();
  }

  const submit = form.submit(async () => {
    const { name, sku, price } = form.values;
    const cents = price.trim() ? parseMoney(price, money) : null;
    // The price as typed is not money: said here, since the server never sees it.
    if (cents === null) return form.say(`Enter a price such as ${exampleAmount(money)}.`, "price");
    const result = await create({ name, sku, price: cents });
    if (result.error) return void form.fail(result.error);
    close(); // the grid refetches: it lists CatalogItem
  });

  return (
    <Dialog open={open} onClose={close} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Add item</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField label="Item name" autoFocus {...form.text("name")} name="itemName" />
            <TextField label="SKU" {...form.text("sku", "Letters, digits, dots and dashes; stored in capitals.")} />
            <TextField
              label="Price"
              {...form.text("price", "Before tax.")}
              slotProps={{
                htmlInput: { inputMode: money.minorUnits ? "decimal" : "numeric" },
                input: { startAdornment: <InputAdornment position="start">{currencySymbol(money)}</InputAdornment> },
              }}
            />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Add item
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
