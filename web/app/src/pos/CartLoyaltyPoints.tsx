// Loyalty points at the till (customers/477-loyalty-points.sql): the attached customer's balance
// and the rewards of the program, those they can afford offered as buttons. Choosing one redeems it
// on this sale (placeOrder's loyaltyRewardId): the quote shows it in the discount; the database
// checks the balance again when the sale is placed (PTSLO) and a void gives the points back.
// Nothing shows without a customer, for a guest, or when the program is off.
import { Box, Card, CardContent, Chip, Stack, Typography } from "@mui/material";
import { useMemo } from "react";
import { useQuery } from "urql";
import { LoyaltyPointRewardFields, PosLoyaltyPointsQuery } from "../customers/pointsQueries.ts";
import { readFragment } from "../graphql.ts";
import { useMoney } from "../ui/useMoney.ts";

export function CartLoyaltyPoints({
  customerId,
  rewardId,
  onRewardChange,
}: {
  customerId: string | null;
  rewardId: string | null;
  onRewardChange(rewardId: string | null): void;
}) {
  const money = useMoney();
  const context = useMemo(() => ({ additionalTypenames: ["LoyaltyPointEntry", "Order", "LoyaltyPointReward"] }), []);
  const [{ data }] = useQuery({
    query: PosLoyaltyPointsQuery,
    variables: { rowId: customerId ?? "" },
    pause: !customerId,
    context,
    requestPolicy: "cache-and-network",
  });
  const rewards = useMemo(() => readFragment(LoyaltyPointRewardFields, data?.loyaltyPointRewards?.nodes ?? []).filter((r) => r.active), [data]);
  const customer = data?.customerByRowId;
  if (!customerId || !customer || !data?.currentLoyaltyPointsProgram?.enabled || customer.stage === "guest") return null;
  const balance = Number(customer.loyaltyPoints);

  return (
    <Card sx={{ mt: 2 }} data-testid="pos-loyalty-points">
      <CardContent>
        <Typography variant="subtitle1" component="h2" data-testid="pos-points-balance">
          {customer.displayName}: {balance} {balance === 1 ? "point" : "points"}
        </Typography>
        {rewards.length > 0 && (
          <Box sx={{ mt: 1 }}>
            <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap" }} role="group" aria-label="Rewards">
              {rewards.map((r) => {
                const chosen = r.rowId === rewardId;
                const affordable = r.points <= balance;
                return (
                  <Chip
                    key={r.id}
                    label={`${r.name} · ${r.points} pts = ${money.format(r.amount)} off`}
                    color={chosen ? "primary" : "default"}
                    variant={chosen ? "filled" : "outlined"}
                    disabled={!affordable && !chosen}
                    aria-pressed={chosen}
                    onClick={() => onRewardChange(chosen ? null : r.rowId)}
                  />
                );
              })}
            </Stack>
            <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
              {rewardId ? "Redeemed on this sale: it is in the discount." : "Tap a reward to redeem it on this sale."}
            </Typography>
          </Box>
        )}
      </CardContent>
    </Card>
  );
}
