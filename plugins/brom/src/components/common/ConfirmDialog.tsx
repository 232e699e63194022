import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import { ReactNode, useId } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { ErrorAlert } from './ErrorAlert';

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  /** Visible text of the button that does it, e.g. "Delete". */
  confirmLabel: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}

/**
 * Asks before a destructive action and shows the backend's answer when it refuses, e.g. the
 * subscribers that block a deletion.
 */
export const ConfirmDialog = (props: ConfirmDialogProps) => {
  const { title, children, confirmLabel, onConfirm, onClose } = props;
  const titleId = useId();
  const [{ loading, error }, confirm] = useAsyncFn(onConfirm, [onConfirm]);
  return (
    <Dialog
      open
      onClose={onClose}
      aria-labelledby={titleId}
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id={titleId}>{title}</DialogTitle>
      <DialogContent>
        {children}
        <ErrorAlert error={error} />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          color="secondary"
          variant="contained"
          disabled={loading}
          onClick={() => confirm()}
        >
          {confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
};
