/**
 * The dashboard's stylesheet (inlined into the page: the CSP allows no external file).
 */

/** The page's CSS. */
export const DASHBOARD_CSS = /* css */ `
  :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2430; --muted:#6b7280; --line:#e5e7eb; --accent:#f38020; --ok:#15803d; --bad:#b91c1c; --warn:#a16207; --info:#1d4ed8; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; align-items:center; gap:16px; padding:10px 24px; background:#1d2430; color:#fff; flex-wrap:wrap; }
  header h1 { font-size:18px; margin:0; letter-spacing:.02em; }
  header h1 span { color:var(--accent); }
  header nav { display:flex; gap:4px; }
  header nav a { color:#cbd5e1; text-decoration:none; padding:4px 10px; border-radius:5px; }
  header nav a.current { background:#334155; color:#fff; }
  header .status { margin-left:auto; font-size:12px; color:#cbd5e1; }
  header form { display:flex; gap:6px; } header form input { width:300px; padding:3px 8px; font-size:12px; }
  main { padding:20px 24px; }
  .view { display:grid; gap:20px; grid-template-columns: minmax(0,1fr) 340px; align-items:start; }
  .view.single { grid-template-columns: minmax(0,1fr); }
  .view.split { grid-template-columns: minmax(0,5fr) minmax(0,6fr); }
  .col { display:grid; gap:20px; min-width:0; }
  .scroll { overflow-x:auto; }
  section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; min-width:0; }
  section h2 { font-size:15px; margin:0 0 10px; display:flex; align-items:center; gap:8px; }
  section h2 small, .note { color:var(--muted); font-weight:normal; font-size:12px; }
  table { width:100%; border-collapse:collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align:left; padding:6px 6px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { font-size:12px; color:var(--muted); font-weight:600; text-transform:uppercase; letter-spacing:.04em; }
  td.num, th.num { text-align:right; }
  td.wrap { white-space:normal; word-break:break-word; }
  td.val { font-family:ui-monospace,Menlo,monospace; font-size:12px; max-width:320px; overflow:hidden; text-overflow:ellipsis; }
  a { color:var(--info); } a.id { font-family:ui-monospace,Menlo,monospace; font-size:12px; }
  .pill { display:inline-block; padding:1px 8px; border-radius:999px; font-size:12px; font-weight:600; background:#e0e7ff; color:var(--info); }
  .pill.running, .pill.SUCCESS { background:#dcfce7; color:var(--ok); }
  .pill.paused, .pill.RETRY { background:#fef3c7; color:var(--warn); }
  .pill.FAILURE { background:#fee2e2; color:var(--bad); } .pill.REVOKED, .pill.PENDING { background:#f3f4f6; color:var(--muted); }
  button { font:inherit; font-size:12px; padding:3px 10px; border-radius:5px; border:1px solid #cbd5e1; background:#fff; cursor:pointer; }
  button:hover { border-color:var(--accent); } button.primary { background:var(--accent); border-color:var(--accent); color:#fff; }
  button.danger { color:var(--bad); }
  input, select { font:inherit; padding:5px 8px; border:1px solid #cbd5e1; border-radius:5px; }
  input.conc { width:70px; padding:2px 6px; font-size:12px; }
  #login { max-width:420px; margin:80px auto; background:#fff; border:1px solid var(--line); border-radius:8px; padding:24px; }
  #login h2 { margin-top:0; } #login input { width:100%; margin:8px 0 12px; }
  .err { color:var(--bad); min-height:1.4em; }
  .bar { display:inline-block; width:140px; height:8px; background:#e5e7eb; border-radius:4px; overflow:hidden; vertical-align:middle; margin-right:6px; }
  .bar i { display:block; height:100%; background:var(--accent); }
  #events { list-style:none; margin:0; padding:0; max-height:75vh; overflow:auto; font-size:12px; }
  #events li { padding:5px 2px; border-bottom:1px solid var(--line); display:grid; grid-template-columns: 110px 1fr; gap:2px 8px; }
  #events .ev { font-weight:600; } #events .meta { color:var(--muted); grid-column:2; overflow:hidden; text-overflow:ellipsis; }
  .ev.task-succeeded { color:var(--ok); } .ev.task-failed { color:var(--bad); } .ev.task-retried { color:var(--warn); } .ev.task-revoked { color:var(--muted); } .ev.task-progress { color:var(--info); }
  dl.facts { display:grid; grid-template-columns: 130px 1fr; gap:4px 12px; margin:0; }
  dl.facts dt { color:var(--muted); } dl.facts dd { margin:0; word-break:break-word; }
  pre { margin:0; padding:10px; background:#f8fafc; border:1px solid var(--line); border-radius:6px; font-size:12px; white-space:pre-wrap; word-break:break-word; max-height:360px; overflow:auto; }
  pre.error { background:#fef2f2; border-color:#fecaca; color:#7f1d1d; }
  form.search { display:flex; gap:8px; flex-wrap:wrap; align-items:end; margin-bottom:12px; }
  form.search label { display:grid; gap:2px; font-size:12px; color:var(--muted); }
  .tree, .tree ul { list-style:none; margin:0; padding-left:22px; position:relative; }
  .tree { padding-left:0; }
  .tree ul::before { content:""; position:absolute; left:8px; top:0; bottom:12px; border-left:2px solid #cbd5e1; }
  .tree li { position:relative; padding:4px 0; }
  .tree ul > li::before { content:""; position:absolute; left:-14px; top:16px; width:12px; border-top:2px solid #cbd5e1; }
  .node { display:inline-flex; gap:8px; align-items:center; padding:4px 10px; border:1px solid var(--line); border-radius:6px; background:#fff; }
  .node.here { border-color:var(--accent); box-shadow:0 0 0 2px #fde3cc; }
  .node.kind { background:#f1f5f9; font-weight:600; }
  .node .res { font-family:ui-monospace,Menlo,monospace; font-size:12px; color:var(--muted); max-width:220px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
  .muted { color:var(--muted); } .hidden { display:none !important; }
  @media (max-width: 900px) { .view { grid-template-columns: 1fr; } }
`;
