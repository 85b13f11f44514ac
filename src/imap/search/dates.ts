/**
 * SEARCH compares dates "disregarding time and timezone" (RFC 3501 §6.4.4): everything is
 * reduced to a YYYY-MM-DD day string, which sorts like the date it names.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function day(year: number, monthIndex: number, date: number): string {
  return `${String(year).padStart(4, '0')}-${String(monthIndex + 1).padStart(2, '0')}-${String(date).padStart(2, '0')}`;
}

/** `1-Feb-1994` (the SEARCH date syntax) → `1994-02-01`. */
export function searchDateDay(value: string): string | undefined {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(value.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2].toLowerCase());
  return month < 0 ? undefined : day(Number(m[3]), month, Number(m[1]));
}

/** The UTC day of a stored instant (internal dates are kept in UTC). */
export function instantDay(date: Date): string {
  return day(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

/** The day a Date header names, as written by the sender (its own timezone). */
export function headerDateDay(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})/.exec(value);
  if (m) {
    const month = MONTHS.indexOf(m[2].toLowerCase());
    let year = Number(m[3]);
    // RFC 5322 §4.3 obsolete two- and three-digit years
    if (year < 50) year += 2000;
    else if (year < 1000) year += 1900;
    if (month >= 0) return day(year, month, Number(m[1]));
  }
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : instantDay(new Date(parsed));
}

export function compareDays(actual: string, operator: string, wanted: string): boolean {
  switch (operator) {
    case '<':
      return actual < wanted;
    case '=':
      return actual === wanted;
    case '>=':
      return actual >= wanted;
    default:
      return false;
  }
}
