/**
 * Deploy settings that hold a whole number (`[vars]` EDGERY_RESULT_SHARDS,
 * EDGERY_DISPATCH_GATHER_MS and EDGERY_DIRECT_DISPATCH): the one parser, and a cache of the last
 * value read, since the settings are read on hot paths.
 */

/** A whole-number setting: blank or unset is its default; anything but digits in range is invalid. */
export class IntSetting {
  private last: { raw: string | undefined; value: number } | null = null;

  /**
   * @param name the variable's name, for messages.
   * @param min the least value allowed. @param max the greatest value allowed.
   * @param fallback the value when the variable is unset or blank.
   */
  constructor(
    readonly name: string,
    readonly min: number,
    readonly max: number,
    readonly fallback: number,
  ) {}

  /**
   * The setting's value for `raw`. An invalid value is handed to `invalid` with a message naming
   * the setting and its range; what `invalid` returns is the value (and is kept, so it is asked
   * once per value), what it throws is thrown.
   */
  read(raw: string | undefined, invalid: (message: string) => number): number {
    if (this.last && this.last.raw === raw) return this.last.value;
    const text = raw === undefined ? "" : String(raw).trim();
    let value = text === "" ? this.fallback : Number(text);
    if (!/^\d*$/.test(text) || !Number.isInteger(value) || value < this.min || value > this.max) {
      value = invalid(`edgery: ${this.name} must be an integer from ${this.min} to ${this.max}, not ${JSON.stringify(raw)}`);
    }
    this.last = { raw, value };
    return value;
  }
}
