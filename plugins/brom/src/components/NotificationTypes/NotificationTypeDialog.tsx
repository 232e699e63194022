import { useApi } from '@backstage/core-plugin-api';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import TextField from '@material-ui/core/TextField';
import {
  createNotificationTypeRequestSchema,
  NotificationType,
  updateNotificationTypeRequestSchema,
} from '@internal/plugin-brom-common';
import { useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { bromApiRef } from '../../api/BromApi';
import { ErrorAlert } from '../common/ErrorAlert';
import { describeError, statusCodeOf } from '../common/errors';
import { VersionChanges } from './NewVersionDialog';
import { FieldErrors, fieldErrorsOf } from '../common/validation';
import { focusOnOpen } from '../common/focusOnOpen';

export interface NotificationTypeDialogProps {
  application: string;
  /** The type to edit; without it the dialog adds a new one. */
  existing?: NotificationType;
  onClose: () => void;
  onSaved: (type: NotificationType) => void;
  /**
   * Offered when the backend refuses an edit that would change what live subscribers
   * receive: continue as a new version with the changes made here.
   */
  onNewVersion?: (changes: VersionChanges) => void;
}

function parsePayloadSchema(text: string): {
  value?: Record<string, unknown> | null;
  problem?: string;
} {
  if (!text.trim()) return { value: null };
  try {
    const value = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { problem: 'must be a JSON object (a JSON Schema)' };
    }
    return { value };
  } catch (e) {
    return { problem: `must be valid JSON: ${(e as Error).message}` };
  }
}

/** Declares a notification type the application publishes, or changes one. */
export const NotificationTypeDialog = ({
  application,
  existing,
  onClose,
  onSaved,
  onNewVersion,
}: NotificationTypeDialogProps) => {
  const api = useApi(bromApiRef);
  const [form, setForm] = useState({
    name: existing?.name ?? '',
    routingKeyPattern: existing?.routingKeyPattern ?? '',
    description: existing?.description ?? '',
    visibility: existing?.visibility ?? 'public',
    requiresApproval: existing?.requiresApproval ?? true,
    payloadSchema: existing?.payloadSchema
      ? JSON.stringify(existing.payloadSchema, null, 2)
      : '',
  });
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});

  const [{ loading, error }, submit] = useAsyncFn(async () => {
    const payload = parsePayloadSchema(form.payloadSchema);
    const fields = {
      routingKeyPattern: form.routingKeyPattern,
      description: form.description,
      visibility: form.visibility,
      requiresApproval: form.requiresApproval,
      payloadSchema: payload.value,
    };
    const parsed = existing
      ? updateNotificationTypeRequestSchema.safeParse({
          ...fields,
          generation: existing.generation,
        })
      : createNotificationTypeRequestSchema.safeParse({
          ...fields,
          name: form.name,
        });
    const errors = parsed.success ? {} : fieldErrorsOf(parsed.error);
    if (payload.problem) errors.payloadSchema = payload.problem;
    if (!parsed.success || payload.problem) {
      setFieldErrors(errors);
      return;
    }
    const saved = existing
      ? await api.updateNotificationType(application, existing.name, {
          ...fields,
          generation: existing.generation,
        })
      : await api.createNotificationType(application, {
          ...fields,
          name: form.name,
        });
    onSaved(saved);
  }, [api, application, existing, form, onSaved]);

  const field = (
    name: 'name' | 'routingKeyPattern' | 'description' | 'payloadSchema',
  ) => ({
    value: form[name],
    onChange: (e: { target: { value: string } }) => {
      setForm({ ...form, [name]: e.target.value });
      setFieldErrors({ ...fieldErrors, [name]: undefined });
    },
    error: Boolean(fieldErrors[name]),
    fullWidth: true,
    margin: 'normal' as const,
  });

  const titleId = 'brom-notification-type-title';
  return (
    <Dialog
      open
      onClose={onClose}
      aria-labelledby={titleId}
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id={titleId}>
        {existing
          ? `Edit notification type ${existing.name}`
          : 'Add notification type'}
      </DialogTitle>
      <DialogContent>
        <TextField
          {...field('name')}
          id="brom-type-name"
          label="Name"
          inputRef={existing ? undefined : focusOnOpen}
          disabled={Boolean(existing)}
          helperText={
            fieldErrors.name ??
            'Lower-case letters, digits and dashes, e.g. order-created'
          }
        />
        <TextField
          {...field('routingKeyPattern')}
          id="brom-type-routing-key"
          label="Routing-key pattern"
          helperText={
            fieldErrors.routingKeyPattern ??
            'Dotted words; * is one word (such as an id), # any number of words at the end, e.g. order.*.created'
          }
        />
        <TextField
          {...field('description')}
          id="brom-type-description"
          label="Description"
          helperText={
            fieldErrors.description ??
            'When it is published and what it carries'
          }
          multiline
          rows={3}
        />
        <TextField
          select
          SelectProps={{ native: true }}
          id="brom-type-visibility"
          label="Visibility"
          value={form.visibility}
          onChange={e =>
            setForm({
              ...form,
              visibility: e.target.value as NotificationType['visibility'],
            })
          }
          helperText={
            fieldErrors.visibility ??
            'Private types are visible to your own group only'
          }
          fullWidth
          margin="normal"
        >
          <option value="public">Public</option>
          <option value="private">Private</option>
        </TextField>
        <FormControlLabel
          control={
            <Checkbox
              checked={form.requiresApproval}
              onChange={e =>
                setForm({ ...form, requiresApproval: e.target.checked })
              }
              color="primary"
            />
          }
          label="Subscriptions need approval"
        />
        <TextField
          {...field('payloadSchema')}
          id="brom-type-payload-schema"
          label="Payload JSON Schema (optional)"
          helperText={
            fieldErrors.payloadSchema ??
            'Published in the catalog as the AsyncAPI payload'
          }
          multiline
          rows={4}
          inputProps={{ style: { fontFamily: 'monospace' } }}
        />
        <ErrorAlert error={error} />
        {existing &&
          onNewVersion &&
          error &&
          statusCodeOf(error) === 409 &&
          describeError(error).includes('Create a new version') && (
            <Button
              color="primary"
              variant="outlined"
              style={{ marginTop: 8 }}
              onClick={() =>
                onNewVersion({
                  routingKeyPattern: form.routingKeyPattern,
                  visibility: form.visibility,
                  description: form.description,
                })
              }
            >
              Create a new version instead
            </Button>
          )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={loading}
          onClick={() => submit()}
        >
          Save
        </Button>
      </DialogActions>
    </Dialog>
  );
};
