import { randomUUID } from "node:crypto";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "../router/root";
import type { BatchEvent } from "../schemas";
import type { BatchResult } from "../record/batch";

export interface UsageClientOptions {
  /** The standalone server's tRPC endpoint, e.g. `http://127.0.0.1:3001/api/trpc`. */
  url: string;
  /** `USAGE_SERVICE_TOKEN` of that server. */
  token: string;
  /** Events per request (1–1,000; default 500). */
  batchSize?: number;
  /** A partial batch is sent after this long (default 100 ms). */
  flushIntervalMs?: number;
  /** At most this many events held (buffered or in flight); `record()` waits beyond (default 10,000). */
  maxBuffered?: number;
  /** Requests in flight at once (default 2). */
  concurrency?: number;
  /** Backoff between retries of a failed request: doubling from this, up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Each event's answer: recorded, duplicate (an earlier attempt recorded it), refused or invalid. */
  onResult?: (event: BatchEvent, result: BatchResult) => void;
  /** A failed attempt (it is retried with the same keys). */
  onRetry?: (error: unknown, attempt: number) => void;
}

type Pending = { event: BatchEvent };

/** Whether a failed request may be sent again: the transport failed, or the server did (5xx). */
const retryable = (error: unknown) =>
  !(error instanceof TRPCClientError) ||
  ((error as TRPCClientError<AppRouter>).data?.httpStatus ?? 500) >= 500;

/**
 * A buffering client for backends: `record()` queues an event (with an idempotency key, one is
 * given if it has none) and sends it in batches through `usage.recordUsageBatch`; a failed
 * request is retried with backoff and the same keys, so every event is counted exactly once.
 * Memory is bounded: `record()` waits while `maxBuffered` events are held. `flush()` resolves when
 * everything recorded before it is acknowledged; `close()` flushes and stops.
 */
export function createUsageClient(options: UsageClientOptions) {
  const batchSize = Math.min(1000, Math.max(1, options.batchSize ?? 500));
  const maxBuffered = Math.max(batchSize, options.maxBuffered ?? 10_000);
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const retryBaseMs = options.retryBaseMs ?? 100;
  const retryMaxMs = options.retryMaxMs ?? 5000;
  const trpc = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: options.url,
        transformer: superjson,
        headers: { authorization: `Bearer ${options.token}` },
      }),
    ],
  });

  const queue: Pending[] = [];
  let held = 0; // queued + in flight
  let inFlight = 0;
  let closed = false;
  const spaceWaiters: (() => void)[] = [];
  const idleWaiters: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;

  const settle = () => {
    while (held < maxBuffered && spaceWaiters.length) spaceWaiters.shift()!();
    if (held === 0) while (idleWaiters.length) idleWaiters.shift()!();
  };

  async function send(batch: Pending[]) {
    const events = batch.map((p) => p.event);
    for (let attempt = 1; ; attempt++) {
      try {
        const { results } = await trpc.usage.recordUsageBatch.mutate({ events });
        results.forEach((r, i) => options.onResult?.(events[i]!, r as BatchResult));
        return;
      } catch (error) {
        if (!retryable(error)) {
          const message = error instanceof Error ? error.message : String(error);
          for (const e of events) {
            options.onResult?.(e, { status: "invalid", error: { code: "BAD_REQUEST", message } });
          }
          return;
        }
        options.onRetry?.(error, attempt);
        const wait = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempt - 1, 16));
        await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random() / 2)));
      }
    }
  }

  /** Starts sending while there is room in flight and something to send. */
  function pump(force = false) {
    while (inFlight < concurrency && queue.length > 0 && (force || queue.length >= batchSize)) {
      const batch = queue.splice(0, batchSize);
      inFlight++;
      void send(batch).finally(() => {
        inFlight--;
        held -= batch.length;
        settle();
        // A flush (or close) in progress sends partial batches at once; otherwise the timer does.
        pump(idleWaiters.length > 0 || closed);
      });
    }
    if (queue.length > 0 && !timer) {
      timer = setTimeout(() => {
        timer = undefined;
        pump(true);
      }, options.flushIntervalMs ?? 100);
    }
  }

  return {
    /** Queues one event; waits while the client holds `maxBuffered` events. */
    async record(event: BatchEvent): Promise<void> {
      if (closed) throw new Error("usagekit client: record() after close()");
      while (held >= maxBuffered) await new Promise<void>((resolve) => spaceWaiters.push(resolve));
      held++;
      queue.push({ event: { ...event, idempotencyKey: event.idempotencyKey ?? randomUUID() } });
      pump();
    },
    /** Resolves when every event recorded so far is acknowledged by the server. */
    async flush(): Promise<void> {
      pump(true);
      if (held > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    /** Flushes, then stops (later `record()` calls throw). */
    async close(): Promise<void> {
      closed = true;
      await this.flush();
      clearTimeout(timer);
      timer = undefined;
    },
    /** Events held right now (buffered or in flight). */
    get pending() {
      return held;
    },
  };
}
export type UsageClient = ReturnType<typeof createUsageClient>;
