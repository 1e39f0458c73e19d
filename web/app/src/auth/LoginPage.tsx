// Sign-in: email and password. Wrong credentials (CREDS), a locked account (LOCKD) and too many
// attempts (RATEL) show the server's own message above the form: none is about one input.
import { Alert, Box, Button, Link, Stack, TextField, Typography } from "@mui/material";
import { Link as RouterLink, useLocation, useNavigate } from "react-router-dom";
import { useResetClient } from "../lib/ClientProvider.tsx";
import { useForm } from "../lib/useForm.ts";
import { AuthLayout } from "./AuthLayout.tsx";
import { signIn } from "./api.ts";

export function LoginPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const state = (location.state ?? {}) as { email?: string; from?: string };
  const form = useForm({ email: state.email ?? "", password: "" }, []);
  const { email } = form.values;

  // A refusal is thrown (a RestError): form.submit records it.
  const submit = form.submit(async (values) => {
    await signIn(values.email, values.password);
    navigate(state.from && state.from !== "/login" ? state.from : "/", { replace: true });
    resetClient();
  });

  return (
    <AuthLayout title="Sign in" subtitle="Welcome back. Sign in to manage your business.">
      <Box component="form" onSubmit={submit} noValidate>
        <Stack spacing={2.5}>
          {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
          <TextField
            label="Email"
            type="email"
            autoComplete="email"
            autoFocus={!email}
            {...form.text("email")}
          />
          <TextField
            label="Password"
            type="password"
            autoComplete="current-password"
            autoFocus={Boolean(email)}
            {...form.text("password")}
          />
          <Button type="submit" variant="contained" size="large" loading={form.submitting}>
            Sign in
          </Button>
          <Typography color="text.secondary" sx={{ textAlign: "center" }}>
            New to Backoffice?{" "}
            <Link component={RouterLink} to="/onboard">
              Create your business
            </Link>
          </Typography>
        </Stack>
      </Box>
    </AuthLayout>
  );
}
