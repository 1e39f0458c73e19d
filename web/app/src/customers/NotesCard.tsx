// Everything written about the customer, in one card. At the top, pinned, "About this customer":
// the profile's own text (its `notes` field, edited with the rest of the profile in the customer
// form). Under it the notes: dated, each with a category and its author. People with
// customers.update add, edit and delete notes; everyone who sees the customer reads them. The
// server checks a note; its message shows under the input it names, or above the form.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  IconButton,
  MenuItem,
  Stack,
  TextField,
  Tooltip,
  Typography,
} from "@mui/material";
import { useId, useState } from "react";
import { useMutation } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { formatDateTime, labelOf, NOTE_CATEGORIES, timeAgo } from "./format.ts";
import { DeleteIcon, EditIcon } from "../ui/icons.tsx";
import { CreateNoteMutation, DeleteNoteMutation, UpdateNoteMutation, type Note } from "./queries.ts";

const CATEGORY_COLOR: Record<string, "default" | "primary" | "secondary" | "error" | "info"> = {
  general: "default",
  preference: "primary",
  issue: "error",
  feedback: "secondary",
};

export function NotesCard({
  customerRowId,
  about,
  notes,
  canWrite,
}: {
  customerRowId: string;
  /** The profile's "About this customer" (customer.notes), null when nothing is written. */
  about: string | null;
  notes: Note[];
  canWrite: boolean;
}) {
  const [deleting, setDeleting] = useState<Note | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2" sx={{ mb: 1 }}>
          Notes
        </Typography>
        <AboutCustomer text={about} canWrite={canWrite} />
        {canWrite && <NoteForm key="new" customerRowId={customerRowId} />}
        {notes.length === 0 ? (
          <Typography color="text.secondary" sx={{ mt: canWrite ? 2 : 0 }}>
            No notes yet.
          </Typography>
        ) : (
          <Box component="ul" aria-label="Notes" sx={{ listStyle: "none", m: 0, p: 0, mt: canWrite ? 2 : 0 }}>
            {notes.map((n) => (
              <Box component="li" key={n.id} sx={{ py: 1.5, borderTop: 1, borderColor: "divider" }}>
                {editing === n.id ? (
                  <NoteForm customerRowId={customerRowId} note={n} onDone={() => setEditing(null)} />
                ) : (
                  <Stack direction="row" spacing={1} sx={{ alignItems: "flex-start" }}>
                    <Box sx={{ flex: 1, minWidth: 0 }}>
                      <Stack direction="row" spacing={1} sx={{ alignItems: "center", mb: 0.5 }}>
                        <Chip size="small" label={labelOf(NOTE_CATEGORIES, n.category)} color={CATEGORY_COLOR[n.category] ?? "default"} variant="outlined" />
                        <Typography variant="caption" color="text.secondary">
                          <Tooltip title={formatDateTime(n.createdAt)}>
                            <span>{timeAgo(n.createdAt)}</span>
                          </Tooltip>
                          {n.author ? ` · ${n.author.name}` : ""}
                          {n.updatedAt !== n.createdAt ? " · edited" : ""}
                        </Typography>
                      </Stack>
                      <Typography variant="body2" sx={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>
                        {n.body}
                      </Typography>
                    </Box>
                    {canWrite && (
                      <Box sx={{ flexShrink: 0 }}>
                        <IconButton size="small" aria-label="Edit note" onClick={() => setEditing(n.id)}>
                          <EditIcon fontSize="small" />
                        </IconButton>
                        <IconButton size="small" aria-label="Delete note" onClick={() => setDeleting(n)}>
                          <DeleteIcon fontSize="small" />
                        </IconButton>
                      </Box>
                    )}
                  </Stack>
                )}
              </Box>
            ))}
          </Box>
        )}
      </CardContent>
      <DeleteNoteDialog note={deleting} onClose={() => setDeleting(null)} />
    </Card>
  );
}

/** The pinned "About this customer": one text kept on the profile, not dated like the notes under it. */
function AboutCustomer({ text, canWrite }: { text: string | null; canWrite: boolean }) {
  const id = useId();
  if (!text) {
    return canWrite ? (
      <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }} data-testid="about-customer">
        About this customer: nothing yet. Edit adds a summary that stays pinned here.
      </Typography>
    ) : null;
  }
  return (
    <Box
      component="section"
      aria-labelledby={id}
      data-testid="about-customer"
      sx={{ mb: 2, p: 1.5, borderRadius: 1, bgcolor: "action.hover", borderLeft: 3, borderColor: "primary.main" }}
    >
      <Typography variant="subtitle2" component="h3" id={id}>
        About this customer
      </Typography>
      <Typography variant="caption" color="text.secondary" sx={{ display: "block", mb: 0.5 }}>
        Pinned from the profile{canWrite ? "; Edit changes it" : ""}
      </Typography>
      <Typography variant="body2" sx={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>
        {text}
      </Typography>
    </Box>
  );
}

/** Adds a note, or edits `note` (then onDone closes the editor). The server checks it (BADIN under the input it names). */
function NoteForm({ customerRowId, note, onDone }: { customerRowId: string; note?: Note; onDone?(): void }) {
  const fresh = { body: "", category: "general" };
  const form = useForm(() => (note ? { body: note.body, category: note.category } : fresh));
  const [, create] = useMutation(CreateNoteMutation);
  const [, update] = useMutation(UpdateNoteMutation);

  const submit = form.submit(async () => {
    const { body, category } = form.values;
    const result = note ? await update({ id: note.id, body, category }) : await create({ customerId: customerRowId, body, category });
    if (result.error) return void form.fail(result.error);
    if (note) onDone?.();
    else form.reset(fresh);
  });

  return (
    <Box component="form" onSubmit={submit} noValidate aria-label={note ? "Edit note" : "Add a note"}>
      <Stack spacing={1.5}>
        {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
        <TextField
          label={note ? "Note" : "New note"}
          {...form.text("body", note ? undefined : "Saved with the date and your name.")}
          name="noteBody"
          multiline
          minRows={2}
          slotProps={{ htmlInput: { maxLength: 2000 } }}
        />
        <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
          <TextField
            select
            size="small"
            label="Category"
            {...form.text("category")}
            fullWidth={false}
            sx={{ width: 170, mr: "auto !important" }}
          >
            {NOTE_CATEGORIES.map((c) => (
              <MenuItem key={c.value} value={c.value}>
                {c.label}
              </MenuItem>
            ))}
          </TextField>
          {note && <Button onClick={onDone}>Cancel</Button>}
          <Button type="submit" variant={note ? "contained" : "outlined"} loading={form.submitting}>
            {note ? "Save note" : "Add note"}
          </Button>
        </Stack>
      </Stack>
    </Box>
  );
}

function DeleteNoteDialog({ note, onClose }: { note: Note | null; onClose(): void }) {
  const [{ fetching, error }, remove] = useMutation(DeleteNoteMutation);
  return (
    <Dialog open={Boolean(note)} onClose={onClose} maxWidth="xs" fullWidth>
      <DialogTitle>Delete note?</DialogTitle>
      <DialogContent>
        {error && <Alert severity="error" sx={{ mb: 2 }}>{errorMessage(error)}</Alert>}
        <DialogContentText sx={{ whiteSpace: "pre-wrap" }}>{note?.body}</DialogContentText>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose}>Keep it</Button>
        <Button
          color="error"
          variant="contained"
          loading={fetching}
          onClick={async () => {
            if (!note) return;
            const result = await remove({ id: note.id });
            if (!result.error) onClose();
          }}
        >
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
}
