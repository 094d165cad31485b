/** What the demo sells as a top-up: an hour of practice time, granted at once. */
export const TOP_UP = { minutes: 60, price: "4.99" } as const;
