import { EntityDisplayName } from '@backstage/plugin-catalog-react';
import { Fragment } from 'react';

/** An entity reference inside a sentence, e.g. a backend message's "group:default/payments". */
const ENTITY_REF =
  /\b((?:user|group|component|system|api):[\w-]+\/[\w.-]*[\w-])/g;

/**
 * A sentence (such as the backend's refusal "Only members of group:default/payments …") with
 * each entity reference shown as the catalog shows that entity ("Payments"), never raw.
 */
export const EntityRefText = ({ text }: { text: string }) => (
  <>
    {text.split(ENTITY_REF).map((part, index) =>
      // split() with a capture group puts the references at the odd indexes.
      index % 2 === 1 ? (
        <EntityDisplayName key={index} entityRef={part} hideIcon />
      ) : (
        <Fragment key={index}>{part}</Fragment>
      ),
    )}
  </>
);
