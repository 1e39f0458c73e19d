// The frame of the signed-out pages: product name above a centred card.
import { Box, Card, CardContent, Stack, Typography } from "@mui/material";
import type { ReactNode } from "react";
import { StoreIcon } from "../ui/icons.tsx";

export function AuthLayout({ title, subtitle, children }: { title: string; subtitle?: string; children: ReactNode }) {
  return (
    <Box
      component="main"
      sx={{
        minHeight: "100vh",
        display: "flex",
        alignItems: "center",
        justifyContent: "center",
        p: 2,
        background: "linear-gradient(160deg, #eef2fb 0%, #f4f6fb 55%, #e8f3f1 100%)",
      }}
    >
      <Box sx={{ width: "100%", maxWidth: 460 }}>
        <Stack direction="row" spacing={1} sx={{ alignItems: "center", justifyContent: "center", mb: 3, color: "primary.main" }}>
          <StoreIcon fontSize="large" />
          <Typography variant="h5" component="div">
            Backoffice
          </Typography>
        </Stack>
        <Card sx={{ boxShadow: "0 12px 32px rgba(31, 58, 147, 0.08)" }}>
          <CardContent sx={{ p: 4 }}>
            <Typography variant="h5" component="h1" gutterBottom>
              {title}
            </Typography>
            {subtitle && (
              <Typography color="text.secondary" sx={{ mb: 3 }}>
                {subtitle}
              </Typography>
            )}
            {children}
          </CardContent>
        </Card>
      </Box>
    </Box>
  );
}
