/**
 * The dashboard's static markup: the header, the token form and one container per view
 * (overview, task, results, schedules). The script fills the containers; it never writes HTML.
 */

/** The page's `<body>` content before the script. */
export const DASHBOARD_MARKUP = /* html */ `
<header>
  <h1><span>edgery</span> dashboard</h1>
  <nav id="nav" class="hidden">
    <a href="#/" data-view="overview">Overview</a>
    <a href="#/results" data-view="results">Results</a>
    <a href="#/schedules" data-view="schedules">Schedules</a>
  </nav>
  <form id="goto" class="hidden"><input id="goto-id" placeholder="task or group id" aria-label="task id"><button type="submit">Open</button></form>
  <div class="status" id="status">not connected</div>
  <button id="logout" class="hidden">Forget token</button>
</header>

<form id="login">
  <h2>API token</h2>
  <label for="token" class="muted">A bearer token of this edgery Worker with the read scope (admin for queue settings; <code>dev-token</code> in local dev).</label>
  <input id="token" type="password" autocomplete="off" placeholder="token">
  <div class="err" id="login-error"></div>
  <button class="primary" id="connect" type="submit">Connect</button>
</form>

<main id="app" class="hidden">
  <div class="view" id="view-overview">
    <div class="col">
      <section id="running">
        <h2>Running tasks <small id="running-source"></small></h2>
        <div class="scroll"><table>
          <thead><tr><th>Task</th><th>Id</th><th>Queue</th><th>State</th><th>Progress</th><th>Started</th><th>Worker</th></tr></thead>
          <tbody id="running-rows"></tbody>
        </table></div>
        <p class="muted" id="running-empty">No task is running.</p>
      </section>
      <section id="queues">
        <h2>Queues <small id="queues-updated"></small></h2>
        <div class="scroll"><table>
          <thead><tr><th>Queue</th><th>State</th><th class="num">Waiting</th><th class="num">Delayed</th><th class="num">Leased</th><th class="num">Completed</th><th class="num">Failed</th><th>Concurrency</th><th></th></tr></thead>
          <tbody id="queue-rows"></tbody>
        </table></div>
      </section>
      <section id="dead">
        <h2>Dead letters <small>newest first</small></h2>
        <div class="scroll"><table>
          <thead><tr><th>Failed at</th><th>Task</th><th>Queue</th><th>Error</th><th></th></tr></thead>
          <tbody id="dead-rows"></tbody>
        </table></div>
        <p class="muted hidden" id="dead-empty">No task has failed for good.</p>
      </section>
    </div>
    <section id="events-card">
      <h2>Live events <small id="events-status">connecting…</small></h2>
      <p class="muted" id="events-empty">Waiting for task events…</p>
      <ul id="events"></ul>
    </section>
  </div>

  <div class="view split hidden" id="view-task">
    <div class="col">
      <section id="task-head"><h2 id="task-title">Task</h2><dl class="facts" id="task-facts"></dl></section>
      <section><h2>Arguments</h2><div id="task-args"></div></section>
      <section><h2 id="task-outcome-title">Result</h2><div id="task-outcome"></div></section>
      <section><h2>Stamps</h2><div id="task-stamps"></div></section>
    </div>
    <section id="task-canvas"><h2>Canvas <small id="canvas-note"></small></h2><ul class="tree" id="tree"></ul></section>
  </div>

  <div class="view single hidden" id="view-results">
    <section>
      <h2>Result search <small>finished results in the queryable backend (D1), newest first</small></h2>
      <form class="search" id="search">
        <label>State<select id="q-state"><option value="">any</option><option>SUCCESS</option><option>FAILURE</option><option>REVOKED</option></select></label>
        <label>Task<input id="q-task" placeholder="demo.persist"></label>
        <label>Queue<input id="q-queue" placeholder="default"></label>
        <label>Since<input id="q-since" placeholder="2026-01-31T12:00:00Z"></label>
        <button class="primary" type="submit">Search</button>
      </form>
      <div class="err" id="search-error"></div>
      <div class="scroll"><table>
        <thead><tr><th>Done</th><th>Task</th><th>Id</th><th>State</th><th>Queue</th><th class="num">Runtime</th><th class="num">Retries</th><th>Result</th></tr></thead>
        <tbody id="search-rows"></tbody>
      </table></div>
      <p class="muted hidden" id="search-empty">No result matches.</p>
      <button id="search-more" class="hidden" type="button">More</button>
    </section>
  </div>

  <div class="view single hidden" id="view-schedules">
    <section id="schedules">
      <h2>Schedules <small>periodic tasks (app.schedule)</small></h2>
      <div class="scroll"><table>
        <thead><tr><th>Name</th><th>When</th><th>Task</th><th>Last run</th><th>Next run</th></tr></thead>
        <tbody id="schedule-rows"></tbody>
      </table></div>
      <p class="muted hidden" id="schedules-empty">No periodic task is registered.</p>
      <div class="err" id="schedules-error"></div>
    </section>
    <section id="scheduled">
      <h2>Delayed tasks <small>countdown / eta, by queue</small></h2>
      <div class="scroll"><table>
        <thead><tr><th>Eta</th><th>Task</th><th>Id</th><th>Queue</th><th class="num">Priority</th></tr></thead>
        <tbody id="scheduled-rows"></tbody>
      </table></div>
      <p class="muted hidden" id="scheduled-note"></p>
    </section>
    <section id="registered">
      <h2>Registered tasks</h2>
      <div class="scroll"><table>
        <thead><tr><th>Name</th><th>Defaults</th></tr></thead>
        <tbody id="registered-rows"></tbody>
      </table></div>
      <p class="muted hidden" id="registered-note"></p>
    </section>
  </div>
</main>
`;
