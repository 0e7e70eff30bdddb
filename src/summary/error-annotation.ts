/**
 * A workflow command that makes the runner show `message` as an error annotation on the
 * run's page. Both the message and the title are escaped as the runner expects, so text
 * from the event cannot end the command early or start another one.
 *
 * @example errorAnnotation("IssueAgent failed", "404 Not Found") // "::error title=IssueAgent failed::404 Not Found\n"
 */
export function errorAnnotation(title: string, message: string): string {
  return `::error title=${escapeProperty(title)}::${escapeData(message)}\n`;
}

function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
