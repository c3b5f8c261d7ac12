const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * An ISO 8601 instant with its offset (`2027-01-01T00:00:00Z`, `2027-01-01T01:00:00.5+01:00`) to epoch
 * milliseconds; undefined for anything else, including dates that do not exist (Date.parse rolls
 * 2027-02-30 over into March) and local times without an offset (their instant depends on the server).
 */
export function parseInstant(text: string): number | undefined {
  const match = INSTANT.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second, , offsetHours = '0', offsetMinutes = '0'] = match
    .slice(1)
    .map((part) => part ?? undefined);
  const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  const valid =
    Number(month) >= 1 &&
    Number(month) <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= daysInMonth &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    Number(offsetHours) <= 23 &&
    Number(offsetMinutes) <= 59;
  return valid ? Date.parse(text) : undefined;
}
