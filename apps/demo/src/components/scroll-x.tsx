/** A wide table that scrolls sideways inside its card; focusable, so the keyboard can scroll it. */
export function ScrollX(props: { label: string; children: React.ReactNode }) {
  return (
    <div className="scroll-x" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}
