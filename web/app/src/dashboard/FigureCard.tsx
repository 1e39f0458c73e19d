// One of today's figures as Square's home shows it: the value, then an arrow and the percent
// change against the same weekday last week. The whole card opens its report. (The report tabs'
// SummaryCard compares periods and links nowhere.)
import { Box, Card, CardActionArea, CardContent, Typography } from "@mui/material";
import { Link as RouterLink } from "react-router-dom";
import type { Change } from "../reporting/change.ts";

interface Props {
  label: string;
  value: string;
  /** Against last week; null while it is not known. */
  change: Change | null;
  /** "Sunday": the day compared with. */
  weekday: string;
  to: string;
  testId: string;
}

export function FigureCard({ label, value, change, weekday, to, testId }: Props) {
  const direction = change?.direction;
  const color = direction === 1 ? "success.main" : direction === -1 ? "error.main" : "text.secondary";
  return (
    <Card sx={{ height: "100%" }}>
      <CardActionArea component={RouterLink} to={to} sx={{ height: "100%" }}>
        <CardContent>
          <Typography variant="overline" color="text.secondary" component="h3">
            {label}
          </Typography>
          <Typography variant="h4" component="p" data-testid={testId} sx={{ mt: 0.5, overflowWrap: "anywhere" }}>
            {value}
          </Typography>
          <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5, minHeight: "1.5em" }}>
            {change && (
              <>
                {(direction === 1 || direction === -1) && (
                  <Box component="span" aria-hidden sx={{ color, fontSize: "0.75em", mr: 0.5 }}>
                    {direction === 1 ? "▲" : "▼"}
                  </Box>
                )}
                <span data-testid={`${testId}-change`}>
                  <Box component="span" sx={{ color, fontWeight: 600 }}>
                    {change.text}
                  </Box>{" "}
                  vs last {weekday}
                </span>
              </>
            )}
          </Typography>
        </CardContent>
      </CardActionArea>
    </Card>
  );
}
