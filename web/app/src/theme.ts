// The look of the admin: a calm blue, light grey canvas, outlined cards, no shouting buttons.
import { createTheme } from "@mui/material";

export const theme = createTheme({
  palette: {
    primary: { main: "#1f3a93" },
    secondary: { main: "#0f766e" },
    background: { default: "#f4f6fb", paper: "#ffffff" },
    divider: "#e3e7f0",
  },
  shape: { borderRadius: 10 },
  typography: {
    fontFamily: 'Inter, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    h4: { fontWeight: 700, letterSpacing: "-0.01em" },
    h5: { fontWeight: 700 },
    h6: { fontWeight: 600 },
    button: { textTransform: "none", fontWeight: 600 },
  },
  components: {
    MuiButton: { defaultProps: { disableElevation: true } },
    MuiCard: { defaultProps: { variant: "outlined" } },
    MuiAppBar: {
      defaultProps: { elevation: 0, color: "inherit" },
      styleOverrides: { root: ({ theme }) => ({ borderBottom: `1px solid ${theme.palette.divider}` }) },
    },
    MuiTableCell: { styleOverrides: { head: { fontWeight: 600 } } },
    MuiTextField: { defaultProps: { fullWidth: true } },
  },
});
