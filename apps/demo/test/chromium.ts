import { chromium } from "playwright-core";

/** Debian's Chromium, headless, without a network of its own (the browser tests' one launcher). */
export const launchChromium = () =>
  chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
