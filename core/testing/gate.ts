/** A promise with its resolve function, to hold a body open until the test lets it go. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Lets every callback already queued run (one turn of the event loop). */
export const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
