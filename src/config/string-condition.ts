/**
 * A rule's string condition is either a plain string, matched exactly, or a `/pattern/flags`
 * regular expression. Routing, `check` and the never-runs warnings must all read it the same
 * way, or a warning could disagree with what the router does.
 */
const REGEX_LITERAL = /^\/(.+)\/([a-z]*)$/;

/** Whether a condition's value is written as a `/pattern/flags` rather than a plain string. */
export function isRegexLiteral(value: string): boolean {
  return REGEX_LITERAL.test(value);
}

/**
 * A condition value's test: equality for a plain string (`caseless`: in any letter case, as
 * GitHub compares logins and repository names), else its RegExp, as written. Throws the
 * RegExp's SyntaxError for a pattern that does not compile (compileRules turns that into
 * the config error; every later caller reads rules it has already compiled).
 */
export function matcherOf(value: string, options: { caseless?: boolean } = {}): (s: string) => boolean {
  const literal = REGEX_LITERAL.exec(value);
  if (!literal && options.caseless) {
    const lower = value.toLowerCase();
    return (s) => s.toLowerCase() === lower;
  }
  if (!literal) return (s) => s === value;
  const re = new RegExp(literal[1]!, literal[2]);
  // A g or y flag makes test() resume where the last match ended: every call starts afresh.
  return (s) => {
    re.lastIndex = 0;
    return re.test(s);
  };
}
