"use client";

import { limitExceededOf } from "@usagekit/react";
import type { ActionResult } from "~/app/dashboard/actions";

/** An API error as the dashboard shows it. */
export function toActionResult(error: unknown): ActionResult {
  return {
    ok: false,
    message: error instanceof Error ? error.message : String(error),
    limitExceeded: limitExceededOf(error),
  };
}
