/** Request limits every HTTP entry point applies (the standalone server, a host's route). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** tRPC request batching (`?batch=1`): at most this many calls per request. */
export const MAX_BATCH_CALLS = 50;
/** A refused body is read (and dropped) up to this much, so the client sees the 413. */
export const MAX_DRAIN_BYTES = 32 * 1024 * 1024;
