// What a module that is not built yet says: plainly what is coming, no fake numbers.
import { Card, CardContent, Chip, List, ListItem, ListItemText, Typography } from "@mui/material";

export function ComingSoon({ summary, items }: { summary: string; items: string[] }) {
  return (
    <Card>
      <CardContent>
        <Chip label="Coming soon" color="secondary" variant="outlined" size="small" sx={{ mb: 1.5 }} />
        <Typography sx={{ mb: 1 }}>{summary}</Typography>
        <List dense disablePadding>
          {items.map((item) => (
            <ListItem key={item} disableGutters>
              <ListItemText primary={`• ${item}`} />
            </ListItem>
          ))}
        </List>
      </CardContent>
    </Card>
  );
}
