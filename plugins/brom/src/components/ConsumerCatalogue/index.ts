export { ConsumerCatalogue } from './ConsumerCatalogue';
