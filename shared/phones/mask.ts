/**
 * How a phone number may be shown anywhere outside Graph: results files, stored rows once settled, conflict reasons and
 * every log line (the logger masks with this too). Only the last four digits stay, enough for a person to tell two
 * numbers apart; an extension is kept because it identifies a desk line, not a person.
 */

/** Masks every digit of the number but its last four; an extension is kept: `+1 4255550100x12` → `+* ******0100x12`. */
export function maskPhone(value: string): string {
  const ext = /\s*(x|ext\.?)\s*\d+\s*$/i.exec(value);
  const number = ext ? value.slice(0, ext.index) : value;
  const digits = number.replace(/\D/g, '').length;
  let seen = 0;
  return number.replace(/\d/g, (d) => (++seen > digits - 4 ? d : '*')) + (ext?.[0] ?? '');
}
