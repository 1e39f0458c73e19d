// Create your business: the owner's account, the business and its first location's time zone
// in one step. Server errors land on the field they concern (see onboardErrors.ts).
import { Alert, Box, Button, Link, Stack, TextField, Typography } from "@mui/material";
import { useState, type FormEvent } from "react";
import { Link as RouterLink, useNavigate } from "react-router-dom";
import { useResetClient } from "../lib/ClientProvider.tsx";
import { errorCode, errorMessage } from "../lib/errors.ts";
import { TimeZoneField } from "../ui/TimeZoneField.tsx";
import { browserTimeZone } from "../ui/timeZones.ts";
import { AuthLayout } from "./AuthLayout.tsx";
import { onboard } from "./api.ts";
import { fieldForCode, type OnboardField } from "./onboardErrors.ts";

type Errors = Partial<Record<OnboardField | "general", string>> & { emailTaken?: boolean };

const REQUIRED: Record<OnboardField, string> = {
  companyName: "Enter the name of your business.",
  ownerName: "Enter your name.",
  email: "Enter your email address.",
  password: "Choose a password.",
  timezone: "Choose a time zone from the list.",
};

export function OnboardPage() {
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const [values, setValues] = useState({ companyName: "", ownerName: "", email: "", password: "" });
  const [timezone, setTimezone] = useState<string | null>(browserTimeZone);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);

  const field = (name: keyof typeof values) => ({
    name,
    value: values[name],
    error: Boolean(errors[name]),
    onChange: (e: { target: { value: string } }) => {
      setValues((v) => ({ ...v, [name]: e.target.value }));
      if (errors[name]) setErrors(({ [name]: _gone, ...rest }) => rest);
    },
  });

  function missing(): Errors {
    const found: Errors = {};
    for (const name of Object.keys(values) as (keyof typeof values)[]) {
      if (!values[name].trim()) found[name] = REQUIRED[name];
    }
    if (!timezone) found.timezone = REQUIRED.timezone;
    return found;
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const empty = missing();
    setErrors(empty);
    if (Object.keys(empty).length) return;
    setBusy(true);
    try {
      await onboard({ ...values, timezone: timezone! });
      navigate("/", { replace: true });
      resetClient();
    } catch (e) {
      const code = errorCode(e);
      const target = fieldForCode(code) ?? "general";
      setErrors({ [target]: errorMessage(e), emailTaken: code === "EMTKN" });
      setBusy(false);
    }
  }

  const emailHelp = errors.emailTaken ? (
    <>
      {errors.email}{" "}
      <Link component={RouterLink} to="/login" state={{ email: values.email }}>
        Sign in instead
      </Link>
    </>
  ) : (
    errors.email
  );

  return (
    <AuthLayout title="Create your business" subtitle="Set up your business and your owner account in one step.">
      <Box component="form" onSubmit={submit} noValidate>
        <Stack spacing={2.5}>
          {errors.general && <Alert severity="error">{errors.general}</Alert>}
          <TextField label="Business name" autoFocus autoComplete="organization" helperText={errors.companyName} {...field("companyName")} />
          <TextField label="Your name" autoComplete="name" helperText={errors.ownerName} {...field("ownerName")} />
          <TextField label="Email" type="email" autoComplete="email" helperText={emailHelp} {...field("email")} />
          <TextField
            label="Password"
            type="password"
            autoComplete="new-password"
            helperText={errors.password ?? "At least 10 characters, with letters and a digit or symbol."}
            {...field("password")}
          />
          <TimeZoneField
            value={timezone}
            onChange={(zone) => {
              setTimezone(zone);
              setErrors(({ timezone: _gone, ...rest }) => rest);
            }}
            error={errors.timezone}
            helperText="Business dates follow this zone. You can add locations in other zones later."
          />
          <Button type="submit" variant="contained" size="large" loading={busy}>
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
