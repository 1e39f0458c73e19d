// How the customer likes to be contacted and served: do not contact (which overrides every
// channel), each contact channel they agreed to or refused with where and when they said so,
// preferred payment, best time to contact, language and favourite items. People with
// customers.update change them in one dialog; each part is its own command
// (setCustomerPreferences, setCustomerContactChannel, add/removeCustomerFavouriteItem), sent only
// when it changed, and the server's message shows under the input it names.
import {
  Alert,
  Autocomplete,
  Box,
  Button,
  Card,
  CardContent,
  Chip,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  FormControlLabel,
  FormHelperText,
  MenuItem,
  Stack,
  Switch,
  TextField,
  Typography,
} from "@mui/material";
import { useState, type ReactNode } from "react";
import { useMutation, useQuery } from "urql";
import { serverError, type ServerError } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { PosCatalogQuery, type CatalogItem } from "../pos/queries.ts";
import {
  CONSENT_SOURCES,
  CONTACT_CHANNELS,
  CONTACT_TIMES,
  formatDateTime,
  labelOf,
  PAYMENT_METHODS,
  SOURCE_LABEL,
} from "./format.ts";
import { EditIcon } from "../ui/icons.tsx";
import { ProfileField } from "./ProfileCard.tsx";
import {
  AddFavouriteItemMutation,
  RemoveFavouriteItemMutation,
  SetContactChannelMutation,
  SetCustomerPreferencesMutation,
  type ContactChannel,
  type CustomerDetail,
  type PreferencesInput,
} from "./queries.ts";
import { useDebounced } from "./useDebounced.ts";

type Channel = (typeof CONTACT_CHANNELS)[number]["value"];

/** A select whose empty choice says so ("Not asked yet", "Not set") rather than leaving the box blank. */
const SHOW_EMPTY = { select: { displayEmpty: true }, inputLabel: { shrink: true } } as const;

/** The language's name in the reader's language ("Arabic (Oman)"), or null when the browser has none. */
function languageName(tag: string): string | null {
  try {
    const name = new Intl.DisplayNames(undefined, { type: "language" }).of(tag);
    return name && name !== tag ? name : null;
  } catch {
    return null;
  }
}

function channelText(ch: ContactChannel | undefined): string {
  if (!ch) return "Not asked yet";
  const by = ch.recordedByUser ? ` by ${ch.recordedByUser.name}` : "";
  return `${ch.allowed ? "Agreed" : "Refused"} · ${SOURCE_LABEL[ch.source] ?? ch.source} · ${formatDateTime(ch.recordedAt)}${by}`;
}

export function PreferencesCard({ customer: c, canWrite }: { customer: CustomerDetail; canWrite: boolean }) {
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const p = c.preferences;
  const channels = new Map(c.contactChannels.nodes.map((ch) => [ch.channel, ch]));
  const favourites = sortedFavourites(c);
  const dnc = p?.doNotContact ?? false;

  return (
    <Card data-testid="preferences-card">
      <CardContent>
        <Stack direction="row" sx={{ alignItems: "center", justifyContent: "space-between", mb: 1.5 }}>
          <Typography variant="h6" component="h2">
            Preferences
          </Typography>
          {canWrite && (
            <Button size="small" startIcon={<EditIcon />} onClick={() => setEditing(true)}>
              Change preferences
            </Button>
          )}
        </Stack>
        {saved && (
          <Alert severity="success" sx={{ mb: 1.5 }} onClose={() => setSaved(false)}>
            Preferences saved.
          </Alert>
        )}
        {dnc && (
          <Alert severity="warning" sx={{ mb: 1.5 }} data-testid="do-not-contact">
            Do not contact. This overrides every channel below: the customer is not to be emailed, texted or called, and is
            left out of exports and campaign lists.
          </Alert>
        )}
        <Box component="dl" sx={{ display: "grid", gridTemplateColumns: "max-content 1fr", columnGap: 3, rowGap: 1.25, m: 0 }}>
          {CONTACT_CHANNELS.map(({ value, label }) => {
            const ch = channels.get(value);
            return (
              <ProfileField key={value} label={label}>
                <Box component="span" sx={dnc ? { color: "text.disabled", textDecoration: ch ? "line-through" : undefined } : undefined}>
                  {channelText(ch)}
                </Box>
                {dnc && (
                  <Box component="span" sx={{ color: "warning.main", ml: 1 }}>
                    (overridden)
                  </Box>
                )}
              </ProfileField>
            );
          })}
          <ProfileField label="Preferred payment">{p?.preferredPayment ? labelOf(PAYMENT_METHODS, p.preferredPayment) : null}</ProfileField>
          <ProfileField label="Best time to contact">{p?.bestContactTime ? labelOf(CONTACT_TIMES, p.bestContactTime) : null}</ProfileField>
          <ProfileField label="Language">
            {p?.language ? (languageName(p.language) ? `${languageName(p.language)} (${p.language})` : p.language) : null}
          </ProfileField>
          <ProfileField label="Favourite items">
            {favourites.length ? (
              <Box component="span" sx={{ display: "flex", gap: 0.5, flexWrap: "wrap" }}>
                {favourites.map((f) => (
                  <Chip key={f.rowId} size="small" label={f.name} />
                ))}
              </Box>
            ) : null}
          </ProfileField>
        </Box>
      </CardContent>
      {canWrite && editing && (
        <PreferencesDialog
          customer={c}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            setSaved(true);
          }}
        />
      )}
    </Card>
  );
}

interface Item {
  rowId: string;
  name: string;
}

function sortedFavourites(c: CustomerDetail): Item[] {
  return c.favouriteItems.nodes
    .flatMap((f) => (f.catalogItem ? [{ rowId: f.catalogItem.rowId, name: f.catalogItem.name }] : []))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The form's values for what the customer has now (a channel's source the form cannot send reads as back office). */
function valuesOf(c: CustomerDetail) {
  const p = c.preferences;
  const channels = new Map(c.contactChannels.nodes.map((ch) => [ch.channel, ch]));
  const channel = (ch: Channel) => {
    const x = channels.get(ch);
    return {
      allowed: x ? (x.allowed ? "yes" : "no") : "",
      source: x && CONSENT_SOURCES.some((s) => s.value === x.source) ? x.source : "admin",
    };
  };
  return {
    doNotContact: p?.doNotContact ?? false,
    preferredPayment: p?.preferredPayment ?? "",
    bestContactTime: p?.bestContactTime ?? "",
    language: p?.language ?? "",
    emailAllowed: channel("email").allowed,
    emailSource: channel("email").source,
    smsAllowed: channel("sms").allowed,
    smsSource: channel("sms").source,
    phoneAllowed: channel("phone").allowed,
    phoneSource: channel("phone").source,
    /** Not an input of its own: where the server's words about a favourite item go. */
    favourites: "",
  };
}

type Values = ReturnType<typeof valuesOf>;

function PreferencesDialog({ customer: c, onClose, onSaved }: { customer: CustomerDetail; onClose(): void; onSaved(): void }) {
  const form = useForm<Values>(() => valuesOf(c));
  const [favourites, setFavourites] = useState<Item[]>(() => sortedFavourites(c));
  const [, setPreferences] = useMutation(SetCustomerPreferencesMutation);
  const [, setChannel] = useMutation(SetContactChannelMutation);
  const [, addFavourite] = useMutation(AddFavouriteItemMutation);
  const [, removeFavourite] = useMutation(RemoveFavouriteItemMutation);
  const v = form.values;

  /** Each part is sent when it differs from what the customer has now (after a partial save too). */
  const submit = form.submit(async () => {
    const now = valuesOf(c);
    const fail = (error: unknown, where?: (said: ServerError) => string | null) => {
      const said = serverError(error);
      form.fail(where ? { ...said, field: where(said) ?? said.field } : said);
    };

    // "" clears a field; null leaves it.
    const prefs: PreferencesInput = {};
    if (v.doNotContact !== now.doNotContact) prefs.doNotContact = v.doNotContact;
    if (v.preferredPayment !== now.preferredPayment) prefs.preferredPayment = v.preferredPayment;
    if (v.bestContactTime !== now.bestContactTime) prefs.bestContactTime = v.bestContactTime;
    if (v.language.trim() !== now.language) prefs.language = v.language.trim();
    if (Object.keys(prefs).length) {
      const result = await setPreferences({ customerId: c.rowId, ...prefs });
      if (result.error) return fail(result.error);
    }

    for (const { value: channel } of CONTACT_CHANNELS) {
      const allowed = v[`${channel}Allowed`];
      const source = v[`${channel}Source`];
      if (!allowed || (allowed === now[`${channel}Allowed`] && source === now[`${channel}Source`])) continue;
      const result = await setChannel({ customerId: c.rowId, channel, allowed: allowed === "yes", source });
      // The server names the channel's input (channel, allowed, source; a bad source as the
      // consent source it shares with marketing consent): this channel's in the form.
      if (result.error)
        return fail(result.error, (said) =>
          said.field === "source" || said.field === "marketingConsentSource"
            ? `${channel}Source`
            : said.field === "allowed" || said.field === "channel"
              ? `${channel}Allowed`
              : null,
        );
    }

    const had = new Set(sortedFavourites(c).map((f) => f.rowId));
    const wanted = new Set(favourites.map((f) => f.rowId));
    for (const rowId of had) {
      if (wanted.has(rowId)) continue;
      const result = await removeFavourite({ customerId: c.rowId, catalogItemId: rowId });
      if (result.error) return fail(result.error, (said) => (said.field === "catalogItemId" ? "favourites" : null));
    }
    for (const rowId of wanted) {
      if (had.has(rowId)) continue;
      const result = await addFavourite({ customerId: c.rowId, catalogItemId: rowId });
      if (result.error) return fail(result.error, (said) => (said.field === "catalogItemId" ? "favourites" : null));
    }
    onSaved();
  });

  const dncError = form.errorOf("doNotContact");
  const favouritesError = form.errorOf("favourites");

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="preferences-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="preferences-title">Preferences of {c.displayName}</DialogTitle>
        <DialogContent>
          {form.formError && (
            <Alert severity="error" sx={{ mb: 2 }}>
              {form.formError.message}
            </Alert>
          )}
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            <Box>
              <FormControlLabel
                control={<Switch checked={v.doNotContact} onChange={(e) => form.set("doNotContact", e.target.checked)} />}
                label="Do not contact"
              />
              {dncError && <FormHelperText error>{dncError.message}</FormHelperText>}
              {v.doNotContact ? (
                <Alert severity="warning" sx={{ mt: 1 }}>
                  Overrides every channel: whatever the customer agreed to below, nobody will email, text or call them, and
                  exports and campaign lists leave them out.
                </Alert>
              ) : (
                <FormHelperText>When on, it overrides every channel below.</FormHelperText>
              )}
            </Box>

            <Section title="Contact channels" text="What the customer agreed to, and where they said so. Saving records the time.">
              {CONTACT_CHANNELS.map(({ value: channel, label }) => {
                const recorded = c.contactChannels.nodes.find((x) => x.channel === channel);
                const allowedKey = `${channel}Allowed` as const;
                const sourceKey = `${channel}Source` as const;
                return (
                  <Stack key={channel} direction={{ xs: "column", sm: "row" }} spacing={1.5}>
                    <TextField
                      select
                      label={`${label} consent`} slotProps={SHOW_EMPTY}
                      sx={{ flex: 1 }}
                      {...form.text(allowedKey, recorded ? `Recorded ${formatDateTime(recorded.recordedAt)}` : undefined)}
                    >
                      {/* A recorded answer can be changed, not taken back. */}
                      <MenuItem value="" disabled={Boolean(recorded)}>
                        Not asked yet
                      </MenuItem>
                      <MenuItem value="yes">Agreed</MenuItem>
                      <MenuItem value="no">Refused</MenuItem>
                    </TextField>
                    <TextField select label={`${label} consent source`} sx={{ flex: 1 }} disabled={!v[allowedKey]} {...form.text(sourceKey)}>
                      {CONSENT_SOURCES.map((s) => (
                        <MenuItem key={s.value} value={s.value}>
                          {s.label}
                        </MenuItem>
                      ))}
                    </TextField>
                  </Stack>
                );
              })}
            </Section>

            <Section title="Serving them">
              <Stack direction={{ xs: "column", sm: "row" }} spacing={1.5}>
                <TextField select label="Preferred payment" slotProps={SHOW_EMPTY} sx={{ flex: 1 }} {...form.text("preferredPayment")}>
                  <MenuItem value="">Not set</MenuItem>
                  {PAYMENT_METHODS.map((m) => (
                    <MenuItem key={m.value} value={m.value}>
                      {m.label}
                    </MenuItem>
                  ))}
                </TextField>
                <TextField select label="Best time to contact" slotProps={SHOW_EMPTY} sx={{ flex: 1 }} {...form.text("bestContactTime")}>
                  <MenuItem value="">Not set</MenuItem>
                  {CONTACT_TIMES.map((t) => (
                    <MenuItem key={t.value} value={t.value}>
                      {t.label}
                    </MenuItem>
                  ))}
                </TextField>
              </Stack>
              <TextField
                label="Language"
                autoComplete="off"
                placeholder="en"
                {...form.text("language", v.language.trim() && languageName(v.language.trim()) ? languageName(v.language.trim()) : "A language tag such as en, fr or ar-OM.")}
              />
            </Section>

            <Section title="Favourite items">
              {favourites.length > 0 && (
                <Box sx={{ display: "flex", gap: 0.5, flexWrap: "wrap" }} role="group" aria-label="Chosen favourite items">
                  {favourites.map((f) => (
                    <Chip
                      key={f.rowId}
                      label={f.name}
                      onDelete={() => {
                        setFavourites((list) => list.filter((x) => x.rowId !== f.rowId));
                        form.set("favourites", "");
                      }}
                    />
                  ))}
                </Box>
              )}
              <CatalogItemPicker
                exclude={favourites.map((f) => f.rowId)}
                error={favouritesError?.message ?? null}
                onPick={(item) => {
                  setFavourites((list) => [...list, { rowId: item.rowId, name: item.name }].sort((a, b) => a.name.localeCompare(b.name)));
                  form.set("favourites", "");
                }}
              />
            </Section>
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Save
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function Section({ title, text, children }: { title: string; text?: string; children: ReactNode }) {
  return (
    <Stack spacing={1.5} component="fieldset" sx={{ border: 0, m: 0, p: 0, minWidth: 0 }}>
      <Typography component="legend" variant="subtitle2" sx={{ mb: text ? 0 : 1.5 }}>
        {title}
      </Typography>
      {text && <DialogContentText variant="body2">{text}</DialogContentText>}
      {children}
    </Stack>
  );
}

/** Finds a catalog item by name or SKU (the POS's catalog query) to add as a favourite. */
function CatalogItemPicker({ exclude, error, onPick }: { exclude: string[]; error: string | null; onPick(item: CatalogItem): void }) {
  const [input, setInput] = useState("");
  const term = useDebounced(input.trim(), 200);
  const [{ data, fetching }] = useQuery({
    query: PosCatalogQuery,
    variables: {
      first: 20,
      // No filter at all without a search (the API refuses a null filter).
      filter: term ? { or: [{ name: { includesInsensitive: term } }, { sku: { includesInsensitive: term } }] } : undefined,
    },
  });
  // Inactive items cannot be sold; the API cannot filter on `active`.
  const options = (data?.catalogItems?.nodes ?? []).filter((i) => i.active && !exclude.includes(i.rowId));
  return (
    <Autocomplete
      options={options}
      value={null}
      inputValue={input}
      onInputChange={(_e, value, reason) => reason !== "reset" && setInput(value)}
      onChange={(_e, item) => {
        if (item) onPick(item);
        setInput("");
      }}
      filterOptions={(x) => x}
      getOptionLabel={(i) => i.name}
      isOptionEqualToValue={(a, b) => a.rowId === b.rowId}
      loading={fetching}
      noOptionsText={term ? `No item matches “${term}”.` : "No items."}
      renderOption={({ key, ...props }, i) => (
        <li key={key} {...props}>
          <Box>
            {i.name}
            <Typography component="span" variant="caption" color="text.secondary" sx={{ ml: 1 }}>
              {i.sku}
            </Typography>
          </Box>
        </li>
      )}
      renderInput={(params) => (
        <TextField
          {...params}
          label="Add a favourite item"
          placeholder="Name or SKU"
          error={Boolean(error)}
          helperText={error ?? undefined}
          slotProps={{
            ...params.slotProps,
            input: {
              ...params.slotProps.input,
              endAdornment: (
                <>
                  {fetching ? <CircularProgress color="inherit" size={16} /> : null}
                  {params.slotProps.input.endAdornment}
                </>
              ),
            },
          }}
        />
      )}
    />
  );
}
