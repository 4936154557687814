import { IANAZone } from 'luxon';

/**
 * Whether `name` is a time zone the runtime knows by its IANA name, as luxon (and Intl) will
 * resolve it when the window is evaluated. `Intl.supportedValuesOf('timeZone')` would refuse
 * "UTC" and every alias (it lists canonical zones only), so the check is luxon's: Intl accepts
 * the name. Offsets such as "+01:00" (accepted by newer Intl) are not IANA names.
 */
export const isIanaTimeZone = (name: string): boolean =>
  /^[A-Za-z]/.test(name) && IANAZone.isValidZone(name);
