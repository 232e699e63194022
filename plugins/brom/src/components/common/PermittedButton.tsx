import { usePermission } from '@backstage/plugin-permission-react';
import Button, { ButtonProps } from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';
import { EntityRefText } from './EntityRefText';
import {
  Application,
  BromApplicationPermission,
} from '@internal/plugin-brom-common';

export interface PermittedButtonProps extends ButtonProps {
  /** What the action needs on `application`. */
  permission: BromApplicationPermission;
  application: Pick<Application, 'name' | 'owner'>;
}

/** Why an action on the application is refused: the backend's words for it. */
export function deniedReason(
  application: Pick<Application, 'name' | 'owner'>,
): string {
  return `Only members of ${application.owner} (the owner of "${application.name}") or BROM administrators can do this`;
}

/**
 * A button for an action on one application that the permission framework may refuse:
 * disabled until the answer comes, and when it is a no, disabled with the reason on hover,
 * rather than failing on click.
 */
export const PermittedButton = ({
  permission,
  application,
  disabled,
  ...props
}: PermittedButtonProps) => {
  const { loading, allowed } = usePermission({
    permission,
    resourceRef: application.name,
  });
  const button = <Button {...props} disabled={disabled || !allowed} />;
  if (loading || allowed) return button;
  return (
    <Tooltip title={<EntityRefText text={deniedReason(application)} />}>
      {/* A disabled button gets no pointer events; the span takes the hover for it. */}
      <span>{button}</span>
    </Tooltip>
  );
};
