// Plan and billing: not built yet; says so plainly.
import { Card, CardContent, Typography } from "@mui/material";

export function BillingCard() {
  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2" gutterBottom>
          Plan and billing
        </Typography>
        <Typography color="text.secondary">
          Coming soon: your plan, its limits (seats, locations, devices), invoices and payment method, handled through
          Stripe.
        </Typography>
      </CardContent>
    </Card>
  );
}
