// What text an uploaded CSV file holds: its encoding and delimiter, and whether it is text at all.
// Used by the upload route (to refuse binary files at once) and by the import's parse task.
//
// Encodings: a byte order mark decides (UTF-8, UTF-16 LE/BE); UTF-16 without one is recognised by
// its zero bytes (ASCII text in UTF-16 has a zero in every other byte); other zero bytes, or many
// control characters, mean the file is not text. Anything else is read as UTF-8, and if it turns
// out not to be valid UTF-8, read again as Windows-1252 (what Excel on Windows writes as "CSV").

export type CsvEncoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

export interface Sniffed {
  /** The encoding, or null for "UTF-8 unless it is not valid UTF-8, then Windows-1252". */
  encoding: CsvEncoding | null;
  /** Bytes of byte order mark to skip. */
  bom: number;
}

/** How much of the start of a file sniffEncoding needs. */
export const SNIFF_BYTES = 8192;

/** The encoding of a file from its first bytes; null when it is not a text file. */
export function sniffEncoding(head: Uint8Array): Sniffed | null {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: "utf-8", bom: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: "utf-16le", bom: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: "utf-16be", bom: 2 };
  const n = Math.min(head.length, SNIFF_BYTES) & ~1;
  let zeroEven = 0;
  let zeroOdd = 0;
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i];
    if (b === 0) {
      if (i % 2 === 0) zeroEven++;
      else zeroOdd++;
    } else if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1a && b !== 0x1b)) {
      control++;
    }
  }
  const pairs = n / 2;
  if (pairs > 0 && zeroOdd > pairs * 0.4 && zeroEven === 0) return { encoding: "utf-16le", bom: 0 };
  if (pairs > 0 && zeroEven > pairs * 0.4 && zeroOdd === 0) return { encoding: "utf-16be", bom: 0 };
  if (zeroEven + zeroOdd > 0 || control > n * 0.01) return null;
  return { encoding: null, bom: 0 };
}

/**
 * The delimiter of a CSV text from its first line: the most frequent of comma, semicolon and tab
 * outside quotes (a comma when none is there: a file of one column).
 */
export function sniffDelimiter(text: string): "," | ";" | "\t" {
  const counts = { ",": 0, ";": 0, "\t": 0 };
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) break;
    else if (!quoted && (ch === "," || ch === ";" || ch === "\t")) counts[ch]++;
  }
  if (counts[";"] > counts[","] && counts[";"] >= counts["\t"]) return ";";
  if (counts["\t"] > counts[","] && counts["\t"] > counts[";"]) return "\t";
  return ",";
}
