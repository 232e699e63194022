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
import { useId, useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { bromApiRef } from '../../api/BromApi';
import { ErrorAlert } from '../common/ErrorAlert';
import { dateInputDaysAhead, sunsetFromDateInput } from '../common/deprecation';
import { FieldErrors, fieldErrorsOf } from '../common/validation';

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
  const [form, setForm] = useState({
    name: nextVersionName(type.name),
    routingKeyPattern: changes?.routingKeyPattern ?? type.routingKeyPattern,
    visibility: changes?.visibility ?? type.visibility,
    description: changes?.description ?? type.description,
    date: dateInputDaysAhead(90),
  });
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});

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

  const field = (name: 'name' | 'routingKeyPattern' | 'description') => ({
    value: form[name],
    onChange: (e: { target: { value: string } }) => {
      setForm({ ...form, [name]: e.target.value });
      setFieldErrors({ ...fieldErrors, [name]: undefined });
    },
    error: Boolean(fieldErrors[name]),
    fullWidth: true,
    margin: 'normal' as const,
  });

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
        <TextField
          {...field('name')}
          id="brom-version-name"
          label="Name of the new version"
          helperText={
            fieldErrors.name ?? 'Lower-case letters, digits and dashes'
          }
        />
        <TextField
          {...field('routingKeyPattern')}
          id="brom-version-routing-key"
          label="Routing-key pattern"
          helperText={
            fieldErrors.routingKeyPattern ??
            'It may overlap the type it replaces, not the producer’s other types'
          }
        />
        <TextField
          select
          SelectProps={{ native: true }}
          id="brom-version-visibility"
          label="Visibility"
          value={form.visibility}
          onChange={e =>
            setForm({
              ...form,
              visibility: e.target.value as NotificationType['visibility'],
            })
          }
          fullWidth
          margin="normal"
        >
          <option value="public">Public</option>
          <option value="private">Private</option>
        </TextField>
        <TextField
          {...field('description')}
          id="brom-version-description"
          label="Description"
          helperText={fieldErrors.description}
          multiline
          rows={2}
        />
        <TextField
          id="brom-version-sunset"
          label={`Sunset date of ${type.name}`}
          type="date"
          value={form.date}
          onChange={e => {
            setForm({ ...form, date: e.target.value });
            setFieldErrors({ ...fieldErrors, sunsetAt: undefined });
          }}
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
