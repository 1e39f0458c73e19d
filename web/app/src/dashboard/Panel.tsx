// One block of the home page: a card with its title and, at the top right, the link to where its
// figures are explained in full.
import { Box, Button, Card, CardContent, Typography } from "@mui/material";
import type { ReactNode } from "react";
import { Link as RouterLink } from "react-router-dom";

export interface PanelLink {
  /** Words of the link. Other pages' tests find the menu by "Customers", "Reports", "POS"… so say it otherwise. */
  label: string;
  to: string;
}

export function Panel({ title, link, children, testId }: { title: string; link?: PanelLink | null; children: ReactNode; testId?: string }) {
  const id = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return (
    <Card component="section" aria-labelledby={id} data-testid={testId} sx={{ height: "100%" }}>
      <CardContent>
        <Box sx={{ display: "flex", alignItems: "baseline", justifyContent: "space-between", gap: 1, flexWrap: "wrap", mb: 1 }}>
          <Typography variant="h6" component="h2" id={id}>
            {title}
          </Typography>
          {link && (
            <Button component={RouterLink} to={link.to} size="small">
              {link.label}
            </Button>
          )}
        </Box>
        {children}
      </CardContent>
    </Card>
  );
}
