import { useApi } from '@backstage/core-plugin-api';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import {
  createNotificationTypeVersionRequestSchema,
  NotificationType,
} from '@internal/plugin-brom-common';
import { useId } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { bromApiRef } from '../../api/BromApi';
import { ErrorAlert } from '../common/ErrorAlert';
import { dateInputDaysAhead, sunsetFromDateInput } from '../common/deprecation';
import { fieldErrorsOf } from '../common/validation';
import {
  NotificationTypeFields,
  useFormFields,
} from './NotificationTypeFields';

/** What the producer wanted to change in place, carried over into the new version. */
export interface VersionChanges {
  routingKeyPattern?: string;
  visibility?: NotificationType['visibility'];
  description?: string;
}

export interface NewVersionDialogProps {
  type: NotificationType;
  changes?: VersionChanges;
  onClose: () => void;
  onSaved: (version: NotificationType) => void;
}

/** The next name in a `-v<n>` series: order-created → order-created-v2 → order-created-v3. */
export function nextVersionName(name: string): string {
  const match = name.match(/^(.*)-v(\d+)$/);
  return match ? `${match[1]}-v${Number(match[2]) + 1}` : `${name}-v2`;
}

/**
 * A new version of a type: a copy with the changes that would otherwise alter what live
 * subscribers receive; the old type is deprecated with the new one as its successor.
 */
export const NewVersionDialog = ({
  type,
  changes,
  onClose,
  onSaved,
}: NewVersionDialogProps) => {
  const api = useApi(bromApiRef);
  const { form, update, fieldErrors, setFieldErrors } = useFormFields({
    name: nextVersionName(type.name),
    routingKeyPattern: changes?.routingKeyPattern ?? type.routingKeyPattern,
    visibility: changes?.visibility ?? type.visibility,
    description: changes?.description ?? type.description,
    date: dateInputDaysAhead(90),
  });

  const [{ loading, error }, submit] = useAsyncFn(async () => {
    const parsed = createNotificationTypeVersionRequestSchema.safeParse({
      generation: type.generation,
      name: form.name,
      routingKeyPattern: form.routingKeyPattern,
      visibility: form.visibility,
      description: form.description,
      sunsetAt: sunsetFromDateInput(form.date) ?? '',
    });
    if (!parsed.success) {
      setFieldErrors(fieldErrorsOf(parsed.error));
      return;
    }
    const created = await api.createNotificationTypeVersion(
      type.application,
      type.name,
      parsed.data,
    );
    onSaved(created.notificationType);
  }, [api, type, form, onSaved]);

  const titleId = useId();
  return (
    <Dialog
      open
      onClose={onClose}
      aria-labelledby={titleId}
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id={titleId}>New version of {type.name}</DialogTitle>
      <DialogContent>
        <DialogContentText>
          The new type starts as a copy of {type.name} with your changes.{' '}
          {type.name} is deprecated with the new one as its successor: its
          subscribers are told and keep receiving it until the sunset date, when
          their subscriptions end.
        </DialogContentText>
        <NotificationTypeFields
          idPrefix="brom-version"
          values={form}
          errors={fieldErrors}
          onChange={update}
          name={{
            label: 'Name of the new version',
            help: 'Lower-case letters, digits and dashes',
          }}
          routingKeyPatternHelp="It may overlap the type it replaces, not the producer’s other types"
          descriptionRows={2}
        />
        <TextField
          id="brom-version-sunset"
          label={`Sunset date of ${type.name}`}
          type="date"
          value={form.date}
          onChange={e => update('date', e.target.value, 'sunsetAt')}
          error={Boolean(fieldErrors.sunsetAt)}
          helperText={
            fieldErrors.sunsetAt
              ? 'Choose the date on which the old type’s subscriptions end'
              : 'Its remaining subscriptions end at the end of this day (UTC)'
          }
          InputLabelProps={{ shrink: true }}
          fullWidth
          margin="normal"
        />
        <ErrorAlert error={error} />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={loading}
          onClick={() => submit()}
        >
          Create version
        </Button>
      </DialogActions>
    </Dialog>
  );
};
