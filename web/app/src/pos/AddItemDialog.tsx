// Adds a catalog item (needs catalog.manage), so that a business with an empty catalog can sell
// at once. The database checks the name, the SKU (format: BADIN, unique: DUSKU) and the price
// (BADAM); its messages appear under the field they concern.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField } from "@mui/material";
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { errorCode, errorMessage } from "../lib/errors.ts";
import { parseMoney } from "./money.ts";
import { CreateCatalogItemMutation } from "./queries.ts";

type Errors = { name?: string; sku?: string; price?: string; general?: string };

const FIELD_FOR_CODE: Record<string, keyof Errors> = { DUSKU: "sku", BADAM: "price" };

export function AddItemDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const [name, setName] = useState("");
  const [sku, setSku] = useState("");
  const [price, setPrice] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [{ fetching }, create] = useMutation(CreateCatalogItemMutation);

  function close() {
    setName("");
    setSku("");
    setPrice("");
    setErrors({});
    onClose();
  }

  const clear = (field: keyof Errors) => setErrors(({ [field]: _gone, general: _general, ...rest }) => rest);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const cents = parseMoney(price);
    const found: Errors = {};
    if (!name.trim()) found.name = "Enter the name shown on the till and the receipt.";
    if (!sku.trim()) found.sku = "Enter a SKU, such as LATTE-12.";
    if (!price.trim() || cents === null) found.price = "Enter a price such as 3.50.";
    if (Object.keys(found).length) return setErrors(found);
    const result = await create({ name, sku, price: cents! });
    if (result.error) {
      const code = errorCode(result.error) ?? "";
      const message = errorMessage(result.error);
      const target = FIELD_FOR_CODE[code] ?? (code === "BADIN" ? (/SKU/.test(message) ? "sku" : /name/i.test(message) ? "name" : "general") : "general");
      return setErrors({ [target]: message });
    }
    close(); // the grid refetches: it lists CatalogItem

  }

  return (
    <Dialog open={open} onClose={close} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Add item</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {errors.general && <Alert severity="error">{errors.general}</Alert>}
            <TextField
              label="Item name"
              name="itemName"
              autoFocus
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                clear("name");
              }}
              error={Boolean(errors.name)}
              helperText={errors.name}
            />
            <TextField
              label="SKU"
              name="sku"
              value={sku}
              onChange={(e) => {
                setSku(e.target.value);
                clear("sku");
              }}
              error={Boolean(errors.sku)}
              helperText={errors.sku ?? "Letters, digits, dots and dashes; stored in capitals."}
            />
            <TextField
              label="Price"
              name="price"
              value={price}
              onChange={(e) => {
                setPrice(e.target.value);
                clear("price");
              }}
              error={Boolean(errors.price)}
              helperText={errors.price ?? "Before tax."}
              slotProps={{ htmlInput: { inputMode: "decimal" } }}
            />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="contained" loading={fetching}>
            Add item
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
