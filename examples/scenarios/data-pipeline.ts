/**
 * The guide's "Complete Advanced Workflow": process files in parallel, merge, notify.
 *
 * ```python
 * workflow = chain(chord(group(process_file.s(p) for p in file_paths), merge_results.s()), send_notification.s())
 * ```
 */
import { chain, chord, sig, type EdgeryClient } from "../../client/index.js";

/** Builds the workflow for some file paths. */
export function dataPipeline(filePaths: string[]) {
  const fileProcessing = filePaths.map((path) => sig("pipeline.process_file", path));
  return chain(chord(fileProcessing, sig("pipeline.merge_results")), sig("pipeline.send_notification"));
}

/** Sends it and waits for the notification's result. */
export async function runDataPipeline(client: EdgeryClient, filePaths = ["file1.txt", "file2.txt", "file3.txt"]) {
  const result = await client.apply(dataPipeline(filePaths));
  return result.get({ timeout: 30_000 });
}
