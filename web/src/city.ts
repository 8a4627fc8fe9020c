// The city's time zone (ATELIER_TIME_ZONE, given by GET /api/city): a séance's date and times
// are its wall-clock, whatever the zone of the browser that types or reads them (a laptop set
// to UTC, a facilitator abroad). Asked once per page load.
import { api } from "./api";
import { lang } from "./i18n";

/** The server's default, used until the answer comes (or if it never does). */
export const DEFAULT_ZONE = "Europe/Paris";

let known: string | null = null;
let asked: Promise<string> | null = null;

/** The city's time zone, from the server once. */
export function cityTimeZone(): Promise<string> {
  asked ??= api<{ time_zone: string }>("GET", "/api/city")
    .then((city) => (known = city.time_zone))
    .catch(() => {
      asked = null; // asked again next time
      return DEFAULT_ZONE;
    });
  return asked;
}

/** The zone as far as this page knows it now. */
export function knownTimeZone(): string {
  return known ?? DEFAULT_ZONE;
}

/** Where `zone`'s wall-clock reads `day` `time` (``2017-12-12``, ``18:30``), as milliseconds
 * since the epoch. The offset is the zone's at that moment (summer or winter time); a time a
 * clock change skips is taken as the same time of day after the change. */
export function wallClockInstant(day: string, time: string, zone: string): number {
  const [y, m, d] = day.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const asIfUtc = Date.UTC(y, m - 1, d, hh, mm);
  // Read the guess back in the zone; the difference is the zone's offset at the guess. Once
  // more from the corrected instant, in case the offset changed in between.
  let instant = asIfUtc - offsetAt(asIfUtc, zone);
  instant = asIfUtc - offsetAt(instant, zone);
  return instant;
}

function offsetAt(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
  return wall - Math.floor(instant / 1000) * 1000;
}

/** A moment the server stamped (ISO 8601) as the city's time of day: « 18:42 ». */
export function cityClock(iso: string): string {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  return new Intl.DateTimeFormat(lang(), { timeZone: knownTimeZone(), hour: "2-digit", minute: "2-digit" }).format(when);
}
