/**
 * A `text/event-stream` parser (the WHATWG format): text goes in as it arrives, in chunks cut
 * anywhere; whole events come out. Comments (`: keepalive`) and fields other than `event` and
 * `data` are dropped. Pure.
 */

/** One server-sent event: its name (`message` when the stream named none) and its data. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Parses a stream of text into events; keep one per stream. */
export class SseParser {
  private buffer = "";
  private event = "";
  private data: string[] = [];

  /** Takes the next chunk of text; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    // A line ends with \n, \r\n or \r; a \r at the very end may be half of a \r\n.
    const lines = this.buffer.split(/\r\n|\r(?!$)|\n/);
    this.buffer = lines.pop() ?? "";
    for (const line of lines) {
      const done = this.line(line);
      if (done) out.push(done);
    }
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === "") {
      // A blank line dispatches; an event with no data line is no event.
      const event = this.data.length > 0 ? { event: this.event || "message", data: this.data.join("\n") } : null;
      this.event = "";
      this.data = [];
      return event;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    return null;
  }
}
