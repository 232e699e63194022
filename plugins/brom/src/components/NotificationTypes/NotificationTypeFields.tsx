import TextField from '@material-ui/core/TextField';
import { NotificationType } from '@internal/plugin-brom-common';
import { Ref, useState } from 'react';
import { FieldErrors } from '../common/validation';

/** The fields a notification type is declared with, as the dialogs edit them. */
export interface NotificationTypeFieldValues {
  name: string;
  routingKeyPattern: string;
  description: string;
  visibility: NotificationType['visibility'];
}

/**
 * A form's values and per-field problems: `update` sets one value and clears the problem shown
 * under it (`errorField`, the field's own by default).
 */
export function useFormFields<F extends object>(initial: F) {
  const [form, setForm] = useState(initial);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const update = (
    name: keyof F,
    value: F[keyof F],
    errorField: string = String(name),
  ) => {
    setForm(current => ({ ...current, [name]: value }));
    setFieldErrors(current => ({ ...current, [errorField]: undefined }));
  };
  return { form, update, fieldErrors, setFieldErrors };
}

export interface NotificationTypeFieldsProps {
  /** Prefix of the fields' ids, one per dialog (e.g. `brom-type`). */
  idPrefix: string;
  values: NotificationTypeFieldValues;
  errors: FieldErrors;
  /** A field's new value (the visibility's is one of NotificationType['visibility']). */
  onChange: (name: keyof NotificationTypeFieldValues, value: string) => void;
  /** The name field as the dialog asks for it. */
  name: {
    label: string;
    help: string;
    disabled?: boolean;
    inputRef?: Ref<HTMLInputElement>;
  };
  /** What a valid routing-key pattern is, in this dialog. */
  routingKeyPatternHelp: string;
  descriptionHelp?: string;
  descriptionRows: number;
}

/**
 * Name, routing-key pattern, description and visibility of a notification type, each with its
 * problem (or its help) below it: shared by the dialog that declares or edits a type and the
 * one that makes a new version of it.
 */
export const NotificationTypeFields = ({
  idPrefix,
  values,
  errors,
  onChange,
  name,
  routingKeyPatternHelp,
  descriptionHelp,
  descriptionRows,
}: NotificationTypeFieldsProps) => {
  const text = (field: 'name' | 'routingKeyPattern' | 'description') => ({
    value: values[field],
    onChange: (e: { target: { value: string } }) =>
      onChange(field, e.target.value),
    error: Boolean(errors[field]),
    fullWidth: true,
    margin: 'normal' as const,
  });
  return (
    <>
      <TextField
        {...text('name')}
        id={`${idPrefix}-name`}
        label={name.label}
        inputRef={name.inputRef}
        disabled={name.disabled}
        helperText={errors.name ?? name.help}
      />
      <TextField
        {...text('routingKeyPattern')}
        id={`${idPrefix}-routing-key`}
        label="Routing-key pattern"
        helperText={errors.routingKeyPattern ?? routingKeyPatternHelp}
      />
      <TextField
        {...text('description')}
        id={`${idPrefix}-description`}
        label="Description"
        helperText={errors.description ?? descriptionHelp}
        multiline
        rows={descriptionRows}
      />
      <TextField
        select
        SelectProps={{ native: true }}
        id={`${idPrefix}-visibility`}
        label="Visibility"
        value={values.visibility}
        onChange={e => onChange('visibility', e.target.value)}
        error={Boolean(errors.visibility)}
        helperText={
          errors.visibility ??
          'Private types are visible to your own group only'
        }
        fullWidth
        margin="normal"
      >
        <option value="public">Public</option>
        <option value="private">Private</option>
      </TextField>
    </>
  );
};
