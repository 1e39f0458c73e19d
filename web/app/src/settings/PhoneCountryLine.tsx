// "Phone numbers are read as Oman's (+968)", and for settings.update the button that changes it.
import { Button, Stack, Typography } from "@mui/material";
import { useState } from "react";
import { useViewer } from "../shell/ViewerContext.tsx";
import { PhoneCountryDialog, phoneCountryLabel, usePhoneCountries } from "./PhoneCountryDialog.tsx";

export function PhoneCountryLine({ canUpdate }: { canUpdate: boolean }) {
  const { tenant } = useViewer();
  const countries = usePhoneCountries();
  const [changing, setChanging] = useState(false);
  if (!tenant) return null;
  const country = countries.get(tenant.defaultCountry);
  return (
    <Stack direction="row" spacing={2} useFlexGap sx={{ mt: 2, alignItems: "center", justifyContent: "space-between", flexWrap: "wrap" }}>
      <Typography color="text.secondary" data-testid="settings-phone-country">
        Phone numbers without a country code are read as {country ? phoneCountryLabel(country) : tenant.defaultCountry}
      </Typography>
      {canUpdate && (
        <Button variant="outlined" onClick={() => setChanging(true)}>
          Change country
        </Button>
      )}
      {canUpdate && changing && (
        <PhoneCountryDialog open onClose={() => setChanging(false)} rowId={tenant.rowId} current={tenant.defaultCountry} />
      )}
    </Stack>
  );
}
