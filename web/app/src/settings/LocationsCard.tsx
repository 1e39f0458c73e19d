// The business's locations (shops), their time zones and whether they are open. With
// settings.update: add one, edit its name and time zone, close it (it sells nothing more and
// leaves the pickers; its history stays) or reopen it. The server refuses what cannot be (the
// only open location, an open cash drawer or open orders, the plan's limit on reopening) and
// says why in the confirm dialog.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Chip,
  Stack,
  Typography,
} from "@mui/material";
import { useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { formatDate } from "../customers/format.ts";
import { errorMessage } from "../lib/errors.ts";
import { DataTable } from "../ui/DataTable.tsx";
import { AddIcon, PlaceIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import { ONLY_ON_PHONE } from "../ui/narrow.ts";
import { AddLocationDialog } from "./AddLocationDialog.tsx";
import { ConfirmDialog } from "./ConfirmDialog.tsx";
import { EditLocationDialog } from "./EditLocationDialog.tsx";
import { CloseLocationMutation, LocationsQuery, ReopenLocationMutation, type Location } from "./queries.ts";

export function LocationsCard({ canUpdate }: { canUpdate: boolean }) {
  // The document cache refetches this list after any mutation that returns a Location, even
  // while the list is empty (and so holds no Location yet).
  const context = useMemo(() => ({ additionalTypenames: ["Location"] }), []);
  const [{ data, error, fetching }] = useQuery({ query: LocationsQuery, context });
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Location | null>(null);
  const [closing, setClosing] = useState<Location | null>(null);
  const [reopening, setReopening] = useState<Location | null>(null);
  const [, closeLocation] = useMutation(CloseLocationMutation);
  const [, reopenLocation] = useMutation(ReopenLocationMutation);
  const locations = data?.locations?.nodes ?? [];

  return (
    <Card>
      <CardContent>
        <Stack direction="row" spacing={2} useFlexGap sx={{ alignItems: "center", justifyContent: "space-between", flexWrap: "wrap", mb: 2 }}>
          <Box>
            <Typography variant="h6" component="h2">
              Locations
            </Typography>
            <Typography variant="body2" color="text.secondary">
              Each shop keeps its business dates in its own time zone.
            </Typography>
          </Box>
          {canUpdate && (
            <Button variant="contained" startIcon={<AddIcon />} onClick={() => setAdding(true)}>
              Add location
            </Button>
          )}
        </Stack>
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!data && fetching ? (
          <Loading />
        ) : (
          <DataTable
            label="Locations"
            size="medium"
            rows={locations}
            rowKey={(location) => location.id}
            empty={!error && "No locations yet."}
            columns={[
              {
                header: "Name",
                cell: (location) => (
                  <Stack direction="row" spacing={1} useFlexGap sx={{ alignItems: "center" }}>
                    <PlaceIcon fontSize="small" color="action" sx={{ display: { xs: "none", sm: "inline-block" } }} />
                    <Box component="span" sx={{ minWidth: 0 }}>
                      {location.name}
                      {/* The time zone column has no room on a phone: it goes under the name. */}
                      <Typography variant="caption" color="text.secondary" sx={{ ...ONLY_ON_PHONE, overflowWrap: "anywhere" }}>
                        {location.timezone}
                      </Typography>
                    </Box>
                  </Stack>
                ),
              },
              { header: "Time zone", hideBelow: "sm", cell: (location) => location.timezone },
              {
                header: "Status",
                cell: (location) =>
                  location.closedAt ? (
                    <Chip size="small" label="Closed" title={`Closed on ${formatDate(location.closedAt)}`} />
                  ) : (
                    <Chip size="small" label="Open" color="success" variant="outlined" />
                  ),
              },
              canUpdate && {
                header: "Actions",
                actions: true,
                cell: (location) => (
                  <>
                    <Button size="small" onClick={() => setEditing(location)} aria-label={`Edit ${location.name}`}>
                      Edit
                    </Button>
                    {location.closedAt ? (
                      <Button size="small" onClick={() => setReopening(location)} aria-label={`Reopen ${location.name}`}>
                        Reopen
                      </Button>
                    ) : (
                      <Button size="small" color="error" onClick={() => setClosing(location)} aria-label={`Close ${location.name}`}>
                        Close
                      </Button>
                    )}
                  </>
                ),
              },
            ]}
          />
        )}
      </CardContent>
      {canUpdate && <AddLocationDialog open={adding} onClose={() => setAdding(false)} />}
      {editing && <EditLocationDialog key={editing.id} location={editing} onClose={() => setEditing(null)} />}
      {closing && (
        <ConfirmDialog
          title={`Close ${closing.name}`}
          confirm="Close location"
          onClose={() => setClosing(null)}
          onConfirm={async () => (await closeLocation({ locationId: closing.rowId })).error}
        >
          {closing.name} stops selling and leaves the POS location picker. Its sales, stock and reports stay, and you can reopen it
          later.
        </ConfirmDialog>
      )}
      {reopening && (
        <ConfirmDialog
          title={`Reopen ${reopening.name}`}
          confirm="Reopen location"
          danger={false}
          onClose={() => setReopening(null)}
          onConfirm={async () => (await reopenLocation({ locationId: reopening.rowId })).error}
        >
          {reopening.name} can sell again and comes back to the POS location picker. An open location counts towards your plan.
        </ConfirmDialog>
      )}
    </Card>
  );
}
