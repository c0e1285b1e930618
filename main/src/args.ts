// Command-line arguments of the app itself (Chromium's own switches pass through untouched;
// dial links on the command line are links.ts's business).

/** Started at login: stay in the tray, no window. */
export const HIDDEN_ARG = '--hidden';
/** Run on the embedded demo cluster whatever CTI addresses the settings hold (npm start, e2e). */
export const DEMO_ARG = '--demo';
