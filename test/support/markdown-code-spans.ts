/**
 * A line of Markdown split the way CommonMark reads inline code: the code spans' contents
 * (one space stripped from each end when both ends have one) and the text outside them, where
 * GitHub renders links, images, HTML and @mentions. A run of backticks opens a span only when a
 * later run of the same length closes it; otherwise it is literal text.
 * https://spec.commonmark.org/0.31.2/#code-spans
 *
 * @example splitCodeSpans("a `` b`c `` d") // { spans: ["b`c"], outside: "a  d" }
 */
export function splitCodeSpans(line: string): { spans: string[]; outside: string } {
  const spans: string[] = [];
  let outside = "";
  let i = 0;
  while (i < line.length) {
    if (line[i] === "\\" && i + 1 < line.length) {
      outside += line.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (line[i] !== "`") {
      outside += line[i];
      i++;
      continue;
    }
    const open = /^`+/.exec(line.slice(i))![0];
    const close = new RegExp(`(?<!\`)${open}(?!\`)`, "g");
    close.lastIndex = i + open.length;
    const found = close.exec(line);
    if (!found) {
      outside += open;
      i += open.length;
      continue;
    }
    const content = line.slice(i + open.length, found.index);
    spans.push(content.startsWith(" ") && content.endsWith(" ") && content.trim() !== "" ? content.slice(1, -1) : content);
    i = found.index + open.length;
  }
  return { spans, outside };
}
