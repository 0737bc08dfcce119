/**
 * The progress line on stderr. On a terminal it is redrawn in place and cut
 * to the terminal's width: a line that wraps cannot be redrawn (`\r` goes
 * back to the start of its last row only, leaving the rest behind). Piped,
 * a line is printed every ~2 s at most, and the last position of each pass
 * is always printed, so a CI log ends with the count the pass reached.
 */

/** A piece of a progress line. `drop`: fields go, smallest first, while the line is too wide; 0: kept. */
export interface Field {
  text: string;
  drop: number;
  /** Shortened (with …) when dropping fields was not enough: a long name, rather than the count after it. */
  shrink?: boolean;
  /** What comes before it on the line: two spaces unless said. */
  sep?: string;
}

/** What a progress event shows, and where it is. */
export interface Progress {
  fields: Field[];
  /** The position shown (e.g. rows done): the same position is not printed twice when piped. */
  key: string;
  /** The pass it belongs to: when another pass starts, this one's last position is printed first. Undefined: a passing note (e.g. throttled). */
  pass?: string;
}

const ELLIPSIS = '…';
/** A shrunk name keeps at least this much, else the line's end is cut instead. */
const MIN_SHRUNK = 12;
const REDRAW_MS = 100;
const PIPED_EVERY_MS = 2000;

const joined = (fields: Field[]) => fields.map((f, i) => (i === 0 ? '' : (f.sep ?? '  ')) + f.text).join('');

/** The fields as one line of at most `width` characters: the least important fields dropped first, then the line cut. */
export function fitLine(fields: Field[], width: number): string {
  let kept = [...fields];
  const order = [...new Set(fields.map((f) => f.drop).filter((d) => d > 0))].sort((a, b) => a - b);
  for (const d of order) {
    if (joined(kept).length <= width) break;
    kept = kept.filter((f) => f.drop !== d);
  }
  const over = joined(kept).length - width;
  const name = kept.find((f) => f.shrink);
  if (over > 0 && name && name.text.length - over - 1 >= MIN_SHRUNK) {
    kept = kept.map((f) => (f === name ? { ...f, text: f.text.slice(0, f.text.length - over - 1) + ELLIPSIS } : f));
  }
  const line = joined(kept);
  if (line.length <= width) return line;
  return width <= 1 ? line.slice(0, Math.max(0, width)) : line.slice(0, width - 1) + ELLIPSIS;
}

export class ProgressLine {
  /** On a terminal: a line is drawn and not yet ended. */
  private drawn = false;
  private lastPrinted = 0;
  private printedKey = '';
  private currentPass: string | undefined;
  /** The newest position not printed yet (throttled). */
  private pending: Progress | null = null;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  show(p: Progress): void {
    if (p.pass !== undefined && this.currentPass !== undefined && p.pass !== this.currentPass) this.clear();
    if (p.pass !== undefined) this.currentPass = p.pass;
    if (p.key === this.printedKey) return;
    if (this.lastPrinted > 0 && Date.now() - this.lastPrinted < (this.stream.isTTY ? REDRAW_MS : PIPED_EVERY_MS)) {
      this.pending = p;
      return;
    }
    this.print(p);
  }

  /** Print the last position if it was held back, and end the line, so the next output starts on a line of its own. */
  clear(): void {
    if (this.pending && this.pending.key !== this.printedKey) this.print(this.pending);
    this.pending = null;
    this.currentPass = undefined;
    this.lastPrinted = 0;
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  private print(p: Progress): void {
    this.pending = null;
    this.printedKey = p.key;
    this.lastPrinted = Date.now();
    if (!this.stream.isTTY) return void this.stream.write(joined(p.fields) + '\n');
    // One column short of the width: a line filling the last column leaves some terminals at the start of the next row.
    const width = (this.stream.columns || 80) - 1;
    this.stream.write(`\r\x1b[2K${fitLine(p.fields, width)}`);
    this.drawn = true;
  }
}
