import { createRoot } from "react-dom/client";
createRoot(document.getElementById("root")!).render(<p>Backoffice admin is being built.</p>);
