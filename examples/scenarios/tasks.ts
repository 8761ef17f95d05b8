/**
 * The tasks of the Celery guide's two "Practical Examples", in TypeScript: a file-processing
 * pipeline (chord of processors → merge → notify) and an email campaign (a chord of validations
 * whose body is a group of sends, then a log step). The dev Worker registers them next to the
 * demo tasks; `data-pipeline.ts` and `email-campaign.ts` build and send the workflows.
 */
import type { App } from "../../src/index.js";

/** Registers the scenario tasks (`pipeline.*`, `emails.*`) on an app. */
export function registerScenarioTasks(app: App): void {
  app.route({ "emails.*": { queue: "email" } });
  app
    // @app.task(bind=True, acks_late=True, soft_time_limit=30) def process_file(self, file_path)
    .task("pipeline.process_file", (_ctx, [filePath]) => ({ file: filePath, status: "processed" }), { acks_late: true, soft_time_limit: 30 })
    // @app.task def merge_results(results)
    .task("pipeline.merge_results", (_ctx, [results]) => ({ merged: results, count: (results as unknown[]).length }))
    // @app.task def send_notification(result)
    .task("pipeline.send_notification", (_ctx, [result]) => ({ notified: true, count: (result as { count: number }).count }))
    // @app.task def validate_email(email)
    .task("emails.validate_email", (_ctx, [email]) => ({ email, valid: /^[^@\s]+@[^@\s]+$/.test(String(email)) }))
    // @app.task def send_email(email_data): the body group member i sends validation result i.
    .task("emails.send_email", (_ctx, [validations, index]) => {
      const v = (validations as Array<{ email: string; valid: boolean }>)[Number(index)];
      if (!v) throw new Error(`no validation at index ${String(index)}`);
      return v.valid ? { sent: v.email } : { skipped: v.email };
    })
    // @app.task def log_email_sent(result)
    .task("emails.log_email_sent", (_ctx, [results]) => ({
      sent: (results as Array<{ sent?: string }>).filter((r) => r.sent).map((r) => r.sent),
      skipped: (results as Array<{ skipped?: string }>).filter((r) => r.skipped).map((r) => r.skipped),
    }));
}
