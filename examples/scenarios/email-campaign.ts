/**
 * The guide's "Email Processing System": validate every address in parallel, then (chord body)
 * a group that sends each one, then log what was sent.
 *
 * ```python
 * send_workflow = chord(group(validate_email.s(e) for e in emails), group(send_email.s() for _ in emails))
 * complete_workflow = chain(send_workflow, log_email_sent.s())
 * ```
 * A chord body receives the list of header results; each `send_email` takes its index as a
 * partial argument to pick its own address from that list.
 */
import { chain, chord, group, sig, type EdgeryClient } from "../../client/index.js";

/** Builds the campaign for some addresses. */
export function emailCampaign(emails: string[]) {
  const validation = group(emails.map((email) => sig("emails.validate_email", email)));
  const sends = group(emails.map((_, i) => sig("emails.send_email", i)));
  return chain(chord(validation, sends), sig("emails.log_email_sent"));
}

/** Sends it and waits for the log step's result. */
export async function runEmailCampaign(client: EdgeryClient, emails = ["user1@example.com", "user2@example.com", "not-an-email"]) {
  const result = await client.apply(emailCampaign(emails));
  return result.get({ timeout: 30_000 });
}
