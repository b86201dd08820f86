// What every platform's signed requests share: a window around the signing
// time, and a store of signatures already seen (the replay store; Engine's
// firstRequest keeps it in the database every instance shares).

/** A request signed further from now than this, either way, is refused (Slack's 5 minutes, kept for Lark too). */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;

/** Records a signature until it expires; false when it was already there (the request is a replay). */
export type FirstRequest = (key: string, expiresAt: Date, now: Date) => boolean;
