/**
 * The web dashboard served at `GET /dashboard`: one self-contained page (inline CSS and JS, no
 * build step, nothing fetched from another origin). It asks for the API token in the page and
 * sends it with every API call (see script.ts).
 */
import { DASHBOARD_MARKUP } from "./markup.js";
import { DASHBOARD_JS } from "./script.js";
import { DASHBOARD_CSS } from "./style.js";

/** The dashboard page. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgery dashboard</title>
<style>${DASHBOARD_CSS}</style>
</head>
<body>
${DASHBOARD_MARKUP}
<script>${DASHBOARD_JS}</script>
</body>
</html>
`;
