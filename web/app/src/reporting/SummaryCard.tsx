// One figure in a card: a label and a big value (the report tabs), and when comparing, the
// previous period's value with the change in percent.
import { Card, CardContent, Typography } from "@mui/material";
import type { Change } from "./change.ts";

export interface Comparison {
  previous: string;
  change: Change;
  /** Whether a rise is good news (sales) or not (discounts): the colour of the change. */
  upIsGood?: boolean;
}

export function SummaryCard({ label, value, testId, color, comparison }: { label: string; value: string; testId?: string; color?: string; comparison?: Comparison }) {
  const direction = comparison?.change.direction;
  const good = direction ? (direction > 0) === (comparison?.upIsGood ?? true) : null;
  return (
    <Card sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="overline" color="text.secondary" component="h2">
          {label}
        </Typography>
        <Typography variant="h4" component="p" data-testid={testId} sx={{ mt: 1, color, overflowWrap: "anywhere" }}>
          {value}
        </Typography>
        {comparison && (
          <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5 }}>
            <Typography component="span" variant="body2" data-testid={testId && `${testId}-change`} sx={{ fontWeight: 600, color: good === null ? undefined : good ? "success.main" : "error.main" }}>
              {comparison.change.text}
            </Typography>{" "}
            vs <span data-testid={testId && `${testId}-previous`}>{comparison.previous}</span>
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}
