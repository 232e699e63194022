export { EntityBromContent } from './EntityBromContent';
export {
  BROM_APPLICATION_ANNOTATION,
  isBromApplicationAvailable,
} from './isBromApplicationAvailable';
