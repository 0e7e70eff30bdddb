import { terminalText } from "../present/terminal-text.js";

/**
 * A workflow command that makes the runner show `message` as an error annotation on the
 * run's page. Both the message and the title are escaped as the runner expects, so text
 * from the event cannot end the command early or start another one (a line break is
 * `%0A`, which the runner shows as a break inside the annotation; `::` in the message is
 * text, as the command ends at the first `::` after its properties, whose `:` are `%3A`).
 * Control characters and bidi controls are written out first (terminalText): the log
 * and the annotation show them as `\u001b`-style text.
 *
 * @example errorAnnotation("IssueAgent failed", "404 Not Found") // "::error title=IssueAgent failed::404 Not Found\n"
 */
export function errorAnnotation(title: string, message: string): string {
  return `::error title=${escapeProperty(terminalText(title))}::${escapeData(terminalText(message))}\n`;
}

/**
 * The same, as a warning annotation: for what went wrong without failing the run.
 *
 * @example warningAnnotation("switchyard: no job summary", "ENOENT …") // "::warning title=switchyard%3A no job summary::ENOENT …\n"
 */
export function warningAnnotation(title: string, message: string): string {
  return `::warning title=${escapeProperty(terminalText(title))}::${escapeData(terminalText(message))}\n`;
}

function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
