// A strict RFC 4180 reader for the tests: fields separated by commas, records by CRLF or LF,
// quoted fields with "" for a quote and line breaks inside. Throws on anything malformed, so a
// test that parses a file also proves it is valid CSV.
export function parseCsv(text: string): string[][] {
  if (text.startsWith("\ufeff")) throw new Error("a byte order mark before the header: read the file with withoutBom()");
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  let fieldStarted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        if (i < text.length && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
          throw new Error(`invalid CSV: text after a closing quote at ${i}`);
        }
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (fieldStarted) throw new Error(`invalid CSV: a quote inside an unquoted field at ${i}`);
      quoted = true;
      fieldStarted = true;
      i++;
    } else if (c === ",") {
      record.push(field);
      field = "";
      fieldStarted = false;
      i++;
    } else if (c === "\n" || c === "\r") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      fieldStarted = false;
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
    } else {
      field += c;
      fieldStarted = true;
      i++;
    }
  }
  if (quoted) throw new Error("invalid CSV: unterminated quoted field");
  if (fieldStarted || record.length) {
    record.push(field);
    records.push(record);
  }
  const width = records[0]?.length ?? 0;
  for (const [n, r] of records.entries()) {
    if (r.length !== width) throw new Error(`invalid CSV: record ${n} has ${r.length} fields, the header ${width}`);
  }
  return records;
}

/** Records as objects keyed by the header. */
export function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

/**
 * An exported file's text after its UTF-8 byte order mark, which every export starts with (so
 * that Excel reads it as UTF-8): throws unless the file starts with exactly one. Give it the
 * bytes (a Buffer): fetch's Response.text() drops a leading mark by itself.
 */
export function withoutBom(file: Buffer): string {
  if (file[0] !== 0xef || file[1] !== 0xbb || file[2] !== 0xbf) {
    throw new Error(`the export does not start with a UTF-8 byte order mark: ${JSON.stringify(file.subarray(0, 12).toString("utf8"))}`);
  }
  const text = file.subarray(3).toString("utf8");
  if (text.startsWith("\ufeff")) throw new Error("the export starts with two byte order marks");
  return text;
}
