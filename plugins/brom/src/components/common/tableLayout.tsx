import { TableColumn } from '@backstage/core-components';
import { Theme } from '@material-ui/core/styles';
import useMediaQuery from '@material-ui/core/useMediaQuery';
import { Fragment, useMemo } from 'react';

/**
 * Words wrap between words; one breaks inside only when it cannot fit on a line of its own
 * (the table's default breaks anywhere: "Payment s team", "user:default/bo b").
 */
const WRAP_BETWEEN_WORDS = {
  wordBreak: 'normal',
  overflowWrap: 'break-word',
} as const;

/**
 * Columns the browser sizes by their content. Without a width, material-table gives each
 * column an equal share of the width it measured once when the table mounted, so a table
 * never follows a narrower window and pushes its last columns (the actions) out of view.
 */
export function fitColumns<T extends object>(
  columns: TableColumn<T>[],
): TableColumn<T>[] {
  return columns.map(column => ({
    width: 'auto',
    // A sort arrow widens every header; the portal's tables are short lists.
    sorting: false,
    ...column,
    cellStyle:
      typeof column.cellStyle === 'function'
        ? column.cellStyle
        : { ...WRAP_BETWEEN_WORDS, ...column.cellStyle },
  }));
}

/** An actions cell: buttons keep their labels on one line ("Approve", not "Appro ve"). */
export const ACTIONS_CELL = { whiteSpace: 'nowrap' } as const;

/**
 * Whether the window is narrower than `width` px (by default the `md` breakpoint, where
 * the pinned sidebar leaves a table about 500 px).
 */
export function useNarrowWindow(width?: number): boolean {
  return useMediaQuery((theme: Theme) =>
    width ? `(max-width:${width - 0.05}px)` : theme.breakpoints.down('sm'),
  );
}

/**
 * A table's columns for the window's width. In a narrow window (see `useNarrowWindow`)
 * the columns titled in `secondary` are left out and the actions come first, so they
 * stay in view even when the rest of the table has to scroll sideways within its card.
 */
export function useTableColumns<T extends object>(
  columns: TableColumn<T>[],
  secondary: string[] = [],
  narrowerThan?: number,
): TableColumn<T>[] {
  const narrow = useNarrowWindow(narrowerThan);
  return useMemo(() => {
    const fitted = fitColumns(columns);
    if (!narrow) return fitted;
    const shown = fitted.filter(
      column => !secondary.includes(String(column.title)),
    );
    return [
      ...shown.filter(column => column.title === 'Actions'),
      ...shown.filter(column => column.title !== 'Actions'),
    ];
    // The secondary titles are literals at each call site.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [columns, narrow]);
}

/** A routing key or broker name that may break after its dots, never inside a word. */
export const BreakableName = ({ name }: { name: string }) => (
  <code>
    {name.split('.').map((part, index, parts) => (
      <Fragment key={index}>
        {part}
        {index < parts.length - 1 && (
          <>
            .<wbr />
          </>
        )}
      </Fragment>
    ))}
  </code>
);
