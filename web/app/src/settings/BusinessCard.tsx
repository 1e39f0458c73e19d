// The business: its name (renamable with settings.update), status, currency and number format,
// and the country phone numbers are read for (PhoneCountryDialog).
import { Button, Card, CardContent, Chip, Stack, Typography } from "@mui/material";
import { useState } from "react";
import { useViewer } from "../shell/ViewerContext.tsx";
import { sampleAmount } from "../ui/money.ts";
import { useMoney } from "../ui/useMoney.ts";
import { MoneySettingsDialog } from "./MoneySettingsDialog.tsx";
import { PhoneCountryLine } from "./PhoneCountryLine.tsx";
import { RenameBusinessDialog } from "./RenameBusinessDialog.tsx";

export function BusinessCard({ canUpdate }: { canUpdate: boolean }) {
  const { tenant } = useViewer();
  const [renaming, setRenaming] = useState(false);
  const [changingMoney, setChangingMoney] = useState(false);
  const money = useMoney();
  if (!tenant) return null;
  return (
    <Card>
      <CardContent>
        <Typography variant="overline" color="text.secondary">
          Business
        </Typography>
        <Stack direction="row" spacing={2} useFlexGap sx={{ alignItems: "center", justifyContent: "space-between", flexWrap: "wrap" }}>
          <Stack direction="row" spacing={1.5} sx={{ alignItems: "center" }}>
            <Typography variant="h5" component="h2" data-testid="settings-business-name">
              {tenant.name}
            </Typography>
            <Chip
              size="small"
              label={tenant.status[0]!.toUpperCase() + tenant.status.slice(1)}
              color={tenant.status === "active" ? "success" : "warning"}
              variant="outlined"
            />
          </Stack>
          {canUpdate && (
            <Button variant="outlined" onClick={() => setRenaming(true)}>
              Rename
            </Button>
          )}
        </Stack>
        <Stack direction="row" spacing={2} useFlexGap sx={{ mt: 2, alignItems: "center", justifyContent: "space-between", flexWrap: "wrap" }}>
          <Typography color="text.secondary" data-testid="settings-money">
            Sells in {money.currency} · amounts read {money.format(sampleAmount(money))} ({money.locale})
          </Typography>
          {canUpdate && (
            <Button variant="outlined" onClick={() => setChangingMoney(true)}>
              Change currency
            </Button>
          )}
        </Stack>
        <PhoneCountryLine canUpdate={canUpdate} />
      </CardContent>
      {canUpdate && (
        <RenameBusinessDialog open={renaming} onClose={() => setRenaming(false)} rowId={tenant.rowId} current={tenant.name} />
      )}
      {canUpdate && changingMoney && (
        <MoneySettingsDialog
          open
          onClose={() => setChangingMoney(false)}
          rowId={tenant.rowId}
          currency={money.currency}
          locale={money.locale ?? "en-US"}
          minorUnits={money.minorUnits}
        />
      )}
    </Card>
  );
}
