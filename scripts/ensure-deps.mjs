// Runs before `npm run dev`, `npm test` and `npm run bench` (npm's pre-scripts): on a fresh clone
// it installs the locked dependencies, so each of the README's commands works by itself.
// `--browser` (the test command) also makes sure Debian's Chromium is there for the dashboard test.
import { existsSync } from "node:fs";
import { execSync } from "node:child_process";

const root = new URL("..", import.meta.url);
if (!existsSync(new URL("node_modules/.package-lock.json", root))) {
  console.error("edgery: installing dependencies (npm ci) ...");
  execSync("npm ci --no-audit --no-fund", { stdio: "inherit", cwd: root });
}

const hasChromium = () => ["/usr/bin/chromium", "/usr/bin/chromium-browser"].some((p) => existsSync(p));
if (process.argv.includes("--browser") && !hasChromium()) {
  if (process.getuid?.() === 0 && existsSync("/usr/bin/apt-get")) {
    console.error("edgery: installing Debian's chromium for the dashboard test ...");
    execSync("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium", { stdio: "inherit" });
  } else {
    console.error("edgery: the dashboard test needs Chromium: sudo apt-get install chromium");
  }
}
