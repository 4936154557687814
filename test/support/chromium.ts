import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Debian's chromium, as scripts/install-browser.sh installs it; overridable for other hosts. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
/** Chromium's own background connections are refused on the CI machine: switch them off. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Screenshots and reports of the browser tests. */
export const OUTPUT_DIR = fileURLToPath(new URL('../../test-output/', import.meta.url));
