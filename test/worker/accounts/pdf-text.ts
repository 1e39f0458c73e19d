// The text of a PDF as a reader would copy it (pdf-parse v2: PDFParse#getText), with runs of white
// space (tabs between cells, no-break spaces in amounts) as one space, for tests to look for what
// a person reads on the page. Also says how many pages it has.
import { PDFParse } from "pdf-parse";

export async function pdfText(pdf: Buffer | Uint8Array): Promise<{ text: string; pages: number }> {
  const parser = new PDFParse({ data: new Uint8Array(pdf) });
  try {
    const result = await parser.getText();
    return { text: result.text.replace(/[\s\u00a0]+/g, " "), pages: result.total };
  } finally {
    await parser.destroy();
  }
}
