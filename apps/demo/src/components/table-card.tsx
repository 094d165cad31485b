import { ScrollX } from "./scroll-x";

/**
 * A card with one table: its title, an optional note, what it says when there is nothing to
 * show (`empty`, instead of the table), and the table, scrolling sideways inside the card.
 */
export function TableCard(props: {
  title: string;
  /** The scrolling region's name, when it should be shorter than the title. */
  label?: string;
  note?: React.ReactNode;
  empty?: React.ReactNode;
  testId: string;
  head: React.ReactNode[];
  /** On a phone, each row stacks as a card of label and value (cells need `data-label`). */
  stacked?: boolean;
  children: React.ReactNode;
}) {
  return (
    <section className="card">
      <h2>{props.title}</h2>
      {props.note && <p className="muted">{props.note}</p>}
      {props.empty ? (
        <p className="muted" data-testid={`${props.testId}-empty`}>
          {props.empty}
        </p>
      ) : (
        <ScrollX label={props.label ?? props.title}>
          <table data-testid={props.testId} className={props.stacked ? "stacked" : undefined}>
            <thead>
              <tr>
                {props.head.map((h, i) => (
                  <th key={i}>{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>{props.children}</tbody>
          </table>
        </ScrollX>
      )}
    </section>
  );
}
