export {
  ExternalProducerFields,
  externalProducerErrorsOf,
  externalProducerFormOf,
  externalProducerRequestOf,
} from './ExternalProducerFields';
export type { ExternalProducerForm } from './ExternalProducerFields';
export { ExternalProducerDialog } from './ExternalProducerDialog';
