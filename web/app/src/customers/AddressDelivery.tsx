// An address's delivery details (issue 17): building, floor, notes for the driver and optional
// coordinates, and how far it is from the business's nearest location with coordinates
// ("2.4 km from Main Street store", computed in SQL by the Haversine formula: nearestLocation).
import { Stack, TextField, Typography } from "@mui/material";
import type { Form } from "../lib/useForm.ts";
import type { Address } from "./queries.ts";

/** What the address card shows under the address lines. */
export function AddressDeliveryLines({ address: a }: { address: Address }) {
  const where = [a.building, a.floor && `Floor ${a.floor}`].filter(Boolean).join(", ");
  const near = a.nearestLocation;
  return (
    <>
      {where && <Typography variant="body2">{where}</Typography>}
      {a.deliveryNotes && (
        <Typography variant="body2" color="text.secondary" sx={{ fontStyle: "italic", whiteSpace: "pre-line" }}>
          {a.deliveryNotes}
        </Typography>
      )}
      {near?.locationName != null && near.distanceKm != null && (
        <Typography variant="caption" color="text.secondary" data-testid="address-distance">
          {near.distanceKm.toLocaleString(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} km from {near.locationName}
        </Typography>
      )}
    </>
  );
}

export interface DeliveryValues {
  building: string;
  floor: string;
  deliveryNotes: string;
  latitude: string;
  longitude: string;
}

export const deliveryValues = (a: Address | undefined): DeliveryValues => ({
  building: a?.building ?? "",
  floor: a?.floor ?? "",
  deliveryNotes: a?.deliveryNotes ?? "",
  latitude: a?.latitude != null ? String(a.latitude) : "",
  longitude: a?.longitude != null ? String(a.longitude) : "",
});

/** As the API takes them: blank text is none (the server trims), blank coordinates are null. */
export const deliveryInput = (v: DeliveryValues) => ({
  building: v.building,
  floor: v.floor,
  deliveryNotes: v.deliveryNotes,
  latitude: v.latitude.trim() || null,
  longitude: v.longitude.trim() || null,
});

/** The dialog's delivery inputs. */
export function DeliveryInputs<V extends DeliveryValues>({ form }: { form: Form<V> }) {
  return (
    <>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <TextField label="Building" {...form.text("building" as never)} slotProps={{ htmlInput: { maxLength: 100 } }} />
        <TextField label="Floor" {...form.text("floor" as never)} slotProps={{ htmlInput: { maxLength: 20 } }} />
      </Stack>
      <TextField label="Delivery notes" multiline minRows={2} {...form.text("deliveryNotes" as never)} slotProps={{ htmlInput: { maxLength: 500 } }} />
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <TextField label="Latitude" inputMode="decimal" placeholder="23.5880" {...form.text("latitude" as never, "Optional, for distances.")} />
        <TextField label="Longitude" inputMode="decimal" placeholder="58.3829" {...form.text("longitude" as never)} />
      </Stack>
    </>
  );
}
