import { connect } from "node:net";
import { describe, expect, inject, it } from "vitest";
import { demoUsers } from "../src/lib/demo-users";
import { REQUEST_TIMEOUT_MS } from "./demo-server";
import { signIn } from "./session";

const baseUrl = inject("baseUrl");
const ana = demoUsers[0]!;

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

async function timedReads(cookie: string, n: number) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const response = await fetch(
      `${baseUrl}/api/trpc/usage.getCurrentUsage?input=${encodeURIComponent('{"json":{}}')}`,
      { headers: { cookie } },
    );
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    times.push(performance.now() - started);
  }
  return times;
}

describe("the demo server under slow clients", () => {
  it("cuts off slow bodies at the request timeout while answering everyone else", async () => {
    const cookie = await signIn(baseUrl, ana.id);
    const idle = await timedReads(cookie, 30);
    const { hostname, port } = new URL(baseUrl);
    const closedAt: number[] = [];
    const openedAt = Date.now();
    const slow = Array.from({ length: 200 }, () => {
      const socket = connect(Number(port), hostname);
      socket.on("error", () => {});
      socket.write(
        `POST /api/trpc/usage.recordUsage HTTP/1.1\r\nhost: x\r\ncookie: ${cookie}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{`,
      );
      const trickle = setInterval(() => socket.write(" "), 200);
      return new Promise<void>((resolve) =>
        socket.on("close", () => {
          clearInterval(trickle);
          closedAt.push(Date.now() - openedAt);
          resolve();
        }),
      );
    });
    const loaded = await timedReads(cookie, 30);
    await Promise.all(slow);
    const figures = {
      idleP50: percentile(idle, 0.5),
      idleP99: percentile(idle, 0.99),
      loadedP50: percentile(loaded, 0.5),
      loadedP99: percentile(loaded, 0.99),
      slowClosedAfterMs: Math.max(...closedAt),
    };
    console.log("demo under 200 slow bodies:", JSON.stringify(figures));
    // Every slow body was ended by the request timeout (not Node's default of 5 minutes)…
    expect(closedAt.length).toBe(200);
    expect(figures.slowClosedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 5_000);
    // …and the others were answered meanwhile, typically as fast as when idle (the issue saw
    // a p99 of 4.4 s; bounds generous enough for a busy CI machine).
    expect(figures.loadedP50).toBeLessThan(250);
    expect(figures.loadedP99).toBeLessThan(2_500);
  });
});
