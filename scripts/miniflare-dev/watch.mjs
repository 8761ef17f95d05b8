// Watches the directories of a set of files and calls back once per burst of changes (editors
// write a file in several steps; a save of many files is one rebuild). The set is replaced after
// each rebuild, so a file newly imported is watched from then on.
import { watch } from "node:fs";
import { dirname } from "node:path";

/**
 * @param {() => void} onChange  called after `debounceMs` without further changes
 * @param {number} debounceMs
 * @returns {{ update: (files: string[]) => void, close: () => void }}
 */
export function watchFiles(onChange, debounceMs) {
  /** @type {Map<string, import("node:fs").FSWatcher>} */
  const watchers = new Map();
  let files = new Set();
  let timer;
  const changed = (dir, name) => {
    // A change of a file that is not part of a bundle (an editor's swap file, a test) is ignored.
    if (name !== null && !files.has(`${dir}/${name}`)) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  return {
    update(list) {
      files = new Set(list);
      const dirs = new Set(list.map((f) => dirname(f)));
      for (const [dir, w] of watchers) if (!dirs.has(dir)) (w.close(), watchers.delete(dir));
      for (const dir of dirs) {
        if (watchers.has(dir)) continue;
        try {
          watchers.set(dir, watch(dir, (_event, name) => changed(dir, name)));
        } catch {
          /* a directory that disappeared: the next rebuild drops it */
        }
      }
    },
    close() {
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
