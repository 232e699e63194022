import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  code: {
    margin: theme.spacing(1, 0),
    padding: theme.spacing(1.5),
    overflowX: 'auto',
    whiteSpace: (props: { wrap: boolean }) => (props.wrap ? 'pre-wrap' : 'pre'),
    wordBreak: (props: { wrap: boolean }) =>
      props.wrap ? 'break-all' : 'normal',
    fontFamily: 'monospace',
    fontSize: theme.typography.body2.fontSize,
    color: theme.palette.text.primary,
    backgroundColor: theme.palette.background.default,
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
  },
}));

/**
 * Code to copy, in the theme's own text and background colours. Backstage's CodeSnippet
 * colours comments and line numbers below the contrast WCAG asks for (axe's serious
 * `color-contrast`, in both themes), so code people must read goes here.
 */
export function PlainCode(props: {
  text: string;
  wrap?: boolean;
  label?: string;
}) {
  const classes = useStyles({ wrap: Boolean(props.wrap) });
  return (
    // A scrolling region must take focus, so that keyboard users can scroll it (axe's
    // scrollable-region-focusable).
    // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
    <pre className={classes.code} aria-label={props.label} tabIndex={0}>
      <code>{props.text}</code>
    </pre>
  );
}
