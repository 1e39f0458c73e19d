// Sign-in: email and password. Wrong credentials (CREDS) and a locked account (LOCKD) show the
// server's own message.
import { Alert, Box, Button, Link, Stack, TextField, Typography } from "@mui/material";
import { useState, type FormEvent } from "react";
import { Link as RouterLink, useLocation, useNavigate } from "react-router-dom";
import { useResetClient } from "../lib/ClientProvider.tsx";
import { errorMessage } from "../lib/errors.ts";
import { AuthLayout } from "./AuthLayout.tsx";
import { signIn } from "./api.ts";

export function LoginPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const state = (location.state ?? {}) as { email?: string; from?: string };
  const [email, setEmail] = useState(state.email ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email, password);
      navigate(state.from && state.from !== "/login" ? state.from : "/", { replace: true });
      resetClient();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  return (
    <AuthLayout title="Sign in" subtitle="Welcome back. Sign in to manage your business.">
      <Box component="form" onSubmit={submit} noValidate>
        <Stack spacing={2.5}>
          {error && <Alert severity="error">{error}</Alert>}
          <TextField
            label="Email"
            name="email"
            type="email"
            autoComplete="email"
            autoFocus={!email}
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete="current-password"
            autoFocus={Boolean(email)}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <Button type="submit" variant="contained" size="large" loading={busy}>
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
