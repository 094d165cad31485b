"use client";

import { useCallback, useRef } from "react";

/**
 * The idempotency key of a click on an action, made here in the browser: a new one for each
 * click, and the same one for the further clicks of a double (or triple) click, which the browser
 * counts in the event's `detail`. So a double-click records one event, whether or not the first
 * click had been answered when the second came; the server answers the second `duplicate`.
 * Keyboard activation (`detail` 0) is a new click each time.
 */
export function useClickKey(): (action: string, click: { detail: number }) => string {
  const last = useRef(new Map<string, string>());
  return useCallback((action, click) => {
    const previous = last.current.get(action);
    if (click.detail > 1 && previous) return previous;
    const key = crypto.randomUUID();
    last.current.set(action, key);
    return key;
  }, []);
}
