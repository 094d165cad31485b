import { catalog as usagekit, defineCatalog } from "@usagekit/db/catalog";

// The app's catalog: usagekit's features and tiers, and one of its own — flashcard exports, 3 a
// month on Free, 50 on Plus, unlimited on Pro. The server meters it, the page labels it.
export const catalog = defineCatalog({
  ...usagekit,
  features: {
    ...usagekit.features,
    flashcardExports: { label: "Flashcard exports", unit: "count" },
  },
  tiers: {
    free: {
      ...usagekit.tiers.free,
      limits: { ...usagekit.tiers.free.limits, flashcardExports: 3 },
    },
    plus: {
      ...usagekit.tiers.plus,
      limits: { ...usagekit.tiers.plus.limits, flashcardExports: 50 },
    },
    pro: {
      ...usagekit.tiers.pro,
      limits: { ...usagekit.tiers.pro.limits, flashcardExports: null },
    },
  },
});
