// Create your business: the owner's account, the business, its currency and its first location's
// time zone in one step. The server checks every input; its message shows under the input it names
// (`field`), or above the form.
import { Alert, Box, Button, Link, Stack, TextField, Typography } from "@mui/material";
import { Link as RouterLink, useNavigate } from "react-router-dom";
import { useResetClient } from "../lib/ClientProvider.tsx";
import { useForm } from "../lib/useForm.ts";
import { CurrencyField } from "../ui/CurrencyField.tsx";
import { TimeZoneField } from "../ui/TimeZoneField.tsx";
import { browserTimeZone } from "../ui/timeZones.ts";
import { AuthLayout } from "./AuthLayout.tsx";
import { onboard } from "./api.ts";

export function OnboardPage() {
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const form = useForm(() => ({
    companyName: "",
    ownerName: "",
    email: "",
    password: "",
    timezone: browserTimeZone() as string | null,
    currency: "USD" as string | null,
  }));
  const { values } = form;

  // The server's refusal is thrown (a RestError): form.submit records it.
  const submit = form.submit(async () => {
    // Amounts and dates are written as the browser's language writes them (changeable in Settings).
    await onboard({ ...values, timezone: values.timezone ?? "", currency: values.currency ?? "", locale: navigator.language || "en-US" });
    navigate("/", { replace: true });
    resetClient();
  });

  // An email that already has an account: offer to sign in with it.
  const emailTaken = form.errorOf("email")?.code === "EMTKN";
  const email = form.text("email");

  return (
    <AuthLayout title="Create your business" subtitle="Set up your business and your owner account in one step.">
      <Box component="form" onSubmit={submit} noValidate>
        <Stack spacing={2.5}>
          {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
          <TextField label="Business name" autoFocus autoComplete="organization" {...form.text("companyName")} />
          <TextField label="Your name" autoComplete="name" {...form.text("ownerName")} />
          <TextField
            label="Email"
            type="email"
            autoComplete="email"
            {...email}
            helperText={
              emailTaken ? (
                <>
                  {email.helperText}{" "}
                  <Link component={RouterLink} to="/login" state={{ email: values.email }}>
                    Sign in instead
                  </Link>
                </>
              ) : (
                email.helperText
              )
            }
          />
          <TextField
            label="Password"
            type="password"
            autoComplete="new-password"
            {...form.text("password", "At least 10 characters, with letters and a digit or symbol.")}
          />
          <TimeZoneField
            value={values.timezone}
            onChange={(zone) => form.set("timezone", zone)}
            error={form.errorOf("timezone")?.message}
            helperText="Business dates follow this zone. You can add locations in other zones later."
          />
          <CurrencyField
            value={values.currency}
            onChange={(code) => form.set("currency", code)}
            error={form.errorOf("currency")?.message}
            helperText="What you sell in. It can change until your first sale."
          />
          <Button type="submit" variant="contained" size="large" loading={form.submitting}>
            Create business
          </Button>
          <Typography color="text.secondary" sx={{ textAlign: "center" }}>
            Already have an account?{" "}
            <Link component={RouterLink} to="/login">
              Sign in
            </Link>
          </Typography>
        </Stack>
      </Box>
    </AuthLayout>
  );
}
