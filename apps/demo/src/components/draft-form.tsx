"use client";

import { featureLabel, tierLabel } from "@usagekit/react";
import { features, tierNames } from "@usagekit/db/catalog";
import type { Feature, TierName } from "@usagekit/db/catalog";
import { inMinutes, kindsFor } from "~/lib/draft";
import type { DraftForm, LimitField, LimitKind } from "~/lib/draft";

const kindText: Record<LimitKind, string> = {
  hard: "Limit",
  soft: "Limit, then overage",
  unlimited: "Unlimited",
};

/** One feature's limit on one plan: its kind, the limit, and the overage price when soft. */
function LimitRow(props: {
  tier: TierName;
  feature: Feature;
  field: LimitField;
  onChange: (field: LimitField) => void;
}) {
  const { tier, feature, field } = props;
  const name = `${tierLabel(tier)} ${featureLabel(feature)}`;
  const set = (change: Partial<LimitField>) => props.onChange({ ...field, ...change });
  const per = inMinutes(feature) && field.perUnits === 60 ? "minute" : `${field.perUnits} units`;
  return (
    <div className="lab-row" data-testid={`lab-${tier}-${feature}`}>
      <span className="lab-feature">{featureLabel(feature)}</span>
      <select
        aria-label={`${name}: kind of limit`}
        value={field.kind}
        onChange={(e) => set({ kind: e.target.value as LimitKind })}
      >
        {kindsFor(feature).map((k) => (
          <option key={k} value={k}>
            {kindText[k]}
          </option>
        ))}
      </select>
      {field.kind !== "unlimited" && (
        <label>
          <input
            aria-label={`${name} limit${inMinutes(feature) ? " in minutes" : ""}`}
            inputMode="decimal"
            size={6}
            value={field.limit}
            onChange={(e) => set({ limit: e.target.value })}
          />{" "}
          {inMinutes(feature) ? "min" : ""}
        </label>
      )}
      {field.kind === "soft" && (
        <label>
          then $
          <input
            aria-label={`${name} overage price per ${per}`}
            inputMode="decimal"
            size={5}
            value={field.price}
            onChange={(e) => set({ price: e.target.value })}
          />{" "}
          a {per}
        </label>
      )}
    </div>
  );
}

/** The draft catalog's fields: each plan's monthly price and each feature's limit. */
export function DraftFields(props: { form: DraftForm; onChange: (form: DraftForm) => void }) {
  const { form } = props;
  return (
    <div className="lab-tiers">
      {tierNames.map((tier) => (
        <fieldset key={tier} className="lab-tier">
          <legend>{tierLabel(tier)}</legend>
          <label className="lab-row">
            <span className="lab-feature">Price a month</span>$
            <input
              aria-label={`${tierLabel(tier)} price a month in dollars`}
              inputMode="decimal"
              size={6}
              value={form[tier].price}
              onChange={(e) =>
                props.onChange({ ...form, [tier]: { ...form[tier], price: e.target.value } })
              }
            />
          </label>
          {features.map((f) => (
            <LimitRow
              key={f}
              tier={tier}
              feature={f}
              field={form[tier].limits[f]}
              onChange={(field) =>
                props.onChange({
                  ...form,
                  [tier]: { ...form[tier], limits: { ...form[tier].limits, [f]: field } },
                })
              }
            />
          ))}
        </fieldset>
      ))}
    </div>
  );
}
