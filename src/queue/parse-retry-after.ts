const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH = "(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)";
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";

// The three HTTP-date forms recipients must accept (RFC 9110 §5.6.7). Date.parse is not
// used: V8 reads garbage such as "foo 12" as a date in 2001.
const IMF_FIXDATE = new RegExp(`^[a-z]{3}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} gmt$`, "i");
const RFC_850 = new RegExp(`^[a-z]{6,9}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} gmt$`, "i");
const ASCTIME = new RegExp(`^[a-z]{3} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`, "i");
const DELAY_SECONDS = /^\d+$/;

/**
 * Reads a `Retry-After` header: delay-seconds ("120", "0") or an HTTP-date, as ms from
 * `now`. A date in the past means "now" (0). Anything else is null, so a malformed header
 * falls back to the normal backoff instead of failing the task. Very large values are
 * returned as they are (possibly Infinity); retryDelay clamps them.
 *
 * @example parseRetryAfter("120", Date.now()) // 120000
 * @example parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.UTC(2015, 9, 21, 7, 27, 0)) // 60000
 */
export function parseRetryAfter(value: string | undefined | null, now: number): number | null {
  if (value === undefined || value === null) return null;
  const text = value.trim();
  if (DELAY_SECONDS.test(text)) return Number(text) * 1000;
  const date = parseHttpDate(text, now);
  return date === null ? null : Math.max(0, date - now);
}

function parseHttpDate(text: string, now: number): number | null {
  let m = IMF_FIXDATE.exec(text);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC_850.exec(text);
  if (m) return utc(fullYear(Number(m[3]), now), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = ASCTIME.exec(text);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return null;
}

/** RFC 9110: a two-digit year more than 50 years ahead is the most recent past one. */
function fullYear(twoDigits: number, now: number): number {
  const current = new Date(now).getUTCFullYear();
  let year = Math.floor(current / 100) * 100 + twoDigits;
  if (year > current + 50) year -= 100;
  return year;
}

function utc(year: number, month: string, day: number, hh: string, mm: string, ss: string): number | null {
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  const [h, min, s] = [Number(hh), Number(mm), Number(ss)];
  // Leap second 60 is legal in HTTP-date; Date.UTC rolls it into the next minute.
  if (h > 23 || min > 59 || s > 60) return null;
  // Date.UTC rolls 31 Feb into March; a day that does not exist is garbage.
  if (new Date(Date.UTC(year, monthIndex, day)).getUTCDate() !== day) return null;
  return Date.UTC(year, monthIndex, day, h, min, s);
}
