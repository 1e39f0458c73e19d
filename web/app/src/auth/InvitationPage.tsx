// /invitations/:token — the page an invitation link opens, signed in or not: "Join <business> as
// <role>" for the invited email. Someone new chooses their name and a password; someone with an
// account gives its password ("Sign in to accept"). Either way they are signed in, working in
// that business, and go to its dashboard. A link used, revoked or too old says so, with the way
// to sign in. The server checks everything (WEAKP, BADIN under the input; CREDS, LIMIT above the
// form; INVEX: the link died meanwhile).
import { Alert, Box, Button, Link, Stack, TextField, Typography } from "@mui/material";
import { useState } from "react";
import { Link as RouterLink, useNavigate, useParams } from "react-router-dom";
import { useQuery } from "urql";
import { formatDate } from "../customers/format.ts";
import { useResetClient } from "../lib/ClientProvider.tsx";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { useViewerQuery } from "../shell/viewer.ts";
import { Loading } from "../ui/Loading.tsx";
import { AuthLayout } from "./AuthLayout.tsx";
import { acceptInvitation } from "./api.ts";
import { InvitationByTokenQuery, type InvitationOffer } from "./queries.ts";

export function InvitationPage() {
  const { token = "" } = useParams();
  const [{ data, error, fetching }] = useQuery({ query: InvitationByTokenQuery, variables: { token }, requestPolicy: "network-only" });
  const [dead, setDead] = useState(false);
  const offer = data?.invitationByTokenList?.[0];

  if (!data && fetching) return <Loading fullPage />;
  if (error) {
    return (
      <AuthLayout title="Invitation">
        <Alert severity="error">{errorMessage(error)}</Alert>
      </AuthLayout>
    );
  }
  if (!offer || dead) return <DeadLink />;
  return <AcceptForm token={token} offer={offer} onDead={() => setDead(true)} />;
}

function DeadLink() {
  return (
    <AuthLayout title="This invitation link no longer works">
      <Stack spacing={2.5}>
        <Typography color="text.secondary">
          It was already used, withdrawn, replaced by a newer invitation, or is more than 7 days old. Ask the person who invited you for a
          new link.
        </Typography>
        <Typography color="text.secondary">
          Already joined?{" "}
          <Link component={RouterLink} to="/login">
            Sign in
          </Link>
        </Typography>
      </Stack>
    </AuthLayout>
  );
}

function AcceptForm({ token, offer, onDead }: { token: string; offer: InvitationOffer; onDead(): void }) {
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const [{ data: viewer }] = useViewerQuery();
  const existing = Boolean(offer.hasAccount);
  const form = useForm({ name: "", password: "" }, existing ? ["password"] : ["name", "password"]);
  const signedInAs = viewer?.currentUser?.email;
  const business = offer.businessName ?? "the business";

  const submit = form.submit(async () => {
    try {
      await acceptInvitation(token, existing ? null : form.values.name, form.values.password);
      navigate("/", { replace: true });
      resetClient();
    } catch (e) {
      if (form.fail(e).code === "INVEX") onDead();
    }
  });

  return (
    <AuthLayout
      title={`Join ${business} as ${offer.roleName ?? "a member"}`}
      subtitle={
        existing
          ? "You already have a Backoffice account: sign in with it to accept."
          : `Choose your name and a password to join. The invitation is valid until ${formatDate(offer.expiresAt)}.`
      }
    >
      <Box component="form" onSubmit={submit} noValidate>
        <Stack spacing={2.5}>
          {signedInAs && signedInAs.toLowerCase() !== offer.email?.toLowerCase() && (
            <Alert severity="info">
              You are signed in as {signedInAs}. Accepting signs you in as {offer.email} in this browser instead.
            </Alert>
          )}
          {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
          <TextField
            label="Email"
            name="email"
            type="email"
            autoComplete="username"
            value={offer.email ?? ""}
            helperText="The invitation is for this email."
            slotProps={{ htmlInput: { readOnly: true } }}
          />
          {!existing && <TextField label="Your name" autoComplete="name" autoFocus {...form.text("name")} />}
          <TextField
            label="Password"
            type="password"
            autoComplete={existing ? "current-password" : "new-password"}
            autoFocus={existing}
            {...form.text("password", existing ? undefined : "At least 10 characters, with letters and a digit or symbol.")}
          />
          <Button type="submit" variant="contained" size="large" loading={form.submitting}>
            {existing ? "Sign in to accept" : `Join ${business}`}
          </Button>
        </Stack>
      </Box>
    </AuthLayout>
  );
}
