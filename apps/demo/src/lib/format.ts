/** A count as people read it: 8144 → "8,144". */
export const formatCount = (n: number) => n.toLocaleString("en-US");

/** A decimal money string ("1234.5", "-3.00") in whole cents, exactly (never a float). */
function cents(money: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(money);
  if (!match) throw new Error(`not a money amount: ${money}`);
  const [, sign, whole, part = ""] = match;
  const value = BigInt(whole!) * 100n + BigInt(part.padEnd(2, "0"));
  return sign ? -value : value;
}

/** Whole cents as a decimal string with 2 places: 123450n → "1234.50". */
function decimal(value: bigint): string {
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
}

/** The sum of decimal money strings, exactly: addMoney("9.99", "0.01") → "10.00". */
export const addMoney = (...amounts: string[]) =>
  decimal(amounts.reduce((sum, a) => sum + cents(a), 0n));

/** A decimal money string for display: "1234.5" → "$1,234.50", "-3" → "−$3.00". */
export function formatMoney(money: string): string {
  const [whole, part] = decimal(cents(money)).split(".") as [string, string];
  const negative = whole.startsWith("-");
  const grouped = BigInt(negative ? whole.slice(1) : whole).toLocaleString("en-US");
  return `${negative ? "−" : ""}$${grouped}.${part}`;
}
