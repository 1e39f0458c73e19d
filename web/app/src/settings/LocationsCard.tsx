// The business's locations (shops) and their time zones; "Add location" for those allowed.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  Typography,
} from "@mui/material";
import { useMemo, useState } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { AddIcon, PlaceIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import { AddLocationDialog } from "./AddLocationDialog.tsx";
import { LocationsQuery } from "./queries.ts";

export function LocationsCard({ canUpdate }: { canUpdate: boolean }) {
  // The document cache refetches this list after any mutation that returns a Location, even
  // while the list is empty (and so holds no Location yet).
  const context = useMemo(() => ({ additionalTypenames: ["Location"] }), []);
  const [{ data, error, fetching }] = useQuery({ query: LocationsQuery, context });
  const [adding, setAdding] = useState(false);
  const locations = data?.locations?.nodes ?? [];

  return (
    <Card>
      <CardContent>
        <Stack direction="row" sx={{ alignItems: "center", justifyContent: "space-between", mb: 2 }}>
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
          <TableContainer>
            <Table aria-label="Locations">
              <TableHead>
                <TableRow>
                  <TableCell>Name</TableCell>
                  <TableCell>Time zone</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {locations.map((location) => (
                  <TableRow key={location.id} hover>
                    <TableCell>
                      <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
                        <PlaceIcon fontSize="small" color="action" />
                        <span>{location.name}</span>
                      </Stack>
                    </TableCell>
                    <TableCell>{location.timezone}</TableCell>
                  </TableRow>
                ))}
                {!locations.length && !error && (
                  <TableRow>
                    <TableCell colSpan={2}>
                      <Typography color="text.secondary">No locations yet.</Typography>
                    </TableCell>
                  </TableRow>
                )}
              </TableBody>
            </Table>
          </TableContainer>
        )}
      </CardContent>
      {canUpdate && <AddLocationDialog open={adding} onClose={() => setAdding(false)} />}
    </Card>
  );
}
