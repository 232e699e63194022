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
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { bromApiRef } from '../../api/BromApi';
import { ErrorAlert } from '../common/ErrorAlert';
import { describeError, statusCodeOf } from '../common/errors';
import { VersionChanges } from './NewVersionDialog';
import { fieldErrorsOf } from '../common/validation';
import {
  NotificationTypeFields,
  useFormFields,
} from './NotificationTypeFields';
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
  const { form, update, fieldErrors, setFieldErrors } = useFormFields({
    name: existing?.name ?? '',
    routingKeyPattern: existing?.routingKeyPattern ?? '',
    description: existing?.description ?? '',
    visibility: existing?.visibility ?? 'public',
    requiresApproval: existing?.requiresApproval ?? true,
    payloadSchema: existing?.payloadSchema
      ? JSON.stringify(existing.payloadSchema, null, 2)
      : '',
  });

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
        <NotificationTypeFields
          idPrefix="brom-type"
          values={form}
          errors={fieldErrors}
          onChange={update}
          name={{
            label: 'Name',
            help: 'Lower-case letters, digits and dashes, e.g. order-created',
            disabled: Boolean(existing),
            inputRef: existing ? undefined : focusOnOpen,
          }}
          routingKeyPatternHelp="Dotted words; * is one word (such as an id), # any number of words at the end, e.g. order.*.created"
          descriptionHelp="When it is published and what it carries"
          descriptionRows={3}
        />
        <FormControlLabel
          control={
            <Checkbox
              checked={form.requiresApproval}
              onChange={e => update('requiresApproval', e.target.checked)}
              color="primary"
            />
          }
          label="Subscriptions need approval"
        />
        <TextField
          value={form.payloadSchema}
          onChange={e => update('payloadSchema', e.target.value)}
          error={Boolean(fieldErrors.payloadSchema)}
          fullWidth
          margin="normal"
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
