import { deliveryJsonText, isFormBody, parseJsonObject } from "../events/parse-delivery-body.js";

/**
 * JSON text known to be valid, to be written into a printed document as it is rather than
 * parsed and encoded again. A stored delivery body can nest deeper than JSON.stringify can
 * recurse (JSON.parse, which ingest uses, has no such limit), and its text is JSON already:
 * encoding it again could only fail or cost CPU.
 */
export class RawJson {
  constructor(readonly text: string) {}

  /**
   * For a serializer that does not know RawJson (a plain JSON.stringify): the value itself,
   * so the document keeps its shape. It re-parses, and too deep a value still overflows
   * there: print documents holding a RawJson with their own stringify function.
   */
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/**
 * Valid JSON text on one line: every raw line break in valid JSON lies between tokens (a
 * string holds them escaped), so dropping the breaks and the indentation after them keeps
 * the value. GitHub's compact bodies have none and come back unchanged.
 */
export function oneLineJson(text: string): string {
  return text.replace(/[\r\n][\t\r\n ]*/g, "");
}

/**
 * A stored body's JSON object as the text it was received in, on one line, or null when the
 * body is not one (a body pruned by retention is empty). It is parsed once, to be sure the
 * text is the object a document may hold, and never encoded again.
 */
export function checkedPayloadText(body: Buffer): string | null {
  const text = deliveryJsonText(body, isFormBody(body));
  if (text === null || typeof parseJsonObject(text) === "string") return null;
  return oneLineJson(text);
}
