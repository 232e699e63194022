/**
 * An `inputRef` that moves the focus into a dialog's first field when the dialog opens, as
 * the WAI-ARIA dialog pattern asks, so a keyboard user starts typing at once. A stable
 * function, so React calls it once, when the field mounts.
 */
export const focusOnOpen = (element: HTMLElement | null) => {
  element?.focus();
};
