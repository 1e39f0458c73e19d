// One figure in a card: a label and a big value (the dashboard and the report tabs).
import { Card, CardContent, Typography } from "@mui/material";

export function SummaryCard({ label, value, testId, color }: { label: string; value: string; testId?: string; color?: string }) {
  return (
    <Card sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="overline" color="text.secondary" component="h2">
          {label}
        </Typography>
        <Typography variant="h4" component="p" data-testid={testId} sx={{ mt: 1, color }}>
          {value}
        </Typography>
      </CardContent>
    </Card>
  );
}
